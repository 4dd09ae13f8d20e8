"""The health endpoint says whether the database answers, and never why not."""

from __future__ import annotations

import pytest

from contactpoint.web.app import create_app


def test_health_is_ok_when_the_database_answers(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "unreachable",
    [
        pytest.param(lambda folder: f"sqlite:///{folder}", id="sqlite-path-is-a-folder"),
        pytest.param(
            lambda _folder: "postgresql+psycopg://postgres@127.0.0.1:1/none",
            id="postgresql-nothing-listening",
        ),
    ],
)
def test_health_is_unavailable_without_detail_when_the_database_is_down(
    client_for, web_settings, tmp_path, unreachable
):
    settings = web_settings.model_copy(update={"database_url": unreachable(tmp_path)})

    response = client_for(create_app(settings)).get("/health")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
