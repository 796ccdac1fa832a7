from django.contrib import admin

from stories.models import Story


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "owner", "status", "story_type", "cultural_context", "word_count", "quality_score", "created_at")
    list_filter = ("status", "story_type", "cultural_context", "is_public")
    search_fields = ("title", "prompt", "owner__email")
    list_select_related = ("owner",)
    readonly_fields = ("id", "created_at", "updated_at", "started_at", "finished_at", "attempts", "generation_time")
    date_hierarchy = "created_at"
