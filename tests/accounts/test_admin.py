"""The user pages of the Django admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]

User = get_user_model()


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    # The manifest storage needs the output of collectstatic, which tests do not build.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def admin_client_for_superuser(db) -> Client:
    superuser = make_user("root@example.com", "root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    return client


def test_admin_lists_users_by_email(admin_client_for_superuser, owner):
    response = admin_client_for_superuser.get("/admin/accounts/user/")

    assert response.status_code == 200
    assert b"lakshmi@example.com" in response.content


def test_admin_searches_users(admin_client_for_superuser, owner, other):
    response = admin_client_for_superuser.get("/admin/accounts/user/", {"q": "ravi"})

    assert b"ravi@example.com" in response.content
    assert b"lakshmi@example.com" not in response.content


def test_admin_change_page_opens(admin_client_for_superuser, owner):
    response = admin_client_for_superuser.get(f"/admin/accounts/user/{owner.pk}/change/")

    assert response.status_code == 200
    assert b"preferences" in response.content


def test_admin_adds_user_with_repeated_username(admin_client_for_superuser, owner):
    response = admin_client_for_superuser.post(
        "/admin/accounts/user/add/",
        {
            "email": "Lakshmi.Two@Example.com",
            "username": "lakshmi",
            "usable_password": "true",
            "password1": "vennela-rathri-42",
            "password2": "vennela-rathri-42",
        },
    )

    assert response.status_code == 302
    added = User.objects.get(email="lakshmi.two@example.com")
    assert added.username == "lakshmi"
    assert added.check_password("vennela-rathri-42")


def test_admin_rejects_email_taken_in_other_case(admin_client_for_superuser, owner):
    response = admin_client_for_superuser.post(
        "/admin/accounts/user/add/",
        {
            "email": "LAKSHMI@example.com",
            "username": "copy",
            "usable_password": "true",
            "password1": "vennela-rathri-42",
            "password2": "vennela-rathri-42",
        },
    )

    assert response.status_code == 200
    assert User.objects.count() == 2
    assert "email" in response.context["adminform"].form.errors


def test_admin_saves_changed_preferences(admin_client_for_superuser, owner):
    page = admin_client_for_superuser.get(f"/admin/accounts/user/{owner.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "preferences": '{"language_preference": "english"}',
            "statistics": "{}",
            "achievements": "[]",
        }
    )
    data.pop("password", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)

    response = admin_client_for_superuser.post(f"/admin/accounts/user/{owner.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    owner.refresh_from_db()
    assert owner.preferences == {"language_preference": "english"}
