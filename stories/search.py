"""The search key shared by stored story text and search queries.

Search compares keys, never raw text, so that equivalent spellings match: both
sides are NFC-normalized (U+0C46 U+0C56 and U+0C48 are the same letter),
casefolded, and stripped of ZWNJ and ZWJ. Joiners only change how a word is
rendered (రామ్‌కుమార్ shows the virama, రామ్కుమార్ a conjunct), so a
query typed with or without one finds the same stories. The stored text itself
keeps its joiners; only the key drops them.
"""

from __future__ import annotations

from analysis.text import JOINERS, normalize

_DROP_JOINERS = str.maketrans("", "", JOINERS)

# The maximum length of a search query, in code points after normalization.
MAX_QUERY_CHARS = 200


def search_key(text: str) -> str:
    """Return ``text`` NFC-normalized, casefolded and without ZWNJ/ZWJ.

    Casefolding can produce text that is not NFC, so the result is normalized again.
    """
    return normalize(normalize(text).casefold()).translate(_DROP_JOINERS)


def story_search_text(title: str, content: str) -> str:
    """Return the stored search key of a story: its title and content, one per line."""
    return search_key(f"{title}\n{content}")
