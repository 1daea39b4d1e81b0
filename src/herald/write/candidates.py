"""Candidate sentences for the composer: split, clean, filter junk, fix dangling references.

Source text is data: a candidate is always a (lightly cleaned) sentence of a source, never
anything the source asks for. Junk (bylines, captions, calls to action, questions, boilerplate,
unbalanced quotes) is skipped; a sentence that opens with a connective loses it; one that opens
with "He"/"She", or a quotation said by "he"/"she" ('"...," he said'), gets the person the
sentence before named; one with another dangling opener ("It", "They", "This"...), an opening
phrase about someone it does not name ("When his five souls roll up to their cabin, he
continues...") or an unattributed quotation is marked ``needs_previous``: the composer may use
it only right after the source sentence before it.

"He"/"She" is replaced only when certain: the sentence before names exactly one person (or
itself opened with the pronoun and named nobody else), spaCy's entity recogniser calls that
name a person there, and the source's own pronouns after that name say the same, more often
than the other (a source that writes "Plaskett said her office..." means someone else by the
"He" after a sentence naming her, and one that never says means someone else too often);
otherwise the sentence needs its predecessor like any dangling opening.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from herald.cluster.entities import function_word_counts
from herald.cluster.ner import named_entities
from herald.exceptions import ModelError
from herald.nlp import text as nlp
from herald.nlp.furniture import is_furniture
from herald.write.base import SourceDoc
from herald.write.captions import is_caption
from herald.write.whose import (
    FIRST_PERSON,
    PLURAL,
    an_earlier_day,
    dated_by_its_day,
    newest,
    not_heralds,
)

MIN_WORDS = 7
MAX_WORDS = 55
MAX_SENTENCES_PER_SOURCE = 80
COMMENTARY_MIN = 3  # sentences of a source that argue or judge: a review or a column
COMMENTARY_SHARE = 0.1
MAX_CANDIDATES_PER_SOURCE = 40  # bounds embedding time; costs ~0.05 ROUGE-1 on Multi-News

_DATELINE_PREFIX = re.compile(
    r"^(?:\(CNN\)\s*(?:[—–-]{1,2}\s*)?|[A-Z][A-Z.'\- ]{1,40}(?:,\s*[A-Z][A-Za-z0-9. ]{1,30})?\s*"
    r"(?:\([A-Za-z. ]{2,30}\))?\s*[—–-]{1,2}\s+|\([A-Z][A-Za-z. ]{1,20}\)\s*[—–-]{1,2}\s*|"
    r"[A-Z][a-z]+(?:,? [A-Z][A-Za-z.]+){0,3} \((?:CNN|AP|Reuters|AFP|UPI|dpa|PA|Bloomberg)\)"
    r"\s*(?:[—–-]{1,2}\s*)?(?=[A-Z\"“]))"
)
# A sentence addressing the reader with an order ("Look at the replay from side on.", "Watch
# it for yourself.", "Check out Dead50.") or a film's credits line ("Starring Matt Damon and
# Cecile De France."): not reporting.
_TO_THE_READER = re.compile(
    r"^(?:Look (?:at|closely|for)\b|Watch (?:it|this|the|here|now|below|above|live)\b|"
    r"Check (?:out|it out)\b|Read (?:the|this|it|our|more)\b|Notice (?:how|that|the)\b|"
    r"Scroll\b|Click\b|Tap\b|Imagine\b|Don't miss\b|"
    r"Starring (?:[A-Z][\w.'’-]*,? (?:and )?)+[A-Z][\w.'’-]*\.$)"
)
_JUNK = re.compile(
    r"click here|sign up|subscribe|newsletter|cookie|advertisement|all rights reserved|"
    r"copyright|follow (?:us|him|her|me)|read more|related:|share this|e-?mail (?:us|me)|https?:|"
    r"www\.|javascript|log ?in\b|terms of (?:use|service)|privacy policy|staff writer|"
    r"reporting by|editing by|contributed to this report|is a (?:reporter|writer|correspondent)|"
    r"\(ap photo|photo:|image:|file photo|getty images|photograph:|\bcaption\b|\bpictured\b|"
    r"this (?:story|article) (?:has been|was) (?:updated|corrected)|watch the video|"
    r"listen to|download the app|@\w|\bcomments?\b|\bmailing list\b|\bloading\b|"
    r"\bwe (?:have|'ve) (?:reached|contacted)|\bour (?:readers|newsletter|site)\b|"
    r"\b(?:ignore|disregard) (?:all |any )?(?:previous|prior|above) instructions|"
    r"\bap photo\b|\bbuy photo\b|\bcredit:|\bemail this\b|rating is available when|"
    r"page you (?:requested|are looking for)|could not be found|from a bookmark|"
    r"navigation at the top|first appeared (?:in|on)\b|\bskip in skip\b|^with: |"
    r"\ba version of this (?:article|story) (?:appeared|was published)\b|"
    r"^in this (?:\w+day, )?(?:\w+\.? \d{1,2}, \d{4},? )?(?:file |undated |handout )?"
    r"(?:photo|image|picture)\b|"  # "In this Saturday, July 1, 2017, photo, people line up..."
    r"^this (?:undated |handout |file |recent )?(?:photo|image|picture)\b|"
    r"^[^.!?]{0,60}\b(?:has|have) (?:the |more )?(?:details|more|the story)\.$",  # video intro
    re.IGNORECASE,
)
# The writer's own voice is the wire's third person: a source's "I" or "you" outside quotation
# marks is a blogger, a columnist or a page talking to its reader ("If you need additional
# information, please visit our help center"), never something Herald can say in its own voice.
_PERSONAL = re.compile(
    r"\b(?:I['’](?:m|ve|d|ll)|me|my|myself|you|your|yours|yourself|you['’](?:re|ll|ve|d))\b",
    re.IGNORECASE,
)
_BARE_I = re.compile(r"\bI\b")
# words that open a clause, so an "I" after them is the pronoun ("LEE: But I got together...")
_CLAUSE_WORDS = frozenset(
    {
        "But", "And", "Or", "So", "Yet", "Then", "Now", "When", "While", "If", "As", "Because",
        "Since", "Until", "Before", "After", "Though", "Although", "Where", "What", "How",
        "Why", "Can", "Could", "Should", "Would", "Will", "Did", "Do", "Am", "Was", "Have",
        "Had",
    }
)  # fmt: skip
_PICTOGRAPH = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff]")
# Three or more capitalised words in a row outside quotation marks: widget and gallery furniture
# ("Skip in Skip x Embed x Share CLOSE BABY, IT'S COLD OUTSIDE"), shouted transcripts, forecasts.
_SHOUTING = re.compile(r"\b[A-Z][A-Z'’]+(?:[\s,]+[A-Z][A-Z'’]+){2,}\b")
_CAPTION_END = re.compile(
    r"\((?:AP|Reuters|AFP|Getty|Associated Press|[A-Z][a-z]+ Photo)[^)]*\)\s*$"
)
# Photo credits, a photographer's name and an agency opening a sentence ("Eric Gay / AP Senator
# Wendy Davis listens...") or an agency in brackets ("[Reuters]"): a caption glued to the text
# around it; and a pipe outside quotation marks, which news prose never uses (page furniture:
# "Caption. | Photographer/Outlet", breadcrumbs).
_CREDIT = re.compile(
    r"(?:^|(?<=[.!?|] ))(?!(?:The|A|An|This|That) )[A-Z][a-z'’-]+(?: [A-Z][a-z.'’-]+){1,2} ?/ ?"
    r"(?:AP|AFP|EPA|UPI|Reuters|Getty(?: Images)?|Bloomberg|Shutterstock|[A-Z]{3,})\b|"
    r"\[(?:AP|AFP|EPA|Reuters|Getty(?: Images)?|Al Jazeera|File)\]"
)
# A label before a pipe opening the page's text ("Updated | When the first humans...") and a
# wire credit left from a photo at the start of an article ("AP American Airlines said...").
_LABEL_PREFIX = re.compile(
    r"^(?:(?:Updated?|Breaking|Watch|Video|Photos?|Advertisement)\s*\|\s*)+", re.IGNORECASE
)
# "Image The White House's...", a video player's "CLOSE Four Reno dispensaries begin..."
_MEDIA_LABEL = re.compile(r"^(?:(?:Image|Photo|Video)\s+(?=(?:The|A|An)\s)|CLOSE\s+(?=[A-Z][a-z]))")
_BULLET = re.compile(r"^[—–-]+\s+(?=[A-Z\"“])")  # "— A judge's act of compassion has..."
# a page's title printed twice before its text: "Hunting Park Fire Displaces 18 People Hunting
# Park Fire Displaces 18 People A fire has destroyed several homes..."
_REPEATED_TITLE = re.compile(r"^((?:\S+\s+){2,15}?\S+)\s+\1\s+(?=[A-Z\"“])")
_CREDIT_PREFIX = re.compile(r"^(?:AP|AFP|Reuters)\s+(?=[A-Z][a-z])")
_BYLINE = re.compile(r"^(?:By|Written by|Posted by|Updated)\s+[A-Z]", re.IGNORECASE)
_CONNECTIVE = re.compile(
    r"^(?:But|And|Also|However|Meanwhile|Moreover|Furthermore|Plus|Then|Indeed|Nonetheless|"
    r"Nevertheless|Additionally|Even so|As a result|In fact|Of course|Again|Ultimately|Finally|"
    r"Similarly|Likewise|"
    # words that also open a phrase of the sentence itself, which must stay: "In addition to
    # starring on 30 Rock, Fey is the producer" (not "To starring on 30 Rock..."), "So far,
    # ten people have died", "Now 25, she...", "Yet another storm...", "Instead of waiting,
    # the council voted", "Further tests are planned", "Still photos show..."
    r"In addition(?! to\b)|So(?!\s+(?:far|much|many|long|few|little|too)\b)|"
    r"Now(?!\s+(?:that\b|\d))|Yet(?!\s+(?:another|more)\b)|Instead(?! of\b)|"
    r"(?:Still|Besides|Further)(?=,))\b,?\s+|"
    # a source's feeling about a fact, not Herald's: "Unfortunately, Jack the cat had to be
    # euthanized" (an argument's opening is the writer's judgement: see _ARGUING)
    r"^(?:Unfortunately|Fortunately|Thankfully|Luckily|Sadly|Happily|Mercifully|Alas|"
    r"Ironically),\s+"
)
# A writer arguing: what follows is their judgement, not a fact Herald can state without them
# ("Worse, Colbert has a skill set that is way too broad for the Senate", "The largest
# dinosaur foot ever found ... surely deserves the title"), outside quotation marks.
_ARGUING = re.compile(
    r"^(?:Clearly|Obviously|Frankly|Honestly|Surely|Admittedly|Arguably|Needless to say|"
    r"To be sure|Make no mistake|Worse|Even worse|Worse still|Better yet|Better still),\s+|"
    # a columnist's asides: "Certainly the Republicans have no real idea how to deal with it."
    r"^(?:Certainly|Undoubtedly|Unquestionably|Doubtless|Sure enough|Then again|To be fair|"
    r"In fairness|Mind you|Put simply|Simply put)\b,?\s+|"
    r"\b(?i:surely|arguably|undoubtedly|admittedly|frankly|needless to say|make no mistake)\b|"
    # a verdict on what was just reported: "Burr told reporters that the 'burden is on the
    # New York Times' to produce the memo, but that's absurd."
    r"\b(?:that|this)['’]s (?:just |simply |plainly |utterly )?"
    r"(?:absurd|ridiculous|nonsense|laughable|silly)\b"
)
# A writer's verdict in a word, outside quotation marks: a review's or a column's judgement
# ("The core concept ... ingeniously put Republicans into an awkward spot", "It's wildly
# entertaining"), not a fact Herald can state. Lower case only: "Captain Fantastic" is a name.
_JUDGING = re.compile(
    r"\b(?:absurd(?:ly)?|ridiculous(?:ly)?|ludicrous|laughable|pathetic|shameful|disgraceful|"
    r"outrageous|appalling|awful(?! lot)|terrible|horrible|dreadful|lousy|stupid|idiotic|"
    r"foolish(?:ly)?|brilliant(?:ly)?|ingenious(?:ly)?|clever(?:ly)?|wonderful(?:ly)?|"
    r"marvell?ous|fabulous|fantastic|terrific|superb(?:ly)?|delightful(?:ly)?|charming|lovely|"
    r"gorgeous|breathtaking|masterful(?:ly)?|masterpiece|boring|tedious|mediocre|forgettable|"
    r"entertaining|hilarious(?:ly)?|compelling|riveting|shockingly|admirabl[ey]|wisely|"
    r"bizarrely|embarrassingly|refreshing(?:ly)?|delicious(?:ly)?|awesome|amazing(?:ly)?|"
    r"incredibl[ey]|unbelievably|sublime|dazzling|disappointingly|underwhelming|overrated|"
    r"underrated|cringeworthy|pointless|idiots?|"
    # a blurb's praise: "Mona Lisa and Kip's story is an uplifting, extraordinary, and
    # ultimately relatable one"
    r"uplifting|heart-?warming|relatable|must-(?:see|read|watch|have)|jaw-dropping|"
    r"mind-blowing|unmissable|feel-good|awe-inspiring)\b|"
    r"\bpretty (?:good|bad|great|awful)\b|\bway too\b|"
    # a writer framing or guessing: "It's worth noting that...", "The bottom line is that
    # Americans need to see the memo", "Maybe brands subconsciously realize that..."
    r"\b(?:[Ii]t['’]s|[Ii]t is) worth (?:noting|remembering|pointing out|recalling)\b|"
    r"^(?:The|But the) (?:bottom line|problem|truth|real question|irony|trouble) (?:here )?"
    r"is(?: that\b| not\b|,|:)|"
    r"^(?:Maybe|Perhaps) (?!\d)"  # "Perhaps 200 people attended" is a number, not a guess
)
# ... unless the sentence says whose verdict it is ("...making it clear he finds them
# repugnant and horrible", "finding such conversations boring", "Critics called it dull")
_ATTRIBUTED = re.compile(
    rf"\b(?:{nlp.SPEECH_VERBS}|according to|call(?:s|ed|ing)?|describ(?:es|ed|ing)|"
    r"find(?:s|ing)?|found|consider(?:s|ed)?|believ(?:es|ed)|think(?:s)?|thought|"
    r"prais(?:es|ed|ing)|criticiz(?:es|ed|ing)|review(?:s|ed|ers?)|critics?)\b"
)
# A review's credits block, on a line of its own: "Reviewed at SXSW Film Festival (Headliners),
# March 8, 2013. MPAA Rating: R. Running time: 91 MIN."
_REVIEW_CREDITS = re.compile(
    r"(?m)^\s*(?:Reviewed (?:at|on)\b|Running time:|MPAA [Rr]ating:|"
    r"Rated (?:R|PG|PG-13|G|NC-17)\b.{0,80}\bminutes?\b)"
)
# a hashtag outside quotation marks: an embedded post ("Confirmed: potential jurors refusing
# to serve under #StanfordRape judge.")
_HASHTAG = re.compile(r"(?<![\w&])#[A-Za-z]\w*")
# a sentence run into the next with no full stop: a caption or a heading glued to the text
# ("...they were a little less tactile This news gives further weight to...", "Image caption
# The suspect lived in...", "At the scene The bombardment has started...")
_RUN_ON = re.compile(
    r"\b[a-z]{2,} (?:This|The|These|Those|It|He|She|They|We|But|In|A|An|His|Her) [a-z]{2,}"
)
_SUBJECT_PRONOUN = re.compile(r"^(He|She)\b(?!')")
_MALE = frozenset({"he", "him", "his", "himself"})
_FEMALE = frozenset({"she", "her", "hers", "herself"})
_DANGLING = re.compile(
    r"^(?:It|They|This|That|These|Those|His|Her|Their|Its|Them|Him|There|Here|Such|The latter|"
    r"The former|The move|The decision|The same|Both|Neither|Another|Other|Others|Which|"
    r"Who|Some of)\b|^(?:I|We|You|My|Our|Your)\b|"
    # openings that answer or contrast the sentence before: "Except seven of those ten children
    # all went to college...", "At the time, ...", "In response, ...", "Despite this, ..."
    r"^(?:Except|Otherwise|In contrast|By contrast|On the other hand|In response|In return|"
    r"As such|For this reason|(?:Even|Since|Until|By|Back) then|At the time|At that time|"
    r"(?:After|Before|Despite|Because of|Besides|Apart from|Aside from|Beyond) (?:this|that|it)|"
    r"In (?:that|this|which) case)\b|"
    # an answer to a question before it: "Not yet, said Efraim Levy, an equity analyst."
    r"^(?:Yes|No|Nope|Not yet|Not really|Not exactly|Not quite|Probably not|Absolutely(?: not)?|"
    r"Sure)\s*,"
)
# Something said or done in the sentence before, pointed at: "Clifford's response to that
# suggestion is implicit in her lawsuit" (what suggestion?), "Critics called this move...".
# After "that" only a singular count noun: 'said that criticism was...', 'said that questions
# remain' use "that" to open a clause, not to point.
_SAID_OR_DONE = (
    r"suggestion|claim|decision|move|statement|remark|comment|allegation|accusation|argument|"
    r"idea|proposal|request|offer|threat|warning|announcement|finding|revelation|response|"
    r"reply|question|answer|incident|development"
)
_POINTS_BACK = re.compile(
    rf"\b(?:(?:this|such an?)\s+(?:{_SAID_OR_DONE}|criticism|news|discovery)|"
    rf"that\s+(?:{_SAID_OR_DONE})|"
    rf"(?:these|those)\s+(?:(?:{_SAID_OR_DONE})s|criticisms|replies|discoveries))\b",
    re.IGNORECASE,
)
# A transcript's or an interview's speaker labels: someone's words, not reporting.
_INTERVIEW = re.compile(r"^[QA]\s*:\s")
_THIRD_PERSON = re.compile(rf"\b(?:{'|'.join(sorted(_MALE | _FEMALE))})\b", re.IGNORECASE)
# who said a quotation, after it: '"...," he said.', '"...!" she told reporters.'
_SPEAKER_PRONOUN = re.compile(rf"[\"”,!?]\s+(he|she)\s+{nlp.SPEECH_VERBS}")
_PRONOUN_SUBJECT = re.compile(r"(?:he|she|they|it|his|her|their|its)\b")
# Square brackets outside quotation marks: an editor's words inserted into someone's ("Clearly
# with [Spirit owner Bill Lynch's] actions, it's a necessary conversation"), a quotation that
# lost its marks and its speaker; or a bracketed link to another story. Not a file's "[PDF]".
_INSERTION = re.compile(r"\[(?!(?:PDF|pdf|video|VIDEO)\])[^\]]{1,80}\]")
_UNATTRIBUTED_QUOTE = re.compile(r"^[\"“][^\"“”]+[\"”]$")
_TERMINAL = re.compile(r"[.!][\"'”’)]*$")
_EXCLAIMED = re.compile(r"!['’)]*\s*$")  # on the words outside quotation marks


@dataclass(frozen=True)
class Candidate:
    """A usable sentence of one source."""

    doc: int
    position: int
    paragraph: int
    text: str
    original: str
    words: int
    quote: bool
    fixed: bool
    needs_previous: bool = False


def candidates(sources: Sequence[SourceDoc]) -> list[Candidate]:
    """Every usable sentence of every source, in source order; from a source published on an
    earlier day than the story's newest, none that dates itself by the day it was written
    ("today", "yesterday", "last night": :func:`dated_by_its_day`)."""
    latest = newest(sources)
    out: list[Candidate] = []
    for index, source in enumerate(sources):
        found = _source_candidates(index, source.text, source.title)
        if latest is not None and an_earlier_day(source.published, latest):
            found = [c for c in found if not dated_by_its_day(c.text)]
        out.extend(found)
    return out


@dataclass(frozen=True)
class _Subject:
    """The one person a sentence named, whom a "He"/"She" opening the next sentence means."""

    name: str
    sentence: str

    def person(self) -> str:
        """The name as spaCy's entity recogniser marks the person in its sentence ("Barack
        Obama" in "Watching President Barack Obama play..."), or, when it tags nothing there
        (a bare surname: "Tulowitzki entered..."), in the name on its own; '' when the name is
        not a person ("Fort Wayne", "Business Insider" and "West Nile Virus" look like names)."""
        try:
            found = _person(self.name, self.sentence)
            if found is None:
                found = _person(self.name, self.name)
        except ModelError:
            return ""
        return found or ""


def _person(name: str, text: str) -> str | None:
    """``name`` when the entities of ``text`` holding its last word are people, without a
    participle opening the sentence that the entity leaves out ("Watching President Barack
    Obama play..." means President Barack Obama); '' when an entity holding it is not a
    person; ``None`` when none holds it."""
    last = name.split()[-1]
    holding = [e for e in named_entities([text])[0] if last in e.text.split()]
    if not holding:
        return None
    if any(e.label != "PERSON" for e in holding):
        return ""
    first, _, rest = name.partition(" ")
    if rest and first.endswith("ing") and text.startswith(name) and first not in holding[0].text:
        return rest  # a participle opening the sentence: "Watching President Barack Obama..."
    return name


def _source_candidates(doc: int, body: str, title: str = "") -> list[Candidate]:
    out: list[Candidate] = []
    sentences = _sentences(body)
    if _REVIEW_CREDITS.search(body) or _commentary(sentences):
        return out
    theirs = not_heralds(sentences, title)  # someone's words, not Herald's to say unquoted
    evidence = _gender_evidence(sentences)
    subject: _Subject | None = None
    for position, (para_index, raw, named) in enumerate(sentences):
        if len(out) >= MAX_CANDIDATES_PER_SOURCE:
            break
        sentence = clean(raw, first=position == 0)
        pronoun = _opening_pronoun(sentence)
        people = []
        if pronoun and subject and _agrees(evidence.get(subject.name), pronoun):
            person = subject.person()
            people = [person] if person else []
        skip = position in theirs
        candidate = None if skip else _make(doc, position, para_index, raw, sentence, people)
        if candidate is not None:
            out.append(candidate)
        subject = _next_subject(raw, named, subject, bool(pronoun))
    return out


def _sentences(body: str) -> list[tuple[int, str, list[str]]]:
    """The source's first sentences: (paragraph, text, people it names in order)."""
    out: list[tuple[int, str, list[str]]] = []
    known: dict[str, str] = {}
    for para_index, para in enumerate(nlp.paragraphs(body)):
        for raw in nlp.split_sentences(para):
            if len(out) >= MAX_SENTENCES_PER_SOURCE:
                return out
            out.append((para_index, raw, list(dict.fromkeys(mentions(raw, known)))))
    return out


def _commentary(sentences: Sequence[tuple[int, str, list[str]]]) -> bool:
    """Whether a source is a review or a column: at least ``COMMENTARY_MIN`` of its sentences,
    and ``COMMENTARY_SHARE`` of them, argue or judge in the writer's own words
    (:func:`judges`). Its other sentences are the writer's reading too (a review's "The whole
    movie is set in 1973, quite possibly because the filmmakers judged it to be the one period
    so whacked-out on drugs..."), so none is Herald's."""
    judged = sum(1 for _, raw, _ in sentences if judges(raw))
    return judged >= COMMENTARY_MIN and judged >= COMMENTARY_SHARE * len(sentences)


def judges(sentence: str) -> bool:
    """Whether ``sentence`` argues ("Worse, ...", "surely") or gives a verdict ("ingeniously",
    "wildly entertaining") outside quotation marks without saying whose it is."""
    return _judges_outside(nlp.unquoted(sentence))


def _judges_outside(outside: str) -> bool:
    if _ARGUING.search(outside):
        return True
    return bool(_JUDGING.search(outside)) and not _ATTRIBUTED.search(outside)


def speaks_in_first_person(sentence: str) -> bool:
    """Whether ``sentence`` says "I", "we", "our"... outside quotation marks."""
    return bool(FIRST_PERSON.search(nlp.unquoted(sentence)))


def _gender_evidence(sentences: Sequence[tuple[int, str, list[str]]]) -> dict[str, list[int]]:
    """Per person, how many "he/his/him" and "she/her" follow their name outside quotation
    marks in the source's sentences that name nobody else ("Smith said his team...")."""
    counts: dict[str, list[int]] = {}
    for _, raw, named in sentences:
        if len(named) != 1:
            continue
        name = named[0]
        at = raw.find(name.split()[-1])
        tally = counts.setdefault(name, [0, 0])
        for word in nlp.lower_terms(nlp.unquoted(raw[at:])):
            if word in _MALE:
                tally[0] += 1
            elif word in _FEMALE:
                tally[1] += 1
    return counts


def _agrees(tally: list[int] | None, pronoun: str) -> bool:
    """Whether the source's own pronouns for a person say ``pronoun``, more often than the
    other: without them a "He" may be someone else (Multi-News: "He dressed many a First Lady"
    after a sentence naming Babe Paley, "She accessorized..." after one naming Marc Jacobs)."""
    if not tally:
        return False
    male, female = tally
    return male > female if pronoun == "He" else female > male


def _opening_pronoun(sentence: str) -> str:
    """ "He" or "She" when the sentence opens with it (after any connective), or when a
    quotation opening it is said by "he" or "she" ('"...," he said.'); else ''."""
    match = _SUBJECT_PRONOUN.match(_without_connective(sentence)[0])
    if match:
        return match.group(1)
    said = _SPEAKER_PRONOUN.search(sentence) if sentence[:1] in '"“' else None
    return said.group(1).capitalize() if said else ""


def name_speaker(sentence: str, recent_people: list[str]) -> tuple[str, bool]:
    """A quotation said by "he" or "she" ('"...," he said.') said by the person the sentence
    before named ('"...," Bill Lynch said.'); '' when nobody is known: who spoke dangles."""
    said = _SPEAKER_PRONOUN.search(sentence) if sentence[:1] in '"“' else None
    if said is None:
        return sentence, False
    if not recent_people:
        return "", False
    return f"{sentence[: said.start(1)]}{recent_people[-1]}{sentence[said.end(1) :]}", True


def _next_subject(
    raw: str, named: list[str], subject: _Subject | None, pronoun: bool
) -> _Subject | None:
    """Whom a "He"/"She" opening the sentence after ``raw`` means: the one person ``raw``
    names (``named``); when ``raw`` itself opened with the pronoun, the same ``subject`` as
    before if it names nobody else ("He met Smith. He said..." is not Smith); nobody when that
    is not certain (two people named, or none)."""
    if pronoun:
        return subject if subject and (not named or named == [subject.name]) else None
    return _Subject(named[0], raw) if len(named) == 1 else None


def mentions(sentence: str, known: dict[str, str]) -> list[str]:
    """People named in ``sentence`` in order (full names, or known surnames); updates ``known``."""
    found: list[tuple[int, str]] = []
    for name in nlp.people(sentence):
        known.setdefault(name.split()[-1], name)
        found.append((sentence.find(name), name))
    for surname, full in known.items():
        match = re.search(rf"\b{re.escape(surname)}\b", sentence)
        if match and all(full != name for _, name in found):
            found.append((match.start(), full))
    return [name for _, name in sorted(found)]


def clean(sentence: str, first: bool = False) -> str:
    """Strip wire datelines ('DENVER (AP) — ', 'NEW YORK, May 18 (UPI) -- '), labels before a
    pipe ('Updated | ') or a media label ('Image The White House...'), a title printed twice
    before the text, an opening dash or bullet, a wire credit opening the text ('AP American
    Airlines said') and stray whitespace; wire copy's typed quotation marks (``...'') become
    double quotes."""
    text = _REPEATED_TITLE.sub("", _wire_quotes(nlp.normalize_space(sentence)), count=1)
    text = _MEDIA_LABEL.sub("", _BULLET.sub("", _LABEL_PREFIX.sub("", text)))
    if first or _DATELINE_PREFIX.match(text):
        text = _DATELINE_PREFIX.sub("", text, count=1)
    if first:
        text = _CREDIT_PREFIX.sub("", text, count=1)
    return text


def _wire_quotes(text: str) -> str:
    """Wire copy's typed quotation marks as one mark: a closing two apostrophes ('...on
    Fridays,\'\' Katrinnah said') as the opening's partner, an opening two backticks as '"'."""
    if "''" not in text and "``" not in text:
        return text
    text = text.replace("``", '"')
    closing = "”" if text.count("“") > text.count("”") else '"'
    return text.replace("''", closing)


def _make(
    doc: int, position: int, para: int, raw: str, sentence: str, recent: list[str]
) -> Candidate | None:
    continuation = bool(_UNATTRIBUTED_QUOTE.match(sentence))
    if is_junk(sentence, allow_quote=continuation):
        return None
    text, fixed = fix_opening(sentence, recent)
    if text:
        text, named = name_speaker(text, recent)
        fixed = fixed or named
    needs_previous = continuation or not text
    if needs_previous:
        text, fixed = sentence, False
    if is_junk(text, allow_quote=continuation):
        return None
    quote = bool(nlp.quotes(text))
    return Candidate(
        doc, position, para, text, raw, nlp.word_count(text), quote, fixed, needs_previous
    )


def is_junk(sentence: str, allow_quote: bool = False) -> bool:
    """Bylines, captions and photo credits, calls to action, questions, fragments, boilerplate,
    odd lengths, first or second person, runs of capitals and pipes outside quotation marks.

    A sentence that is all quotation is junk unless ``allow_quote`` (it may then only follow the
    sentence before it in its source).
    """
    n = nlp.word_count(sentence)
    if n < MIN_WORDS or n > MAX_WORDS:
        return True
    if sentence.endswith(("...", "…")) or (_UNATTRIBUTED_QUOTE.match(sentence) and not allow_quote):
        return True
    if not _TERMINAL.search(sentence) or (not sentence[:1].isupper() and sentence[:1] not in '"“'):
        return True
    if not nlp.quotes_balanced(sentence) or sentence.count("(") != sentence.count(")"):
        return True
    if nlp.looks_like_instruction(sentence) or is_furniture(sentence):
        return True
    if sentence.isupper() or _BYLINE.match(sentence) or _CAPTION_END.search(sentence):
        return True
    if _INTERVIEW.match(sentence):  # "A: Before anything else, sign the back of the ticket."
        return True
    if _TO_THE_READER.match(sentence):
        return True
    if _JUNK.search(sentence) or is_caption(sentence):
        return True
    outside = nlp.unquoted(sentence)
    if _personal(outside) or _SHOUTING.search(outside) or " | " in outside:
        return True
    if _EXCLAIMED.search(outside):
        return True
    if _judges_outside(outside):
        return True
    if _HASHTAG.search(outside) or _RUN_ON.search(outside):
        return True
    if _PICTOGRAPH.search(outside):  # an embedded post ("... lost a G. 🙏🏽"), a rating ("★★★")
        return True
    if _in_another_language(sentence):
        return True
    return bool(_CREDIT.search(outside) or _INSERTION.search(outside))


FOREIGN_QUOTE_WORDS = 6  # a quotation this long is read for its language


# Other languages' function words that are also English words or names ("people do",
# "Al Gore", "Dan Brown", "per cent"): they tell nothing.
_ALSO_ENGLISH = frozenset(
    {"die", "den", "do", "con", "per", "pas", "dan", "di", "al", "la", "les", "lo", "il", "es"}
    | {"en", "da", "o", "se", "ke"}
)


def _in_another_language(sentence: str) -> bool:
    """Whether the sentence, or a quotation of ``FOREIGN_QUOTE_WORDS`` words or more in it, is
    in another language than English, Herald's (the demo's McRib article quoted an Austrian
    advertisement: '"Saftiges Schweinefleisch, Speck, Pepper Jack Käse*, knackinger
    Eisbergsalat, rote Zwiebeln, köstliche Honig Senf-Sauce und würzige Sweet Chili-Sauce."'):
    the sentence uses at least two function words of one other language and more than twice
    as many as English ones ("Dia de los Muertos drew crowds on Sunday" is English), a long
    quotation one and no English one."""
    if _foreign(sentence, 2):
        return True
    return any(
        nlp.word_count(q) >= FOREIGN_QUOTE_WORDS and _foreign(q, 1) for q in nlp.quotes(sentence)
    )


def _foreign(text: str, least: int) -> bool:
    counts = function_word_counts(text, _ALSO_ENGLISH)
    english = counts.pop("en")
    other = max(counts.values())
    return other >= least and other > 2 * english


def in_personal_voice(sentence: str) -> bool:
    """Whether ``sentence`` says "I", "we", "our" or "you" outside quotation marks: a
    speaker's, a columnist's or the outlet's own voice ("We've added new reports to the
    article", a family's statement printed as text), never Herald's."""
    return _personal(nlp.unquoted(sentence))


def exclaims(sentence: str) -> bool:
    """Whether ``sentence`` ends in an exclamation mark of its own, outside quotation marks:
    a blog's or a press release's voice ("Even at 88, Betty White has the ambition of a
    20-something!", "Good thing it's only available for a limited time!"), never a wire
    story's. A quoted exclamation with its speaker is reporting ('Someone shouts, "Stop!"')."""
    return bool(_EXCLAIMED.search(nlp.unquoted(sentence)))


def _personal(outside: str) -> bool:
    if _PERSONAL.search(outside) or PLURAL.search(outside):
        return True
    return any(_pronoun_i(outside, m.start()) for m in _BARE_I.finditer(outside))


def _pronoun_i(text: str, at: int) -> bool:
    """Whether the "I" at ``at`` is the pronoun: a numeral follows a capitalised word ("World
    War I", "Phase I") unless that word opens the sentence ("Then I went")."""
    words = text[:at].split()
    if not words or not words[-1][-1].isalnum() or words[-1] in _CLAUSE_WORDS:
        return True
    return words[-1][0].islower() or len(words) == 1


def fix_opening(sentence: str, recent_people: list[str]) -> tuple[str, bool]:
    """Drop a leading connective, resolve a leading He/She; '' when the opening dangles."""
    text, fixed = _without_connective(sentence)
    pronoun = _SUBJECT_PRONOUN.match(text)
    if pronoun:
        if not recent_people:
            return "", False
        return recent_people[-1] + text[pronoun.end() :], True
    if _DANGLING.match(text) or _pronoun_before_name(text):
        return "", False
    if _POINTS_BACK.search(nlp.unquoted(text)):
        return "", False
    return text, fixed


def _pronoun_before_name(text: str) -> bool:
    """Whether a "he", "his", "her"... outside quotation marks means someone the sentence does
    not name: its opening phrase has the pronoun and no name, and its main clause opens with a
    pronoun ("When his five souls roll up to their cabin, he continues..."). A name after an
    opening phrase is whom its pronoun means ("After he left office, Obama wrote..."), and so
    may a noun phrase before the pronoun be ("A 20-year-old man told police he threw...")."""
    outside = nlp.unquoted(text)
    if not _THIRD_PERSON.search(outside):
        return False
    opening, comma, rest = outside.partition(", ")
    if comma and _THIRD_PERSON.search(opening) and not _names(opening):
        return bool(_PRONOUN_SUBJECT.match(rest))
    return False


def _names(text: str) -> bool:
    """Whether ``text`` has a capitalised word that is not a function word opening it nor
    an acronym ("FBI" is nobody's name)."""
    words = text.split()
    opener = words[:1] if words and words[0].lower() not in nlp.STOPWORDS else []
    return any(w[:1].isupper() and w[1:] != w[1:].upper() for w in opener + words[1:])


def _without_connective(sentence: str) -> tuple[str, bool]:
    """``sentence`` without a leading connective ("But he said" -> "He said"), and whether it
    had one."""
    match = _CONNECTIVE.match(sentence)
    return (_capitalise(sentence[match.end() :]), True) if match else (sentence, False)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
