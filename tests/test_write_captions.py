"""Wire photo captions are told from reporting (real sentences from Multi-News's sources)."""

from __future__ import annotations

import pytest

from herald.write.candidates import is_junk
from herald.write.captions import is_caption

CAPTIONS = [
    "Italian Premier Silvio Berlusconi sits in the lower chamber to attend a confidence vote, "
    "in Rome, Friday, Oct. 14, 2011.",
    "Vatican security guards stand by the main gate of the papal residence in Castelgandolfo, "
    "in the outskirts of Rome, Saturday, March 23, 2013.",
    "Bahraini activist Zainab al-Khawaja (L) is greeted by Sumaiya Rajab, wife of jailed "
    "activist Nabeel Rajab, after her release from prison in Budaiya, west of Manama, "
    "February 16, 2014.",
    "The scene of collapsed houses along 400 block of Daly Street in South Philadelphia on "
    "July 29, 2013.",
    "White House counselor Kellyanne Conway speaks in support of Republican congressional "
    "candidate Jay Webber at an event in Wayne, N.J., on Oct. 22, 2018.",
    "Warren Beatty exits the stage after announcing the award for best picture at the Oscars "
    "on Sunday, Feb. 26, 2017, at the Dolby Theatre in Los Angeles.",
    'A supporter holds a "Wendy Davis for Governor" sticker during an announcement watch party '
    "for State Sen. Wendy Davis, Thursday, Oct. 3, 2013, in San Antonio.",
    # the demo's: no date the grammar can use, but it says it is a photo
    "Santa Clara County Superior Court Judge Aaron Persky is shown in this this June 27, 2011 "
    "file photo.",
]

REPORTING = [
    # past tense, as a story reports
    "On Aug. 6, 2013, authorities found Alexis Murphy's white 2003 Nissan Maxima in the parking "
    "lot of a movie theater in Albemarle County.",
    "Each was born on April 28, 1990, at the same hospital in Taunton.",
    "Alexis Murphy, 17, has been missing since the evening of Aug. 3, 2013, when she left home.",
    # present tense, but what is scheduled, stated or held
    "The law takes effect on Jan. 1, 2019, for every employer in the state.",
    "The incident dates to March 25, 2016, and he has been free on $250,000 bond.",
    "The lawsuit says Clifford signed the agreement on Oct. 28, 2016, days before the election.",
    # the date belongs to a noun or to another verb
    "However, Katharine Brown concedes in a Dec. 8, 1939 letter to Selznick that efforts to "
    "include the black cast must end.",
    "KR17 is conducted in accordance with the South Korean-U.S. Mutual Defense Treaty, signed "
    "Oct. 1, 1953.",
    # a present-tense caption-like sentence with no full date
    "Protesters march through the city center as police watch from the side streets.",
    # a quotation
    '"Dow goes from 18,589 on November 9, 2016, to 25,075 today, for a new all-time Record," '
    "Trump tweeted.",
]


@pytest.mark.parametrize("sentence", CAPTIONS)
def test_wire_captions_are_captions_and_junk(sentence: str) -> None:
    assert is_caption(sentence)
    assert is_junk(sentence)


@pytest.mark.parametrize("sentence", REPORTING)
def test_reporting_with_dates_is_not_a_caption(sentence: str) -> None:
    assert not is_caption(sentence)


def test_a_caption_is_no_headline() -> None:
    from herald.write.headline import usable_title

    assert not usable_title("Santa Clara County Superior Court Judge Aaron Persky is shown")
    assert usable_title("Judge Aaron Persky spared a former Stanford swimmer prison")


@pytest.mark.parametrize(
    "sentence",
    [  # the demo's and Multi-News's: where a person stands in the picture
        "Megan Rapinoe, front, fends off Washington’s Alyssa Kleiner in the second half at "
        "Maryland SoccerPlex.",
        "Bernie Sanders (2nd row down, center) liked what he heard.",
        "Mahershala Ali (left) and Ryan Gosling share good wishes backstage after the best "
        "picture mixup at the Oscars.",
        "Democratic U.S. Sen. Bill Nelson, left, and Republican Gov. Rick Scott.",
    ],
)
def test_a_persons_place_in_the_picture_makes_a_caption(sentence: str) -> None:
    assert is_caption(sentence) and is_junk(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Oh, right, this also vindicates Marisa Tomei.",
        "Marine Le Pen's National Front (far right) won 28 percent of the vote.",
        "The party moved to the right, left its allies behind and won the vote.",
        "The stadium (centre) was built in 1990 for the Olympic Games in the city.",
        "Players from the left, center and right of the party met on Monday.",
    ],
)
def test_left_and_right_in_reporting_are_not_a_caption(sentence: str) -> None:
    assert not is_caption(sentence)


def test_a_sentence_describing_a_photo_is_a_caption_one_reporting_on_it_is_not() -> None:
    # Multi-News's sources (the first in the demo's article on a dinosaur's foot)
    assert is_caption(
        "A photo from the 1998 excavation, with the brachiosaur foot bones below a tail of a "
        "Camarasaurus dinosaur."
    )
    assert is_caption("A 2013 photo shows the gates of the Tower Bridge, in London, raised high.")
    assert not is_caption(
        "A photo released by school officials showed the boy in a hospital bed with his parents."
    )
    assert not is_caption("A picture posted on Twitter by the senator was deleted hours later.")


def test_a_hostile_sentence_is_read_in_linear_time() -> None:
    # the long-quotation rule once backtracked for seconds on a few thousand characters
    hostile = '"Hi? ' + "(AP) " * 800 + "on Jan. 5, 2019, he said."
    assert not is_caption(hostile)  # past tense: reporting
