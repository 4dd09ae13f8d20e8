"""A candidate's linkage record read straight from its stored payload is the row's own."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from contactpoint.linkage.index import record_for_row, record_from_payload
from contactpoint.provenance.reported import AddressRow, CarerRow, ChildRow, payload
from contactpoint.vocabulary import AddressStatus, CarerRelationship, Gender

NAMES = st.sampled_from(["Isabelle", "O'Neil", "Barton-Singh", "Zoë", "Jo", "li", "Ann Marie"])
OPTIONAL_NAMES = st.none() | NAMES
DATES = st.none() | st.dates(dt.date(2006, 1, 1), dt.date(2026, 11, 30))

addresses = st.none() | st.builds(
    AddressRow,
    status=st.sampled_from(list(AddressStatus)),
    line_1=st.none() | st.sampled_from(["100 School Grove", "Flat 2, 3 Mill Lane"]),
    line_2=st.none(),
    town=st.none() | st.just("Oxford"),
    postcode=st.none() | st.sampled_from(["OX5V 9JP", "OX1 2AB"]),
)
carers = st.builds(
    CarerRow,
    given_name=OPTIONAL_NAMES,
    family_name=OPTIONAL_NAMES,
    relationship=st.none() | st.sampled_from(list(CarerRelationship)),
    phone=st.none(),
    email=st.none(),
)
rows = st.builds(
    ChildRow,
    line=st.just(2),
    record_id=st.just("R1"),
    given_name=NAMES,
    middle_names=OPTIONAL_NAMES,
    family_name=NAMES,
    former_family_names=st.lists(NAMES, max_size=2).map(tuple),
    gender=st.sampled_from(list(Gender)),
    date_of_birth=DATES,
    date_of_death=DATES,
    address=addresses,
    nhs_number=st.none() | st.sampled_from(["9998234786", "999 823 4786"]),
    upn=st.none() | st.sampled_from(["W100400018000", " p100200422000 "]),
    carers=st.lists(carers, max_size=3).map(tuple),
    school_urn=st.none(),
    school_start_date=st.none(),
    gp_practice_code=st.none(),
)


@settings(max_examples=300)
@given(rows)
def test_the_record_from_a_payload_is_the_record_of_its_row(row: ChildRow) -> None:
    from_row = record_for_row(row)
    from_payload = record_from_payload(payload(row))
    assert from_payload == from_row
    assert from_payload.features == from_row.features  # not part of the record's equality
