import django.db.models.deletion
from django.db import migrations, models

from stories.search import story_search_text

TRIGRAM_INDEX = "stories_story_search_trgm"
BACKFILL_BATCH = 500


def fill_search_text(apps, schema_editor) -> None:
    """Compute the search key of every story written before the column existed."""
    Story = apps.get_model("stories", "Story")
    batch = []
    for story in Story.objects.only("id", "title", "content").iterator(chunk_size=BACKFILL_BATCH):
        story.search_text = story_search_text(story.title, story.content)
        batch.append(story)
        if len(batch) >= BACKFILL_BATCH:
            Story.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Story.objects.bulk_update(batch, ["search_text"])


def add_first_versions(apps, schema_editor) -> None:
    """Record the text of every story completed before versions existed as its current version."""
    Story = apps.get_model("stories", "Story")
    StoryVersion = apps.get_model("stories", "StoryVersion")
    batch = []
    for story in Story.objects.filter(status="completed").iterator(chunk_size=BACKFILL_BATCH):
        batch.append(
            StoryVersion(
                story=story,
                number=story.version,
                title=story.title,
                content=story.content,
                quality_score=story.quality_score,
                word_count=story.word_count,
                emotions=story.emotions,
                cultural_elements=story.cultural_elements,
                metadata=story.metadata,
            )
        )
        if len(batch) >= BACKFILL_BATCH:
            StoryVersion.objects.bulk_create(batch)
            batch = []
    if batch:
        StoryVersion.objects.bulk_create(batch)


def _trigram_index():
    from django.contrib.postgres.indexes import GinIndex

    return GinIndex(fields=["search_text"], name=TRIGRAM_INDEX, opclasses=["gin_trgm_ops"])


def add_trigram_index(apps, schema_editor) -> None:
    """Index ``search_text`` by trigrams on PostgreSQL, so substring search avoids a full scan.

    pg_trgm serves ``LIKE '%...%'``, which is what ``search_text__contains``
    compiles to. The index is kept out of the model state because SQLite has no
    such index; SQLite runs the same query as a scan.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension since PostgreSQL 13, so a database owner
    # without superuser rights may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.add_index(apps.get_model("stories", "Story"), _trigram_index())


def remove_trigram_index(apps, schema_editor) -> None:
    """Drop the trigram index; the extension stays, since other objects may use it."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("stories", "Story"), _trigram_index())


class Migration(migrations.Migration):

    dependencies = [
        ("stories", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="story",
            name="search_text",
            field=models.TextField(
                blank=True,
                default="",
                editable=False,
                help_text="Title and content as a search key (NFC, casefolded, without ZWNJ/ZWJ), kept by save().",
            ),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_trigram_index, remove_trigram_index),
        migrations.CreateModel(
            name="StoryVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("title", models.CharField(blank=True, max_length=200)),
                ("content", models.TextField()),
                ("quality_score", models.FloatField(blank=True, null=True)),
                ("word_count", models.PositiveIntegerField(default=0)),
                ("emotions", models.JSONField(blank=True, default=list)),
                ("cultural_elements", models.JSONField(blank=True, default=list)),
                ("metadata", models.JSONField(blank=True, default=dict)),
                (
                    "refinement_type",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("emotion_enhancement", "Emotion enhancement"),
                            ("cultural_adaptation", "Cultural adaptation"),
                            ("character_development", "Character development"),
                            ("plot_improvement", "Plot improvement"),
                            ("language_polishing", "Language polishing"),
                        ],
                        help_text="The refinement that produced this text; empty for the generated original.",
                        max_length=32,
                    ),
                ),
                (
                    "improvements",
                    models.JSONField(blank=True, default=list, help_text="The improvements the refinement asked for."),
                ),
                (
                    "preserve_elements",
                    models.JSONField(
                        blank=True, default=list, help_text="The elements the refinement was asked to keep unchanged."
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "story",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="versions", to="stories.story"
                    ),
                ),
            ],
            options={
                "ordering": ["story", "-number"],
                "constraints": [
                    models.UniqueConstraint(fields=("story", "number"), name="stories_version_unique_number")
                ],
            },
        ),
        migrations.RunPython(add_first_versions, migrations.RunPython.noop, elidable=True),
    ]
