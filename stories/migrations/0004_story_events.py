import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("stories", "0003_story_pending_refinement"),
    ]

    operations = [
        migrations.AddField(
            model_name="story",
            name="event_seq",
            field=models.PositiveIntegerField(
                default=0, editable=False, help_text="Number of the story's last progress event; 0 before the first."
            ),
        ),
        migrations.CreateModel(
            name="StoryEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveIntegerField()),
                ("type", models.CharField(max_length=32)),
                ("data", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "story",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="events", to="stories.story"
                    ),
                ),
            ],
            options={
                "ordering": ["story", "seq"],
                "constraints": [models.UniqueConstraint(fields=("story", "seq"), name="stories_event_unique_seq")],
            },
        ),
    ]
