"""Admin pages for the agents: configuration with its audit log, and the recorded runs."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from agents.configuration import (
    AGENT_FIELDS,
    CULTURAL_ADAPTATION_LEVEL,
    SETTINGS_FIELDS,
    SETTINGS_OBJECT_FIELDS,
    configure_agent,
    settings_of,
    settings_object_errors,
)
from agents.models import Agent, AgentConfigurationChange, AgentRun, AgentSettings, ConfigurationSource


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


def describe_changes(change: AgentConfigurationChange) -> str:
    """Return one line per changed field: ``name: old -> new``, values as JSON."""
    lines = []
    for name, new in change.new_values.items():
        old = change.old_values.get(name)
        lines.append(f"{name}: {json.dumps(old, ensure_ascii=False)} -> {json.dumps(new, ensure_ascii=False)}")
    return "\n".join(lines)


class ConfigurationChangeInline(admin.TabularInline):
    """The agent's audit log on its page, newest first; rows cannot be added, edited or deleted."""

    model = AgentConfigurationChange
    fields = ("changed_at", "changed_by_email", "source", "changes")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "configuration changes"

    @admin.display(description="changes (old -> new)")
    def changes(self, change: AgentConfigurationChange) -> str:
        return describe_changes(change)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SettingsObjectFormField(forms.JSONField):
    """A settings object typed as JSON, checked with the same rules as the API."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", dict)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> dict[str, Any]:
        data = super().clean(value)
        if data is None:
            return {}
        errors = settings_object_errors(data)
        if errors:
            raise forms.ValidationError(
                [
                    message if key is None else f"{key!r}: {message}"
                    for key, messages in errors.items()
                    for message in messages
                ]
            )
        return data


def _settings_help(name: str) -> str:
    return str(AgentSettings._meta.get_field(name).help_text)


class AgentAdminForm(forms.ModelForm):
    """The Agent row's fields plus the agent's settings, saved together by AgentAdmin.save_model."""

    collaboration_settings = SettingsObjectFormField(help_text=_settings_help("collaboration_settings"))
    resource_limits = SettingsObjectFormField(help_text=_settings_help("resource_limits"))
    quality_thresholds = SettingsObjectFormField(help_text=_settings_help("quality_thresholds"))
    cultural_adaptation_level = forms.FloatField(
        required=False, min_value=0.0, max_value=1.0, help_text=_settings_help(CULTURAL_ADAPTATION_LEVEL)
    )

    class Meta:
        model = Agent
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A prompt's trailing space is part of the prompt (the planner's ends in "కథ పేరు: "),
        # and the default stripping would change it on every save.
        self.fields["prompt_template"].strip = False
        if self.instance.pk is not None:
            agent_settings = settings_of(self.instance)
            for name in SETTINGS_FIELDS:
                self.initial[name] = getattr(agent_settings, name)


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    form = AgentAdminForm
    list_display = ("id", "name", "enabled", "temperature", "top_p", "top_k", "repeat_penalty", "max_tokens", "updated_at")
    list_filter = ("enabled",)
    readonly_fields = ("id", "updated_at")
    fieldsets = (
        (None, {"fields": ("id", "name", "description", "enabled", "updated_at")}),
        ("Sampling", {"fields": ("temperature", "top_p", "top_k", "repeat_penalty", "max_tokens", "stop")}),
        ("Prompt", {"fields": ("prompt_template",)}),
        ("Settings", {"fields": (*SETTINGS_OBJECT_FIELDS, CULTURAL_ADAPTATION_LEVEL)}),
    )
    inlines = [ConfigurationChangeInline, RecentRunInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Agent, form: forms.ModelForm, change: bool) -> None:
        # The admin's change view already runs in a transaction; configure_agent saves
        # the row, the settings and the audit row inside it, or none of them.
        result = configure_agent(
            obj.pk,
            agent_values={name: getattr(obj, name) for name in AGENT_FIELDS},
            settings_values={name: form.cleaned_data[name] for name in SETTINGS_FIELDS if name in form.cleaned_data},
            actor=request.user,
            source=ConfigurationSource.ADMIN,
        )
        obj.refresh_from_db(fields=["updated_at"])
        if result.change is None:
            self.message_user(request, "Nothing changed, so no audit entry was written.")


@admin.register(AgentConfigurationChange)
class AgentConfigurationChangeAdmin(admin.ModelAdmin):
    """The audit log of agent configuration changes, read-only."""

    list_display = ("changed_at", "agent", "changed_by_email", "source", "changed_fields")
    list_filter = ("agent", "source")
    list_select_related = ("agent",)
    date_hierarchy = "changed_at"
    search_fields = ("changed_by_email",)
    fields = ("agent", "changed_at", "changed_by", "changed_by_email", "source", "changes")
    readonly_fields = fields

    @admin.display(description="changed fields")
    def changed_fields(self, change: AgentConfigurationChange) -> str:
        return ", ".join(change.new_values)

    @admin.display(description="changes (old -> new)")
    def changes(self, change: AgentConfigurationChange) -> str:
        return describe_changes(change)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgentConfigurationChange]:
        return super().get_queryset(request).select_related("agent", "changed_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
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
