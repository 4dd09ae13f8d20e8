"""In a real browser: a data manager uploads FHIR Patients, then undoes the load, confirming."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from contactpoint.provenance.models import Source, SourceKind

import factories
from accounts import Account
from browser import assert_accessible, sign_in, unexpected, watch_console_errors

pytestmark = pytest.mark.browser

PATIENTS = b"".join(
    json.dumps(resource).encode() + b"\n"
    for resource in (
        {"resourceType": "Patient", "id": "P1", "name": [{"family": "Barton", "given": ["Amelia"]}],
         "birthDate": "2014-07-21"},
        {"resourceType": "Patient", "id": "P2", "name": [{"family": "Hughes", "given": ["Oliver"]}],
         "birthDate": "2015-02-03"},
    )
)  # fmt: skip


def test_a_data_manager_uploads_fhir_patients_and_undoes_the_load(
    app, live_server, browser_page, tmp_path
):
    with app.state.sessions() as session:
        user = factories.data_manager(session)
        session.add(Source(name="oxford_social_care", kind=SourceKind.LOCAL,
                           organisation=user.organisation))  # fmt: skip
        session.commit()
        account = Account(app, user)
    extract = tmp_path / "health.ndjson"
    extract.write_bytes(PATIENTS)
    page = browser_page
    errors = watch_console_errors(page)
    sign_in(page, live_server, account)

    page.goto(f"{live_server}/sources/oxford_social_care/upload")
    page.get_by_label("FHIR R4 Patients").check()
    page.get_by_label("Involvements").check()
    page.get_by_label("Extract (CSV) or FHIR file").set_input_files(str(extract))
    page.get_by_role("button", name="Upload and load").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("children (Patient resources) only")
    assert_accessible(page)
    page.get_by_label("Children").check()
    page.get_by_label("Extract (CSV) or FHIR file").set_input_files(str(extract))
    page.get_by_role("button", name="Upload and load").click()
    page.wait_for_url(re.compile(r"/loads/\d+$"))
    assert "Inserted 2" in " ".join(page.locator(".app-load-counts").inner_text().split())

    page.get_by_role("button", name="Undo this load").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Are you sure you want to undo load"))
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"^Yes, undo load")).click()
    page.wait_for_url(re.compile(r"/loads/\d+\?undone=yes$"))

    assert "was undone" in page.locator(".app-load-undone").inner_text()
    assert page.get_by_role("button", name="Undo this load").count() == 0
    assert_accessible(page)
    assert unexpected(errors) == []
