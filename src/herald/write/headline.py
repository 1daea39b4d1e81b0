"""Herald's own headline, feed-card summary and key points, all taken from source text.

Headlines are neutral: publisher suffixes ("- BBC News", "| CNN"), teaser prefixes
("WATCH:", "BREAKING:") and clickbait tails ("(VIDEO)", "— here's why") are removed; with no
usable source headline, the lead sentence's main clause is compressed instead. Long sentences
lose whole phrases where spaCy's parser finds them (:mod:`herald.write.clause_cut`) before
anything is cut between words.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from herald.nlp import text as nlp
from herald.nlp.furniture import (
    is_not_a_headline,
    without_dateline,
    without_furniture,
    without_outlet_suffix,
    without_widget_prefix,
)
from herald.write.candidates import clean, fix_opening, is_junk, speaks_in_first_person
from herald.write.captions import is_caption
from herald.write.clause_cut import (
    THIRD_PERSON,
    clause_cut,
    is_appositive,
    needed,
    parse,
    trim_dangling,
)

MAX_HEADLINE_WORDS = 14
MAX_TITLE_WORDS = 20  # the longest source headline Herald uses as it is
MAX_SUMMARY_WORDS = 45
MAX_KEY_POINT_WORDS = 28
MIN_KEY_POINTS = 3
TITLE_SENTENCES = 6  # the first sentences of a page read for a title (captions come first)
MIN_CUT_WORDS = 5  # a grammatical cut shorter than this says too little: cut between words
SENTENCE_MAX_CHARS = 2000  # a sentence completing a headline is read within this many characters

_NUMBER_WORD = re.compile(
    r"^(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|"
    r"dozens?)$"
)
_TEASER = re.compile(
    r"^(?:(?:BREAKING|WATCH|LIVE|UPDATE[D]?|EXCLUSIVE|VIDEO|PHOTOS?|OPINION|ANALYSIS|"
    r"EXPLAINER|REVEALED)\b\s*(?:NEWS)?\s*[:|–—-]\s*)+",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"\s*(?:\((?:VIDEO|PHOTOS?|WATCH|UPDATED?|LIVE)\)|\[(?:VIDEO|PHOTOS?)\]|"
    r"[-—:]\s*(?:here'?s|this is|you won'?t believe|see|watch)\b.*)$",
    re.IGNORECASE,
)
_CLICKBAIT = re.compile(
    r"you won'?t believe|shocking|what happened next|will blow your mind|\bthis one\b|"
    r"\?\s*$|!\s*$|^\d+\s+(?:things|reasons|ways)\b",
    re.IGNORECASE,
)
_WIRE_PREFIX = re.compile(
    r"^(?:[►▶•»*#\s]+|(?:[A-Z][A-Za-z0-9.,' ]{0,40}\s)?"
    r"\((?:AP|Reuters|CNN|AFP|UPI|dpa|PA)\)\s*[-–—:]*\s*)+"
)
_STUTTER = re.compile(r"\b(\w+)\s+\1\s+\1\b", re.IGNORECASE)  # a page's tags: "jobs jobs jobs"
# Where a long sentence may be cut. A comma counts only before a space: "150,000" is one number.
CLAUSE_MARKS = (";", " — ", " -- ", ", ", " and ", " but ", " who ", " which ", " after ")
# A photo caption taken for a title: "Bernie Sanders (2nd row down, center) liked what he heard".
_CAPTION = re.compile(
    r"\((?:[^()]*\b)?(?:left|right|center|centre|pictured|second from|row|foreground|"
    r"background|top|bottom|front)\b[^()]*\)|"
    r"\b(?:is|are) (?:shown|pictured)\b",  # "Judge Aaron Persky is shown in this June…"
    re.IGNORECASE,
)
# An opening that means something said before it: a pronoun, or "Another prospective juror
# stood up" (another than whom?).
_POINTING = "He|She|It|They|This|That|These|Those|We|I|You|Another|Other|The other|Both|Such"
_PRONOUN_START = re.compile(rf"^(?:{_POINTING}|His|Her|Their|Its|Him|Them)\b")
# A key point opening with one of these means someone it does not name (a possessive, "His
# family said...", reads well under the points before it, not first).
_POINTS_BACK = re.compile(rf"^(?:{_POINTING})\b")
# A point standing alone does not go on from a sentence before it ("Hence, he intends...")
# nor place itself by one ("The bill was defeated at that time").
_GOES_ON = re.compile(
    r"^(?:Hence|Thus|Therefore|However|But|And|Or|So(?! far)|Also|Yet|Instead|Then|Nevertheless|"
    r"Nonetheless|Moreover|Furthermore|Besides|Otherwise|Likewise|Similarly|Consequently|"
    r"In addition|As a result|Even so|In turn|In response|By contrast|In contrast|"
    r"On the other hand)(?=[\s,])"
)
_PLACED_BY_ANOTHER = re.compile(
    r"\b(?:at that time|at the time(?! of)|that day|the same day|the next day|"
    r"the following day|the day before)\b",
    re.IGNORECASE,
)
SAME_POINT = 0.75  # a point with this share of its content words in an earlier one repeats it
_OBJECT_PRONOUNS = frozenset({"me", "him", "it", "us", "them", "themselves", "himself", "herself"})
_QUOTATION_OPENING = re.compile(r"^\s*[\"“]")
_QUOTATION_CUT = re.compile(r"[,;:]\s*[\"”]$")  # 'said, "I can't believe what you did,"'

_TRUNCATED = re.compile(r"(?:…|\.\.\.)\s*$")
# A leading time or place phrase, or (when the sentence is too long to keep it) a leading
# subordinate clause whose main clause follows the comma: "When his five souls roll up to their
# cabin, he continues..." would otherwise be cut to the clause alone. Not "If" or "Until" (the
# main clause alone would say more than the sentence did) nor "As" ("As many as 125 people").
_LEADING_CLAUSE = re.compile(
    r"^(?:(?:On|In|At|By|After|Before|During|Late|Early)\b[^,]{0,40},\s+)", re.IGNORECASE
)
_SUBORDINATE_CLAUSE = re.compile(
    r"^(?:When|While|Although|Though|Because|Since|Once|Whether|To [a-z]+)\b[^,]{0,80},\s+"
)
# When the sentence is too long to keep them: an appositive or relative clause between commas
# after the opening name ("Sid Ahmed Ghlam, a 24-year-old Algerian national, was detained"),
# and a time or place phrase opening a "that" clause ("alleges that on a recent trip to
# Toronto, Humphries contacted"), so that the cut keeps the verb.
_MAIN_COMPLEMENTS = frozenset({"ccomp", "xcomp", "dobj"})
_NAME = re.compile(r"\b[A-Z][a-z]+")
_REFERS_BACK = re.compile(rf"\b(?:{'|'.join(sorted(THIRD_PERSON))})\b", re.IGNORECASE)
_APPOSITIVE = re.compile(
    r"^((?:[A-Z][\w'’.-]*\s){0,3}[A-Z][\w'’.-]*), (?:a|an|the|who|whose)\b[^,]{2,80}, (?=[a-z])"
)
_INNER_CLAUSE = re.compile(r"\bthat (?:on|in|at|by|after|before|during)\b[^,]{0,40}, ")
_ATTRIBUTION = re.compile(
    r",?\s+(?:according to [^,.]+|(?:officials|police|authorities|the [a-z]+ reports?|"
    r"[A-Z][\w.]*(?: [A-Z][\w.]*)*) (?:said|says|reported|reports|announced)"
    r"(?:\s+[^\s,.]+){0,4})\s*\.?$"  # a trailing attribution: at most four words after it
)


def clean_title(title: str, outlets: Sequence[str] = ()) -> str:
    """A source headline without publisher suffix, teaser prefix or clickbait tail."""
    text = nlp.normalize_space(title)
    for outlet in outlets:
        if outlet:
            text = re.sub(rf"\s*[|–—:-]\s*{re.escape(outlet)}\s*$", "", text, flags=re.IGNORECASE)
    text = without_dateline(_WIRE_PREFIX.sub("", without_widget_prefix(text)))
    text = _TEASER.sub("", text)
    text = _TAIL.sub("", text)
    text = without_outlet_suffix(text)
    return text.strip(" .:-|")


def is_truncated(title: str) -> bool:
    """Whether a headline was cut short by its feed or page ("... bodies of a…")."""
    return bool(_TRUNCATED.search(title))


def whole_title(title: str) -> str:
    """A headline its feed cut short ("McDonald's sales fall, hampered again by bad…") without
    its unfinished last phrase when the parser finds one to drop ("McDonald's sales fall");
    otherwise as it is, ellipsis and all (a reader sees it was cut)."""
    if not is_truncated(title):
        return title
    stem = _TRUNCATED.sub("", title).rstrip(" ,;:—-")
    whole = clause_cut(stem, MAX_TITLE_WORDS, cut_short=True)
    return whole if whole and nlp.word_count(whole) >= MIN_CUT_WORDS else title


def completed_title(title: str, texts: Sequence[str]) -> str:
    """A headline its feed cut short ("A 6-week-old baby died Thursday when her stroller
    accidentally plunged…") completed from the story's sources, when one of their ``texts``
    has a whole sentence that opens with the same words (many feeds send the first sentence of
    an article, cut short, as its title; a wire story's other outlets print it whole): that
    sentence within ``MAX_TITLE_WORDS`` words, shortened only by whole phrases and still
    saying who does what, and not in its writer's first person; else ''."""
    return next(_completions([title], texts), "")


_Body = tuple[str, str]  # a text with its spaces normalised, and the same with straight quotes


def _bodies(texts: Sequence[str]) -> list[_Body]:
    bodies = [nlp.normalize_space(text) for text in texts]
    return [(body, nlp.straight_quotes(body)) for body in bodies]


def _completions(cleaned: Sequence[str], texts: Sequence[str]) -> Iterator[str]:
    """:func:`completed_title` of each title cut short; the texts are read once, if at all."""
    for sentence in _completing(cleaned, texts):
        whole = compress(sentence, MAX_TITLE_WORDS, whole_only=True) if sentence else ""
        yield whole if whole and _says_something(whole, sentence) else ""


def _completing(cleaned: Sequence[str], texts: Sequence[str]) -> Iterator[str]:
    """For each title cut short, the whole sentence of the ``texts`` that completes it ('' when
    none does, or when it speaks in its writer's first person)."""
    bodies: list[_Body] | None = None
    for title in cleaned:
        if is_truncated(title):
            bodies = _bodies(texts) if bodies is None else bodies
            yield _completing_sentence(title, bodies)


def _completing_sentence(title: str, bodies: Sequence[_Body]) -> str:
    stem = _TRUNCATED.sub("", title).rstrip(" ,;:—-")
    if nlp.word_count(stem) < MIN_CUT_WORDS:
        return ""
    for body in bodies:
        sentence = _sentence_opening_with(stem, body)
        if sentence and nlp.word_count(sentence) > nlp.word_count(stem):
            return "" if speaks_in_first_person(sentence) else sentence
    return ""


def _sentence_opening_with(stem: str, body: _Body) -> str:
    """The first whole sentence of the text that opens with ``stem``, '' when none does (a
    page often repeats its headline, cut short as in its feed, above the story)."""
    text, comparable = body
    wanted = nlp.straight_quotes(stem)
    at = comparable.find(wanted)
    while at >= 0:
        if at == 0 or _OPENS_AFTER.search(text[max(0, at - OPENING_CONTEXT) : at]):
            sentences = nlp.split_sentences(text[at : at + SENTENCE_MAX_CHARS])
            whole = len(sentences) > 1 or at + SENTENCE_MAX_CHARS >= len(text)
            if sentences and whole and not is_truncated(sentences[0]):
                return sentences[0]
        at = comparable.find(wanted, at + 1)
    return ""


# What a sentence can open after: a sentence's end, or a dateline ("NEW YORK (AP) — ").
_OPENS_AFTER = re.compile(r"(?:[.!?…][\"”’')]*\s|[—–:-]\s?)$")
OPENING_CONTEXT = 8  # characters before a match that say whether a sentence opens there


def title_from_text(text: str) -> str:
    """A headline from the first of an article's first sentences that an article could use
    (:func:`herald.write.candidates.is_junk`: not page furniture, a photo caption or credit, a
    question...), for a story whose every headline is a widget ("Send us your images or
    video"), a byline or a caption; '' when there is none."""
    for raw in nlp.split_sentences(without_furniture(text))[:TITLE_SENTENCES]:
        sentence = clean(raw, first=True)
        stem = _TRUNCATED.sub("", sentence).rstrip(" ,;:.")
        if is_junk(stem + ".") or is_not_a_headline(stem) or not fix_opening(stem, [])[0]:
            continue  # not reporting, or it names nobody ("If he passes a second check...")
        whole = "" if stem != sentence.rstrip(".") else _whole_headline(stem)
        # else cut short like a feed's teaser: the unfinished phrase goes, or the "…" stays
        return whole or whole_title(" ".join(stem.split()[:MAX_HEADLINE_WORDS]) + "…")
    return ""


def is_title(title: str) -> bool:
    """Whether a page's title, cut short or not, could name a story: not furniture, a byline,
    a timestamp (:func:`herald.nlp.furniture.is_not_a_headline`) nor a photo caption."""
    stem = _TRUNCATED.sub("", title)
    return not (is_not_a_headline(stem) or _CAPTION.search(stem) or is_caption(stem))


def usable_title(title: str) -> bool:
    """Whether a cleaned headline is neutral and of reasonable length."""
    n = nlp.word_count(title)
    return (
        4 <= n <= MAX_TITLE_WORDS
        and not _CLICKBAIT.search(title)
        and not is_truncated(title)
        and not is_not_a_headline(title)
        and not _CAPTION.search(title)
        and not _STUTTER.search(title)
        and not title.isupper()
    )


def headline(
    titles: Sequence[str],
    lead: str,
    outlets: Sequence[str] = (),
    others: Sequence[str] = (),
    texts: Sequence[str] = (),
) -> str:
    """The first usable cleaned title (callers pass the most central first), then the first
    title its feed cut short that the sources' ``texts`` complete (:func:`completed_title`),
    then the first that :func:`whole_title` makes usable, else the main clause of the lead
    kept whole or shortened only by whole phrases, within 14 words or else 20; else the lead
    cut within 14 words when the cut leaves every kept word whole (:func:`_says_something`:
    "Legendary rock group Led Zeppelin have unveiled two previously unheard recordings", not
    the next sentence's "Jimmy Page has spent the last couple of years putting the releases
    together"; never "opened fire on a caseworker[ and psychiatrist]"); else the next
    sentences' (``others``) main clauses kept whole: a cut between words can change what a
    sentence says ("... did not consider the restraining order[, dated Feb. 27, valid]"). A headline
    must say something: not open with a pronoun ("He continues to keep his foot on the brake"
    says nobody) and keep its main verb, and never speak in its source's first person ("that's
    how our system works", from a president's remarks); a cut keeps every word with what it
    modifies and needs (:func:`_intact`). Only when no sentence gives one: the lead cut
    between words, if it says something; else the lead kept whole within 26 words; else the
    sentence completing a title its feed cut short, cut the same way ("Potential jurors in
    Santa Clara County are apparently refusing to serve in the courtroom"), when the lead's
    cut has no verb left (a long subject cut short: "At least 10 prospective jurors who oppose
    Judge Aaron Persky's decision") or ends on its verb ("... filed"); else the next
    sentence's cut with a verb (an intact one first); when none has one, the lead kept whole
    within 32 words ("Sylvester Stallone suggested on Sunday that he was not interested in
    taking a top arts leadership role...", not "Sylvester Stallone suggested on Sunday"), else
    the first cut without a pronoun. A headline is Herald's own neutral statement, not
    someone's words: a sentence opening with a quotation gives one only when no other does
    ('"I can't be here, I'm so upset," one juror told the judge'), and no cut ends on a
    quotation ('Another prospective juror stood up and said, "I can't believe what you
    did,"')."""
    cleaned = [clean_title(title, outlets) for title in titles]
    truncated = (whole_title(t) for t in cleaned if is_truncated(t))
    for title in itertools.chain(cleaned, _completions(cleaned, texts), truncated):
        if usable_title(title):
            return title
    statements = [s for s in others if not _QUOTATION_OPENING.match(s)]  # not someone's words
    whole = _stated(lead)
    if whole:
        return _naming_subject(whole, lead, statements) or whole
    first = compress(lead, MAX_HEADLINE_WORDS)
    if _says_something(first, lead) and not speaks_in_first_person(first):
        return _naming_subject(first, lead, statements) or first
    for sentence in statements:
        whole = _stated(sentence)
        if whole:
            return whole
    longer = _stated(lead, (LONG_HEADLINE_WORDS,))
    if longer:
        return longer
    completing = [s for s in _completing(cleaned, texts) if s]  # "Potential jurors in..."
    sentences = [lead, *completing, *statements, *(s for s in others if s not in statements)]
    found = [first, *(compress(sentence, MAX_HEADLINE_WORDS) for sentence in sentences[1:])]
    named = [
        (h, s)
        for h, s in zip(found, sentences, strict=True)
        if not (_PRONOUN_START.match(h) or _QUOTATION_CUT.search(h))
        and nlp.quotes_balanced(h)  # '"I am incredibly flattered to have been suggested
    ]
    verbs = [(h, s) for h, s in named if _has_verb(h, s)]
    verbs.sort(key=lambda hs: (bool(_QUOTATION_OPENING.match(hs[1])), not _intact(*hs)))
    if verbs:
        return verbs[0][0]
    fallback = named[0][0] if named else first
    return _stated(lead, (LONGEST_WORDS,)) or fallback  # a long lead beats a verbless cut


def _naming_subject(head: str, lead: str, following: Sequence[str]) -> str:
    """The next sentence's headline when the lead's (``head``) names nobody but the lead
    names the story's subject (a name, or a word of one, that two or more of the
    ``following`` sentences repeat: "Tesla" of "Tesla Motors") and that headline names it;
    else "". "In a fitting finale to a week Tesla Motors executives
    would rather forget, a law firm announced Friday that it had filed a class-action suit
    [against the electric car maker...]" gave "A law firm announced Friday that it had filed
    a class-action suit", about nobody the reader can tell."""
    if nlp.entities(head) or not following or speaks_in_first_person(following[0]):
        return ""
    words = {w for name in nlp.entities(lead) for w in name.split() if len(w) > 2}
    subject = [w for w in words if sum(_says_word(s, w) for s in following) >= 2]
    instead = _whole_headline(following[0]) if subject else ""
    return instead if any(_says_word(instead, w) for w in subject) else ""


# What a word kept in a headline may not lose to the cut: its object, complement or subject
# ("has named Kim Jong Un [its Sexiest Man Alive]"), a preposition it needs, or the "of" of a
# noun ("may depend on the level [of communication between two parts of the brain]").
_COMPLEMENT_ROLES = frozenset(
    {"dobj", "ccomp", "xcomp", "attr", "oprd", "acomp", "pobj", "dative", "pcomp", "agent"}
    | {"nsubj", "nsubjpass"}
)
_NOUNS = frozenset({"NOUN", "PROPN", "PRON", "NUM"})
_REPORTED = frozenset({"ccomp", "parataxis"})  # "[X happened], officials said": X may stand
LONG_HEADLINE_WORDS = 26  # a lead kept whole this long beats any cut of it between words
LONGEST_WORDS = 32  # ... and this long, a cut of any sentence with no verb left


def _intact(head: str, sentence: str) -> bool:
    """Whether ``head``, ``sentence`` cut short at its end, keeps every word with the word it
    modifies ("...not exactly stable, former [Senate Majority Leader Bob Dole says]") and every
    word with what it needs (:data:`_COMPLEMENT_ROLES`): by the parse of the whole sentence.
    The reported clause of a dropped attribution stands on its own. True when ``head`` is not
    a prefix-cut of ``sentence`` (the parser cannot compare them)."""
    stem = head.rstrip(" .")
    text = _cut_from(stem, sentence)
    start = text.find(stem)
    end = start + len(stem)
    if start < 0 or end >= len(text.rstrip(" .!?\"”’'")):
        return True
    doc = parse(text)
    kept = {t.i for t in doc if t.idx >= start and t.idx + len(t.text) <= end}
    if not kept:
        return True
    last = max(kept)
    for token in doc:
        if token.i in kept:
            dangling = token.head.i > last and token.head.i not in kept
            if dangling and not (token.dep_ in _REPORTED and token.head.dep_ == "ROOT"):
                return False
        elif token.i > last and token.head.i in kept and not token.is_punct:
            of_noun = token.lower_ == "of" and token.head.pos_ in _NOUNS
            if token.dep_ in _COMPLEMENT_ROLES or needed(token) or of_noun:
                return False
            if _half_of(token):
                return False
    return True


def _half_of(token: Any) -> bool:
    """Whether dropping ``token`` leaves its head half of what it is: the second of two
    things ("opened fire on a caseworker [and psychiatrist]") or the purpose of a noun ("had
    to find a nonverbal way [to measure how...]")."""
    if token.head.pos_ not in _NOUNS:
        return False
    if token.dep_ == "conj":
        return True
    infinitive = any(c.dep_ == "aux" and c.lower_ == "to" for c in token.children)
    return token.dep_ in {"acl", "relcl"} and infinitive


def _cut_from(stem: str, sentence: str) -> str:
    """The text a headline ``stem`` was cut from: ``sentence``, or its main clause when the
    stem is not in the sentence as it is (a leading clause or an appositive went first: the
    cut must be judged against what it was cut from)."""
    text = nlp.normalize_space(sentence)
    if text.find(stem) >= 0:
        return text
    for limit in (nlp.word_count(stem), *_HEADLINE_LIMITS):
        reduced = _main_clause(sentence, limit)
        if reduced.find(stem) >= 0:
            return reduced
    return text


def _says_word(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text) is not None


_HEADLINE_LIMITS = (MAX_HEADLINE_WORDS, MAX_TITLE_WORDS)  # 14 words, else 20


def _stated(sentence: str, limits: Sequence[int] = _HEADLINE_LIMITS) -> str:
    """:func:`_whole_headline`, unless the sentence speaks in its writer's first person (a
    source's "our system" is not Herald's to headline)."""
    return "" if speaks_in_first_person(sentence) else _whole_headline(sentence, limits)


def _whole_headline(sentence: str, limits: Sequence[int] = _HEADLINE_LIMITS) -> str:
    """``sentence`` as a headline kept whole or shortened only by whole phrases, within the
    first of ``limits`` words that gives one (14, else 20), when it says something
    (:func:`_says_something`); else ''."""
    for limit in limits:
        whole = compress(sentence, limit, whole_only=True)
        if whole and _says_something(whole, sentence):
            return whole
    return ""


def _says_something(head: str, sentence: str) -> bool:
    """A headline made from a sentence names who does what: it opens with no pronoun, does
    not end on a quotation cut from what followed it, its main word, by the parser, is a
    verb (see :func:`_has_verb`), and a cut left no word without what it modifies or needs
    (see :func:`_intact`)."""
    if _PRONOUN_START.match(head) or _QUOTATION_CUT.search(head):
        return False
    return _has_verb(head, sentence) and _intact(head, sentence)


def _has_verb(head: str, sentence: str) -> bool:
    """Whether the main word of ``head`` is a verb, and not its last word when ``head`` was
    cut from ``sentence`` (what was filed is gone: "An adult film actress ... filed")."""
    doc = parse(head)
    roots = [t for t in doc if t.dep_ == "ROOT"]
    if not roots or roots[0].pos_ not in {"VERB", "AUX"}:
        return False
    if any(c.dep_ == "mark" for c in roots[0].children):
        return False  # a clause without its main clause: "When Areej Ali's body was pulled"
    words = [t for t in doc if not t.is_punct]
    cut = nlp.word_count(head) < nlp.word_count(sentence)
    if cut and _lost_complement(roots[0], sentence):
        return False  # "Sylvester Stallone suggested on Sunday [that he was not interested...]"
    return not (cut and words and words[-1].i == roots[0].i)


def _lost_complement(root: Any, sentence: str) -> bool:
    """Whether the main verb of a cut lost the clause or object it has in ``sentence``."""
    full = [t for t in parse(sentence) if t.dep_ == "ROOT"]
    if not full or full[0].lower_ != root.lower_:
        return False
    had = {c.dep_ for c in full[0].children} & _MAIN_COMPLEMENTS
    return bool(had) and not ({c.dep_ for c in root.children} & _MAIN_COMPLEMENTS)


def compress(
    sentence: str, max_words: int, drop_attribution: bool = True, whole_only: bool = False
) -> str:
    """The main clause of ``sentence``: no leading time clause or final period; when the
    sentence is longer than ``max_words``, no leading subordinate clause, no appositive after
    its opening name and no time phrase opening a "that" clause; (headlines
    only) a trailing attribution is dropped when the sentence is too long to keep it, never
    when it fits ("..., police said" stays a claim of the police). ``whole_only``: '' rather
    than a cut between words when no whole phrase can go."""
    return _cut(_main_clause(sentence, max_words, drop_attribution), max_words, whole_only)


def _main_clause(sentence: str, max_words: int, drop_attribution: bool = True) -> str:
    """:func:`compress` before its cut: what goes as whole clauses and phrases."""
    text = _WIRE_PREFIX.sub("", nlp.normalize_space(sentence))
    text = _LEADING_CLAUSE.sub("", text)
    if nlp.word_count(text) > max_words:
        text = _without_subordinate_clause(text)
        text = _INNER_CLAUSE.sub("that ", _without_appositive(text))
    if drop_attribution and nlp.word_count(text) > max_words:
        text = _ATTRIBUTION.sub("", text)
    text = text.rstrip(" .")
    return text[:1].upper() + text[1:]


def _without_subordinate_clause(text: str) -> str:
    """``text`` without its leading subordinate clause, unless the clause names someone that
    what is left only refers back to: "When 6-week-old Areej Ali's body was pulled from the
    elevator, a rescuer performed CPR on her tiny chest" would leave "her" meaning nobody."""
    match = _SUBORDINATE_CLAUSE.match(text)
    if not match:
        return text
    clause, rest = text[: match.end()], text[match.end() :]
    named = _NAME.findall(clause)[1:]  # not the opening "When"
    if named and _REFERS_BACK.search(rest) and not _NAME.search(rest):
        return text
    return rest


def _without_appositive(text: str) -> str:
    """``text`` without an appositive after its opening name, when the parser confirms it
    is one whole phrase (not the first item of a list that the regular expression cannot
    tell apart)."""
    match = _APPOSITIVE.match(text)
    if not match or not is_appositive(text, match.end(1) + 2, match.end() - 2):
        return text
    return f"{match.group(1)} {text[match.end() :]}"


def _cut(text: str, max_words: int, whole_only: bool = False) -> str:
    """At most ``max_words`` words: whole phrases dropped where the parser finds a cut
    (:func:`herald.write.clause_cut.clause_cut`), else preferring to stop at a clause boundary.

    A cut between words never ends on a stopword ("in", "the"), inside a name ("Mount" of
    "Mount Everest") or on a number: what follows a number qualifies it ("$1.2 billion",
    "150,000 copies", "5 percent"), and a number cut from its scale or unit would say
    something the sources did not; nor (:func:`herald.write.clause_cut.trim_dangling`) on a
    word modifying one cut off, or a verb whose object was cut off."""
    parts = text.split()
    if len(parts) <= max_words:
        return text
    whole = clause_cut(text, max_words)
    if whole is not None and nlp.word_count(whole) >= min(MIN_CUT_WORDS, max_words):
        return whole
    if whole_only:
        return ""
    head = " ".join(parts[:max_words])
    for mark in CLAUSE_MARKS:
        at = head.rfind(mark)
        if at > len(head) // 2:  # a clause ends whole: only a dangling "while" or "of" goes
            kept = _trimmed(head[:at].rstrip(" ,;—-").split(), parts, between_words=False)
            break
    else:
        kept = _trimmed(head.split(), parts, between_words=True)
    return trim_dangling(text, len(kept))  # "...school binder labeled [...]" ends at "binder"


def _trimmed(kept: list[str], parts: Sequence[str], *, between_words: bool) -> str:
    """``kept`` (the first words of ``parts``) without a dangling stopword at the end and,
    for a cut between words, without a number or half a name there either."""

    def dangles(word: str) -> bool:
        bare = word.lower().strip(",;:")
        if bare in nlp.STOPWORDS:  # at a clause mark, "to shoot them" is whole
            return between_words or bare not in _OBJECT_PRONOUNS
        return between_words and (
            any(c.isdigit() for c in word)
            or bool(_NUMBER_WORD.match(bare))
            or (word[:1].isupper() and parts[len(kept)][:1].isupper())  # inside a name
        )

    while len(kept) > 3 and dangles(kept[-1]):
        kept.pop()
    text = " ".join(kept).rstrip(" ,;:—-")
    opener = _unclosed(text)
    if opener > 0 and nlp.word_count(text[:opener]) >= 3:  # "the Stephanie Clifford (aka Stormy"
        return _trimmed(text[:opener].split(), parts, between_words=between_words)
    return text


def _unclosed(text: str) -> int:
    """Where a parenthesis or quotation that ``text`` leaves open starts (-1 if none)."""
    if text.count("(") > text.count(")"):
        return text.rfind("(")
    if text.count('"') % 2:
        return text.rfind('"')
    if text.count("“") > text.count("”"):
        return text.rfind("“")
    return -1


def summary(lead: str, title: str = "", following: Sequence[str] = ()) -> str:
    """The one-sentence summary for feed cards: the lead, shortened when long. When the
    headline ``title`` was made from the lead (a card would say the same thing twice), the
    first of the next :data:`SUMMARY_CHOICES` sentences (of ``following``) that stands on
    its own (no quotation or pronoun opening it) instead, if there is one."""
    if title and _repeats(title, lead):
        alone = [
            s
            for s in following[:SUMMARY_CHOICES]
            if not (_PRONOUN_START.match(s) or s.startswith(_QUOTES))
        ]
        lead = alone[0] if alone else lead
    if nlp.word_count(lead) <= MAX_SUMMARY_WORDS:
        return lead
    return _full_stop(_cut(lead, MAX_SUMMARY_WORDS))


def _full_stop(text: str) -> str:
    """A shortened sentence ended with a full stop: inside a quotation its cut left open on a
    comma ('...fighting for justice,"' -> '...fighting for justice."'), none where it already
    ends a sentence inside a quotation ('...sweet chili sauce.”', '...a super PAC?"'), else
    after it."""
    text = text.rstrip(" ,;")
    for mark in ('"', "”"):
        if text.endswith("," + mark):
            return text[:-2] + "." + mark
    if _ENDED.search(text):
        return text
    return text + "."


_ENDED = re.compile(r"[.!?…][\"”’')\]]*$")


_QUOTES = ('"', "“", "'", "‘")
SUMMARY_CHOICES = 3  # sentences after the lead a card may take its summary from
SAME_WORDS = 0.8  # a headline with this share of its words in the lead was made from it


def _repeats(title: str, lead: str) -> bool:
    """Whether most of the headline's words are the lead's."""
    words = nlp.lower_terms(title)
    return bool(words) and _mostly_in(words, nlp.lower_terms(lead), SAME_WORDS)


def _mostly_in(words: Sequence[str], other: Sequence[str], share: float) -> bool:
    """Whether at least ``share`` of ``words`` are found in ``other``."""
    found = set(other)
    return sum(w in found for w in words) >= share * len(words)


def key_points(sentences: Sequence[str], count: int = 4) -> tuple[str, ...]:
    """Three to five short points, each from one (already ranked) sentence: sentences that
    fit or lose whole phrases first; cut between words only when fewer than three do. A point
    stands alone: it opens with no quotation, no pronoun (the first point not even with a
    possessive) and no word going on from an earlier sentence ("He said...", "Another
    prospective juror stood up", "Hence, ..."), and it does not place itself by one ("at that
    time"). None says again most of what an earlier one says (two outlets' versions of one
    fact)."""
    points: list[str] = []
    for whole_only in (True, False):
        for sentence in sentences:
            if len(points) >= (count if whole_only else MIN_KEY_POINTS):
                break
            if sentence.startswith(('"', "“")) or not nlp.quotes_balanced(sentence):
                continue
            point = compress(sentence, MAX_KEY_POINT_WORDS, False, whole_only)
            if _stands_alone(point, not points) and not any(
                _repeats_point(point, p) for p in points
            ):
                points.append(_full_stop(point))
    return tuple(points)


def _stands_alone(point: str, first: bool) -> bool:
    return (
        nlp.word_count(point) >= 4
        and nlp.quotes_balanced(point)
        and not (_PRONOUN_START if first else _POINTS_BACK).match(point)
        and not _GOES_ON.match(point)
        and not _PLACED_BY_ANOTHER.search(point)
    )


def _repeats_point(point: str, earlier: str) -> bool:
    """Whether most of ``point``'s content words are already in an ``earlier`` point (two
    outlets' versions of the same fact)."""
    words = set(nlp.content_terms(point))
    if not words:
        return point.lower() == earlier.rstrip(".").lower()
    return _mostly_in(list(words), nlp.content_terms(earlier), SAME_POINT)
