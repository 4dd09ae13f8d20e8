"""The linker's cache of built linkage records: used only while a record's content is unchanged."""

from __future__ import annotations

import datetime as dt

from contactpoint.linkage.candidates import RecordCache
from contactpoint.linkage.records import LinkageRecord, linkage_record


def _record(given: str) -> LinkageRecord:
    return linkage_record(given_name=given, family_name="Okafor", date_of_birth=dt.date(2015, 3, 1))


def test_a_record_is_found_while_its_content_hash_is_the_same():
    cache = RecordCache(size=10)
    record = _record("Ada")
    cache.put(1, "hash-a", record)
    assert cache.get(1, "hash-a") is record
    assert cache.get(1, "hash-b") is None  # the record changed since: built again
    assert cache.get(2, "hash-a") is None
    assert cache.get(1, None) is None


def test_a_record_without_a_content_hash_is_not_kept():
    cache = RecordCache(size=10)
    cache.put(1, None, _record("Ada"))
    assert cache.get(1, None) is None


def test_the_oldest_quarter_goes_when_the_cache_is_full():
    cache = RecordCache(size=8)
    for number in range(8):
        cache.put(number, f"h{number}", _record(f"Name{number}"))
    cache.put(8, "h8", _record("Later"))
    assert [cache.get(n, f"h{n}") is None for n in range(9)] == [True, True] + [False] * 7


def test_a_cache_of_size_zero_keeps_nothing():
    cache = RecordCache(size=0)
    cache.put(1, "h1", _record("Ada"))
    assert cache.get(1, "h1") is None


def test_a_record_used_again_is_kept_over_older_unused_ones():
    cache = RecordCache(size=8)
    for number in range(8):
        cache.put(number, f"h{number}", _record(f"Name{number}"))
    assert cache.get(0, "h0") is not None  # used: now the most recent
    cache.put(8, "h8", _record("Later"))
    assert cache.get(0, "h0") is not None
    assert cache.get(1, "h1") is None
    assert cache.get(2, "h2") is None
