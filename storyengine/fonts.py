"""Serve the Noto Sans Telugu font of the ``fontpkg-noto-sans-telugu`` package as a static file.

The package installs the variable font under a file name with brackets
(``NotoSansTelugu[wdth,wght].ttf``), which is awkward in URLs and CSS. The
finder publishes it as ``fonts/NotoSansTelugu.ttf``, so ``collectstatic``, the
development server and WhiteNoise all serve it from this site, never a CDN.

NOTE: the font is the whole variable TTF, 888,808 bytes (423,634 gzipped by
WhiteNoise). A WOFF2 subset would be smaller, but making one needs fontTools
with Brotli, which the project does not install.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

FONT_PREFIX = "fonts"
FONT_NAME = "NotoSansTelugu.ttf"
STATIC_PATH = f"{FONT_PREFIX}/{FONT_NAME}"


def installed_font_file() -> Path | None:
    """Return the path of the packaged variable font, or None when the package is missing."""
    try:
        import fontpkg_noto_sans_telugu
    except ImportError:
        return None
    files = sorted((fontpkg_noto_sans_telugu.ROOT / "files").glob("NotoSansTelugu*.ttf"))
    return files[0] if files else None


class PackagedFontStorage(FileSystemStorage):
    """A storage that contains one file, the packaged font, under its short name."""

    def __init__(self, font_file: Path) -> None:
        super().__init__(location=str(font_file.parent))
        self.font_file = font_file
        self.prefix = FONT_PREFIX

    def path(self, name: str) -> str:
        if name != FONT_NAME:
            raise FileNotFoundError(name)
        return str(self.font_file)

    def exists(self, name: str) -> bool:
        return name == FONT_NAME


class NotoSansTeluguFinder(BaseFinder):
    """A staticfiles finder for ``fonts/NotoSansTelugu.ttf``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.font_file = installed_font_file()

    def check(self, **kwargs: Any) -> list[Error]:
        if self.font_file is None:
            return [
                Error(
                    "The Noto Sans Telugu font is missing: install fontpkg-noto-sans-telugu "
                    "(pip install -r requirements.txt).",
                    id="storyengine.E001",
                )
            ]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        # Django 5.2 still passes ``all`` from older callers; both mean the same.
        find_all = find_all or kwargs.get("all", False)
        if self.font_file is None or path != STATIC_PATH:
            return [] if find_all else ""
        return [str(self.font_file)] if find_all else str(self.font_file)

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        if self.font_file is not None:
            yield FONT_NAME, PackagedFontStorage(self.font_file)
