"""Steps the browser tests share: a writer or admin account and signing in through the pages."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import PASSWORD, make_user

def new_writer(**extra: Any):
    """Create a writer with a unique address, so tests never depend on each other's accounts."""
    suffix = uuid.uuid4().hex[:8]
    return make_user(f"writer-{suffix}@example.com", f"writer-{suffix}", **extra)


def sign_in(page: Any, live_url: str, user: Any, next_path: str = "/stories") -> None:
    """Sign in through the login page and wait for the page named by ``next_path``."""
    page.goto(f"{live_url}/accounts/login?next={next_path}")
    page.locator('input[name="username"]').fill(user.email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('main form button[type="submit"]').click()
    page.wait_for_url(f"{live_url}{next_path}")


def sign_in_admin(page: Any, live_url: str, user: Any, next_path: str = "/admin/") -> None:
    page.goto(f"{live_url}/admin/login/?next={next_path}")
    page.locator('input[name="username"]').fill(user.email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[type="submit"]').click()
    page.wait_for_url(f"{live_url}{next_path}")
