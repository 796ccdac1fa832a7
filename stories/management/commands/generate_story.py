"""Write one story from the command line with the same service code as the API."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from storyengine.api.errors import ServiceUnavailable
from stories import services
from stories.api.serializers import GenerateStorySerializer, StoryResponseSerializer
from stories.models import Story, StoryStatus

CLI_USER_EMAIL = "cli@storyengine.local"


class Command(BaseCommand):
    help = "Generate a Telugu story and print it with its title and measured scores."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prompt", required=True, help="What the story is about (10 to 1000 characters).")
        parser.add_argument("--length", type=int, default=500, help="Target length in words (100 to 10000).")
        parser.add_argument("--story-type", default="short_story", help="For example short_story or folk_tale.")
        parser.add_argument("--cultural-context", default="modern", help="For example rural or festival.")
        parser.add_argument(
            "--emotion", action="append", default=[], help="A rasa to focus on, such as karuna; repeatable."
        )
        parser.add_argument("--seed", type=int, help="Sampling seed, for a reproducible story.")
        parser.add_argument("--user", default=CLI_USER_EMAIL, help=f"Email of the owner; created when missing (default {CLI_USER_EMAIL}).")
        parser.add_argument("--json", action="store_true", help="Print the full StoryResponse as JSON.")

    def handle(self, *args, **options) -> None:
        payload = {
            "prompt": options["prompt"],
            "length": options["length"],
            "story_type": options["story_type"],
            "cultural_context": options["cultural_context"],
            "emotion_focus": options["emotion"],
        }
        if options["seed"] is not None:
            payload["advanced_options"] = {"seed": options["seed"]}
        serializer = GenerateStorySerializer(data=payload)
        if not serializer.is_valid():
            problems = "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in serializer.errors.items())
            raise CommandError(f"Invalid request: {problems}")

        owner = self._owner(options["user"])
        data = serializer.validated_data
        params = services.GenerationParams(
            prompt=data["prompt"],
            story_type=data["story_type"],
            cultural_context=data["cultural_context"],
            target_length=data["length"],
            emotion_focus=data["emotion_focus"],
            advanced_options=data["advanced_options"],
        )
        try:
            story = services.start_generation(owner, params)
        except ServiceUnavailable as exc:
            raise CommandError(str(exc.detail)) from None
        self.stderr.write(f"Story {story.pk} queued; writing…")
        story = services.wait_for_story(story.pk, timeout=24 * 3600)
        self._print(Story.objects.prefetch_related("agent_runs__agent").get(pk=story.pk), as_json=options["json"])
        if story.status != StoryStatus.COMPLETED:
            raise CommandError(f"Story {story.pk} ended {story.status}: {story.error}")

    def _owner(self, email: str):
        User = get_user_model()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, username=email.split("@")[0][:50].ljust(3, "_"), password=None)
        return user

    def _print(self, story: Story, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(StoryResponseSerializer(story).data, ensure_ascii=False, indent=2, default=str))
            return
        metadata = story.metadata or {}
        self.stdout.write(story.title)
        self.stdout.write("")
        self.stdout.write(story.content)
        self.stdout.write("")
        self.stdout.write(f"story_id: {story.pk}")
        self.stdout.write(f"status: {story.status}")
        self.stdout.write(f"words: {story.word_count} of {story.target_length} requested")
        if story.quality_score is not None:
            self.stdout.write(f"quality_score: {story.quality_score:.3f}")
        for name, value in (metadata.get("quality_components") or {}).items():
            self.stdout.write(f"  {name}: {value:.3f}")
        for emotion in story.emotions[:3]:
            self.stdout.write(f"emotion {emotion['emotion']}: {emotion['score']:.3f}")
        names = ", ".join(element["name"] for element in story.cultural_elements)
        self.stdout.write(f"cultural elements: {names or 'none'}")
        self.stdout.write(f"generation_time: {story.generation_time} s")
