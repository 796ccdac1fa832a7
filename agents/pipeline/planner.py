"""The planner: title, characters, setting and beats.

A small base model keeps a format but fills it with noise. So the plan's shape
comes from the beat templates and the knowledge base, and the model is asked for
one thing: the title, under a grammar that admits only a few Telugu words. The
model's title is kept only when it passes ``validate_title``. Otherwise a title
is composed from the protagonist's name and the story type.
"""

from __future__ import annotations

from typing import Any

from agents.pipeline.beats import PROTAGONIST_GENDER, beats_for
from agents.pipeline.recorder import AgentStep
from agents.pipeline.sampling import completion_request
from agents.pipeline.types import StoryRequest
from agents.runtime import ModelRuntime
from analysis import culture
from analysis.text import graphemes, normalize, telugu_letter_share, words

TITLE_GRAMMAR = r"""
root ::= word (" " word)? (" " word)? (" " word)? "\n"
word ::= [\u0C00-\u0C7F]+
"""

FALLBACK_TITLES = {
    "short_story": "{name} కథ",
    "folk_tale": "{name} సాహసం",
    "moral_story": "{name} నేర్చిన పాఠం",
    "mythological": "{name} మహిమ",
    "children_story": "{name} చేసిన సాహసం",
    "historical": "{name} వీరగాథ",
    "poem": "{place} పాట",
}

MAX_TITLE_WORDS = 4
# Telugu words longer than this are almost always several words run together.
MAX_TITLE_WORD_GRAPHEMES = 10


def _stem(word: str) -> str:
    return "".join(graphemes(word)[:2])


def validate_title(title: str, grounding: str) -> str | None:
    """Return why the model's title is rejected, or None when it is usable.

    A usable title has 1 to 4 Telugu words of 2 to 10 grapheme clusters, none
    repeated. It also shares a stem (the first two clusters of a word) with the
    writer's prompt, a character or the place, which rejects fluent noise.
    """
    title_words = words(title)
    if not 1 <= len(title_words) <= MAX_TITLE_WORDS:
        return f"has {len(title_words)} words"
    if telugu_letter_share(title) < 1.0:
        return "is not all Telugu"
    if any(len(graphemes(word)) < 2 for word in title_words):
        return "has a one-letter word"
    if any(len(graphemes(word)) > MAX_TITLE_WORD_GRAPHEMES for word in title_words):
        return "has a run-together word"
    if len(set(title_words)) != len(title_words):
        return "repeats a word"
    grounding_stems = {_stem(word) for word in words(grounding) if len(graphemes(word)) >= 2}
    if not any(_stem(word) in grounding_stems for word in title_words):
        return "shares no word with the prompt, characters or place"
    return None


def _element_dict(element: culture.CulturalElement | culture.KnowledgeEntry) -> dict[str, Any]:
    return {"id": element.id, "name_te": element.name_te, "name_en": element.name_en, "category": element.category}


def _characters(request: StoryRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pick the protagonist and a companion: names from the prompt first, then from the knowledge base."""
    gender = PROTAGONIST_GENDER.get(request.story_type)
    named = culture.detect_elements(request.prompt, categories=("name",))
    named_ids = {element.id for element in named}
    picked = culture.pick_names(request.cultural_context, count=4, seed=request.seed, gender=gender)
    candidates: list[culture.CulturalElement | culture.KnowledgeEntry] = [*named]
    candidates += [name for name in picked if name.id not in named_ids]
    protagonist, companion = candidates[0], candidates[1]
    return _element_dict(protagonist), _element_dict(companion)


def _place(request: StoryRequest) -> dict[str, Any]:
    """Pick the place the prompt names, else one that fits the context, else a village."""
    place = culture.pick_place(request.cultural_context, seed=request.seed, prompt=request.prompt)
    if place is None:
        place = culture.pick_place("rural", seed=request.seed)
    assert place is not None, "the knowledge base has no rural place"
    return _element_dict(place)


def plan_story(story_id: str, request: StoryRequest, runtime: ModelRuntime) -> dict[str, Any]:
    """Run the planner step and return the plan the writer follows."""
    with AgentStep(story_id, "planner") as step:
        protagonist, companion = _characters(request)
        place = _place(request)
        name, place_name = protagonist["name_te"], place["name_te"]
        beats = [
            {"key": beat.key, "cue": beat.cue.format(name=name, place=place_name, companion=companion["name_te"])}
            for beat in beats_for(request.story_type)
        ]
        setting = f"{place_name}, {request.prompt}"

        title, source = _model_title(step, runtime, request, name, place_name, setting)
        step.summary = f"title {title!r} ({source}); {len(beats)} beats; protagonist {name}; place {place_name}"
        return {
            "title": title,
            "title_source": source,
            "protagonist": protagonist,
            "companion": companion,
            "place": place,
            "setting": setting,
            "characters": [protagonist, companion],
            "beats": beats,
        }


def _model_title(
    step: AgentStep, runtime: ModelRuntime, request: StoryRequest, name: str, place: str, setting: str
) -> tuple[str, str]:
    fallback = FALLBACK_TITLES.get(request.story_type, FALLBACK_TITLES["short_story"]).format(name=name, place=place)
    if not step.agent.enabled:
        step.fell_back = True
        step.details["title_rejected"] = "planner disabled"
        return fallback, "fallback"

    prompt = step.agent.prompt_template.format(
        prompt=request.prompt, story_type=request.story_type, setting=setting, protagonist=name
    )
    completion = runtime.complete(
        completion_request(step.agent, prompt, seed=request.seed, overrides=request.sampling, stop=["\n"], grammar=TITLE_GRAMMAR)
    )
    step.add_completion(completion)
    candidate = normalize(completion.text.strip())
    problem = validate_title(candidate, f"{request.prompt} {name} {place}")
    step.details["title_candidate"] = candidate
    if problem is None:
        return candidate, "model"
    step.fell_back = True
    step.details["title_rejected"] = problem
    return fallback, "fallback"
