"""Page furniture taken for a headline (titles and widget lines from the demo's real pages)."""

from __future__ import annotations

import pytest

from herald.cluster.online import embedding_text
from herald.cluster.topics import working_title
from herald.nlp.furniture import is_furniture, without_furniture
from herald.write.headline import title_from_text, usable_title

WIDGETS = [
    "Sign in to Celebuzz",
    "Most Popular Stories Most Popular Stories More>>",
    "Send us your images or video",
    "Breaking News Emails Get breaking news alerts and special reports",
    "This story is updated at the bottom with a response from Rich Benjamin",
    "Click here to read the full story",
]
HEADLINES = [
    "Netflix loses 200,000 subscribers in its first quarter",
    "The most popular baby names of 2024",
    "Trump to sign infrastructure bill on Monday",
    "Mark Carney: Independent Scotland must sign up for the euro to join the EU",
    "New York New York",
    "Syria Red Crescent bid to rescue Homs journalists fails",
]
SYRIA = (
    "Send us your images or video\n\nAre you there? Send us your images or video.\n\n"
    "(CNN) -- As the death toll from Syria's almost year-long uprising continued to rise, "
    "aid workers tried again to reach the city of Homs on Tuesday."
)


@pytest.mark.parametrize("title", WIDGETS)
def test_widgets_are_furniture(title: str) -> None:
    assert is_furniture(title)
    assert not usable_title(title)


@pytest.mark.parametrize("title", HEADLINES)
def test_headlines_are_not(title: str) -> None:
    assert not is_furniture(title)


def test_widget_lines_leave_the_text_and_the_title_leaves_the_embedding() -> None:
    assert without_furniture(SYRIA).startswith("(CNN) -- As the death toll")
    embedded = embedding_text("Send us your images or video", SYRIA)
    assert embedded.startswith("(CNN) -- As the death toll") and "Send us" not in embedded
    # With no text to go by, the title is all there is.
    assert embedding_text("Sign in to Celebuzz", "") == "Sign in to Celebuzz"


def test_a_story_is_titled_by_a_headline_or_by_its_text_never_by_a_widget() -> None:
    titles = ["Sign in to Celebuzz", "Stacy Keibler, George Clooney's ex, gets married"]
    assert working_title(titles, None) == titles[1]
    assert working_title(titles[:1], None) == titles[0]  # the caller then asks the text
    assert title_from_text(SYRIA) == "Aid workers tried again to reach the city of Homs on Tuesday"
    assert title_from_text("Are you there? Send us your images or video.") == ""
