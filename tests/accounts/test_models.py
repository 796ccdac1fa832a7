"""The User model and its manager."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.accounts.support import DEFAULT_PREFERENCES
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_create_user_normalizes_email_and_username():
    user = User.objects.create_user(
        email=" Lakshmi@Example.COM ", username=" \u0c24\u0c46\u0c56\u0c32\u0c02 ", password=PASSWORD
    )

    assert user.email == "lakshmi@example.com"
    assert user.username == "\u0c24\u0c48\u0c32\u0c02"
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert not user.is_superuser


def test_create_user_sets_default_fields():
    user = make_user("lakshmi@example.com", "lakshmi")

    assert user.preferences == DEFAULT_PREFERENCES
    assert user.statistics == {}
    assert user.achievements == []
    assert user.is_active


def test_create_user_passes_extra_fields(staff):
    assert staff.is_staff
    assert not staff.is_superuser


def test_create_user_rejects_missing_email():
    with pytest.raises(ValueError, match="e-mail address"):
        User.objects.create_user(email="", username="lakshmi", password=PASSWORD)


def test_create_superuser_sets_rights():
    user = User.objects.create_superuser(email="root@example.com", username="root", password=PASSWORD)

    assert user.is_staff
    assert user.is_superuser


def test_create_superuser_rejects_is_staff_false():
    with pytest.raises(ValueError, match="is_staff=True"):
        User.objects.create_superuser(email="root@example.com", username="root", password=PASSWORD, is_staff=False)


def test_default_preferences_are_not_shared():
    first = make_user("lakshmi@example.com", "lakshmi")
    second = make_user("ravi@example.com", "ravi")

    first.preferences["preferred_story_types"].append("poem")

    assert second.preferences["preferred_story_types"] == []


def test_email_unique_ignoring_case_in_database(owner):
    # A raw create skips the manager's normalization, but the functional index still rejects the copy.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="LAKSHMI@example.com", username="copy")


def test_full_clean_rejects_duplicate_email_case(owner):
    user = User(email="Lakshmi@Example.com", username="copy")
    user.set_password(PASSWORD)

    with pytest.raises(ValidationError) as raised:
        user.full_clean()

    assert user.email == "lakshmi@example.com"
    assert "email" in raised.value.message_dict


def test_username_need_not_be_unique(owner):
    copy = make_user("lakshmi.two@example.com", "lakshmi")

    assert User.objects.filter(username="lakshmi").count() == 2
    assert copy.pk != owner.pk


def test_authenticate_finds_user_by_email_in_any_case(owner):
    assert authenticate(email="LAKSHMI@EXAMPLE.COM", password=PASSWORD) == owner


def test_str_is_email(owner):
    assert str(owner) == "lakshmi@example.com"
