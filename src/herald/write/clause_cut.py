"""Shorten a sentence where its grammar allows: whole phrases go, never half of one.

A headline, key point or feed-card summary cut between two words can end in the middle of a
phrase ("...has been focused on the search effort since Jack", "...charged with conspiracy
to violate"). Here spaCy's dependency parser (the English model Herald already ships, loaded
without its entity recogniser) says where phrases begin and end, and the sentence is
shortened only by dropping whole phrases that modify it:

1. when the sentence is too long, a phrase opening it before the subject and closed by a comma
   ("Ignoring calls from environmentalists to revisit ..., the administration outlined..."),
   unless it is a condition ("If ...", "Unless ...": the rest is not said outright) or the
   subject after it is a pronoun ("..., it would be" needs what came before);
2. then the longest beginning of what is left that fits, provided everything after it is a
   whole optional phrase hanging from a word kept (a prepositional phrase, a relative clause
   or participle phrase set off by a comma, an adverbial clause, an appositive, a second verb
   phrase, a day or month: "since Jack Frakes...", "on Sunday in Paris"), and never the main
   verb's subject, object or complement, a negation, a noun's "of" phrase ("charges of child
   luring"), the phrase a word needs ("was involved in a hit-and-run", "charged with murder")
   or a phrase saying how often ("a day"); a cut never ends on an active verb whose
   phrase goes on ("Rep. Ted Poe called today [for the removal...]").

Nothing is reordered or rewritten, so what is kept is a prefix of the source sentence's own
words (after an opening phrase, possibly). When no such cut fits, :func:`clause_cut` returns
``None`` and the caller cuts between words as before.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

from herald.cluster.ner import load_pipeline
from herald.exceptions import ModelError
from herald.nlp import text as nlp

__all__ = ["THIRD_PERSON", "clause_cut", "is_appositive", "load_parser", "parse", "trim_dangling"]

_UNUSED_PIPES = ("ner", "lemmatizer")
PARSE_CACHE = 1024
# Dependents whose whole phrase may go: they modify what they hang from.
_OPTIONAL = frozenset({"prep", "advcl", "relcl", "acl", "appos", "parataxis", "dep", "punct"})
_OPENING = frozenset({"prep", "advcl", "npadvmod", "advmod"})
_WHEN = re.compile(
    r"^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|tonight|yesterday|"
    r"tomorrow|January|February|March|April|May|June|July|August|September|October|"
    r"November|December)$"
)
_CONDITIONS = frozenset({"if", "unless", "until", "whether", "should", "were", "had"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj", "expl"})
_VERBS = frozenset({"VERB", "AUX"})
_CLAUSES = frozenset({"advcl", "conj", "cc", "punct", "parataxis", "npadvmod", "relcl"})
THIRD_PERSON = frozenset(  # pronouns that refer back to someone named before
    {"he", "she", "him", "her", "his", "hers", "they", "them", "their", "it", "its"}
)
_OBJECTS = frozenset({"me", "him", "her", "it", "us", "them", "himself", "herself", "themselves"})
_ON_THE_VERB = frozenset({"prt", "advmod", "neg", "npadvmod"})
_NOUN_ROLES = frozenset({"nsubj", "nsubjpass", "dobj", "pobj", "attr", "appos", "dative", "oprd"})
_NOMINALS = frozenset({"NOUN", "PROPN", "NUM", "PRON"})
_CLOSERS = frozenset({")", '"', "”", "’", "'"})
_COMPLEMENTS = frozenset({"dobj", "oprd", "attr", "dative", "acomp", "ccomp", "xcomp"})
_FUNCTION_POS = frozenset({"ADP", "CCONJ", "SCONJ", "PART", "DET"})

# Words that say little without their preposition's phrase: "his client was involved [in a
# hit-and-run]" says something else than the source. By the word's own form (the parser runs
# without its lemmatizer), for participles and adjectives whether passive or not.
_NEEDS_PREPOSITION: dict[str, frozenset[str]] = {
    word: frozenset(preps.split())
    for words, preps in (
        ("involved engaged interested located implicated participated participating", "in"),
        ("accused convicted suspected acquitted cleared aware capable afraid guilty", "of"),
        ("composed made consisting", "of"),
        ("charged credited diagnosed infected obsessed associated filled faced", "with"),
        ("linked connected", "to with"),
        ("tied related sentenced committed dedicated devoted exposed subjected entitled", "to"),
        ("similar due opposed contrary home", "to"),  # "is home [to several installations]"
        ("compared", "to with"),
        (
            "identified identifies identify identifying described describes regarded classified",
            "as",
        ),
        ("based", "on in"),
        ("known", "as for"),
        ("responsible blamed famous", "for"),
        ("aimed targeted", "at"),
        ("banned barred prevented", "from"),
        ("focused", "on"),
    )
    for word in words.split()
}

_lock = threading.Lock()
_parser: Any = None


def load_parser() -> Any:
    """The process-wide spaCy pipeline with its parser (loaded on first use)."""
    global _parser
    with _lock:
        if _parser is None:
            _parser = load_pipeline(_UNUSED_PIPES)
    return _parser


@functools.lru_cache(maxsize=PARSE_CACHE)
def parse(text: str) -> Any:
    """``text`` parsed, remembered: a story's lead is cut for its headline, its summary and
    a key point, and a truncated story title on every save of the story."""
    return load_parser()(text)


def clause_cut(text: str, max_words: int, *, cut_short: bool = False) -> str | None:
    """``text`` shortened to at most ``max_words`` words by dropping whole phrases, or
    ``None`` when its grammar offers no such cut (or the parser is missing).

    ``cut_short``: the text is a sentence cut off mid-phrase (a headline its feed ended with
    "…"), so its last word's phrase goes whatever the length ("...hampered again by bad")."""
    try:
        doc = parse(text)
    except ModelError:
        return None
    sentences = list(doc.sents)
    root = sentences[0].root
    if len(sentences) > 1 or root.pos_ not in _VERBS:
        return None
    if any(child.dep_ == "mark" for child in root.children):  # "if it hadn't been...": no
        return None  # main clause to keep
    if cut_short and _restricts(doc):
        return None
    start = _after_opening(doc, root) if _words(doc[:]) > max_words else 0
    for end in range(len(doc) - int(cut_short), root.i, -1):
        kept = doc[start:end]
        if (
            _words(kept) <= max_words
            and all(t.head.i < end for t in kept)  # no word kept without the word it modifies
            and _clean_end(doc, end)
            and _droppable(doc, end, len(doc) - 1 if cut_short else len(doc))
            and not _cuts_negated(doc, start, end)
        ):
            out = str(kept.text).strip(" ,;:—-")
            if nlp.quotes_balanced(out) and out.count("(") == out.count(")"):
                return out[:1].upper() + out[1:]
    return None


def _cuts_negated(doc: Any, start: int, end: int) -> bool:
    """Whether the cut drops words that a negated verb kept before ``end`` governs (other than
    a second clause joined by "and"/"but"): under a negation, a dropped phrase may hold what
    is denied ("...he did not consider the restraining order[, dated Feb. 27, valid]", where
    the parser hangs "valid" from the date), and without its modifiers a denial claims more
    ("not interested in a role [in the administration]" is not "in any role")."""
    negated = {t.head.i for t in doc[start:end] if t.dep_ == "neg"}
    if not negated:
        return False
    for token in doc[end:]:
        if token.is_punct:
            continue
        node = token
        while node.head.i != node.i and node.head.i not in negated:
            node = node.head
        if node.head.i in negated and node.head.i != node.i and node.dep_ not in ("conj", "cc"):
            return True
    return False


def _restricts(doc: Any) -> bool:
    """Whether a text cut short ends on "that", "which" or "who" opening a clause that says
    which one it means: "would veto any bill that…" is not "would veto any bill". Dropping it
    is safe only after a comma or after "a"/"an" ("created a catalyst that…" did create one)."""
    last = doc[-1]
    if last.lower_ not in _RELATIVIZERS or len(doc) < 2 or doc[-2].text in (",", "—", "–"):
        return False
    determiners = [c.lower_ for c in doc[-2].children if c.dep_ == "det"]
    return determiners[:1] not in (["a"], ["an"])


def _words(span: Any) -> int:
    """Words as a reader counts them (``nlp.word_count``): "Portland-area" and "$135,000" are
    one each, not the parser's three and two tokens."""
    return nlp.word_count(str(span.text))


def _after_opening(doc: Any, root: Any) -> int:
    """Where the sentence starts without an opening phrase closed by a comma (0 if none)."""
    subject = next((c for c in root.children if c.dep_ in _SUBJECTS), None)
    if subject is None or subject.pos_ == "PRON":  # "If ..., it would be" needs its clause
        return 0
    for child in root.children:
        if child.i >= subject.i or child.dep_ not in _OPENING or child.left_edge.i != 0:
            continue
        if doc[0].lower_ in _CONDITIONS:  # "If convicted, he faces...": not said outright
            return 0
        comma: int = child.right_edge.i + 1
        if comma < subject.left_edge.i and doc[comma].text == ",":
            return 0 if _refers_back(doc, comma) else comma + 1
    return 0


def _refers_back(doc: Any, comma: int) -> bool:
    """Whether the opening phrase before ``comma`` names someone whom the rest only calls
    "he", "her", "their"...: "When 6-week-old Areej Ali's body was pulled from the elevator, a
    rescuer performed CPR on her tiny chest" without its opening says "her" of nobody."""
    opening, rest = doc[:comma], doc[comma + 1 :]
    if not any(t.pos_ == "PROPN" for t in opening) or any(t.pos_ == "PROPN" for t in rest):
        return False
    return any(t.lower_ in THIRD_PERSON for t in rest)


def _clean_end(doc: Any, end: int) -> bool:
    """A cut may end on a word, or on a closing bracket or quotation mark; not on "and" or
    "the", nor on an active verb whose phrase goes on after it ("also known [as...]", "they
    talk [about...]"); a noun, an adjective or a passive verb may lose its modifiers ("the
    search effort [since...]", "has been found [beneath...]")."""
    last = doc[end - 1]
    if last.is_punct:
        return last.text in _CLOSERS
    while last.dep_ in _ON_THE_VERB and last.head.i < end:  # "comes off [as...]", "called
        last = last.head  # today [for...]", "aimed directly [at...]" end on their verb
    if last.dep_ in ("cc", "mark", "det", "prep", "aux", "case", "poss"):
        return False
    if last.lower_ in nlp.STOPWORDS and last.lower_ not in _OBJECTS:  # "is shown in this"
        return False
    if _loose_partitive(last):  # "..., many of them [in a single incident at a checkpoint]"
        return False
    if last.pos_ != "VERB" or last.dep_ in _NOUN_ROLES:  # "Bundy's slavery remarks [at...]"
        return True
    if any(child.dep_ == "auxpass" for child in last.children):
        return True
    return all(child.dep_ in _CLAUSES for child in last.children if child.i >= end)


def _loose_partitive(last: Any) -> bool:
    """Whether ``last`` ends a partitive set off from its clause ("..., many of them"), which
    says nothing without the phrase that said what of them."""
    of = last.head
    return (
        last.lower_ in _OBJECTS
        and of.lower_ == "of"
        and of.head.dep_ in ("appos", "npadvmod", "dep")
    )


def _droppable(doc: Any, end: int, fragment: int) -> bool:
    """Whether every token from ``end`` on belongs to a whole optional phrase hanging from a
    token before ``end``. A function word at ``fragment`` (the last word of a text its feed
    cut short) opens a phrase that is not there: the parser's guess at its role says nothing
    ("...created an oxide-derived copper catalyst that…" parses "that" as the object)."""
    for token in doc[end:]:
        if token.i == fragment and (token.is_stop or token.pos_ in _FUNCTION_WORDS):
            if needed(token):  # "was obsessed with…": the phrase the word needs is cut off
                return False
            continue
        top = token
        while top.head.i >= end and top.head.i != top.i:
            top = top.head
        if top.head.i == top.i or top.left_edge.i < end or not _optional(top):
            return False
    return True


_RELATIVIZERS = frozenset({"that", "which", "who", "whom", "whose", "where", "when"})
_FUNCTION_WORDS = frozenset({"ADP", "AUX", "CCONJ", "DET", "PART", "PRON", "SCONJ"})


def needed(token: Any) -> bool:
    """Whether ``token`` is a preposition that a word above it needs: "was involved in a
    hit-and-run", "was charged with murder", "was obsessed with one of her students"; also
    when the parser hangs it lower ("compared the marriage of same-sex couples to the marriage
    of a brother and sister", "to" under the first "marriage"), unless the word already has
    that preposition of its own. An adverb's phrase is needed too ("ahead of the reissue"),
    as is the "of" of a superlative ("the largest of the monkeys")."""
    if token.dep_ != "prep":
        return False
    if token.head.pos_ == "ADV" or (token.lower_ == "of" and token.head.tag_ == "JJS"):
        return True
    node = token.head
    while True:
        if token.lower_ in _NEEDS_PREPOSITION.get(node.lower_, ()):
            return not any(
                c.dep_ == "prep" and c.lower_ == token.lower_ and c.i < token.i
                for c in node.children
            )
        if node.pos_ in _VERBS or node.pos_ == "ADJ" or node.head.i == node.i:
            return False
        node = node.head


def _optional(token: Any) -> bool:
    if token.dep_ == "npadvmod":  # "on Sunday" may go, "a day" may not
        return bool(_WHEN.match(token.text))
    if token.dep_ == "prep" and token.lower_ == "of" and token.head.pos_ in _NOMINALS:
        return False  # "charges of child luring", "hundreds of agencies": the noun's argument
    if needed(token):
        return False
    if token.dep_ == "prep" and token.lower_ == "from" and _prevents(token):
        return False  # "bars her from discussing it": what the verb prevents
    if token.dep_ in ("relcl", "acl"):  # only ", which/who ...": "the memo that ..." and
        # "athletes accused of ..." say which memo and which athletes
        return token.left_edge.i > 0 and token.doc[token.left_edge.i - 1].text in (",", "—", "–")
    if token.dep_ in ("conj", "cc"):  # a second verb phrase: "...resigned and apologised"
        return token.head.pos_ in _VERBS and (token.dep_ == "cc" or token.pos_ in _VERBS)
    return token.dep_ in _OPTIONAL


def _prevents(prep: Any) -> bool:
    """A verb's "from" + gerund: "bars her from discussing", "prevents companies from selling"."""
    gerund = any(c.dep_ == "pcomp" and c.tag_ == "VBG" for c in prep.children)
    return gerund and prep.head.pos_ in _VERBS


def trim_dangling(text: str, cut: int, min_words: int = 4) -> str:
    """``text[:cut]`` (a sentence cut between two words) without the words at its end whose
    phrase the cut split: a preposition, article or conjunction, a word modifying a word cut
    off ("the saucy [delicacy]"), a participle or relative clause on a noun whose phrase was
    cut off ("school binder labeled [...]", "the moment that led [to...]"), a verb (not the
    main one) whose object or complement was cut off. Unchanged
    when that would leave fewer than ``min_words`` words (or the parser is missing)."""
    kept = text[:cut].rstrip()
    try:
        doc = parse(text)
    except ModelError:
        return kept
    end = cut_at = sum(1 for t in doc if t.idx < len(kept))
    while end > 0 and _dangles(doc[end - 1], end, cut_at):
        end -= 1
    out = str(doc[:end].text).rstrip(" ,;:—-")
    return out if nlp.word_count(out) >= min_words else kept


def _dangles(token: Any, end: int, cut_at: int) -> bool:
    if token.is_punct:
        return token.text not in _CLOSERS
    if token.pos_ == "AUX" and any(
        c.dep_ in ("acomp", "attr") and c.i >= end for c in token.children
    ):
        return True  # "...that he was [not interested in...]": "was" what?
    if token.head.dep_ == "ROOT" and token.dep_ in _COMPLEMENTS:  # "Bob Dole says he doesn't
        return False  # believe [...]" keeps what he does not believe, not "Bob Dole says"
    if token.head.i >= end or token.pos_ in _FUNCTION_POS:
        return True
    if any(c.dep_ == "prep" and c.i >= end and needed(c) for c in token.children):
        return True  # "...unveiled two recordings ahead [of the reissue]", "not interested [in]"
    if _verb_cut_from_its_clause(token.head, cut_at):
        return True  # "a campaign to get Gov. Nikki Haley [to appoint him]": get her to do what?
    bare_participle = token.tag_ == "VBN" and not any(
        c.dep_ in ("aux", "auxpass") for c in token.children
    )
    if token.pos_ != "VERB" or token.dep_ == "ROOT":
        return False
    cut_off = [c for c in token.children if c.i >= cut_at]
    if token.dep_ in ("acl", "relcl") or bare_participle:  # "binder labeled", "that led"
        return bool(cut_off)
    if token.dep_ == "xcomp":  # "were attempting to climb [Everest]" reads whole
        return False
    return any(c.dep_ in _COMPLEMENTS for c in cut_off)  # "letters labeled [...]"


def _verb_cut_from_its_clause(head: Any, cut_at: int) -> bool:
    """Whether ``head`` is a verb below the main one whose clausal complement was cut off:
    "...launched a campaign to get Gov. Nikki Haley [to appoint him]" asks her nothing, while
    "Bob Dole says he doesn't believe [...]" (the main verb's own phrase) reads whole."""
    if head.pos_ not in _VERBS or head.dep_ == "ROOT":
        return False
    return any(c.dep_ in ("ccomp", "xcomp") and c.i >= cut_at for c in head.children)


def is_appositive(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is one whole appositive or relative clause of the word
    before it ("Sid Ahmed Ghlam, [a 24-year-old Algerian national], was detained"), not the
    beginning of a list ("Kinkade, [the painter of cottages], lighthouses and gardens").
    False when the parser is missing."""
    try:
        doc = parse(text)
    except ModelError:
        return False
    inside = [t for t in doc if start <= t.idx < end and not t.is_punct]
    heads = [t for t in inside if not start <= t.head.idx < end]
    if len(heads) != 1 or heads[0].dep_ not in ("appos", "relcl", "acl"):
        return False
    return bool(heads[0].left_edge.idx >= start and heads[0].right_edge.idx < end)
