"""A story as a plain-text or Markdown download."""

from __future__ import annotations

import regex
from django.utils.translation import gettext as _

from analysis.text import paragraphs
from stories.models import Story

# Characters that start Markdown syntax at the beginning of a line or inside it.
_MARKDOWN_SPECIAL = regex.compile(r"([\\`*_\[\]#<>|])")
_LEADING_MARKER = regex.compile(r"^(\s*)([-+]|\d+[.)])(\s)")
# File names keep letters, marks and digits of any script; anything else becomes a hyphen.
_UNSAFE_FILENAME = regex.compile(r"[^\p{L}\p{M}\p{Nd}]+")
FILENAME_MAX_CHARS = 80


def export_filename(story: Story, extension: str) -> str:
    """Return a download name from the title, such as ``సీత-పడవ.md``, or the story id without a title."""
    stem = _UNSAFE_FILENAME.sub("-", story.title).strip("-")[:FILENAME_MAX_CHARS].strip("-")
    return f"{stem or story.pk}.{extension}"


def as_text(story: Story) -> str:
    """Return the title, a blank line, and the paragraphs separated by blank lines, ending in a newline."""
    body = "\n\n".join(paragraphs(story.content))
    title = story.title or _("Untitled story")
    return f"{title}\n\n{body}\n"


def _escape_markdown(line: str) -> str:
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", line)
    return _LEADING_MARKER.sub(lambda match: f"{match[1]}{match[2][:-1]}\\{match[2][-1]}{match[3]}", escaped)


def as_markdown(story: Story) -> str:
    """Return the story as Markdown: the title as a heading, then its paragraphs, escaped so they render as text."""
    title = _escape_markdown(story.title or _("Untitled story"))
    body = "\n\n".join(
        "  \n".join(_escape_markdown(line) for line in paragraph.splitlines()) for paragraph in paragraphs(story.content)
    )
    return f"# {title}\n\n{body}\n"
