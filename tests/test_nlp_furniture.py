"""Page furniture taken for a headline (titles and widget lines from the demo's real pages)."""

from __future__ import annotations

import pytest

from herald.cluster.online import embedding_text
from herald.cluster.topics import working_title
from herald.nlp.furniture import (
    is_furniture,
    is_not_a_headline,
    without_furniture,
    without_widget_prefix,
)
from herald.write.headline import is_title, title_from_text, usable_title

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


@pytest.mark.parametrize(
    "title",
    [  # the demo's story titles, each a real page's title
        "Posted by Parvez Jabri",
        "By Staff Sgt. Benjamin W. Stratton, 7th Air Force Public Affairs / Published March…",
        "March 11, 2014, 8:57 pm",
        "In this Saturday, July 1, 2017, photo, people line up at the NuLeaf marijuana…",
        "This photo released by the Syrian official news agency SANA shows Syrian rescue teams…",
        "Aurelie Chatelain, in this photograph provided by the Caudry City Hall April 22, 2015…",
        "The U.S. Capitol building is seen",
        "Photo Advertisement Continue reading the main story",
        "Get the Most Popular Beauty World News Stories in a Weekly Newsletter",
    ],
)
def test_a_byline_a_time_or_a_caption_is_not_a_headline(title: str) -> None:
    assert is_not_a_headline(title)


@pytest.mark.parametrize(
    "title",
    [
        "By the numbers: how the Fed decided to raise rates",
        "UFO is seen over London on Monday night",
        "Lean In Louisville kickoff event, March 12",
        "Apple Releases iOS 7.1 with New Features",
    ],
)
def test_headlines_that_look_like_one_are_headlines(title: str) -> None:
    assert not is_not_a_headline(title)


def test_a_video_players_close_button_leaves_the_title() -> None:
    title = "CLOSE Four Reno dispensaries begin sales of recreational marijuana"
    assert without_widget_prefix(title) == title.removeprefix("CLOSE ")
    assert without_widget_prefix("Close race in Ohio") == "Close race in Ohio"


def test_a_story_is_not_titled_by_a_caption() -> None:
    # the demo's: a photo's caption, dated in full, was a story's title
    assert not is_title("Donald Trump before opening the Nasdaq on September 20, 2005")
    assert not is_title("Bernie Sanders (2nd row down, center) liked what he heard")
    assert is_title("Men's Wearhouse buys Jos. A. Bank")
    assert is_title("Stephen Colbert has launched a Twitter campaign to get South Carolina…")


def test_a_hostile_title_is_read_in_linear_time() -> None:
    # a feed's title is anyone's text: the byline rule once backtracked without end on this
    assert not is_not_a_headline("By " + "A" * 5000 + " b")
    assert is_not_a_headline("By Dan Smith")
    assert is_title("Smith (" + "left " * 3000 + "x")  # no closing bracket: no caption
