"""The regex NLP layer: sentences, numbers, quotes, names, dates."""

from __future__ import annotations

import pytest

from herald.nlp import text as nlp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith went to Washington on Jan. 5, 2024. He met Sen. Jones.",
            ["Mr. Smith went to Washington on Jan. 5, 2024.", "He met Sen. Jones."],
        ),
        (
            "The U.S. economy grew 3.5 per cent. Prices fell.",
            ["The U.S. economy grew 3.5 per cent.", "Prices fell."],
        ),
        ("Troops left the U.S. The war ended.", ["Troops left the U.S.", "The war ended."]),
        (  # the demo's: a sentence ending on "D.C." before "After"
            "It will appeal to the NLRB in Washington, D.C. After that, it goes to the courts.",
            [
                "It will appeal to the NLRB in Washington, D.C.",
                "After that, it goes to the courts.",
            ],
        ),
        ("He is the U.S. Under Secretary of State.", ["He is the U.S. Under Secretary of State."]),
        (
            "He met J. K. Rowling at 3 p.m. on Friday.",
            ["He met J. K. Rowling at 3 p.m. on Friday."],
        ),
        ('"We will win." Then he left.', ['"We will win."', "Then he left."]),
        ('"Is it over?" she asked. No.', ['"Is it over?" she asked.', "No."]),
        ("It ranked No. 5 in the list. Good.", ["It ranked No. 5 in the list.", "Good."]),
        ("First paragraph here\n\nSecond one.", ["First paragraph here", "Second one."]),
        (
            'He said: "We are here. We stay." Then he left.',
            ['He said: "We are here. We stay."', "Then he left."],
        ),
        ("“Curly quotes.” They close. Right.", ["“Curly quotes.”", "They close.", "Right."]),
        (  # paragraphs glued together by a page that lost the space between them
            "Could you imagine that decision?Bethenny Frankel gave birth.Guess who was there.",
            [
                "Could you imagine that decision?",
                "Bethenny Frankel gave birth.",
                "Guess who was there.",
            ],
        ),
        (
            'She said: "The pain went away."Through Dr. Kolb, Anne got better.',
            ['She said: "The pain went away."', "Through Dr. Kolb, Anne got better."],
        ),
        (  # the glued quotation mark opens a quotation: put back before its words
            'Who was there? The crews!"She wants it all filmed," a friend said.',
            ["Who was there?", "The crews!", '"She wants it all filmed," a friend said.'],
        ),
        (  # the same mark glued with a space after it, as Multi-News prints some sources
            'He spent the night in jail." When they close that door, you are shut," he said.',
            ["He spent the night in jail.", '"When they close that door, you are shut," he said.'],
        ),
        (  # the demo's: the speaker of a question, alone, was published as a sentence
            '"Maybe someone who had a super PAC?" Colbert said on his show Thursday. Sure.',
            ['"Maybe someone who had a super PAC?" Colbert said on his show Thursday.', "Sure."],
        ),
        (
            '"Enough!" Sen. Lindsey Graham told reporters. "Is it over?" The room went quiet.',
            [
                '"Enough!" Sen. Lindsey Graham told reporters.',
                '"Is it over?"',
                "The room went quiet.",
            ],
        ),
        (
            'Hannity cried, "Not one of them, period!" He said liberals get a pass.',
            ['Hannity cried, "Not one of them, period!"', "He said liberals get a pass."],
        ),
        (
            "The U.S.Army hired a Ph.D at 3 p.m.Sunday.",
            ["The U.S.Army hired a Ph.D at 3 p.m.Sunday."],
        ),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert nlp.split_sentences(text) == expected


def test_paragraphs() -> None:
    assert nlp.paragraphs("One.\n \nTwo\nstill two.\n\n\nThree.") == [
        "One.",
        "Two still two.",
        "Three.",
    ]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("a $1.5 billion deal", 1.5e9, "$"),
        ("sent 10,000 troops", 10_000.0, "troop"),
        ("grew 3 per cent", 3.0, "%"),
        ("42% of voters", 42.0, "%"),
        ("rose 2.5 percent", 2.5, "%"),
        ("£20m in fines", 20e6, ""),
    ],
)
def test_numbers_with_units(text: str, value: float, unit: str) -> None:
    (found,) = nlp.numbers(text, include_words=False)
    assert found.value == pytest.approx(value)
    assert found.unit == unit


def test_word_numbers_only_when_asked() -> None:
    assert nlp.number_values("three people") == set()
    assert 3.0 in nlp.number_values("three people", include_words=True)


def test_quotes_straight_and_curly() -> None:
    text = 'He said "we will fight on" and later “never surrender” again.'
    assert nlp.quotes(text) == ["we will fight on", "never surrender"]
    assert nlp.quotes_balanced(text)
    assert not nlp.quotes_balanced('He said "we will')


def test_entities_skip_sentence_initial_common_words() -> None:
    found = nlp.entities(
        "The Colorado Rockies met President Barack Obama. However, NATO and the U.S. agreed."
    )
    assert "Colorado Rockies" in found
    assert "President Barack Obama" in found
    assert "NATO" in found and "U.S." in found
    assert "The" not in found and "However" not in found


def test_people() -> None:
    people = nlp.people("Mr. Smith met Troy Tulowitzki at the Bank of England.")
    assert people == ["Smith", "Troy Tulowitzki"]
    assert nlp.people("Police issued the Amber Alert after a Grand Jury met.") == []
    assert nlp.people("The late John McCain spoke.") == ["John McCain"]


def test_dates() -> None:
    found = nlp.dates("On Jan. 5, 2024, and on 3 March, and in the 1990s, on Tuesday.")
    assert "Jan. 5, 2024" in found
    assert "3 March" in found
    assert "1990s" in found
    assert "Tuesday" in found


def test_content_terms_stem_and_skip_stopwords() -> None:
    assert nlp.content_terms("The troops were killed") == ["troop", "kill"]
