"""Accuracy of the rasa analyzer and the cultural detector on held-out labelled data.

The labelled sets sit in the ``shared/data`` folder beside the repository and are
read only here: nothing in them feeds the lexicon or the knowledge base. Run with
``-rA`` (or ``-o log_cli=true --log-cli-level=INFO``) to see the figures.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import pytest

from analysis.culture import KnowledgeEntry, detect_elements, load_knowledge_base
from analysis.rasa import RASAS, analyze_emotions

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
RASA_SENTENCES = DATA_DIR / "rasa-sentences.tsv"
CULTURE_PASSAGES = DATA_DIR / "culture-passages.json"

# Floors well above chance that a broken analyzer would miss: with nine rasas a
# guess is right 1 time in 9 (0.11).
RASA_TOP1_FLOOR = 0.35
CULTURE_RECALL_FLOOR = 0.5


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"labelled data {path} is absent; it lives in the shared folder beside the repository")
    return path


def test_rasa_top1_accuracy_on_labelled_sentences():
    with require(RASA_SENTENCES).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert rows, f"{RASA_SENTENCES} has no rows"

    correct = 0
    covered = 0
    per_rasa = {rasa: [0, 0] for rasa in RASAS}
    for row in rows:
        report = analyze_emotions(row["sentence"])
        per_rasa[row["rasa"]][1] += 1
        covered += report.matched_terms > 0
        if report.dominant == row["rasa"]:
            correct += 1
            per_rasa[row["rasa"]][0] += 1

    accuracy = correct / len(rows)
    breakdown = ", ".join(f"{rasa} {hit}/{total}" for rasa, (hit, total) in per_rasa.items())
    logger.info(
        "rasa top-1 accuracy %.3f (%d/%d); sentences with any lexicon hit %d/%d; %s",
        accuracy, correct, len(rows), covered, len(rows), breakdown,
    )
    assert accuracy >= RASA_TOP1_FLOOR, f"top-1 accuracy {accuracy:.3f} is below {RASA_TOP1_FLOOR}: {breakdown}"


def simplify(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").split())


def labelled_names(name: str) -> set[str]:
    """Return the names a labelled element goes by: "muggulu (rangoli)" is both."""
    names = {simplify(name)}
    if "(" in name and name.rstrip().endswith(")"):
        outside, inside = name.rstrip()[:-1].split("(", 1)
        names |= {simplify(outside), simplify(inside)}
    return names


def entries_for(category: str, name: str, entries: tuple[KnowledgeEntry, ...]) -> set[str]:
    """Map a labelled element to the entries of its category with an equal English name or alias."""
    names = labelled_names(name)
    return {
        entry.id
        for entry in entries
        if entry.category == category
        and names & {simplify(alias) for alias in (entry.name_en, *entry.aliases_en)}
    }


def test_culture_recall_on_labelled_passages():
    passages = json.loads(require(CULTURE_PASSAGES).read_text(encoding="utf-8"))
    entries = load_knowledge_base().entries

    labelled = found = unmapped = 0
    detected_total = detected_labelled = 0
    for passage in passages:
        detected = {element.id for element in detect_elements(passage["text"]) if element.category != "name"}
        expected_ids: set[str] = set()
        for element in passage["elements"]:
            labelled += 1
            ids = entries_for(element["category"], element["name"], entries)
            expected_ids |= ids
            if not ids:
                unmapped += 1
                logger.info("labelled element without a knowledge-base entry: %s (%s)", element["name"], element["category"])
            if ids & detected:
                found += 1
        detected_total += len(detected)
        detected_labelled += len(detected & expected_ids)

    recall = found / labelled
    precision = detected_labelled / detected_total if detected_total else 0.0
    logger.info(
        "culture recall %.3f (%d/%d labelled elements, %d without an entry); precision %.3f (%d/%d detected)",
        recall, found, labelled, unmapped, precision, detected_labelled, detected_total,
    )
    assert recall >= CULTURE_RECALL_FLOOR, f"recall {recall:.3f} ({found}/{labelled}) is below {CULTURE_RECALL_FLOOR}"
