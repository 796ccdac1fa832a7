"""Token masks that keep a completion in one script.

A small base model asked to continue Telugu prose now and then drifts into
Latin letters or markup (``తెలుcía``, ``<i>``). Banning, before each draw, every
token whose text contains a letter of another script or a markup symbol keeps the
prose in the requested script at the cost of one masked write per token.
"""

from __future__ import annotations

import unicodedata
from typing import Any

# Unicode blocks of the scripts a completion can be held to, as code point ranges.
SCRIPT_RANGES: dict[str, tuple[int, int]] = {
    "Telugu": (0x0C00, 0x0C7F),
}

# Symbols that start markup or code rather than prose.
MARKUP = frozenset("<>{}[]|\\_#*`~^=@$&/")


def token_is_foreign(piece: str, low: int, high: int) -> bool:
    """Return whether a token's text contains a letter or mark outside ``low..high``, or a markup symbol.

    Digits, punctuation, spaces and the zero-width joiners stay allowed.
    """
    for character in piece:
        if character in MARKUP:
            return True
        category = unicodedata.category(character)
        if category[0] in "LM" and not low <= ord(character) <= high:
            return True
    return False


def foreign_token_mask(pieces: list[bytes], script: str) -> Any:
    """Build a boolean numpy mask over the vocabulary: True for tokens to ban.

    A piece that is only part of a UTF-8 character decodes to nothing and stays
    allowed, because Telugu letters are often split across byte tokens.
    """
    import numpy as np

    if script not in SCRIPT_RANGES:
        raise ValueError(f"Unknown script {script!r}; supported: {', '.join(sorted(SCRIPT_RANGES))}.")
    low, high = SCRIPT_RANGES[script]
    mask = np.zeros(len(pieces), dtype=bool)
    for token, piece in enumerate(pieces):
        mask[token] = token_is_foreign(piece.decode("utf-8", errors="ignore"), low, high)
    return mask
