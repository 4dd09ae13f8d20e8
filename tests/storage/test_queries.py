"""The bulk query pieces behave the same on both databases."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from contactpoint.organisations.models import Organisation, OrganisationKind
from contactpoint.storage.queries import insert_tuples, one_of, refresh_statistics, reserve_ids


def _organisations(session, codes):
    session.add_all(
        Organisation(kind=OrganisationKind.SERVICE, code=code, name=f"Service {code}")
        for code in codes
    )
    session.flush()


def test_one_of_matches_text_and_integer_columns_like_in(db_session):
    _organisations(db_session, ["A1", "B2", "C3", "it's"])
    found = db_session.scalars(
        select(Organisation.code).where(one_of(db_session, Organisation.code, ["B2", "it's", "Z"]))
    )
    assert sorted(found) == ["B2", "it's"]
    ids = list(db_session.scalars(select(Organisation.id).where(Organisation.code == "C3")))
    by_id = db_session.scalars(
        select(Organisation.code).where(one_of(db_session, Organisation.id, ids))
    )
    assert list(by_id) == ["C3"]


def test_one_of_nothing_matches_nothing(db_session):
    _organisations(db_session, ["A1"])
    assert (
        list(
            db_session.scalars(
                select(Organisation.code).where(one_of(db_session, Organisation.code, []))
            )
        )
        == []
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    wanted=st.sets(st.text(min_size=1, max_size=12).filter(lambda s: "\x00" not in s), max_size=30)
)
def test_one_of_agrees_with_in_for_any_text(db_session, wanted):
    held = db_session.scalars(
        select(Organisation.code).where(one_of(db_session, Organisation.code, wanted))
    )
    expected = db_session.scalars(select(Organisation.code).where(Organisation.code.in_(wanted)))
    assert sorted(held) == sorted(expected)


def test_insert_tuples_writes_every_row(db_session):
    db_session.execute(
        text("CREATE TEMPORARY TABLE scratch_pairs (key VARCHAR(80), number INTEGER)")
    )
    rows = [(f"k{n}", n) for n in range(2500)]
    insert_tuples(db_session, "scratch_pairs", ("key", "number"), rows)
    insert_tuples(db_session, "scratch_pairs", ("key", "number"), [])
    back = db_session.execute(text("SELECT key, number FROM scratch_pairs ORDER BY number"))
    assert [tuple(row) for row in back] == rows


def test_refresh_statistics_lets_postgresql_see_the_table_grow(backend, db_session):
    _organisations(db_session, [f"S{n}" for n in range(500)])
    refresh_statistics(db_session)
    if backend == "postgresql":
        estimate = db_session.scalar(
            text("SELECT reltuples FROM pg_class WHERE relname = 'organisation'")
        )
        assert estimate >= 500
    else:  # SQLite plans from its indexes: no ANALYZE, so no statistics table
        stats = db_session.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        )
        assert stats == 0


def test_reserved_ids_are_new_and_the_next_plain_insert_comes_after_them(db_session):
    table = Organisation.__table__
    _organisations(db_session, ["S1", "S2"])
    held = set(db_session.scalars(select(Organisation.id)))
    first = reserve_ids(db_session, table, 3)
    assert len(set(first)) == 3
    assert not held & set(first)
    db_session.execute(
        table.insert(),
        [{"id": n, "kind": OrganisationKind.SCHOOL, "code": f"R{n}", "name": f"Reserved {n}"}
         for n in first],
    )  # fmt: skip
    _organisations(db_session, ["S3"])  # an id from the database itself
    [plain] = db_session.scalars(select(Organisation.id).where(Organisation.code == "S3"))
    assert plain > max(first)
    assert min(reserve_ids(db_session, table, 2)) > plain
    assert reserve_ids(db_session, table, 0) == []
