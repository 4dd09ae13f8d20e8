"""The one page type: its counts, its refusals, and reading one from either database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from contactpoint.organisations.models import Organisation, OrganisationKind
from contactpoint.storage.paging import NoSuchPageError, Page, page_of, pages_for, read_page

totals = st.integers(min_value=0, max_value=5_000)
sizes = st.integers(min_value=1, max_value=300)


def test_nothing_at_all_is_one_empty_page():
    page = page_of([], number=1, size=10)

    assert (page.rows, page.total, page.pages, page.has_next) == ([], 0, 1, False)


def test_a_page_knows_whether_another_follows():
    rows = list(range(25))

    assert [page_of(rows, number=n, size=10).has_next for n in (1, 2, 3)] == [True, True, False]
    assert page_of(rows, number=3, size=10).rows == [20, 21, 22, 23, 24]


def test_a_refusal_names_the_page_and_how_many_there_are():
    with pytest.raises(NoSuchPageError, match=r"^there is no page 3: there are 2 pages$") as error:
        page_of(list(range(12)), number=3, size=10)

    assert (error.value.number, error.value.pages) == (3, 2)
    with pytest.raises(NoSuchPageError, match=r"^there is no page 0: the report has 1 page$"):
        page_of([], number=0, size=10, whole="the report has")


def test_a_page_cannot_hold_nothing():
    with pytest.raises(ValueError, match="at least 1 row"):
        page_of([1], number=1, size=0)


def test_a_page_converted_keeps_its_place_and_counts():
    page = page_of(list(range(7)), number=2, size=3).map(str)

    assert page == Page(["3", "4", "5"], number=2, size=3, total=7)


@given(totals, sizes, st.integers(min_value=-3, max_value=5_003))
def test_a_page_number_is_taken_exactly_when_it_is_one_of_the_pages(total, size, number):
    pages = pages_for(total, size=size)
    if 1 <= number <= pages:
        page = page_of(range(total), number=number, size=size)
        assert (page.number, page.size, page.total, page.pages) == (number, size, total, pages)
    else:
        with pytest.raises(NoSuchPageError) as refused:
            page_of(range(total), number=number, size=size)
        assert (refused.value.number, refused.value.pages) == (number, pages)


@given(totals, sizes)
def test_the_pages_hold_every_row_once_in_order_each_full_but_the_last(total, size):
    count = page_of(range(total), number=1, size=size).pages
    pages = [page_of(range(total), number=n, size=size) for n in range(1, count + 1)]

    assert [row for page in pages for row in page.rows] == list(range(total))
    assert all(len(page.rows) == size for page in pages[:-1])
    assert 0 < len(pages[-1].rows) <= size or total == 0
    assert [page.has_next for page in pages] == [True] * (len(pages) - 1) + [False]
    assert count == pages_for(total, size=size) == max(1, -(-total // size))
    assert total > (count - 1) * size or total == 0


def _organisations(session, count: int) -> list[int]:
    added = [
        Organisation(kind=OrganisationKind.SERVICE, code=f"P{n:03}", name=f"Paged {n}")
        for n in range(count)
    ]
    session.add_all(added)
    session.flush()
    return sorted(organisation.id for organisation in added)


def test_a_page_read_from_the_database_counts_the_whole_select_and_holds_one_window(db_session):
    ids = _organisations(db_session, 7)
    statement = select(Organisation.id, Organisation.code).where(Organisation.id.in_(ids))

    pages = [
        read_page(db_session, statement.order_by(Organisation.id), number=n, size=3)
        for n in (1, 2, 3)
    ]

    assert [[row[0] for row in page.rows] for page in pages] == [ids[:3], ids[3:6], ids[6:]]
    assert {(page.total, page.pages) for page in pages} == {(7, 3)}
    assert pages[0].rows[0] == (ids[0], "P000")


@pytest.mark.parametrize("number", [0, 3])
def test_a_page_past_the_database_rows_is_refused(db_session, number):
    ids = _organisations(db_session, 4)
    statement = select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.id)

    with pytest.raises(NoSuchPageError, match="there are 2 pages"):
        read_page(db_session, statement, number=number, size=2)
