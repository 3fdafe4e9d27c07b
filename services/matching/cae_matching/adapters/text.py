"""French text as the search sees it: lower case, accents removed, stop words dropped,
each word reduced to its Snowball French stem, the stemmer PostgreSQL's ``french``
configuration uses ("développeuse", "Développement" -> ``developp``; "menuisières" ->
``menuisier``).

On PostgreSQL the database stems (``cae_french``: ``unaccent`` then ``french_stem``);
on SQLite, and for the taxonomy's labels on both, ``terms`` does it here the same way
(accents removed before stemming, as ``cae_french`` does).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[0-9a-z]+")
# PostgreSQL's french.stop words that matter in a profile, unaccented.
STOP_WORDS = frozenset("""
au aux avec ce ces dans de des du elle en et eux il je la le les leur lui ma mais me meme
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi
ton tu un une vos votre vous c d j l a m n s t y ete etee etees etes etant suis es est
sommes sont serai sera seront etais etait etions etaient fus fut ai as avons avez ont aurai
aura avais avait eu eue eus
""".split())

_stemmer = snowballstemmer.stemmer("french")


def unaccent(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def words(text: str) -> list[str]:
    """The words of ``text``, lower case and unaccented, stop words dropped."""
    return [w for w in _WORD.findall(unaccent(text).lower().replace("œ", "oe"))
            if w not in STOP_WORDS]


def terms(text: str) -> str:
    """The stems of ``text``, space separated, in order (duplicates kept)."""
    return " ".join(_stem(w) for w in words(text))


def fts5_query(text: str) -> str | None:
    """An FTS5 query matching documents holding every stem of ``text`` (None: no word)."""
    stems = dict.fromkeys(_stem(w) for w in words(text))
    return " AND ".join(f'"{s}"' for s in stems) or None
