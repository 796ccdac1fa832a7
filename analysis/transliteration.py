"""Transliteration of Latin letters typed on an English keyboard into Telugu script.

The mapping is the OPTITRANS Dravidian scheme of the indic-transliteration package,
which reads the way Telugu is usually typed in Latin letters, plus a few rules
for habits it does not cover. Only runs of ASCII letters are transliterated.
Digits, punctuation, whitespace and text already in Telugu pass through unchanged,
so a full stop stays ``.`` and ``2024`` stays ``2024``.

Vowels (independent form, then the sign after a consonant)::

    a అ    aa A ఆ    i ఇ    ii ee I ఈ    u ఉ    uu oo U ఊ    R Ru ఋ (కృ)
    e ఎ    E ఏ       ai ఐ   o ఒ          O ఓ    au ou ఔ

Consonants::

    k క   kh ఖ   g గ   gh ఘ          ch c చ   Ch C ఛ   j z జ   jh J ఝ
    T ట   Th ఠ   D డ   Dh ఢ   N ణ   t త   th థ   d ద   dh ధ   n న
    p ప   ph f P ఫ   b బ   bh B భ   m మ   y య   r ర   l ల   L ళ   v w వ
    sh శ   Sh S ష   s స   h హ   x ksh kSh క్ష   jn జ్ఞ   q క

``M`` is the anusvara ం and ``H`` the visarga ః. A consonant with no vowel after
it takes the virama: ``nenu`` is నెను, ``amma`` is అమ్మ, ``katha`` is కథ.

Rules added on top of the scheme, because Telugu spelling expects them:

- ``n`` before a stop (``k g c j T D t d p b x`` and their aspirates) and ``m``
  before a stop, ``s``, ``S``, ``sh``, ``h``, ``v`` or ``w`` are written as the
  anusvara: ``manchi`` is మంచి, ``andam`` is అందం, ``simham`` is సింహం.
- ``m`` at the end of a word after a vowel is the anusvara: ``manam`` is మనం.
  ``film`` keeps its మ్ because ``l`` comes before the ``m``.
- ``R`` before a vowel is ర, since ఋ is never followed by one: ``Ramu`` is రము.
- Letters the scheme leaves unmapped are read as their nearest Telugu letter:
  ``f F`` as ఫ, ``z Z`` as జ, ``q Q K`` as క, ``G`` as గ, ``V W`` as వ, ``X`` as క్ష,
  ``Y`` as య.

Upper and lower case are different letters (``t`` త, ``T`` ట), so the page's input
turns the phone keyboard's automatic capitals off while transliteration is on.
"""

from __future__ import annotations

import regex
from indic_transliteration import sanscript

from analysis.text import normalize

SCHEME = sanscript.OPTITRANS_DRAVIDIAN
MAX_LENGTH = 500

_LATIN_RUN = regex.compile(r"[A-Za-z]+")

# Rewrites applied to each run of letters, in order, before the scheme maps it.
# Each one produces spellings of the scheme itself.
_REWRITES: tuple[tuple[regex.Pattern[str], str], ...] = (
    (regex.compile(r"kSh"), "x"),
    (regex.compile(r"Ru"), "R"),
    # ఋ is never followed by another vowel in Telugu, so an R before one is a capitalized ర.
    (regex.compile(r"R(?=[aeiouAEIOU])"), "r"),
    (regex.compile(r"oo"), "U"),
    (regex.compile(r"ou"), "au"),
    (regex.compile(r"J"), "jh"),
    (regex.compile(r"[fF]"), "ph"),
    (regex.compile(r"[zZ]"), "j"),
    (regex.compile(r"[qQK]"), "k"),
    (regex.compile(r"G"), "g"),
    (regex.compile(r"[VW]"), "v"),
    (regex.compile(r"X"), "x"),
    (regex.compile(r"Y"), "y"),
    # Homorganic nasals: Telugu writes the anusvara, not a half న or మ, before these.
    (regex.compile(r"n(?=[kgcjTDtdpbxCPB])"), "M"),
    (regex.compile(r"m(?=[kgcjTDtdpbxCPBsShvw])"), "M"),
    (regex.compile(r"(?<=[aeiouAEIOU])m$"), "M"),
)


def _transliterate_run(run: str) -> str:
    for pattern, replacement in _REWRITES:
        run = pattern.sub(replacement, run)
    return sanscript.transliterate(run, SCHEME, sanscript.TELUGU)


def to_telugu(text: str) -> str:
    """Transliterate the Latin letters of ``text`` into Telugu and return the result in NFC.

    Everything but runs of ASCII letters is kept as it is. Raises ValueError when
    ``text`` is longer than MAX_LENGTH (500) characters, because the function is
    meant for words and short phrases typed into a page.
    """
    if len(text) > MAX_LENGTH:
        raise ValueError(f"Text is {len(text)} characters long: transliterate at most {MAX_LENGTH} at a time.")
    return normalize(_LATIN_RUN.sub(lambda match: _transliterate_run(match.group()), text))
