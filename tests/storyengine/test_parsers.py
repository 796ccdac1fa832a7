"""JSON bodies with strings no database column can store get a 400, not a 500."""

from __future__ import annotations

import json

import pytest

from accounts.models import default_preferences

URL = "/api/v2/users/preferences"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        '{"notification_settings": {"a\\u0000b": true}}',
        '{"notification_settings": {"\\udbe6": true}}',
        '{"language_preference": "tel\\u0000ugu"}',
    ],
)
def test_body_with_nul_or_lone_surrogate_is_rejected(owner_client, owner, raw):
    response = owner_client.put(URL, data=raw, content_type="application/json")

    assert response.status_code == 400, response.content
    assert "NUL characters and unpaired surrogates" in response.json()["error"]["message"]
    owner.refresh_from_db()
    assert owner.preferences == default_preferences()


@pytest.mark.django_db
def test_body_with_telugu_and_joiners_is_accepted(owner_client):
    body = {"notification_settings": {"కథ\u200cపూర్తి": True}}

    response = owner_client.put(URL, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["notification_settings"] == {"కథ\u200cపూర్తి": True}
