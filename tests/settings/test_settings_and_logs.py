"""Settings from the environment, safe defaults, and logs without personal data."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from contactpoint.linkage.services import default_linker
from contactpoint.logs import PersonalDataFilter, redact
from contactpoint.settings import Mode, Settings, SettingsError, load_settings


def test_an_unset_database_url_means_an_sqlite_file_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("CONTACTPOINT_DATABASE_URL", raising=False)
    monkeypatch.setenv("CONTACTPOINT_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'contactpoint.sqlite3'}"


def test_a_blank_database_url_counts_as_unset(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTACTPOINT_DATABASE_URL", "")
    assert load_settings(data_dir=tmp_path).database_url is None


def test_settings_default_to_production_mode(monkeypatch):
    monkeypatch.delenv("CONTACTPOINT_MODE", raising=False)
    assert load_settings().mode is Mode.PRODUCTION


def test_the_default_secret_is_refused_outside_development_with_a_message_saying_what_to_set():
    with pytest.raises(SettingsError, match="CONTACTPOINT_SECRET_KEY"):
        Settings(mode=Mode.PRODUCTION).require_secret()
    with pytest.raises(SettingsError):
        Settings(mode=Mode.TEST).require_secret()


def test_the_default_secret_is_allowed_in_development():
    assert Settings(mode=Mode.DEVELOPMENT).require_secret()


def test_a_real_secret_is_accepted_in_production():
    secret = "s" * 48
    assert Settings(mode=Mode.PRODUCTION, secret_key=SecretStr(secret)).require_secret() == secret


def test_the_secret_never_appears_when_settings_are_printed():
    settings = Settings(secret_key=SecretStr("very-secret-value"))
    assert "very-secret-value" not in repr(settings)
    assert "very-secret-value" not in str(settings.model_dump())


def test_an_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("CONTACTPOINT_MODE", "staging")
    with pytest.raises(ValueError, match="mode"):
        load_settings()


@pytest.mark.parametrize(
    "text",
    [
        "born 2014-03-02",
        "born 2/3/2014",
        "lives at OX2 6GG",
        "lives at ox26gg",
        "mail amelia.h@example.org",
        "call 07700 900123",
        "call +44 7700 900123",
    ],
)
def test_personal_data_is_redacted_from_log_text(text):
    assert "[redacted]" in redact(text)


def test_identifiers_survive_redaction():
    assert redact("linked child 1234 5678 9012 from source record H-77") == (
        "linked child 1234 5678 9012 from source record H-77"
    )


def test_the_log_filter_redacts_arguments_as_well_as_the_message():
    record = logging.LogRecord(
        "contactpoint", logging.INFO, __file__, 1, "row %s", ("born 2014-03-02",), None
    )
    PersonalDataFilter().filter(record)
    assert record.getMessage() == "row born [redacted]"


def test_the_linkage_thresholds_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CONTACTPOINT_LINKAGE_LINK_THRESHOLD", "8.5")
    monkeypatch.setenv("CONTACTPOINT_LINKAGE_REVIEW_THRESHOLD", "-1")
    linker = default_linker(load_settings())
    assert (linker.thresholds.link, linker.thresholds.review) == (8.5, -1.0)


def test_the_linker_keeps_as_many_records_as_configured(monkeypatch):
    assert default_linker(load_settings()).cached_records == 100_000
    monkeypatch.setenv("CONTACTPOINT_LINKAGE_CACHED_RECORDS", "1000000")
    assert default_linker(load_settings()).cached_records == 1_000_000
    monkeypatch.setenv("CONTACTPOINT_LINKAGE_CACHED_RECORDS", "-1")
    with pytest.raises(ValueError, match="linkage_cached_records"):
        load_settings()


def test_a_review_threshold_above_the_link_threshold_is_refused_naming_both(monkeypatch):
    monkeypatch.setenv("CONTACTPOINT_LINKAGE_LINK_THRESHOLD", "2")
    monkeypatch.setenv("CONTACTPOINT_LINKAGE_REVIEW_THRESHOLD", "3")
    with pytest.raises(ValueError, match=r"REVIEW_THRESHOLD must not be above .*LINK_THRESHOLD"):
        load_settings()
