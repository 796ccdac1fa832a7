"""Signed-in browser clients for the page tests: the owner, another writer and a visitor."""

from __future__ import annotations

import pytest
from django.test import Client


def session_client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def owner_browser(owner) -> Client:
    return session_client(owner)


@pytest.fixture
def other_browser(other) -> Client:
    return session_client(other)


@pytest.fixture
def visitor() -> Client:
    return session_client()
