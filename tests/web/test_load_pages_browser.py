"""A data manager uploads a small extract in a real browser and reads its report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from contactpoint.provenance.models import Source, SourceKind

import factories
from accounts import Account
from browser import assert_accessible, sign_in, watch_console_errors

pytestmark = pytest.mark.browser

EXTRACT = (
    b"record_id,given_name,family_name,date_of_birth,postcode\r\n"
    b"R1,Amelia,Barton,2014-07-21,OX5 9JP\r\n"
    b"R2,Oliver,Hughes,2015-02-03,not a postcode\r\n"
    b",Isla,Patel,2012-11-30,OX4 1AA\r\n"
)


def _count(page, label: str) -> str:
    row = page.locator(".app-load-counts .govuk-summary-list__row").filter(has_text=label)
    return row.locator("dd").inner_text().strip()


def test_a_data_manager_uploads_an_extract_and_reads_its_report(
    app, live_server, browser_page, tmp_path
):
    with app.state.sessions() as session:
        user = factories.data_manager(session)
        session.add(Source(name="oxford_social_care", kind=SourceKind.LOCAL,
                           organisation=user.organisation))  # fmt: skip
        session.commit()
        account = Account(app, user)
    extract = tmp_path / "children.csv"
    extract.write_bytes(EXTRACT)
    page = browser_page
    errors = watch_console_errors(page)
    sign_in(page, live_server, account)

    page.goto(f"{live_server}/sources")
    assert_accessible(page)
    page.get_by_role("link", name="oxford_social_care").click()
    page.get_by_role("button", name="Upload an extract").click()
    expect(page.locator("h1")).to_have_text("Upload an extract")
    assert_accessible(page)
    page.get_by_role("button", name="Upload and load").click()  # no file chosen
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the extract to upload")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Choose which feed" not in summary  # the page chose children and full for us
    assert_accessible(page)
    page.get_by_label("Extract (CSV)").set_input_files(str(extract))
    page.get_by_role("button", name="Upload and load").click()
    page.wait_for_url(re.compile(r"/loads/\d+$"))

    assert page.locator("h1").inner_text().startswith("Load ")
    assert _count(page, "Rows read") == "3"
    assert _count(page, "Inserted") == "2"
    assert _count(page, "Rejected") == "1"
    problems = page.locator(".app-load-problems").inner_text()
    assert "postcode" in problems
    assert "record_id" in problems
    assert_accessible(page)
    assert [e for e in errors if "the server responded with a status of 400" not in e] == []
