"""Where the synthetic population lives: councils, towns and streets.

The population lives in Oxfordshire and the council areas around it, with a few
London boroughs that families move to and from. Oxfordshire holds the largest
share because its children's social care is the local source. Postcodes are
valid by format and in each council's postcode areas, but need not exist.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from faker.providers.person.en_GB import Provider as EnglishNames

from contactpoint.identifiers.postcode import generate_postcode
from contactpoint.synth.population import Address


@dataclass(frozen=True, slots=True)
class CouncilArea:
    """A council and its geography; ``la_code`` is the DfE local-authority number."""

    la_code: str
    name: str  # the area
    council_name: str
    postcode_areas: tuple[str, ...]
    towns: tuple[str, ...]
    share: float  # of the population's households


COUNCIL_AREAS: Final = (
    CouncilArea("931", "Oxfordshire", "Oxfordshire County Council", ("OX",),
                ("Oxford", "Banbury", "Bicester", "Abingdon", "Didcot", "Witney", "Wantage",
                 "Thame", "Henley-on-Thames", "Kidlington", "Carterton", "Wallingford"), 0.40),
    CouncilArea("825", "Buckinghamshire", "Buckinghamshire Council", ("HP", "SL"),
                ("Aylesbury", "High Wycombe", "Amersham", "Chesham", "Buckingham", "Marlow"), 0.12),
    CouncilArea("826", "Milton Keynes", "Milton Keynes City Council", ("MK",),
                ("Milton Keynes", "Bletchley", "Newport Pagnell"), 0.06),
    CouncilArea("869", "West Berkshire", "West Berkshire Council", ("RG",),
                ("Newbury", "Thatcham", "Hungerford"), 0.04),
    CouncilArea("870", "Reading", "Reading Borough Council", ("RG",),
                ("Reading", "Tilehurst", "Caversham"), 0.04),
    CouncilArea("866", "Swindon", "Swindon Borough Council", ("SN",),
                ("Swindon", "Highworth", "Wroughton"), 0.05),
    CouncilArea("916", "Gloucestershire", "Gloucestershire County Council", ("GL",),
                ("Gloucester", "Cheltenham", "Stroud", "Cirencester", "Tewkesbury"), 0.10),
    CouncilArea("937", "Warwickshire", "Warwickshire County Council", ("CV", "B"),
                ("Warwick", "Leamington Spa", "Rugby", "Nuneaton", "Stratford-upon-Avon"), 0.09),
    CouncilArea("941", "West Northamptonshire", "West Northamptonshire Council", ("NN",),
                ("Northampton", "Daventry", "Brackley"), 0.06),
    CouncilArea("202", "Camden", "Camden Council", ("NW", "WC"), ("London",), 0.02),
    CouncilArea("210", "Southwark", "Southwark Council", ("SE",), ("London",), 0.02),
)  # fmt: skip

HOME_COUNCIL: Final = COUNCIL_AREAS[0]

_STREET_TYPES: Final = (
    "Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Crescent", "Gardens",
    "Place", "Court", "Grove", "Terrace", "Walk", "Mews", "Rise", "Row", "Hill", "Green",
    "View", "Park", "Square",
)  # fmt: skip
_STREET_STEMS: Final = (
    "High", "Church", "Mill", "Station", "Park", "Victoria", "Queen's", "King's", "London",
    "Manor", "School", "North", "South", "Chapel", "Bridge", "Orchard", "Meadow", "Elm",
    "Oak", "Beech", "Willow", "Windmill", "St John's", "St Mary's", "Castle", "Abbey",
)  # fmt: skip
_HOUSE_NAMES: Final = (
    "Rose Cottage", "The Old Rectory", "Orchard House", "The Barn", "Ivy Cottage",
    "Meadow View", "The Laurels", "Holly Lodge", "Mill House", "The Coach House",
)  # fmt: skip
_LOCALITIES: Final = ("Old Town", "Northfield", "Westgate", "Southmoor", "Eastfield", "Headington")

FLAT_RATE: Final = 0.18
HOUSE_NAME_RATE: Final = 0.03
LOCALITY_RATE: Final = 0.10
HOUSEHOLDS_PER_STREET: Final = 30


# Streets named after English family names and first names, as Faker's en_GB does.
NAME_STEMS: Final = tuple(name for name in EnglishNames.last_names if name.isalpha()) + tuple(
    EnglishNames.first_names_female[:60]
)


@dataclass(frozen=True, slots=True)
class Street:
    name: str
    town: str
    postcode: str
    la_code: str


def _street_name(rng: random.Random) -> str:
    common = rng.random() < 0.4  # noqa: PLR2004 - two in five streets carry a common stem
    stem = rng.choice(_STREET_STEMS if common else NAME_STEMS)
    return f"{stem} {rng.choice(_STREET_TYPES)}"


def _street(rng: random.Random, area: CouncilArea) -> Street:
    return Street(
        name=_street_name(rng),
        town=rng.choice(area.towns),
        postcode=generate_postcode(rng, area=rng.choice(area.postcode_areas)),
        la_code=area.la_code,
    )


def build_streets(rng: random.Random, area: CouncilArea, households: int) -> tuple[Street, ...]:
    """Enough streets in the area for its share of ``households``."""
    count = max(20, round(households * area.share / HOUSEHOLDS_PER_STREET))
    return tuple(_street(rng, area) for _ in range(count))


def house_lines(rng: random.Random, street: Street) -> tuple[str, str]:
    """The first two address lines of a dwelling on the street."""
    number = rng.randint(1, 180)
    draw = rng.random()
    if draw < FLAT_RATE:
        return f"Flat {rng.randint(1, 24)}", f"{number} {street.name}"
    if draw < FLAT_RATE + HOUSE_NAME_RATE:
        return rng.choice(_HOUSE_NAMES), street.name
    locality = rng.choice(_LOCALITIES) if rng.random() < LOCALITY_RATE else ""
    return f"{number} {street.name}", locality


def build_geography(rng: random.Random, *, households: int) -> dict[str, tuple[Street, ...]]:
    """Streets for every council area, keyed by LA code."""
    return {area.la_code: build_streets(rng, area, households) for area in COUNCIL_AREAS}


def address_on(rng: random.Random, street: Street) -> Address:
    """A dwelling (or office) on the street."""
    line_1, line_2 = house_lines(rng, street)
    return Address(line_1, line_2, street.town, street.postcode, street.la_code)
