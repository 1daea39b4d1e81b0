"""Page furniture taken for a headline: "Sign in to Celebuzz", "Most Popular Stories Most
Popular Stories More>>", "Send us your images or video", "Breaking News Emails Get breaking
news alerts and special reports".

A page whose title is one of its widgets (a login wall, a newsletter box, a "most popular"
list, an update notice) still carries a real article: its title says nothing about the news,
so the clusterer embeds such an article by its text alone (else the widget's words pull it
away from the rest of its story's coverage) and a story is never titled by it.

A wire dateline is furniture too when a title is its article's first sentence ("NEW YORK (AP)
— A 6-week-old baby died Thursday"): :func:`without_dateline`, for story titles and headlines.
"""

from __future__ import annotations

import re

from herald.nlp.text import MONTH_PATTERN, normalize_space

__all__ = [
    "is_furniture",
    "is_not_a_headline",
    "without_dateline",
    "without_furniture",
    "without_outlet_suffix",
    "without_widget_prefix",
]

MAX_FURNITURE_WORDS = 40  # a longer paragraph is prose, whatever it mentions
# A wire dateline before a title that is its article's first sentence: "NEW YORK (AP) — ",
# "KATHMANDU, Nepal (AP) — ", "NEW YORK, May 18 (UPI) -- ", "WASHINGTON — ", "(AP) — ".
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'\- ]{2,40}(?:,\s*[A-Z][A-Za-z0-9. ]{1,30})?\s*)?"
    r"(?P<agency>\([A-Za-z. ]{2,20}\)\s*)?(?:--|—|–)\s+(?=[A-Z\"“])"
)
_WIDGET_PREFIX = re.compile(r"^CLOSE\s+(?=[A-Z])")
_BYLINE = re.compile(
    r"^(?:(?:Posted|Written|Published|Updated) by\s|"
    r"By\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4}\s*(?:[,/|]|$))"  # words apart: no backtracking
)
_NOT_A_TITLE = re.compile(
    rf"^\W*(?:\w+day,?\s+)?{MONTH_PATTERN}\s+\d{{1,2}},?\s+\d{{4}},?\s+\d{{1,2}}:\d\d\s*"
    r"(?:[ap]\.?m\.?)?\W*$|"  # "March 11, 2014, 8:57 pm"
    r"(?:^|\bin )this (?:[\w,.]+ ){0,6}(?:photo|photograph|image|picture)\b|"
    r"\b(?:is|are) (?:seen|shown|pictured)(?:\s*…?$|\s+(?:in this|before|after|during|as|"
    r"at|on|with|outside|inside|here)\b)|"
    r"\badvertisement\b|\bcontinue reading\b|\bnewsletters?\b",
    re.IGNORECASE,
)
_OUTLET_SUFFIX = re.compile(r"\s+(?:[|–—-]|::)\s+[^|–—-]{2,40}$")
MIN_HEADLINE_CHARS = 20
# without an agency, only before a sentence: "NASA — Artemis launch delayed" and "UK — France
# deal signed" are titles with a topic, no dateline
DATELINE_MIN_WORDS = 8

_PROMPTS = re.compile(
    r"\bclick (?:here|to)\b|\be-?mail this\b|\bopens in (?:a )?new window\b|"
    r"^(?:please )?(?:sign (?:up|in)|log ?in)\b|\bsign up (?:for (?:our|free)|now|here|today)\b|"
    r"\blog ?in to (?:continue|read|your)\b|\bsubscribe (?:to|now|today)\b|^subscribe\b|"
    r"\bshare (?:this|on)\b|\bmost (?:popular|read|viewed|shared) (?:stories|articles|news)\b|"
    r"\bsend us your (?:images|photos|pictures|videos?|stories|tips)\b|"
    r"\bbreaking news (?:emails|alerts)\b|\bget (?:breaking )?news alerts\b|"
    r"\bthis (?:story|article|post|page) (?:is|was|has been) updated\b|\bpage not found\b|"
    r"\benable javascript\b|\baccess denied\b|>>\s*$",
    re.IGNORECASE,
)


def without_dateline(title: str) -> str:
    """``title`` without a wire dateline (see :data:`DATELINE_MIN_WORDS`)."""
    found = _DATELINE.match(title)
    if found and (found["agency"] or len(title[found.end() :].split()) >= DATELINE_MIN_WORDS):
        return title[found.end() :]
    return title


def without_outlet_suffix(title: str) -> str:
    """``title`` without a publisher's name after a dash or bar ("... - BBC News", "... |
    CNN"; a colon is a headline's own: "Syria: truce talks fail"), when what is left is still
    a headline (:data:`MIN_HEADLINE_CHARS` characters and 3 words): "NASA - SpaceX launch
    delayed" and "Ukraine crisis - Putin speaks" name their topic first, not their outlet."""
    shorter = _OUTLET_SUFFIX.sub("", title)
    if shorter != title and len(shorter) >= MIN_HEADLINE_CHARS and len(shorter.split()) >= 3:
        return shorter
    return title


def without_widget_prefix(title: str) -> str:
    """``title`` without a video player's "CLOSE" button glued before it ("CLOSE Four Reno
    dispensaries begin sales...")."""
    return _WIDGET_PREFIX.sub("", title)


def is_not_a_headline(title: str) -> bool:
    """Whether a page's title is furniture (:func:`is_furniture`) or says what the page is
    rather than what happened: a byline ("Posted by Parvez Jabri"), a bare time ("March 11,
    2014, 8:57 pm"), a photo's caption ("In this Saturday, July 1, 2017, photo, people line
    up...", "The U.S. Capitol building is seen") or an advertisement's or newsletter's box."""
    text = normalize_space(title)
    return is_furniture(text) or bool(_BYLINE.match(text) or _NOT_A_TITLE.search(text))


def is_furniture(title: str) -> bool:
    """Whether a page's title is one of its widgets rather than a headline."""
    text = normalize_space(title)
    if _PROMPTS.search(text):
        return True
    words = text.lower().split()
    half = len(words) // 2
    return len(words) >= 6 and len(words) % 2 == 0 and words[:half] == words[half:]


def without_furniture(text: str) -> str:
    """``text`` without its short paragraphs (lines) that are widgets ("Are you there? Send us
    your images or video.", "Most Popular Stories More>>")."""
    if not _PROMPTS.search(text):
        return text
    kept = [
        line
        for line in text.splitlines()
        if not (len(line.split()) <= MAX_FURNITURE_WORDS and is_furniture(line))
    ]
    return "\n".join(kept).strip()
