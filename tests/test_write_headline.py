"""Headlines, feed-card summaries and key points shortened from source sentences never change
what a number says: no cut inside "150,000", none between a number and its scale or unit."""

from __future__ import annotations

from herald.write.headline import compress, summary

FEY = (
    "Fey's first book, Bossypants, hit stores in April and sold 150,000 copies in the first month."
)


def test_a_cut_never_splits_a_number_at_its_thousands_comma() -> None:
    # Before: the comma inside "150,000" counted as a clause mark: "... and sold 150".
    assert compress(FEY, 14) == "Fey's first book, Bossypants, hit stores in April"


def test_a_cut_between_words_never_ends_on_a_number() -> None:
    kors = "Michael Kors will buy the British luxury shoemaker Jimmy Choo for $1.2 billion in cash"
    assert compress(kors, 12) == "Michael Kors will buy the British luxury shoemaker Jimmy Choo"
    loss = (
        "The airline said quarterly revenue in its cargo business fell 12 percent from a year ago"
    )
    assert compress(loss, 11) == "The airline said quarterly revenue in its cargo business fell"


def test_a_long_summary_is_cut_before_a_number_not_after_it() -> None:
    words = " ".join("filler" for _ in range(36))
    lead = f"Officials said {words} the storm left damage estimated at 3.5 billion dollars in all."
    card = summary(lead)  # its 45th word is "3.5": the card stops before it, not at "3.5"
    assert card.endswith("the storm left damage estimated.") and "3.5" not in card
