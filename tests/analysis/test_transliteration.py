"""Latin letters into Telugu: the scheme, the added rules and the page endpoint."""

from __future__ import annotations

import string
import unicodedata

import pytest
from django.test import Client

from analysis.transliteration import MAX_LENGTH, to_telugu

URL = "/pages/transliterate"


# The module


@pytest.mark.parametrize(
    ("latin", "telugu"),
    [
        ("amma", "అమ్మ"),
        ("katha", "కథ"),
        ("telugu", "తెలుగు"),
        ("nEnu", "నేను"),
        ("neeru", "నీరు"),
        ("ooru", "ఊరు"),
        ("mounam", "మౌనం"),
        ("kShama", "క్షమ"),
        ("xama", "క్షమ"),
        ("lakshmi", "లక్ష్మి"),
        ("gRuham", "గృహం"),
        ("vijnaanam", "విజ్ఞానం"),
        ("pAThashaala", "పాఠశాల"),
        ("kaLLu", "కళ్ళు"),
        ("Ramu", "రము"),
    ],
)
def test_words_follow_scheme(latin, telugu):
    assert to_telugu(latin) == telugu


@pytest.mark.parametrize(
    ("latin", "telugu"),
    [
        ("manchi", "మంచి"),
        ("andam", "అందం"),
        ("panDu", "పండు"),
        ("simham", "సింహం"),
        ("samvatsaram", "సంవత్సరం"),
        ("santOSham", "సంతోషం"),
    ],
)
def test_nasal_before_stop_is_anusvara(latin, telugu):
    assert to_telugu(latin) == telugu


def test_nasal_before_nasal_keeps_virama():
    assert to_telugu("nannu") == "నన్ను"
    assert to_telugu("janma") == "జన్మ"


def test_final_m_after_vowel_is_anusvara():
    assert to_telugu("manam") == "మనం"
    assert to_telugu("pustakam") == "పుస్తకం"


def test_final_m_after_consonant_keeps_virama():
    assert to_telugu("film") == "ఫిల్మ్"


def test_every_ascii_letter_becomes_telugu():
    result = to_telugu(string.ascii_letters)

    assert not any(character in string.ascii_letters for character in result)
    assert all(unicodedata.name(character).startswith("TELUGU") for character in result)


def test_digits_punctuation_and_telugu_pass_through():
    assert to_telugu("amma, katha 2024. ఇది!") == "అమ్మ, కథ 2024. ఇది!"


def test_existing_telugu_is_normalized_to_nfc():
    decomposed = "\u0c15\u0c46\u0c56"  # క + vowel sign E + AI length mark

    result = to_telugu(decomposed)

    assert result == "\u0c15\u0c48"
    assert unicodedata.is_normalized("NFC", result)


def test_output_is_nfc_for_ai_vowel():
    result = to_telugu("kaiku")

    assert result == "కైకు"
    assert "\u0c48" in result
    assert unicodedata.is_normalized("NFC", result)


def test_zero_width_non_joiner_survives():
    assert to_telugu("raam\u200ckumaar") == "రాం\u200cకుమార్"


def test_rejects_text_over_limit():
    with pytest.raises(ValueError, match=f"at most {MAX_LENGTH}"):
        to_telugu("a" * (MAX_LENGTH + 1))


def test_accepts_text_at_limit():
    assert to_telugu("ka" * (MAX_LENGTH // 2)) == "క" * (MAX_LENGTH // 2)


# The endpoint


@pytest.fixture
def owner_session(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.mark.django_db
def test_endpoint_returns_telugu_as_characters(owner_session):
    response = owner_session.get(URL, {"text": "amma katha"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"text": "amma katha", "telugu": "అమ్మ కథ", "scheme": "optitrans_dravidian"}
    assert "అమ్మ".encode() in response.content
    assert b"\\u0c" not in response.content


@pytest.mark.django_db
def test_endpoint_requires_session(client):
    response = client.get(URL, {"text": "amma"})

    assert response.status_code == 401
    assert response.json()["error"]["path"] == URL


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{}, {"text": ""}, {"text": "   "}, {"text": "a" * (MAX_LENGTH + 1)}, {"text": "a\x00b"}])
def test_endpoint_rejects_bad_text(owner_session, query):
    response = owner_session.get(URL, query)

    assert response.status_code == 400
    body = response.json()
    assert body["error"]["message"].startswith("Invalid request")
    assert list(body["error"]["details"]) == ["text"]


@pytest.mark.django_db
def test_endpoint_rejects_post(owner_session):
    response = owner_session.post(URL, {"text": "amma"})

    assert response.status_code == 405
