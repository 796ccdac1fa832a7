"""The Telugu catalog covers every string of the pages, and the committed .mo matches the .po."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from storyengine.vocabulary import CULTURAL_CONTEXT_TELUGU, RASA_TELUGU, STORY_TYPE_TELUGU, CulturalContext, Rasa, StoryType

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "locale" / "te" / "LC_MESSAGES"
# Folders makemessages must not read: installed packages, build output and code that no page shows.
SKIPPED = {".venv", ".git", ".cache", "staticfiles", "media", "node_modules", "tests", "bench", "scripts", "docs"}

needs_gettext = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")


def _entries(po_text: str) -> list[dict[str, object]]:
    """Parse a .po file into entries with msgid, msgstrs and flags; enough for the files makemessages writes."""
    entries = []
    for block in po_text.split("\n\n"):
        flags: set[str] = set()
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif match := re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line):
                current = match[1]
                fields[current] = match[2]
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            msgstrs = [value for key, value in fields.items() if key.startswith("msgstr")]
            entries.append({"msgid": fields["msgid"], "msgstrs": msgstrs, "flags": flags})
    return entries


@needs_gettext
def test_every_page_string_has_telugu(tmp_path):
    """Extract the strings afresh from a copy of the project and require a Telugu msgstr for each."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=lambda folder, names: [name for name in names if name in SKIPPED or name == "__pycache__"])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    # tests/settings.py is needed to import the settings; copy just that file.
    (copy / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "__init__.py", copy / "tests" / "__init__.py")
    shutil.copy(ROOT / "tests" / "settings.py", copy / "tests" / "settings.py")

    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "te", "--add-location", "file", "--no-obsolete",
         "--ignore", "tests/*", "--ignore", "static/*"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )

    entries = _entries((copy / "locale" / "te" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    untranslated = [entry["msgid"] for entry in entries if not all(entry["msgstrs"])]
    fuzzy = [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]]
    assert len(entries) > 250
    assert untranslated == [], "Add Telugu for these strings to locale/te/LC_MESSAGES/django.po (make messages)"
    assert fuzzy == [], "Review these fuzzy guesses of msgmerge and drop their fuzzy flag"


@needs_gettext
def test_compiled_catalog_matches_po(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(CATALOG / "django.po")], check=True)

    with open(compiled, "rb") as fresh, open(CATALOG / "django.mo", "rb") as committed:
        expected = gettext.GNUTranslations(fresh)._catalog
        actual = gettext.GNUTranslations(committed)._catalog
    assert actual == expected, "Recompile the catalog: make messages"


def test_vocabulary_labels_match_telugu_tables():
    """The translated enumeration labels agree with the Telugu names the rest of the project uses."""
    for choices, table in [(StoryType, STORY_TYPE_TELUGU), (CulturalContext, CULTURAL_CONTEXT_TELUGU), (Rasa, RASA_TELUGU)]:
        with translation.override("te"):
            labels = {value: str(label) for value, label in choices.choices}
        assert labels == table
