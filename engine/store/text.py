"""Name normalisation for patient search in Arabic and Latin script.

``normalise`` folds what a receptionist should not have to type exactly: case and Latin
accents (é -> e), Arabic diacritics (tashkeel, superscript alef, tatweel), hamza and madda
forms of alef (أ إ آ ٱ -> ا), taa marbuta (ة -> ه), alef maqsura (ى -> ي), the Persian
forms of kaf and yeh, and Arabic-Indic digits (٣ -> 3).
"""

from __future__ import annotations

import unicodedata

_LETTERS = str.maketrans({
    "ٱ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك", "ـ": None,
    **{chr(0x0660 + d): str(d) for d in range(10)},
    **{chr(0x06F0 + d): str(d) for d in range(10)},
})


def normalise(text: str) -> str:
    """Fold ``text`` for searching; words are separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    folded = unicodedata.normalize("NFC", stripped).translate(_LETTERS).casefold()
    return " ".join(folded.split())


def search_text(*parts: str | None) -> str:
    """The stored search column: every name part, normalised, space-separated."""
    return " ".join(normalise(p) for p in parts if p)


def like_pattern(token: str) -> str:
    """``%token%`` with LIKE wildcards in ``token`` escaped (escape character ``\\``)."""
    escaped = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
