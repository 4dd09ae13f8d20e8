"""Name pools for the synthetic population, drawn once from Faker's locale lists.

England's children have names from many origins, so a household first draws an
origin (weighted roughly like England's population) and then names from that
origin's lists. Faker's provider lists are read directly and drawn from with our
own seeded ``random.Random``: per-call Faker methods are slow and would tie the
output to Faker's own random state.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from typing import Any, Final

from faker.providers.person.en_GB import Provider as EnglishNames
from faker.providers.person.en_IE import Provider as IrishNames
from faker.providers.person.en_IN import Provider as IndianNames
from faker.providers.person.es_ES import Provider as SpanishNames
from faker.providers.person.it_IT import Provider as ItalianNames
from faker.providers.person.pl_PL import Provider as PolishNames
from faker.providers.person.pt_PT import Provider as PortugueseNames
from faker.providers.person.ro_RO import Provider as RomanianNames
from faker.providers.person.tr_TR import Provider as TurkishNames
from faker.providers.person.yo_NG import Provider as YorubaNames

# One word of letters, optionally joined by hyphens or apostrophes: Faker's lists
# hold a few multi-word and malformed entries ("Anna Maria", "Emine.").
_ONE_NAME: Final = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")

# Popular names given to babies in England and Wales over the last twenty years
# (ONS baby-name tables): Faker's en_GB lists are names of today's adults.
BOYS_NAMES: Final = (
    "Oliver", "George", "Noah", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie",
    "Henry", "Theodore", "Freddie", "Jack", "Charlie", "Theo", "Alfie", "Jacob", "Thomas",
    "Finley", "Arlo", "William", "Lucas", "Roman", "Tommy", "Isaac", "Teddy", "Alexander",
    "Luca", "Edward", "James", "Joshua", "Albie", "Elijah", "Max", "Mohammed", "Reggie",
    "Harrison", "Sebastian", "Ronnie", "Logan", "Toby", "Jude", "Louie", "Ethan", "Hugo",
    "Rory", "Mason", "Ezra", "Daniel", "Samuel", "Adam", "Jaxon", "Dylan", "Harvey", "Joseph",
    "Louis", "Frederick", "Benjamin", "Riley", "Charles", "Reuben", "Jesse", "Hunter",
    "Albert", "Caleb", "Otis", "Finn", "Jenson", "Ellis", "Zachary", "Nathan", "Ibrahim",
    "Ali", "Yusuf", "Omar", "Aaron", "Felix", "Jasper", "Ryan", "Elliot", "Jayden", "Stanley",
    "Kai", "Bobby", "Ralph", "Michael", "Tyler", "Rowan", "Milo", "Gabriel", "Matthew",
    "Callum", "Lewis", "Connor", "Kian", "Liam", "Owen", "Patrick", "Seán", "Cillian", "Oisín",
    "Jamie", "Cameron", "Ayaan", "Zayn", "Hamza", "Musa",
)  # fmt: skip
GIRLS_NAMES: Final = (
    "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow",
    "Rosie", "Sophia", "Isabella", "Grace", "Daisy", "Sienna", "Poppy", "Elsie", "Emily",
    "Ella", "Evelyn", "Phoebe", "Sofia", "Evie", "Charlotte", "Harper", "Millie", "Matilda",
    "Maya", "Sophie", "Alice", "Emilia", "Isabelle", "Ruby", "Luna", "Maisie", "Aria",
    "Penelope", "Mila", "Bonnie", "Eva", "Hallie", "Eliza", "Ada", "Violet", "Esme",
    "Arabella", "Imogen", "Jessica", "Delilah", "Lottie", "Layla", "Elizabeth", "Margot",
    "Chloe", "Thea", "Hannah", "Zara", "Aisha", "Fatima", "Maryam", "Amira", "Niamh", "Eloise",
    "Erin", "Orla", "Nancy", "Beatrice", "Lucy", "Georgia", "Clara", "Harriet", "Anna",
    "Molly", "Scarlett", "Lola", "Lyla", "Nova", "Iris", "Edith", "Hazel", "Olive", "Mabel",
    "Heidi", "Robyn", "Megan", "Katie", "Abigail", "Rebecca", "Amber", "Leah", "Eleanor",
    "Victoria", "Katherine", "Jasmine", "Madison", "Summer", "Aoife", "Zoë", "Chloë", "Renée",
    "Noémie", "Siobhán", "Róisín", "Anaïs", "Zoe", "Hafsa", "Inaaya",
)  # fmt: skip

# Formal given names and the short forms pupils are known by at school.
NICKNAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "Abigail": ("Abi", "Abby"), "Albert": ("Albie", "Bert"), "Alexander": ("Alex", "Xander"),
    "Alexandra": ("Alex", "Lexi"), "Alfred": ("Alfie",), "Amelia": ("Millie", "Amy"), "Andrew":
    ("Andy", "Drew"), "Anthony": ("Tony", "Ant"), "Archibald": ("Archie",), "Beatrice": ("Bea",),
    "Benjamin": ("Ben", "Benji"), "Cameron": ("Cam",), "Catherine": ("Cathy", "Kate"), "Charles":
    ("Charlie",), "Charlotte": ("Lottie", "Charlie"), "Christopher": ("Chris", "Kit"), "Daniel":
    ("Dan", "Danny"), "David": ("Dave", "Davey"), "Dominic": ("Dom",), "Edward": ("Ed", "Eddie",
    "Ted"), "Eleanor": ("Ellie", "Nell"), "Elijah": ("Eli",), "Elizabeth": ("Beth", "Liz",
    "Lizzie", "Eliza"), "Emily": ("Em", "Emmy"), "Evelyn": ("Evie",), "Florence": ("Flo",
    "Florrie"), "Frederick": ("Freddie", "Fred"), "Gabriel": ("Gabe",), "George": ("Georgie",),
    "Georgia": ("Georgie",), "Gregory": ("Greg",), "Harriet": ("Hattie",), "Harrison":
    ("Harry",), "Henry": ("Harry", "Hal"), "Imogen": ("Immy",), "Isabella": ("Bella", "Izzy"),
    "Isabelle": ("Izzy", "Belle"), "Jacob": ("Jake",), "James": ("Jamie", "Jim"), "Jasmine":
    ("Jas",), "Jennifer": ("Jen", "Jenny"), "Jessica": ("Jess", "Jessie"), "Jonathan": ("Jon",
    "Johnny"), "Joseph": ("Joe", "Joey"), "Josephine": ("Josie", "Jo"), "Joshua": ("Josh",),
    "Katherine": ("Kate", "Katie", "Kat"), "Louis": ("Lou",), "Madison": ("Maddie",), "Margaret":
    ("Maggie", "Meg"), "Matilda": ("Tilly", "Tilda"), "Matthew": ("Matt",), "Maximilian":
    ("Max",), "Michael": ("Mike", "Mikey"), "Mohammed": ("Mo",), "Muhammad": ("Mo",), "Nathan":
    ("Nate",), "Nicholas": ("Nick", "Nicky"), "Oliver": ("Ollie", "Olly"), "Olivia": ("Liv",
    "Livvy"), "Patrick": ("Pat", "Paddy"), "Penelope": ("Penny",), "Peter": ("Pete",), "Philip":
    ("Phil",), "Rebecca": ("Becky", "Becca"), "Richard": ("Rich", "Ricky"), "Robert": ("Rob",
    "Bobby"), "Ronald": ("Ronnie",), "Samantha": ("Sam",), "Samuel": ("Sam", "Sammy"),
    "Sebastian": ("Seb",), "Sophia": ("Sophie",), "Stanley": ("Stan",), "Stephen": ("Steve",),
    "Theodore": ("Theo", "Teddy"), "Thomas": ("Tom", "Tommy"), "Timothy": ("Tim",), "Tobias":
    ("Toby",), "Victoria": ("Vicky", "Tori"), "William": ("Will", "Bill", "Billy", "Liam"),
    "Zachary": ("Zach", "Zac"), "Jakub": ("Kuba",), "Aleksandra": ("Ola",), "Katarzyna":
    ("Kasia",), "Zofia": ("Zosia",), "Abdullah": ("Abdul",), "Natalie": ("Nat",), "Reginald":
    ("Reggie",), "Louise": ("Lou",), "Rosemary": ("Rosie",),
}  # fmt: skip

# Family names with an apostrophe; Faker's en_GB list has few of them.
APOSTROPHE_FAMILY_NAMES: Final = (
    "O'Brien", "O'Connor", "O'Neill", "O'Sullivan", "O'Reilly", "O'Donnell", "O'Hara",
    "O'Leary", "O'Callaghan", "D'Souza", "D'Costa", "D'Silva", "O'Dowd", "O'Mahony",
)  # fmt: skip

# British families of Pakistani and Bangladeshi heritage: Faker has no such list.
SOUTH_ASIAN_FAMILY_NAMES: Final = (
    "Khan", "Ahmed", "Hussain", "Ali", "Akhtar", "Iqbal", "Malik", "Rahman", "Islam",
    "Mahmood", "Shah", "Chowdhury", "Miah", "Uddin", "Butt", "Aslam", "Rashid", "Hassan",
    "Javed", "Bibi", "Kaur", "Singh", "Patel", "Begum",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class NameOrigin:
    """Names of one heritage: children's, adults', and family names (with weights)."""

    label: str
    boys: tuple[str, ...]
    girls: tuple[str, ...]
    men: tuple[str, ...]
    women: tuple[str, ...]
    family_names: tuple[str, ...]
    family_name_cumulative_weights: tuple[float, ...]

    def family_name(self, rng: random.Random) -> str:
        return rng.choices(self.family_names, cum_weights=self.family_name_cumulative_weights)[0]


@dataclass(frozen=True, slots=True)
class NamePools:
    """All origins and their cumulative weights, for ``rng.choices``."""

    origins: tuple[NameOrigin, ...]
    cumulative_weights: tuple[float, ...]


def _clean(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if _ONE_NAME.fullmatch(name)))


def _flat(names: Iterable[str]) -> tuple[float, ...]:
    return tuple(1.0 for _ in names)


def _origin(
    label: str, boys: Iterable[str], girls: Iterable[str], family: Iterable[str]
) -> NameOrigin:
    children_boys, children_girls, family_names = _clean(boys), _clean(girls), _clean(family)
    return NameOrigin(
        label=label,
        boys=children_boys,
        girls=children_girls,
        men=children_boys,
        women=children_girls,
        family_names=family_names,
        family_name_cumulative_weights=tuple(accumulate(_flat(family_names))),
    )


# Given names follow a long-tailed popularity curve: the most popular boy's or
# girl's name is given to about 2% of babies, and most names are rare. A rank-r
# name from the ONS-ordered lists gets weight 1 / (r + 20); older names from
# Faker's adult lists share what is left.
POPULARITY_OFFSET: Final = 20
OLDER_NAME_SHARE: Final = 0.15


def _by_popularity(ranked: Iterable[str], older: Iterable[str]) -> tuple[str, ...]:
    """A pool in which a uniform draw follows popularity: names repeat by their weight."""
    popular = _clean(ranked)
    rest = tuple(name for name in _clean(older) if name not in set(popular))
    weights = [1 / (rank + POPULARITY_OFFSET) for rank in range(1, len(popular) + 1)]
    entries = len(rest) * (1 - OLDER_NAME_SHARE) / OLDER_NAME_SHARE
    scale = entries / sum(weights)
    repeated = (
        name
        for name, weight in zip(popular, weights, strict=True)
        for _ in range(max(1, round(weight * scale)))
    )
    return (*repeated, *rest)


def _british() -> NameOrigin:
    weighted: dict[str, float] = {
        name: weight
        for name, weight in EnglishNames.last_names.items()
        if _ONE_NAME.fullmatch(name)
    }
    for name in APOSTROPHE_FAMILY_NAMES:
        weighted.setdefault(name, 0.02)
    return NameOrigin(
        label="british",
        boys=_by_popularity(BOYS_NAMES, EnglishNames.first_names_male),
        girls=_by_popularity(GIRLS_NAMES, EnglishNames.first_names_female),
        men=_clean(EnglishNames.first_names_male),
        women=_clean(EnglishNames.first_names_female),
        family_names=tuple(weighted),
        family_name_cumulative_weights=tuple(accumulate(weighted.values())),
    )


def _south_asian() -> NameOrigin:
    boys = (*IndianNames.first_names_male, "Muhammad", "Mohammed", "Ibrahim", "Yusuf", "Zayn")
    girls = (*IndianNames.first_names_female, "Aisha", "Fatima", "Maryam", "Hafsa", "Inaaya")
    family = (*SOUTH_ASIAN_FAMILY_NAMES * 4, *IndianNames.last_names)
    return _origin("south_asian", boys, girls, family)


# Shares roughly like the heritage of England's children; the rest are British.
_ORIGIN_WEIGHTS: Final = {
    "british": 0.72,
    "south_asian": 0.10,
    "polish": 0.04,
    "nigerian": 0.04,
    "irish": 0.03,
    "romanian": 0.025,
    "portuguese": 0.015,
    "turkish": 0.01,
    "italian": 0.01,
    "spanish": 0.01,
}


def _from_provider(label: str, provider: Any, family: Iterable[str] | None = None) -> NameOrigin:
    men, women = provider.first_names_male, provider.first_names_female
    return _origin(label, men, women, provider.last_names if family is None else family)


def _other_origins() -> tuple[NameOrigin, ...]:
    polish_family = PolishNames.unisex_last_names + PolishNames.male_last_names
    return (
        _from_provider("polish", PolishNames, polish_family),
        _from_provider("nigerian", YorubaNames),
        _from_provider("irish", IrishNames),
        _from_provider("romanian", RomanianNames),
        _from_provider("portuguese", PortugueseNames),
        _from_provider("turkish", TurkishNames),
        _from_provider("italian", ItalianNames),
        _from_provider("spanish", SpanishNames),
    )


@cache
def name_pools() -> NamePools:
    """The name pools, built once per process (cheap: tuples from Faker's modules)."""
    origins = (_british(), _south_asian(), *_other_origins())
    weights = [_ORIGIN_WEIGHTS[origin.label] for origin in origins]
    return NamePools(origins=origins, cumulative_weights=tuple(accumulate(weights)))


def nicknames_for(given_name: str) -> tuple[str, ...]:
    """The short forms a child called ``given_name`` may be known by (may be empty)."""
    return NICKNAMES.get(given_name, ())
