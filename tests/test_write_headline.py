"""Headlines, feed-card summaries and key points shortened from source sentences never change
what a number says: no cut inside "150,000", none between a number and its scale or unit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from herald.cluster.topics import working_title
from herald.nlp.embed import MiniLMEmbedder
from herald.write.base import SourceDoc
from herald.write.composer import compose
from herald.write.headline import (
    clean_title,
    completed_title,
    compress,
    headline,
    key_points,
    summary,
    usable_title,
    whole_title,
)
from tests.support.multinews import story_texts

NOW = datetime(2024, 12, 29, 15, 0, tzinfo=UTC)

FEY = (
    "Fey's first book, Bossypants, hit stores in April and sold 150,000 copies in the first month."
)


def test_a_cut_never_splits_a_number_at_its_thousands_comma() -> None:
    # Before: the comma inside "150,000" counted as a clause mark: "... and sold 150".
    assert (
        compress(FEY, 14)
        == "Fey's first book, Bossypants, hit stores in April and sold 150,000 copies"
    )


def test_a_cut_between_words_never_ends_on_a_number() -> None:
    kors = "Michael Kors will buy the British luxury shoemaker Jimmy Choo for $1.2 billion in cash"
    assert compress(kors, 12) == "Michael Kors will buy the British luxury shoemaker Jimmy Choo"
    loss = (
        "The airline said quarterly revenue in its cargo business fell 12 percent from a year ago"
    )
    assert compress(loss, 11) == "The airline said quarterly revenue in its cargo business fell"


def test_a_headline_keeps_its_attribution_when_it_fits() -> None:
    # A claim of the police stays theirs; only a sentence too long for a headline loses it.
    assert compress("The suspect fled the scene in a stolen car, police said on Tuesday.", 14) == (
        "The suspect fled the scene in a stolen car, police said on Tuesday"
    )
    assert compress(
        "The ceasefire collapsed overnight near the border town after heavy shelling on both "
        "sides, according to the Korean Central News Agency.",
        14,
    ) == (
        "The ceasefire collapsed overnight near the border town after heavy shelling on both sides"
    )


def test_an_attribution_is_only_a_short_tail_and_a_cut_never_splits_a_name() -> None:
    # Before: "Ueli Steck said ..." to the end counted as a trailing attribution: "Mountaineer".
    sentence = (
        "Mountaineer Ueli Steck said he and David Goettler were attempting to climb China's "
        "Mount Shishapangma and saw the bodies on a glacier."
    )
    assert compress(sentence, 14) == (
        "Mountaineer Ueli Steck said he and David Goettler were attempting to climb"
    )
    plants = (
        "The company will cut 500 jobs in its European plants over the next two years, "
        "Chief Executive Mary Barra said."
    )
    assert not compress(plants, 14).endswith("two")


def test_a_long_summary_is_cut_before_a_number_not_after_it() -> None:
    words = " ".join("filler" for _ in range(36))
    lead = f"Officials said {words} the storm left damage estimated at 3.5 billion dollars in all."
    card = summary(lead)  # its 45th word is "3.5": the card stops before it, not at "3.5"
    assert card.endswith("the storm left damage.") and "3.5" not in card  # "estimated [at]" goes


def test_a_summary_cut_after_a_quotation_ends_inside_it() -> None:
    # the demo's card ended 'fighting for justice,".'
    lead = (
        "In an interview with CNN's Dana Bash, Sanders, a Democratic presidential candidate, "
        'said Day "spent her life fighting for the poor and fighting for justice," and added '
        "that the Pontiff's decision to mention her along with Abraham Lincoln, Martin Luther "
        "King Jr. and Thomas Merton is telling."
    )
    assert summary(lead).endswith(
        'said Day "spent her life fighting for the poor and fighting for justice."'
    )


def test_a_card_does_not_say_its_headline_twice() -> None:
    # the demo's card: "Amber Pasztor had already decided..." as headline and as summary
    lead = "Amber Pasztor had already decided she was going to kill her children."
    title = "Amber Pasztor had already decided she was going to kill her children"
    after = "Police said the mother of two was arrested in Oregon on Monday."
    assert summary(lead, title, [after]) == after
    assert summary(lead, title, ["She told them so on Monday at the station."]) == lead
    assert summary(lead, title, ['"I did it," she told the officers.']) == lead
    assert summary(lead, "Oregon mother held in deaths of two children", [after]) == lead
    # the demo's second sentence was a quotation: the card takes the next that stands alone
    assert summary(lead, title, ['"I did it," she told the officers.', after]) == after


def test_a_headline_cut_short_by_its_feed_is_not_the_articles_headline(
    shared_data: Path,
) -> None:
    texts = story_texts(shared_data, "multinews-validation-7")
    titles = [
        "KATHMANDU, Nepal (AP) — A Swiss climber who found the long-lost bodies of a…",
        "KATHMANDU (Reuters) - The bodies of two renowned U.S. climbers, found in Tibet 16…",
        "The bodies of two American climbers have been found in Tibet…",
    ]
    sources = [
        SourceDoc(i, f"Outlet {i}", f"https://news.example/{i}", t, text, NOW)
        for i, (t, text) in enumerate(zip(titles, texts, strict=True))
    ]
    working = working_title(titles, None)  # the story's title: every headline was cut short
    assert working.endswith("…")
    draft = compose(working, sources, MiniLMEmbedder())
    assert "…" not in draft.headline and not draft.headline.endswith("bodies of a")
    assert draft.headline.split()[-1].lower() not in {"a", "of", "the", "and", "to"}
    found = "Bodies of two U.S. climbers found in Tibet"
    named = [replace(s, title=found) if s.article_id == 2 else s for s in sources]
    whole = compose(working, named, MiniLMEmbedder())
    assert whole.headline == found  # a cited source's whole headline
    # the story's title is not the headline: it may be an uncited source's, about another story
    assert compose(found, sources, MiniLMEmbedder()).headline == draft.headline


def test_a_share_button_is_no_headline() -> None:
    assert not usable_title("Click to email this to a friend (Opens in new window)")
    assert usable_title("Northwestern football players win pivotal union case")
    assert usable_title("Obama's comments on the pictured cookie draw fire")  # words, not furniture
    # A photo caption used as a page's title (a demo source): where people stand in a picture.
    assert not usable_title("Bernie Sanders (2nd row down, center) liked what he heard")
    assert not usable_title("Obama (left) meets Putin in Paris on Monday")
    assert usable_title("Sherrod Brown (D) wins the Ohio Senate primary")


def test_a_cut_at_a_clause_mark_does_not_end_on_a_stopword() -> None:
    lead = (  # a real Multi-News lead, garbled by its source
        "Union City Football coach Jonathon Magwood broke two vertebrae while after landing "
        "incorrectly while jumping into a foam pit."
    )
    assert compress(lead, 14) == (  # the parser's cut: the source's words as they are
        "Union City Football coach Jonathon Magwood broke two vertebrae while after landing "
        "incorrectly"
    )


def test_a_cut_never_leaves_a_parenthesis_or_a_quotation_open() -> None:
    # From the demo: a headline cut inside "(aka Stormy Daniels, aka Peggy Peterson)".
    lead = (
        "To this besieged White House, the Stephanie Clifford (aka Stormy Daniels, aka Peggy "
        "Peterson) lawsuit against President Donald Trump might only register as a single "
        "locust on the plague scale."
    )
    assert compress(lead, 14) == (  # the leading phrase goes first, the parenthesis stays whole
        "The Stephanie Clifford (aka Stormy Daniels, aka Peggy Peterson) lawsuit against "
        "President Donald Trump"
    )
    assert compress(lead.replace("To this", "For this"), 14) == (  # "Clifford [lawsuit]" goes
        "For this besieged White House"
    )
    quoted = (
        'The senator said the bill was "a disgrace to the nation and to every family that has '
        'lost someone to gun violence" on Monday.'
    )
    assert compress(quoted, 14) == "The senator said the bill"  # not 'was "a disgrace'
    whole = 'Amber Alert told WANE she "didn\'t have the heart" to shoot them, so she left.'
    assert compress(whole, 14) == 'Amber Alert told WANE she "didn\'t have the heart" to shoot them'
    assert compress("Smith (right) met Jones (left) in Paris on a cold and rainy Monday.", 8) == (
        "Smith (right) met Jones (left) in Paris"
    )


def test_a_long_sentence_loses_its_leading_subordinate_clause_not_its_main_clause() -> None:
    # Real demo lead (a film review): the cut used to keep only the "When" clause.
    review = (
        "When his five souls roll up to their cabin, he continues to keep his foot on the brake "
        "with some back story involving Mia, her drug addiction and issues with her brother."
    )
    assert compress(review, 14).startswith("He continues to keep his foot on the brake")
    # but not when the clause names whom the rest only calls "her" (the demo's)
    rescue = (
        "When 6-week-old Areej Ali's body was pulled from the roof of a balky Brooklyn "
        "elevator, a would-be rescuer used two fingers to perform CPR on her tiny chest."
    )
    assert compress(rescue, 14).startswith("When 6-week-old Areej Ali's body")
    # and the clause alone says nothing as a headline: the next sentence gives one
    baby = (
        "A 6-week-old baby died Thursday when her stroller accidentally plunged down an empty "
        "elevator shaft in a Brooklyn building."
    )
    assert headline([], rescue, others=[baby]).startswith("A 6-week-old baby died Thursday")
    # As a headline "He continues..." says nobody: the next sentence's main clause is used.
    nxt = "The remake of The Evil Dead, Sam Raimi's 1981 horror film, opens in cinemas on Friday."
    assert headline([], review, others=[nxt]).startswith("The remake of The Evil Dead")
    # nothing better: the whole sentence (32 words at most), not a cut naming nobody
    assert headline([], review) == review.removesuffix(".")
    assert compress("When police arrived, the man fled the scene.", 14) == (
        "When police arrived, the man fled the scene"
    )
    conditional = "If convicted, he faces up to 20 years in prison and a fine for each count of it."
    assert compress(conditional, 10).startswith("If convicted, he faces")
    syria = (
        "As many as 125 people died across Syria on Monday, many of them in a single incident at "
        "a checkpoint in Homs, the activists said."
    )
    assert compress(syria, 14).startswith("As many as 125 people died")


def test_a_long_sentence_loses_an_appositive_and_an_inner_time_phrase_first() -> None:
    # Real demo leads: the cut used to stop at "a 24-year-old Algerian national" and at
    # "alleges that on a recent trip to Toronto", before the verb.
    arrest = (
        "Sid Ahmed Ghlam, a 24-year-old Algerian national, was detained on Sunday in Paris "
        "after he apparently shot himself by accident and called an ambulance."
    )
    assert compress(arrest, 14) == (  # the parser keeps the whole "after" clause
        "Sid Ahmed Ghlam was detained on Sunday in Paris after he apparently shot himself"
    )
    gossip = (
        "Life & Style alleges that on a recent trip to Toronto, Humphries contacted his "
        "ex-girlfriend, Bianka Kamber."
    )
    assert compress(gossip, 14) == (
        "Life & Style alleges that Humphries contacted his ex-girlfriend, Bianka Kamber"
    )
    short = "Sid Ahmed Ghlam, a 24-year-old Algerian national, was detained on Sunday."
    assert compress(short, 14) == short.rstrip(".")  # it fits: nothing is dropped


def test_key_points_are_whole_sentences_or_whole_phrases_first() -> None:
    ranked = [
        # A long fragment (no main verb): only a cut between words could shorten it.
        "Thomas Kinkade, the world-famous 54-year-old painter of cottages, lighthouses and "
        "gardens whose prints hung in millions of American homes and offices, and a man his "
        "girlfriend of two years described as a heavy drinker in his final weeks.",
        "Kinkade died on Friday at the age of 54 at his home in Los Gatos, California.",
        "The painter sold millions of prints of cottages, lighthouses and gardens.",
        "His family said they were shocked by the news of his sudden death.",
        "An autopsy is planned for later this week, the county coroner said.",
    ]
    points = key_points(ranked)
    assert len(points) == 4 and not any("Thomas Kinkade" in p for p in points)
    assert len(key_points(ranked[:1] * 1 + ranked[1:3])) == 3  # cut only to make three


def test_a_key_point_ending_inside_a_quotation_gets_no_second_full_stop() -> None:
    # the demo's: '...sweet chili sauce.”.' and '...a super PAC.".'
    ranked = [
        "McDonald’s describes the McRibster as “juicy pork, bacon and spicy sweet chili sauce.”",
        'Colbert listed the traits: "Somebody conservative. Maybe somebody who had a super PAC."',
        'Haley asked the comedian a question: "Do you want the job?"',
        "The sandwich is on the menu in Austria for a limited time.",
    ]
    assert key_points(ranked) == (
        "McDonald’s describes the McRibster as “juicy pork, bacon and spicy sweet chili sauce.”",
        'Colbert listed the traits: "Somebody conservative. Maybe somebody who had a super PAC."',
        'Haley asked the comedian a question: "Do you want the job?"',
        "The sandwich is on the menu in Austria for a limited time.",
    )


def test_a_wire_dateline_leaves_the_title() -> None:
    # the demo's: a Multi-News title is its article's first words, dateline and all
    title = "OTTAWA -- Liberal MP Mauril Belanger is losing his own singing voice"
    assert clean_title(title) == "Liberal MP Mauril Belanger is losing his own singing voice"
    senate = "WASHINGTON — The Senate passed a budget plan early on Friday after a long night"
    assert clean_title(senate) == senate.removeprefix("WASHINGTON — ")
    assert clean_title("US-CHINA talks resume in Geneva") == "US-CHINA talks resume in Geneva"
    stutter = "jobs jobs jobs Obama’s Jobs Speech Prompted Some Reactions From Republicans"
    assert not usable_title(stutter)  # the demo's: a page's tags glued to its title


def test_a_headline_is_a_whole_phrase_of_a_sentence_before_any_cut_between_words() -> None:
    # the demo's: cut between words at 14, "... did not consider the restraining order" said
    # the opposite of the source, whose "valid" came after the order's date
    lead = (
        "Ms. Clifford’s lawyer, Michael Avenatti, said that he did not consider the restraining "
        "order, dated Feb. 27, valid, and that his client would proceed with her lawsuit in open "
        "court."
    )
    head = headline([], lead)
    assert head.endswith("did not consider the restraining order, dated Feb. 27, valid")
    # a lead that is whole within 14 words is used as before
    short = "Syria's ally Russia added its voice Monday to rising calls for a truce."
    assert headline([], short) == short.removesuffix(".")
    # when no sentence has a whole phrase to keep and the lead's cut between words has no verb
    # left ("At least 10 prospective jurors who oppose Judge Aaron Persky's decision"), the
    # lead stands whole (27 words)
    subject = (
        "At least 10 prospective jurors who oppose Judge Aaron Persky's decision to spare former "
        "Stanford swimmer Brock Turner prison for a sex crime refused this week to serve."
    )
    assert headline([], subject) == subject.removesuffix(".")


def test_the_leads_own_cut_heads_before_another_sentence() -> None:
    # Multi-News: the headline was the article's fifth sentence, about a detail
    lead = (
        "Legendary rock group Led Zeppelin have unveiled two previously unheard recordings "
        "ahead of the reissue of the band's first three albums in June."
    )
    detail = (
        "Jimmy Page has spent the last couple of years putting the releases together from "
        "the band's vault of recordings."
    )
    assert headline([], lead, others=[detail]) == (
        "Legendary rock group Led Zeppelin have unveiled two previously unheard recordings"
    )


def test_a_lead_cut_that_leaves_half_of_a_thing_gives_way() -> None:
    # Multi-News: "A troubled patient opened fire on a caseworker" dropped "and psychiatrist"
    both = (
        "A troubled patient opened fire on a caseworker and psychiatrist in a small office at a "
        "unit of Mercy Fitzgerald Hospital in Delaware County on Thursday afternoon, police "
        "said, leading the doctor to draw his own weapon and shoot the assailant."
    )
    other = "The psychiatrist shot the patient with his own gun, police said."
    assert headline([], both, others=[other]) == other.removesuffix(".")
    # "... had to find a nonverbal way [to measure how the timing of sleep...]", judged
    # against the main clause it was cut from (the leading "Because..." clause went first)
    purpose = (
        "Because most babies at those ages are not yet talking, the researchers had to find a "
        "nonverbal way to measure how the timing of sleep influenced the strength of a memory."
    )
    assert headline([], purpose) == (
        "The researchers had to find a nonverbal way to measure how the timing of sleep "
        "influenced the strength of a memory"
    )


def test_an_outlets_name_after_a_dash_goes_but_a_topic_before_one_stays() -> None:
    assert clean_title("Man charged in Wayne State officer's death - Detroit Free Press") == (
        "Man charged in Wayne State officer's death"
    )
    assert (
        clean_title("Russia joins Syria truce calls | Reuters") == "Russia joins Syria truce calls"
    )
    nasa = "NASA - SpaceX launch of the crew capsule delayed by weather"
    assert clean_title(nasa) == nasa  # "NASA" alone is no headline
    assert working_title([nasa], None) == nasa


def test_a_lead_cut_inside_its_subject_gives_way_to_the_next_sentence() -> None:
    # the demo's: the lead's subject alone is longer than a headline, so its cut had no verb
    lead = (
        "At least 10 prospective jurors who oppose Judge Aaron Persky's decision to spare former "
        "Stanford swimmer Brock Turner prison for a sex crime refused this week to serve on a "
        "jury in an unrelated case he is handling."
    )
    other = "Potential jurors in Santa Clara County are refusing to serve in the judge's courtroom."
    assert headline([], lead, others=[other]) == other.removesuffix(".")
    assert headline([], lead) == compress(lead, 14)  # nothing better: the cut stands
    # the demo's: a quotation is someone's words, not Herald's headline
    quote = "\"I can't be here, I'm so upset,\" one juror told the judge while jurors were picked."
    assert headline([], lead, others=[quote, other]) == other.removesuffix(".")
    said = (
        'Another prospective juror stood up and said, "I can\'t believe what you did," '
        "referring to the six-month county jail sentence Persky handed to Turner last year."
    )
    assert not headline([], lead, others=[said, other]).endswith('did,"')
    # nor does "Another prospective juror stood up" say who did what: another than whom?
    assert headline([], lead, others=[said, other]) == other.removesuffix(".")
    # the demo's: a cut that ends on its main verb lost what the verb needs ("... filed")
    actress = (
        "An adult film actress who has said she had sex with Donald Trump filed a lawsuit Tuesday "
        "against the president seeking to invalidate a nondisclosure agreement."
    )
    assert not headline([], lead, others=[actress]).endswith("filed")


def test_a_title_cut_short_completed_by_a_long_sentence_heads_before_a_quotation() -> None:
    # the demo's: the lead's cut has no verb, the completing sentence has no whole phrase to
    # drop, and the next sentence opens with a quotation: the completion cut like a lead heads
    lead = (
        "At least 10 prospective jurors who oppose Judge Aaron Persky's decision to spare former "
        "Stanford swimmer Brock Turner prison for a sex crime refused this week to serve on a "
        "jury in an unrelated case he is handling."
    )
    quote = (
        "\"I can't be here, I'm so upset,\" one juror told the judge while the lawyers were "
        "picking the jury in the misdemeanor receiving stolen property case."
    )
    title = "PALO ALTO (CBS SF) — Potential jurors in Santa Clara County are apparently refusing…"
    text = (
        "PALO ALTO (CBS SF) — Potential jurors in Santa Clara County are apparently refusing to "
        "serve in the courtroom of the judge who handed down a six-month sentence to a former "
        "Stanford University student convicted of sexual assault. Jurors told the judge so."
    )
    assert headline([title], lead, others=[lead, quote], texts=[text]) == (
        "Potential jurors in Santa Clara County are apparently refusing to serve in the courtroom"
    )


def test_a_feed_title_cut_after_that_keeps_its_clause_only_when_that_is_still_true() -> None:
    cut = (
        "Stanford scientists Matthew Kanan and Christina Li have created an oxide-derived copper"
        " catalyst that…"
    )
    assert whole_title(cut) == (
        "Stanford scientists Matthew Kanan and Christina Li have created an oxide-derived copper"
        " catalyst"
    )  # they did create a catalyst, whatever it does
    # which bill, which men: the clause is what the sentence says, so the teaser stays cut
    assert whole_title("The president said he would veto any bill that…").endswith("…")
    assert whole_title("Police in Ohio arrested all the men who…").endswith("…")
    assert whole_title("Officials in the city said on Monday that…").endswith("…")


def test_a_sentence_in_a_sources_own_first_person_is_no_headline() -> None:
    # the demo's, from a president's remarks: "our system" is his, not Herald's
    ours = "Once the jury has spoken, that's how our system works."
    news = "A Florida jury acquitted George Zimmerman on Saturday in the death of Trayvon Martin."
    made = headline((), ours, others=[news])
    assert "our" not in made.split() and "Zimmerman" in made


def test_a_cut_that_loses_what_the_verb_said_or_opens_a_quotation_is_no_headline() -> None:
    # Multi-News: a denial cut short claims more than the source ("not interested [in a role
    # in the Trump administration]"), so the cut stops before it, and "Stallone suggested on
    # Sunday" says nothing; a quotation cut open is no headline either
    lead = (
        "Sylvester Stallone suggested on Sunday that he was not interested in taking a top arts "
        "leadership role in the Trump administration, including as chairman of the National "
        "Endowment for the Arts."
    )
    quote = (
        '"I am incredibly flattered to have been suggested to be involved with the National '
        'Endowment of the Arts," Stallone said in a statement late Sunday.'
    )
    allies = (
        "Republican allies of President-elect Donald J. Trump made overtures to Mr. Stallone, 70, "
        "last week about an arts-related job, two Trump advisers said on Friday."
    )
    made = headline([], lead, others=[quote, allies])
    assert made.startswith("Republican allies of President-elect Donald J. Trump made overtures")
    assert not made.endswith("not interested")
    # with only quotations after it, the lead stands whole (32 words at most) rather than a
    # cut that names nothing
    assert headline([], lead, others=[lead, quote]) == lead.removesuffix(".")


def test_a_lead_headline_about_nobody_gives_way_to_the_next_sentence_naming_the_subject() -> None:
    # a real Multi-News story: the lead names Tesla only in the clause a headline drops
    lead = (
        "In a fitting finale to a week Tesla Motors executives would rather forget, a law firm"
        " announced Friday that it had filed a class-action suit against the electric car maker"
        " for allegedly misleading investors over the fire risk posed by the company’s Model S"
        " sedan."
    )
    following = [
        "The firm of Pomerantz Grossman Hufford Dahlstrom & Gross accused Tesla of making"
        " misleading statements about the car’s safety, in spite of “undisclosed puncture and"
        " fire risks” in the Model S battery pack.",
        "On Wednesday, a Model S caught fire on a Tennessee freeway after striking a metal"
        " towing hitch lying in the road.",
        "Earlier in the week Tesla said it lost $38.5 million, or 32 cents a share.",
    ]
    assert headline([], lead, others=following) == (
        "The firm of Pomerantz Grossman Hufford Dahlstrom & Gross accused Tesla of making"
        " misleading statements about the car’s safety"
    )
    # a subject only the lead names, or a next sentence that does not name it: the lead's
    assert headline([], lead, others=following[1:2]) == (
        "A law firm announced Friday that it had filed a class-action suit"
    )
    # a name the headline drops that is not the story's subject (a real Multi-News lead)
    wedding = (
        "A 20-year-old woman was arrested Sunday night after reportedly crashing a wedding,"
        " pouring a drink on her boyfriend and punching a woman in the face, WKMG reported."
    )
    told = [
        "McDowell claimed she saw her boyfriend dancing and kissing the victim.",
        "McDowell was charged with battery, deputies said.",
        "McDowell was released on bail on Monday.",
    ]
    assert headline([], wedding, others=told) == (
        "A 20-year-old woman was arrested Sunday night after reportedly crashing a wedding"
    )


STROLLER = "A 6-week-old baby died Thursday when her stroller accidentally plunged…"
STROLLER_PAGE = (  # the demo's page: its cut headline above the story, then the wire copy
    "NEW YORK (AP) — A 6-week-old baby died Thursday when her stroller accidentally plunged…"
    "\n\nNEW YORK (AP) — A 6-week-old baby died Thursday when her stroller accidentally plunged "
    "down an empty elevator shaft in a Brooklyn building. The infant was pronounced dead."
)


def test_a_headline_its_feed_cut_short_is_completed_from_a_source_that_prints_it_whole() -> None:
    whole = (
        "A 6-week-old baby died Thursday when her stroller accidentally plunged down an empty "
        "elevator shaft in a Brooklyn building"
    )
    assert completed_title(STROLLER, ["Another outlet's story.", STROLLER_PAGE]) == whole
    quoted = "Audiences still give a damn about the epic “Gone With the…"
    page = 'Audiences still give a damn about the epic "Gone With the Wind" after 75 years.'
    assert completed_title(quoted, [page]).endswith('"Gone With the Wind" after 75 years')
    # only a sentence that opens with the words: not the middle of another one
    assert (
        completed_title(
            STROLLER,
            [
                "Police said a 6-week-old baby died Thursday when her "
                "stroller accidentally plunged down a shaft."
            ],
        )
        == ""
    )
    # a sentence that only loses its phrases between words would change what it says: none
    colbert = "Stephen Colbert has launched a Twitter campaign to get South Carolina Gov. Nikki…"
    text = (
        "Stephen Colbert has launched a Twitter campaign to get South Carolina Gov. Nikki Haley "
        "to appoint him to replace Sen. Jim DeMint, who announced he was quitting Thursday."
    )
    assert completed_title(colbert, [text]) == ""
    assert completed_title(STROLLER, [STROLLER.rstrip("…") + "…"]) == ""  # never completed
    ours = "Our reporters spent a week with the rescue teams in the…"
    mine = "Our reporters spent a week with the rescue teams in the Alps. They found snow."
    assert completed_title(ours, [mine]) == ""  # the outlet's own voice is not Herald's


def test_the_headline_prefers_a_whole_title_then_a_completed_one_then_a_cut_one() -> None:
    lead = "The infant was pronounced dead at a hospital, police said on Friday."
    completed = headline([STROLLER], lead, texts=[STROLLER_PAGE])
    assert completed.endswith("elevator shaft in a Brooklyn building")
    assert headline([STROLLER], lead) == "A 6-week-old baby died Thursday"  # the cut title
    whole = "Baby dies in Brooklyn elevator shaft fall"
    assert headline([STROLLER, whole], lead, texts=[STROLLER_PAGE]) == whole


def test_the_composer_completes_a_cut_headline_from_its_sources() -> None:
    other = (
        "A young Brooklyn mother pushing her baby in a stroller Thursday walked into an elevator "
        "that was not there. The baby fell down the shaft of the building in Brooklyn. Police "
        "said the elevator had been inspected in January. The building's owner did not return "
        "calls on Thursday."
    )
    page = STROLLER_PAGE + (
        " Police said the mother stepped into the elevator when its doors opened on the ground "
        "floor. The building's owner did not return calls on Thursday."
    )
    sources = [
        SourceDoc(0, "AP", "https://news.example/0", "NEW YORK (AP) — " + STROLLER, page, NOW),
        SourceDoc(1, "Daily", "https://news.example/1", "A young Brooklyn mother…", other, NOW),
    ]
    draft = compose("A 6-week-old baby died Thursday", sources, MiniLMEmbedder())
    assert draft.headline == (
        "A 6-week-old baby died Thursday when her stroller accidentally plunged down an empty "
        "elevator shaft in a Brooklyn building"
    )


def test_a_key_point_stands_alone() -> None:
    # the demo's: "Another prospective juror stood up." (its quotation cut away) was a point
    said = (
        'Another prospective juror stood up and said, "I can\'t believe what you did," '
        "referring to the six-month county jail sentence Persky handed to Turner, who was "
        "convicted of sexually assaulting an unconscious intoxicated woman last year."
    )
    facts = [
        "A recall effort has also been launched against the judge in Santa Clara County.",
        "The sentence has sparked worldwide outrage, fueled by social media and a statement.",
        "He said the judge had weighed all of the considerations the law requires.",
        "Persky cited Turner's youth and his lack of a criminal record as unusual circumstances.",
    ]
    points = key_points([said, *facts])
    assert not any(p.startswith(("Another", "He ")) for p in points)
    assert len(points) == 3


def test_a_key_point_does_not_go_on_from_or_lean_on_an_earlier_sentence() -> None:
    # the demo's: "Hence, soon after Parliament resumes work today, he intends to table a
    # private member's bill..." and "The bill was defeated at that time, but..."
    ranked = [
        "Liberal MP Mauril Belanger wants to change the English lyrics of O Canada.",
        "Hence, soon after Parliament resumes work, he intends to table a private member's bill.",
        "The bill was defeated at that time, but it was then supported by opposition MPs.",
        "However, a Conservative MP in southwestern Ontario will not support the change.",
        "The Liberals now have a majority government, which Belanger is a part of.",
        "Belanger's vocal cords have been weakened by Lou Gehrig's disease.",
    ]
    assert key_points(ranked) == (
        "Liberal MP Mauril Belanger wants to change the English lyrics of O Canada.",
        "The Liberals now have a majority government, which Belanger is a part of.",
        "Belanger's vocal cords have been weakened by Lou Gehrig's disease.",
    )
    # "at the time of" places a fact by an event it names; "Thenceforth" is not "Then"
    named = "Anker was climbing with Lowe and Bridges at the time of the avalanche."
    assert key_points([named, "Thenceforth the route was closed to climbers for years."]) == (
        named,
        "Thenceforth the route was closed to climbers for years.",
    )


def test_the_first_key_point_names_whom_it_is_about() -> None:
    # the demo's "His findings illustrate some of Selznick's concerns..." could open the list
    his = "His findings illustrate some of Selznick's concerns with the premiere in 1939."
    bernstein = "Professor Matthew Bernstein has researched the archives of the film's producer."
    assert key_points([his, bernstein]) == (bernstein, his)


def test_a_key_point_does_not_repeat_another_outlets_version_of_an_earlier_one() -> None:
    first = "Two former staff members of Stacey Plaskett have been charged over nude images."
    again = "Two former staff members of Plaskett have been charged over the nude images."
    other = "McCullum faces two counts of cyberstalking, according to the indictment."
    assert key_points([first, again, other]) == (first, other)


def test_a_cut_keeps_no_partitive_without_what_it_says() -> None:
    # the demo's key point ended "...had died across Syria, many of them."
    lcc = (
        "The Local Co-ordination Committees, an activists' group, said a total of 125 people had "
        "died across Syria, many of them in a single incident at a checkpoint in Homs - although "
        "there has been no independent verification of this."
    )
    point = key_points([lcc, lcc.replace("125", "12"), lcc.replace("125", "13")])[0]
    assert not point.endswith("of them.")


def test_a_cut_keeps_every_word_with_what_it_modifies_and_needs() -> None:
    # from Multi-News validation stories: each cut lost what a kept word needed
    dole = (
        "The Senate might not be broken, but it's not exactly stable, former Senate Majority "
        "Leader Bob Dole says."
    )
    assert not headline([], dole).endswith("former")
    pain = (
        "Whether a person's injury will lead to chronic pain may depend on the level of "
        "communication between two parts of their brain, a new study finds."
    )
    assert not headline([], pain).endswith("on the level")
    # a lead with no cut of 14 or 20 words that keeps its words whole is kept within 26
    japan = (
        "Japan's top government spokesman said Thursday that a North Korean threat to sink "
        'Japan with a nuclear bomb is "extremely provocative and outrageous."'
    )
    assert headline([], japan) == japan.removesuffix(".")
    # a dropped attribution leaves its reported clause standing: still a headline
    rodman = (
        "Flamboyant former basketball star Dennis Rodman arrived in North Korea on Tuesday for "
        "a five-day visit, his second this year, officials in Pyongyang said."
    )
    assert headline([], rodman).startswith("Flamboyant former basketball star Dennis Rodman")
