"""The cast shared by every test module: an owner, another writer and staff."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

PASSWORD = "kathalu-rasina-2026"


def make_user(email: str, username: str, **extra):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(email=email, username=username, password=PASSWORD, **extra)


def bearer_client(user) -> APIClient:
    client = APIClient()
    access = RefreshToken.for_user(user).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.fixture
def owner(db):
    return make_user("lakshmi@example.com", "lakshmi")


@pytest.fixture
def other(db):
    return make_user("ravi@example.com", "ravi")


@pytest.fixture
def staff(db):
    return make_user("admin@example.com", "admin", is_staff=True)


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def owner_client(owner) -> APIClient:
    return bearer_client(owner)


@pytest.fixture
def other_client(other) -> APIClient:
    return bearer_client(other)


@pytest.fixture
def staff_client(staff) -> APIClient:
    return bearer_client(staff)


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    """Start every test with empty rate-limit counters (they live in the cache)."""
    from django.core.cache import cache

    cache.clear()
    yield
