from django.contrib import admin

from agents.models import Agent, AgentRun


class RecentRunInline(admin.TabularInline):
    model = AgentRun
    fields = ("story", "started_at", "outcome", "prompt_tokens", "completion_tokens", "seconds", "error")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-started_at",)
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("story")


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "enabled", "temperature", "top_p", "top_k", "repeat_penalty", "max_tokens", "updated_at")
    list_filter = ("enabled",)
    readonly_fields = ("id", "updated_at")
    fieldsets = (
        (None, {"fields": ("id", "name", "description", "enabled", "updated_at")}),
        ("Sampling", {"fields": ("temperature", "top_p", "top_k", "repeat_penalty", "max_tokens", "stop")}),
        ("Prompt", {"fields": ("prompt_template",)}),
    )
    inlines = [RecentRunInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AgentRun)
class AgentRunAdmin(admin.ModelAdmin):
    list_display = ("id", "agent", "story", "outcome", "prompt_tokens", "completion_tokens", "seconds", "started_at")
    list_filter = ("agent", "outcome")
    date_hierarchy = "started_at"
    list_select_related = ("agent", "story")
    readonly_fields = [field.name for field in AgentRun._meta.fields]
    search_fields = ("story__id", "error")

    def has_add_permission(self, request) -> bool:
        return False
