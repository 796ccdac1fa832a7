"""The API's documentation pages load every asset from this site, never a CDN."""

from __future__ import annotations

import re

import pytest

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v2/docs", "/api/v2/redoc"])
def test_docs_page_serves_assets_locally(anonymous_client, path):
    response = anonymous_client.get(path)

    assert response.status_code == 200
    assets = ASSET.findall(response.content.decode())
    assert assets
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
