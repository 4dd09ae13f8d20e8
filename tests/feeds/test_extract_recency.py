"""An old extract sent again never overrides newer values: it neither ends nor brings back.

A record is never changed or ended by an extract older than the newest that set it
or carried it unchanged, and an ended record is never brought back by an extract
older than the one that ended it. Children and involvements alike; full extracts
and deltas alike.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from contactpoint.directory.models import ChildName
from contactpoint.feeds.models import FeedLoadConfirmation, LoadMode, LoadStatus
from contactpoint.feeds.problems import Level
from contactpoint.feeds.undo import undo_load
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus

from feed_files import child_csv, csv_bytes
from loads import OPERATOR, Loads

CHILDREN = [
    {"record_id": f"H{n}", "given_name": given, "family_name": family, "date_of_birth": born,
     "nhs_number": "", "upn": "", "postcode": ""}
    for n, (given, family, born) in enumerate([
        ("Amelia", "Barton", "2014-07-21"), ("Oliver", "Hughes", "2016-03-02"),
        ("Isla", "Patel", "2012-11-30"), ("Noah", "Okafor", "2019-05-14"),
        ("Freya", "Jones", "2011-01-09"), ("Arlo", "Smith", "2020-08-08"),
        ("Ivy", "Brown", "2013-02-17"), ("Leo", "Taylor", "2015-12-25"),
        ("Mia", "Wilson", "2017-06-06"), ("Theo", "Evans", "2018-09-19"),
    ])
]  # fmt: skip
NEW_CHILD = {**CHILDREN[0], "record_id": "H10", "given_name": "Esme", "family_name": "Clarke"}
OLDEST, OLDER, OLD, NEWER, NEWEST = (dt.date(2026, 11, day) for day in (10, 20, 22, 25, 26))
INVOLVEMENT_HEADER = ("record_id", "child_record_id", "service_name", "service_type",
                      "practitioner_name", "start_date", "action")  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health")


def renamed(child: dict[str, str], given_name: str) -> dict[str, str]:
    return {**child, "given_name": given_name}


def deleted(child: dict[str, str]) -> dict[str, str]:
    return {**child, "action": "delete"}


def record(loads: Loads, key: str, feed: Feed = Feed.CHILDREN) -> SourceRecord:
    with loads.sessions() as session:
        found = session.scalar(
            select(SourceRecord).where(SourceRecord.record_key == key, SourceRecord.feed == feed)
        )
        assert found is not None
        session.expunge(found)
        return found


def notes(report, line: int | None = None) -> list[str]:
    return [
        p.reason
        for p in report.problems
        if p.level is Level.NOTE and (line is None or p.line == line) and p.column is None
    ]


def live_keys(loads: Loads) -> set[str]:
    return {record_id for _, record_id, _ in loads.links()}


# --- a full extract ends only what no newer extract set ------------------------------


def test_an_older_full_extract_does_not_end_records_a_newer_extract_added_or_updated(loads):
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDEST)
    newer = child_csv(NEW_CHILD, renamed(CHILDREN[1], "Olly"))
    loads.load("health", newer, mode=LoadMode.DELTA, extracted_on=NEWER)
    report = loads.load("health", child_csv(*CHILDREN[:9]), extracted_on=OLDER)
    assert report.status is LoadStatus.COMPLETED
    counts = report.counts
    assert (counts["ended"], counts["updated"], counts["unchanged"]) == (1, 0, 9)
    assert live_keys(loads) == {f"H{n}" for n in range(9)} | {"H10"}
    assert record(loads, "H1").given_name == "Olly"
    [kept] = notes(report, line=0)
    assert "1 record" in kept
    assert "2026-11-25" in kept
    [older_row] = notes(report, line=3)  # H1's row, older than the version held
    assert "in a newer extract" in older_row
    assert "2026-11-25" in older_row


def test_the_mass_end_guard_counts_only_the_records_that_would_really_end(loads):
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDEST)
    newer = child_csv(*(renamed(child, child["given_name"] + "e") for child in CHILDREN[1:6]))
    loads.load("health", newer, mode=LoadMode.DELTA, extracted_on=NEWER)
    # H1-H6 are missing: H1-H5 were sent on the 25th, so only H6 (one in ten) ends.
    report = loads.load("health", child_csv(CHILDREN[0], *CHILDREN[7:]), extracted_on=OLDER)
    assert report.status is LoadStatus.COMPLETED
    assert report.counts["ended"] == 1
    assert "H6" not in live_keys(loads)
    [kept] = notes(report, line=0)
    assert "5 records" in kept
    # H1-H5 and H7-H9 missing: H7-H9 would end, 3 of 9 live records, so the guard stops it.
    refused = loads.load("health", child_csv(CHILDREN[0]), extracted_on=OLDER)
    assert refused.status is LoadStatus.REFUSED
    assert refused.refusal is not None
    assert "would end 3 of the source's 9 live records" in refused.refusal


def test_the_mass_end_guard_counts_the_records_a_full_extracts_delete_rows_end(loads):
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDEST)
    loads.load("health", child_csv(CHILDREN[3]), mode=LoadMode.DELTA, extracted_on=NEWEST)
    # Two delete rows end 2 of 10 (H3, left out, was carried by a newer extract: it
    # stays): the guard stops it.
    rows = [deleted(CHILDREN[1]), deleted(CHILDREN[2]), *CHILDREN[4:]]
    refused = loads.load("health", child_csv(CHILDREN[0], *rows), extracted_on=NEWER)
    assert refused.status is LoadStatus.REFUSED
    assert "would end 2 of the source's 10 live records" in (refused.refusal or "")
    # H3's delete row is older than the extract that last carried H3: it ends nothing,
    # so one delete row and no record left out end 1 of 10, which the guard lets by.
    rows = [deleted(CHILDREN[1]), CHILDREN[2], deleted(CHILDREN[3]), *CHILDREN[4:]]
    report = loads.load("health", child_csv(CHILDREN[0], *rows), extracted_on=NEWER)
    assert report.status is LoadStatus.COMPLETED
    assert (report.counts["ended"], report.counts["unchanged"]) == (1, 9)
    assert live_keys(loads) == {f"H{n}" for n in range(10)} - {"H1"}


def test_a_delete_row_repeated_in_a_long_full_extract_counts_once_in_the_guard(loads, monkeypatch):
    """In chunks (pass one cannot yet tell repeats apart) and with the guard's keys asked
    in batches of one (as 5,000 rows apart), H1's two delete rows end one record, a tenth
    of ten: the guard lets it by, and the repeat is rejected."""
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", 4)
    monkeypatch.setattr("contactpoint.feeds.full_extracts.END_BATCH", 1)
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDEST)
    rows = [deleted(CHILDREN[1]), CHILDREN[0], *CHILDREN[2:], deleted(CHILDREN[1])]
    report = loads.load("health", child_csv(*rows), extracted_on=NEWER)
    assert report.status is LoadStatus.COMPLETED, report.refusal
    assert (report.counts["ended"], report.counts["rejected"]) == (1, 1)


# --- an ended record comes back only with an extract at least as new ---------------


@pytest.mark.parametrize("ended_by", [LoadMode.DELTA, LoadMode.FULL])
@pytest.mark.parametrize("mode", [LoadMode.FULL, LoadMode.DELTA])
def test_an_older_row_does_not_bring_back_a_record_a_newer_extract_ended(loads, ended_by, mode):
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDER)
    if ended_by is LoadMode.DELTA:
        ending = loads.load("health", child_csv(deleted(CHILDREN[3])), mode=ended_by,
                            extracted_on=NEWER)  # fmt: skip
    else:
        ending = loads.load("health", child_csv(*CHILDREN[:3], *CHILDREN[4:]), extracted_on=NEWER)
    assert ending.counts["ended"] == 1
    rows = CHILDREN if mode is LoadMode.FULL else [CHILDREN[3]]
    report = loads.load("health", child_csv(*rows), mode=mode, extracted_on=OLD)
    assert (report.counts["updated"], report.counts["ended"]) == (0, 0)
    assert report.counts["unchanged"] == len(rows)
    assert "H3" not in live_keys(loads)
    assert record(loads, "H3").status is SourceRecordStatus.ENDED
    [note] = notes(report, line=rows.index(CHILDREN[3]) + 2)
    assert "ended the record in a newer extract (extracted on 2026-11-25)" in note
    assert "does not bring it back" in note
    again = loads.load("health", child_csv(CHILDREN[3]), mode=LoadMode.DELTA, extracted_on=NEWER)
    assert again.counts["updated"] == 1  # an extract as new as the ending one brings it back
    assert "H3" in live_keys(loads)


# --- a delta's delete ends only what no newer extract set ----------------------------


def test_an_older_delete_does_not_end_a_record_a_newer_extract_sent(loads):
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDER)
    loads.load("health", child_csv(renamed(CHILDREN[2], "Isabel")), mode=LoadMode.DELTA,
               extracted_on=NEWEST)  # fmt: skip
    report = loads.load("health", child_csv(deleted(CHILDREN[2]), deleted(CHILDREN[3])),
                        mode=LoadMode.DELTA, extracted_on=NEWER)  # fmt: skip
    assert (report.counts["ended"], report.counts["unchanged"]) == (1, 1)
    assert live_keys(loads) == {f"H{n}" for n in range(10)} - {"H3"}
    [note] = notes(report, line=2)
    assert "sent the record in a newer extract (extracted on 2026-11-26)" in note
    assert "does not end it" in note
    assert record(loads, "H3").extracted_on == NEWER  # the date of the extract that ended it


def test_undoing_a_delete_gives_the_record_back_its_own_extract_date(loads):
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDER)
    ending = loads.load("health", child_csv(deleted(CHILDREN[3])), mode=LoadMode.DELTA,
                        extracted_on=NEWEST)  # fmt: skip
    assert record(loads, "H3").extracted_on == NEWEST
    with loads.sessions() as session:
        undo_load(session, by=OPERATOR, load_id=ending.load_id)
        session.commit()
    restored = record(loads, "H3")
    assert (restored.status, restored.extracted_on) == (SourceRecordStatus.LIVE, OLDER)
    report = loads.load("health", child_csv(renamed(CHILDREN[3], "Noa")), mode=LoadMode.DELTA,
                        extracted_on=OLD)  # fmt: skip
    assert report.counts["updated"] == 1


# --- a record a newer extract carried unchanged is as new as that extract ----------


def test_a_newer_delta_carrying_a_record_unchanged_keeps_older_extracts_off_it(loads):
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDEST)
    carried = loads.load("health", child_csv(CHILDREN[2], CHILDREN[3]), mode=LoadMode.DELTA,
                         extracted_on=NEWEST)  # fmt: skip
    assert carried.counts["unchanged"] == 2
    kept = record(loads, "H2")
    assert (kept.extracted_on, kept.confirmed_on) == (OLDEST, NEWEST)

    older = loads.load("health", child_csv(renamed(CHILDREN[2], "Isabel"), deleted(CHILDREN[3])),
                       mode=LoadMode.DELTA, extracted_on=OLD)  # fmt: skip
    assert (older.counts["updated"], older.counts["ended"], older.counts["unchanged"]) == (0, 0, 2)
    assert "sent the record in a newer extract (extracted on 2026-11-26)" in notes(older, 2)[0]
    assert "does not end it" in notes(older, 3)[0]
    full = loads.load("health", child_csv(*CHILDREN[4:]), extracted_on=NEWER, allow_mass_end=True)
    assert full.counts["ended"] == 2  # H0, H1: sent on the 10th only; H2 and H3 are kept
    assert live_keys(loads) == {f"H{n}" for n in range(2, 10)}
    assert "2 records" in notes(full, line=0)[0]

    # The values keep the date they were set on: the newer extract only confirmed them.
    with loads.sessions() as session:
        isla = session.scalars(select(ChildName).where(ChildName.given_name == "Isla")).one()
        assert isla.observed_on == OLDEST
        assert session.scalar(select(ChildName).where(ChildName.given_name == "Isabel")) is None
    later = loads.load("health", child_csv(renamed(CHILDREN[2], "Isabel")), mode=LoadMode.DELTA,
                       extracted_on=NEWEST)  # fmt: skip
    assert later.counts["updated"] == 1  # an extract as new as the confirmation does change it
    changed = record(loads, "H2")
    assert (changed.extracted_on, changed.confirmed_on) == (NEWEST, None)


def confirmations(loads: Loads) -> list[tuple[str, str, dt.date | None]]:
    """Undo's runs of confirmed records: (first record_id, last record_id, date before)."""
    with loads.sessions() as session:
        runs = session.scalars(select(FeedLoadConfirmation).order_by(FeedLoadConfirmation.id))
        keys = {row.id: row.record_key for row in session.execute(select(SourceRecord))
                .scalars()}  # fmt: skip
        return [
            (keys[run.first_record_id], keys[run.last_record_id], run.previous_confirmed_on)
            for run in runs
        ]


def test_only_an_extract_newer_than_any_that_sent_a_record_confirms_it(loads):
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDER)
    again = loads.load("health", child_csv(*CHILDREN), extracted_on=OLDER)
    assert again.counts["unchanged"] == len(CHILDREN)
    assert confirmations(loads) == []  # the same extract again writes nothing
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDEST)  # older: nothing either
    assert confirmations(loads) == []
    assert record(loads, "H0").confirmed_on is None

    loads.load("health", child_csv(*CHILDREN), extracted_on=NEWER)
    assert confirmations(loads) == [("H0", "H9", None)]  # one run: ten records in a row
    loads.load("health", child_csv(CHILDREN[0]), mode=LoadMode.DELTA, extracted_on=NEWEST)
    assert confirmations(loads)[-1] == ("H0", "H0", NEWER)
    assert record(loads, "H0").confirmed_on == NEWEST


def test_undo_gives_carried_and_changed_records_back_their_earlier_confirmation(loads):
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDEST)
    loads.load("health", child_csv(CHILDREN[1]), mode=LoadMode.DELTA, extracted_on=OLD)
    newest = loads.load("health", child_csv(CHILDREN[1], renamed(CHILDREN[4], "Fern")),
                        mode=LoadMode.DELTA, extracted_on=NEWEST)  # fmt: skip
    with loads.sessions() as session:
        undo_load(session, by=OPERATOR, load_id=newest.load_id)
        session.commit()
    assert record(loads, "H1").confirmed_on == OLD  # carried by the undone load: back to OLD
    renaming = loads.load("health", child_csv(renamed(CHILDREN[1], "Olly")),
                          mode=LoadMode.DELTA, extracted_on=OLDER)  # fmt: skip
    assert renaming.counts["updated"] == 0  # still newer than the 20th: OLD confirmed it

    loads.load("health", child_csv(CHILDREN[4]), mode=LoadMode.DELTA, extracted_on=OLD)
    update = loads.load("health", child_csv(renamed(CHILDREN[4], "Fern")), mode=LoadMode.DELTA,
                        extracted_on=NEWEST)  # fmt: skip
    assert record(loads, "H4").confirmed_on is None
    with loads.sessions() as session:
        undo_load(session, by=OPERATOR, load_id=update.load_id)
        session.commit()
    restored = record(loads, "H4")
    assert (restored.extracted_on, restored.confirmed_on) == (OLDEST, OLD)
    assert "Freya" in (restored.payload or "")


# --- involvements follow the same rules ---------------------------------------------


def involvements(*rows: tuple[str, str, str] | tuple[str, str, str, str]) -> bytes:
    """Rows of (record_id, child_record_id, practitioner_name[, action])."""
    return csv_bytes(INVOLVEMENT_HEADER, [
        [key, child, "Oxford Health Visiting", "health_visiting", practitioner, "2025-01-01",
         action[0] if action else ""]
        for key, child, practitioner, *action in rows
    ])  # fmt: skip


def load_involvements(loads: Loads, data: bytes, *, mode: LoadMode, on: dt.date):
    return loads.load("health", data, feed=Feed.INVOLVEMENTS, mode=mode, extracted_on=on)


@pytest.fixture
def involved(loads) -> Loads:
    """Children from the 20th; involvements I1-I3 from the 20th, then a delta of the 25th
    that adds I4, changes I2's practitioner and deletes I3."""
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDER)
    first = involvements(("I1", "H0", "Ann"), ("I2", "H1", "Bea"), ("I3", "H2", "Cal"))
    load_involvements(loads, first, mode=LoadMode.FULL, on=OLDER)
    newer = involvements(("I4", "H0", "Dee"), ("I2", "H1", "Eve"), ("I3", "H2", "Cal", "delete"))
    load_involvements(loads, newer, mode=LoadMode.DELTA, on=NEWER)
    return loads


def test_an_older_full_involvement_extract_neither_ends_nor_brings_back_newer_ones(involved):
    older = involvements(("I1", "H0", "Ann"), ("I2", "H1", "Bea"), ("I3", "H2", "Cal"))
    report = load_involvements(involved, older, mode=LoadMode.FULL, on=OLD)
    assert report.status is LoadStatus.COMPLETED
    counts = report.counts
    assert (counts["ended"], counts["updated"], counts["unchanged"]) == (0, 0, 3)
    assert record(involved, "I4", Feed.INVOLVEMENTS).status is SourceRecordStatus.LIVE
    assert record(involved, "I3", Feed.INVOLVEMENTS).status is SourceRecordStatus.ENDED
    assert "Eve" in (record(involved, "I2", Feed.INVOLVEMENTS).payload or "")
    assert "in a newer extract" in notes(report, line=3)[0]
    assert "does not bring it back" in notes(report, line=4)[0]
    [kept] = notes(report, line=0)
    assert "1 record" in kept


def test_an_older_involvement_delete_does_not_end_a_newer_involvement(involved):
    older = involvements(("I2", "H1", "Bea", "delete"), ("I1", "H0", "Ann", "delete"))
    report = load_involvements(involved, older, mode=LoadMode.DELTA, on=OLD)
    assert (report.counts["ended"], report.counts["unchanged"]) == (1, 1)
    assert record(involved, "I2", Feed.INVOLVEMENTS).status is SourceRecordStatus.LIVE
    assert record(involved, "I1", Feed.INVOLVEMENTS).status is SourceRecordStatus.ENDED
    [note] = notes(report, line=2)
    assert "does not end it" in note


def test_an_older_involvement_delta_does_not_touch_one_a_newer_delta_carried(involved):
    carried = involvements(("I1", "H0", "Ann"))
    load_involvements(involved, carried, mode=LoadMode.DELTA, on=NEWEST)
    older = involvements(("I1", "H0", "Ann", "delete"))
    report = load_involvements(involved, older, mode=LoadMode.DELTA, on=NEWER)
    assert (report.counts["ended"], report.counts["unchanged"]) == (0, 1)
    assert record(involved, "I1", Feed.INVOLVEMENTS).status is SourceRecordStatus.LIVE


def test_an_older_full_extract_sent_after_a_newer_full_one_ends_nothing(loads):
    """The newer full extract carried H9 unchanged, so H9 still holds the oldest date:
    the old extract sent again must not end what the newer one confirmed."""
    loads.load("health", child_csv(*CHILDREN), extracted_on=OLDEST)
    confirmed = loads.load("health", child_csv(*CHILDREN), extracted_on=NEWER)
    assert confirmed.counts["unchanged"] == len(CHILDREN)

    report = loads.load("health", child_csv(*CHILDREN[:9]), extracted_on=OLDER)

    assert report.status is LoadStatus.COMPLETED
    assert report.counts["ended"] == 0
    assert "H9" in live_keys(loads)
    [note] = notes(report, line=0)
    assert "older than the source's full extract of 2026-11-25" in note
    later = loads.load("health", child_csv(*CHILDREN[:9]), extracted_on=NEWEST)
    assert later.counts["ended"] == 1  # a newer full extract still ends it
