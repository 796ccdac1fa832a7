"""Telugu cultural knowledge base: festivals, places, foods, customs and given names.

Entries live in ``data/cultural_knowledge.json``. Each entry lists Telugu surface
forms (``forms_te`` match as stems, ``whole_words_te`` only as whole words, by the
rules of :mod:`analysis.lexicon`) and its English name and aliases, which match as
whole words so that English prompts are understood too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from analysis.lexicon import FormMatcher, LexiconForm
from analysis.text import normalize, words

logger = logging.getLogger(__name__)

KNOWLEDGE_PATH = Path(__file__).resolve().parent / "data" / "cultural_knowledge.json"
CATEGORIES: tuple[str, ...] = ("festival", "place", "food", "custom", "name")

# Weights of select_elements' relevance score.
MENTION_WEIGHT = 2.0
CONTEXT_WEIGHT = 1.0
STORY_TYPE_WEIGHT = 0.5


@dataclass(frozen=True)
class KnowledgeEntry:
    """One element of Telugu culture as stored in the knowledge base.

    ``personage`` marks a particular historical or mythological person, as opposed
    to a given name that any character may carry.
    """

    id: str
    category: str
    name_te: str
    name_en: str
    aliases_en: tuple[str, ...]
    forms_te: tuple[str, ...]
    whole_words_te: tuple[str, ...]
    contexts: tuple[str, ...]
    story_types: tuple[str, ...]
    description_en: str
    gender: str | None = None
    personage: bool = False


@dataclass(frozen=True)
class KnowledgeBase:
    """All entries, indexed by id and by their surface forms."""

    entries: tuple[KnowledgeEntry, ...]
    by_id: dict[str, KnowledgeEntry]
    matcher: FormMatcher


@dataclass(frozen=True)
class CulturalElement:
    """A knowledge-base entry found in, or chosen for, a text.

    - ``name`` is the English name (API messages are English) and ``name_te`` the
      Telugu one.
    - ``mentions``: word positions of the text where one of the entry's forms
      starts.
    - ``confidence`` = mentions / (mentions + 1): 0.5 for one mention, 0.75 for
      three, 0.0 for an element chosen without being mentioned.
    - ``relevance``: the score :func:`select_elements` ranks by; 0.0 from
      :func:`detect_elements`.
    """

    id: str
    name: str
    name_te: str
    name_en: str
    category: str
    contexts: tuple[str, ...]
    description_en: str
    mentions: int
    confidence: float
    relevance: float = 0.0


@lru_cache(maxsize=1)
def load_knowledge_base() -> KnowledgeBase:
    """Load and index the knowledge base once per process.

    Raises ValueError when an entry has an unknown category or a duplicate id.
    """
    data = json.loads(KNOWLEDGE_PATH.read_text(encoding="utf-8"))
    entries = tuple(_entry_from_json(item) for item in data["entries"])

    by_id: dict[str, KnowledgeEntry] = {}
    forms: list[LexiconForm] = []
    for entry in entries:
        if entry.id in by_id:
            raise ValueError(f"duplicate knowledge-base id {entry.id!r} in {KNOWLEDGE_PATH}")
        if entry.category not in CATEGORIES:
            raise ValueError(f"entry {entry.id!r} has unknown category {entry.category!r}; expected one of {CATEGORIES}")
        by_id[entry.id] = entry
        forms += [LexiconForm(form, entry.id) for form in entry.forms_te]
        forms += [LexiconForm(form, entry.id, whole_word=True) for form in entry.whole_words_te]
        forms += [LexiconForm(name, entry.id, whole_word=True) for name in (entry.name_en.lower(), *entry.aliases_en)]

    logger.info("Loaded cultural knowledge base with %d entries from %s", len(entries), KNOWLEDGE_PATH)
    return KnowledgeBase(entries=entries, by_id=by_id, matcher=FormMatcher(forms))


def get_entry(entry_id: str) -> KnowledgeEntry:
    """Return the entry with ``entry_id``; raises KeyError when there is none."""
    return load_knowledge_base().by_id[entry_id]


def detect_elements(text: str, categories: Collection[str] | None = None) -> list[CulturalElement]:
    """Find the knowledge-base elements that ``text`` mentions.

    The text is NFC-normalized first. Every entry with a form starting at some word
    counts once per such word, so overlapping forms of different entries all count
    (ఉగాది పచ్చడి mentions both the food and the festival). ``categories`` limits the
    result to those categories. The result is ordered by mentions, most first, then
    by first appearance.
    """
    tokens = words(normalize(text))
    base = load_knowledge_base()
    positions: dict[str, set[int]] = {}
    for match in base.matcher.find_all(tokens):
        positions.setdefault(match.form.key, set()).add(match.start)

    found = [
        _element(base.by_id[entry_id], mentions=len(starts))
        for entry_id, starts in positions.items()
        if categories is None or base.by_id[entry_id].category in categories
    ]
    first_seen = {entry_id: min(starts) for entry_id, starts in positions.items()}
    found.sort(key=lambda element: (-element.mentions, first_seen[element.id]))
    return found


def select_elements(
    cultural_context: str,
    story_type: str,
    prompt: str,
    limit: int = 5,
    seed: int | str | None = None,
) -> list[CulturalElement]:
    """Choose up to ``limit`` elements for a story, reproducibly.

    relevance = 2.0 x [mentioned in the prompt] + 1.0 x [``cultural_context`` is one
    of the entry's contexts] + 0.5 x [``story_type`` is one of its story types].
    Elements the prompt mentions (names included) come first, most mentioned first.
    Festivals, places, foods and customs that fit the context fill the rest, or,
    when none fits the context, those that fit the story type. Categories take
    turns, each offering its next best element, so one category cannot crowd out
    the others. Ties of equal relevance are broken by id, or by a
    hash of ``seed`` and id when a seed is given, so the same arguments always give
    the same list. Unknown context or story-type values fit no entry.
    """
    mentioned = detect_elements(prompt)
    chosen = [_with_relevance(element, cultural_context, story_type) for element in mentioned]
    chosen_ids = {element.id for element in chosen}

    candidates = [
        entry
        for entry in load_knowledge_base().entries
        if entry.category != "name" and entry.id not in chosen_ids and _fit(entry, cultural_context, story_type) > 0
    ]
    if any(_fit(entry, cultural_context, story_type) >= CONTEXT_WEIGHT for entry in candidates):
        candidates = [entry for entry in candidates if _fit(entry, cultural_context, story_type) >= CONTEXT_WEIGHT]
    candidates.sort(key=lambda entry: (-_fit(entry, cultural_context, story_type), _tiebreak(entry.id, seed)))
    for entry in _alternate_categories(candidates):
        chosen.append(_element(entry, mentions=0, relevance=_fit(entry, cultural_context, story_type)))

    return chosen[: max(limit, 0)]


def pick_names(
    cultural_context: str,
    count: int,
    seed: int | str | None = None,
    gender: str | None = None,
) -> list[KnowledgeEntry]:
    """Pick ``count`` distinct given names that fit ``cultural_context``, reproducibly.

    Names whose contexts include ``cultural_context`` are drawn first in an order
    shuffled by ``seed``. When they run short, the other given names follow, but
    never a personage (Pothana, Rudrama Devi) outside the contexts listed for them.
    With ``gender`` None the picks alternate between female and male names, the
    first gender chosen by the seed. Fewer than ``count`` names come back only when
    the knowledge base contains fewer.
    """
    rng = random.Random(f"{seed}:{cultural_context}")
    names = [entry for entry in load_knowledge_base().entries if entry.category == "name"]
    if gender is not None:
        names = [entry for entry in names if entry.gender == gender]

    fitting = [entry for entry in names if cultural_context in entry.contexts]
    others = [entry for entry in names if cultural_context not in entry.contexts and not entry.personage]
    rng.shuffle(fitting)
    rng.shuffle(others)
    ordered = fitting + others
    if gender is None:
        ordered = _alternate_genders(ordered, first=rng.choice(("female", "male")))
    return ordered[: max(count, 0)]


def pick_place(cultural_context: str, seed: int | str | None = None, prompt: str = "") -> KnowledgeEntry | None:
    """Pick the place for a story: the one the prompt mentions most, else a seeded choice.

    Without a mentioned place, one place whose contexts include
    ``cultural_context`` is chosen by ``seed``; None when no place fits.
    """
    mentioned = detect_elements(prompt, categories=("place",))
    if mentioned:
        return get_entry(mentioned[0].id)
    fitting = [
        entry
        for entry in load_knowledge_base().entries
        if entry.category == "place" and cultural_context in entry.contexts
    ]
    if not fitting:
        return None
    return random.Random(f"{seed}:{cultural_context}").choice(fitting)


def _entry_from_json(item: dict) -> KnowledgeEntry:
    return KnowledgeEntry(
        id=item["id"],
        category=item["category"],
        name_te=normalize(item["name_te"]),
        name_en=item["name_en"],
        aliases_en=tuple(alias.lower() for alias in item.get("aliases_en", [])),
        forms_te=tuple(normalize(form) for form in item.get("forms_te", [])),
        whole_words_te=tuple(normalize(form) for form in item.get("whole_words_te", [])),
        contexts=tuple(item["contexts"]),
        story_types=tuple(item.get("story_types", [])),
        description_en=item["description_en"],
        gender=item.get("gender"),
        personage=item.get("personage", False),
    )


def _element(entry: KnowledgeEntry, mentions: int, relevance: float = 0.0) -> CulturalElement:
    return CulturalElement(
        id=entry.id,
        name=entry.name_en,
        name_te=entry.name_te,
        name_en=entry.name_en,
        category=entry.category,
        contexts=entry.contexts,
        description_en=entry.description_en,
        mentions=mentions,
        confidence=mentions / (mentions + 1),
        relevance=relevance,
    )


def _with_relevance(element: CulturalElement, cultural_context: str, story_type: str) -> CulturalElement:
    fit = _fit(get_entry(element.id), cultural_context, story_type)
    return replace(element, relevance=MENTION_WEIGHT + fit)


def _fit(entry: KnowledgeEntry, cultural_context: str, story_type: str) -> float:
    score = CONTEXT_WEIGHT if cultural_context in entry.contexts else 0.0
    if story_type in entry.story_types:
        score += STORY_TYPE_WEIGHT
    return score


def _tiebreak(entry_id: str, seed: int | str | None) -> str:
    if seed is None:
        return entry_id
    return hashlib.sha256(f"{seed}:{entry_id}".encode()).hexdigest()


def _alternate_categories(ranked: list[KnowledgeEntry]) -> list[KnowledgeEntry]:
    """Interleave ``ranked`` by category: each category's best, then each one's second, ..."""
    queues: dict[str, list[KnowledgeEntry]] = {}
    for entry in ranked:
        queues.setdefault(entry.category, []).append(entry)
    result: list[KnowledgeEntry] = []
    for round_index in range(max((len(queue) for queue in queues.values()), default=0)):
        result += [queue[round_index] for queue in queues.values() if round_index < len(queue)]
    return result


def _alternate_genders(names: list[KnowledgeEntry], first: str) -> list[KnowledgeEntry]:
    second = "male" if first == "female" else "female"
    queues = [[entry for entry in names if entry.gender == first], [entry for entry in names if entry.gender == second]]
    result: list[KnowledgeEntry] = []
    while queues[0] or queues[1]:
        for queue in queues:
            if queue:
                result.append(queue.pop(0))
    return result
