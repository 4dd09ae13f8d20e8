"""Which given names are the same person's name: nicknames and short forms.

The `nicknames` package's curated English list is American in flavour; the
supplement adds short forms common in British schools that it lacks. Both are
read once, on first use, never at import time.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from nicknames import NickNamer

# Formal name -> short forms in everyday British use that the curated list lacks.
BRITISH_SHORT_FORMS: Final = {
    "albert": ("albie", "bertie"),
    "alexander": ("xander", "lex"),
    "alexandra": ("lexi", "lexie", "sasha"),
    "alfred": ("alfie", "alf"),
    "aleksandra": ("ola",),
    "amelia": ("millie", "milly"),
    "archibald": ("archie",),
    "beatrice": ("bea",),
    "benjamin": ("benji",),
    "charlotte": ("lottie", "charlie"),
    "eleanor": ("ellie", "nell", "nellie"),
    "evelyn": ("evie",),
    "florence": ("flo", "florrie"),
    "frederick": ("freddie", "freddy"),
    "georgia": ("georgie",),
    "george": ("georgie",),
    "harriet": ("hattie",),
    "imogen": ("immy",),
    "isabel": ("izzy", "issy", "bella"),
    "isabella": ("izzy", "issy", "bella"),
    "isabelle": ("izzy", "issy", "belle"),
    "jakub": ("kuba",),
    "jasmine": ("jas", "jazz"),
    "katarzyna": ("kasia",),
    "madison": ("maddie",),
    "madeleine": ("maddie",),
    "matilda": ("tilly", "tilda"),
    "mohammed": ("mo",),
    "muhammad": ("mo",),
    "olivia": ("liv", "livvy", "livia"),
    "oliver": ("olly",),
    "rosemary": ("rosie",),
    "rose": ("rosie",),
    "theodore": ("theo", "teddy"),
    "william": ("liam",),
    "zachary": ("zac", "zach"),
    "zofia": ("zosia",),
}


@cache
def _namer() -> NickNamer:
    return NickNamer()


@cache
def _supplement() -> dict[str, frozenset[str]]:
    related: dict[str, set[str]] = {}
    for formal, short_forms in BRITISH_SHORT_FORMS.items():
        for short in short_forms:
            related.setdefault(formal, set()).add(short)
            related.setdefault(short, set()).add(formal)
    return {name: frozenset(names) for name, names in related.items()}


@cache
def related_given_names(name: str) -> frozenset[str]:
    """The name's nicknames and the formal names it is a nickname of (normalised, lower case).

    The relation is symmetric: ``b in related_given_names(a)`` exactly when
    ``a in related_given_names(b)``, so comparisons that use it are symmetric.
    """
    if not name:
        return frozenset()
    namer = _namer()
    found = set(namer.nicknames_of(name)) | set(namer.canonicals_of(name))
    found |= _supplement().get(name, frozenset())
    found.discard(name)
    return frozenset(found)
