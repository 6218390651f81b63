"""The one name normaliser: the stored search name, search words and the duplicate check.

``fold_name`` gives the lower-case, accent-free words of a name. Apostrophes and hyphens
join (every variant phones and word processors type), so ``O’Donnell``, ``O'Donnell``
and ``ODonnell`` fold alike, as do ``Smith-Jones`` and ``SmithJones``; any other
punctuation separates words, so ``Chalmers, Peter`` is the two words ``chalmers peter``.
Invisible format and control characters are dropped.
"""

import unicodedata

# Dropped inside a name: apostrophes, then hyphens and dashes.
JOINERS = frozenset("'’‘ʼ`´ʹ′‛" + "-‐‑‒–—―−")


def fold_name(text: str) -> str:
    """Words of ``text`` folded for matching, single-spaced ("Hélène O’Neil" -> "helene oneil")."""
    # Joiners go before decomposing: NFKD turns "´" into a space and a combining accent.
    joined = "".join(c for c in text or "" if c not in JOINERS)
    decomposed = unicodedata.normalize("NFKD", joined).casefold()
    kept = []
    for char in unicodedata.normalize("NFKD", decomposed):
        if unicodedata.combining(char) or char in JOINERS:
            continue
        if char.isalnum():
            kept.append(char)
        elif unicodedata.category(char)[0] != "C":  # spaces, punctuation, symbols
            kept.append(" ")
    return " ".join("".join(kept).split())


def name_key(text: str) -> str:
    """A name for equality: folded, with no spaces ("O' Donnell" == "ODonnell")."""
    return fold_name(text).replace(" ", "")
