"""A person the article names by surname alone is named in full the first time."""

from __future__ import annotations

from herald.write.names import introduce, introduce_all

SOURCE = (
    "Neighbor Kevin Evans saw the shooting from his porch on Tuesday night. "
    "Police arrived minutes later and closed the street. "
    '"He was outside, in front. We heard a shot and the officer went down," Evans said.'
)
QUOTED = '"He was outside, in front. We heard a shot and the officer went down," Evans said.'


def test_a_bare_surname_becomes_the_full_name_its_source_gave() -> None:
    # the demo's Wayne State article ended with a quotation from an "Evans" it never introduced
    before = SOURCE[: SOURCE.index('"He')]
    assert introduce(QUOTED, before, "") == QUOTED.replace("Evans said", "Kevin Evans said")
    opened = introduce("But Evans said the street was dark.", before, "")
    assert opened == "But Kevin Evans said the street was dark."


def test_only_the_first_mention_and_never_inside_a_quotation() -> None:
    texts = [
        "Evans said the street was dark when the officer stopped the cyclist.",
        QUOTED,
    ]
    first, second = introduce_all(texts, [SOURCE, SOURCE], texts)
    assert first.startswith("Kevin Evans said")
    assert second == QUOTED  # the reader has met him
    inside = '"I told Evans to get inside," said the officer\'s partner.'
    assert introduce(inside, SOURCE, "") == inside


def test_names_that_are_not_bare_surnames_stay() -> None:
    assert introduce("Mr. Evans said it was loud.", SOURCE, "") == "Mr. Evans said it was loud."
    washington = "The storm reached Washington on Monday evening."
    assert introduce(washington, "President George Washington crossed it.", "") == washington
    family = "Mona Lisa Harding and Kip Harding wrote a book about their children. "
    sentence = "Harding said the children loved to learn."
    assert introduce(sentence, family, "") == sentence  # two Hardings: which one?
    assert introduce(sentence, "", "") == sentence  # never named in full before
    # a month, or a word that is no proper noun there, is nobody's surname
    source = "Prime Minister Theresa May met the singer Neil Young on Monday. "
    for other in (
        "In May, the company said its profits rose sharply.",
        "Young people are leaving the region, the report said.",
    ):
        assert introduce(other, source, "") == other
    assert introduce("Young said he would tour again next year.", source, "") == (
        "Neil Young said he would tour again next year."
    )


def test_every_bare_surname_of_a_sentence() -> None:
    source = "Senate leader Chuck Schumer and House Speaker Nancy Pelosi met the president. "
    sentence = "Schumer and Pelosi said Tuesday they had offered the president a stopgap bill."
    assert introduce(sentence, source, "") == (
        "Chuck Schumer and Nancy Pelosi said Tuesday they had offered the president a stopgap bill."
    )


def test_a_hyphenated_surname_is_one_name() -> None:
    # the demo's elevator article: "Al-Rahabi landed on top of her daughter."
    source = "The mother, Nasra Al-Rahabi, 27, was waiting with the stroller on the 23rd floor. "
    assert introduce("Al-Rahabi landed on top of her daughter.", source, "") == (
        "Nasra Al-Rahabi landed on top of her daughter."
    )


def test_a_surname_that_also_names_a_company_stays() -> None:
    # "Bloomberg reported" is the news agency, not the former mayor the source also names
    source = (
        "Former New York mayor Michael Bloomberg said he would run. "
        "The report was first published by Bloomberg News on Tuesday. "
    )
    reported = "Bloomberg reported that the deal was close."
    assert introduce(reported, source, "") == reported
    ford = (
        "Henry Ford built the plant in 1910. Ford Motor Co. said it would recall 100,000 trucks. "
    )
    recall = "Ford said on Tuesday that the recall would cost millions."
    assert introduce(recall, ford, "") == recall


def test_a_word_after_a_determiner_or_inside_an_organisations_name_is_nobodys_surname() -> None:
    # an earlier version wrote "said Laurie Hedges from the James Cook University of
    # Nottingham" (Multi-News; the source named James Cook University elsewhere), and "his
    # Miami Heat": a person's name takes no "the" or "his", and no university is a person
    source = (  # the Multi-News source's own sentence
        "James Cook University scientists have helped invent a clever technique to tell black "
        "leopards apart - a trick that may end up saving their skins. "
    )
    said = '"It is vital," said Laurie Hedges from the University of Nottingham - Malaysia.'
    assert introduce(said, source, "") == said
    heat = "LeBron James won as his Heat beat the Oklahoma City Thunder in Game 5."
    assert introduce(heat, "Coach Erik Spoelstra praised the Miami Heat. ", "") == heat
