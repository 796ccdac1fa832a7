"""Admin pages for the agents: configuration with its audit log, and the recorded runs."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from agents.configuration import (
    AGENT_FIELDS,
    CULTURAL_ADAPTATION_LEVEL,
    PERFORMANCE_PARAMETERS,
    SETTINGS_FIELDS,
    SETTINGS_OBJECT_FIELDS,
    configure_agent,
    settings_of,
    settings_object_errors,
)
from agents.metrics import AgentStatus, StatusReport, status_report
from agents.models import (
    TEMPLATE_FIELDS,
    Agent,
    AgentConfigurationChange,
    AgentRun,
    AgentSettings,
    ConfigurationSource,
    template_fields,
)
from analysis.text import normalize

# Rows shown on an agent's page; the full lists are one link away.
RECENT_RUNS_SHOWN = 20
RECENT_CHANGES_SHOWN = 20

# Bounds on stop strings, so one entry cannot make every completion scan a long list.
MAX_STOP_STRINGS = 16
MAX_STOP_STRING_LENGTH = 64


def describe_changes(change: AgentConfigurationChange) -> str:
    """Return one line per changed field: ``name: old -> new``, values as JSON."""
    lines = []
    for name, new in change.new_values.items():
        old = change.old_values.get(name)
        lines.append(f"{name}: {json.dumps(old, ensure_ascii=False)} -> {json.dumps(new, ensure_ascii=False)}")
    return "\n".join(lines)


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


def _template_help(role: str) -> str:
    allowed = sorted(TEMPLATE_FIELDS.get(role, frozenset()))
    placeholders = ", ".join("{" + name + "}" for name in allowed) if allowed else "none (the role takes no prompt)"
    return (
        f"Python str.format template. Placeholders of this role: {placeholders}. "
        "Write literal braces as {{ and }}. A trailing space or line break is kept."
    )


def _unix_newlines(text: str) -> str:
    """Return ``text`` with CRLF and CR turned into LF.

    Browsers send a textarea's line breaks as CRLF (HTML's form encoding), so without
    this a save from the browser would change every stored prompt that has a line break.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
        self.fields["prompt_template"].help_text = _template_help(self.instance.pk)
        self.fields["stop"].help_text = (
            f'Stop strings as a JSON list, such as ["\\n\\n", "కథ ముగిసింది"]: at most {MAX_STOP_STRINGS}, '
            f"each 1 to {MAX_STOP_STRING_LENGTH} characters. Generation ends before the first one it produces."
        )
        # The browser then checks the ranges too, with the same bounds the model validates.
        for name, bounds in PERFORMANCE_PARAMETERS.items():
            widget = self.fields[name].widget
            widget.attrs.update({"min": bounds.minimum, "max": bounds.maximum})
            widget.attrs["step"] = "1" if bounds.kind is int else "0.01"
        if self.instance.pk is not None:
            agent_settings = settings_of(self.instance)
            for name in SETTINGS_FIELDS:
                self.initial[name] = getattr(agent_settings, name)

    def clean_stop(self) -> Any:
        stop = self.cleaned_data.get("stop")
        # Agent.clean rejects anything but a list of non-empty strings; these are the admin's bounds.
        if not isinstance(stop, list):
            return stop
        if len(stop) > MAX_STOP_STRINGS:
            raise forms.ValidationError(
                f"There are {len(stop)} stop strings: keep at most {MAX_STOP_STRINGS}."
            )
        for item in stop:
            if isinstance(item, str) and len(item) > MAX_STOP_STRING_LENGTH:
                raise forms.ValidationError(
                    f"The stop string {item[:20]!r}... is {len(item)} characters long: "
                    f"use at most {MAX_STOP_STRING_LENGTH}."
                )
        duplicates = sorted({item for item in stop if isinstance(item, str) and stop.count(item) > 1})
        if duplicates:
            raise forms.ValidationError(f"Stop strings repeat: {', '.join(map(repr, duplicates))}. List each once.")
        return [normalize(item) if isinstance(item, str) else item for item in stop]

    def clean_description(self) -> str:
        return _unix_newlines(self.cleaned_data.get("description", ""))

    def clean_prompt_template(self) -> str:
        template = normalize(_unix_newlines(self.cleaned_data.get("prompt_template", "")))
        try:
            used = template_fields(template)
        except ValueError:
            return template  # Agent.clean reports the malformed template.
        allowed = TEMPLATE_FIELDS.get(self.instance.pk, frozenset())
        if used <= allowed:
            # Formatting once with empty values finds what parsing does not, such as
            # an unknown conversion ({title!x}) or a number format on text ({title:d}).
            try:
                template.format(**{name: "" for name in allowed})
            except ValueError as exc:
                raise forms.ValidationError(f"The template cannot be filled in: {exc}.") from exc
        return template


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _status_url() -> str | None:
    """Return the URL of GET agents/status, or None where the URLconf has no API (some test URLconfs)."""
    try:
        return reverse("agents-status")
    except NoReverseMatch:
        return None


def _figure(agent_id: str, name: str, text: str) -> SafeString:
    """Render a change-list cell that the page's script updates from GET /api/v2/agents/status."""
    return format_html('<span data-agent="{}" data-figure="{}">{}</span>', agent_id, name, text)


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    """Agent configuration with live status figures, the audit log and the latest runs of each agent.

    The figures come from agents.metrics.status_report, computed once per page.
    """

    form = AgentAdminForm
    list_display = (
        "id",
        "name",
        "enabled",
        "live_status",
        "runs",
        "success_rate",
        "performance_score",
        "average_response_time",
        "p95_seconds",
        "last_activity",
        "temperature",
        "max_tokens",
        "updated_at",
    )
    list_filter = ("enabled",)
    readonly_fields = ("id", "updated_at", "live_figures", "recent_changes", "recent_runs")
    fieldsets = (
        (None, {"fields": ("id", "name", "description", "enabled", "updated_at")}),
        ("Live status", {"fields": ("live_figures",)}),
        ("Sampling", {"fields": ("temperature", "top_p", "top_k", "repeat_penalty", "max_tokens", "stop")}),
        ("Prompt", {"fields": ("prompt_template",)}),
        ("Settings", {"fields": (*SETTINGS_OBJECT_FIELDS, CULTURAL_ADAPTATION_LEVEL)}),
        ("Configuration changes", {"fields": ("recent_changes",)}),
        ("Recent runs", {"fields": ("recent_runs",)}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # The change list

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        report = status_report(include_metrics=True)
        request.agent_status_report = report  # type: ignore[attr-defined]
        context = {"status_report": report, "status_url": _status_url(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        report: StatusReport = getattr(request, "agent_status_report", None) or status_report(include_metrics=True)
        statuses = {status.agent_id: status for status in report.agents}
        figures = (report.performance_metrics or {}).get("agents", {})
        for agent in changelist.result_list:
            agent.live = statuses.get(agent.pk)
            agent.live_figures_json = figures.get(agent.pk, {})
        return changelist

    @admin.display(description="status")
    def live_status(self, agent: Agent) -> SafeString:
        status: AgentStatus | None = getattr(agent, "live", None)
        return _figure(agent.pk, "status", status.status if status else "—")

    @admin.display(description="runs")
    def runs(self, agent: Agent) -> SafeString:
        runs = getattr(agent, "live_figures_json", {}).get("runs")
        return _figure(agent.pk, "runs", "—" if runs is None else str(runs))

    @admin.display(description="success rate")
    def success_rate(self, agent: Agent) -> SafeString:
        status = getattr(agent, "live", None)
        return _figure(agent.pk, "success_rate", _percent(status.success_rate if status else None))

    @admin.display(description="performance")
    def performance_score(self, agent: Agent) -> SafeString:
        status = getattr(agent, "live", None)
        return _figure(agent.pk, "performance_score", _percent(status.performance_score if status else None))

    @admin.display(description="mean time")
    def average_response_time(self, agent: Agent) -> SafeString:
        status = getattr(agent, "live", None)
        return _figure(agent.pk, "average_response_time", _seconds(status.average_response_time if status else None))

    @admin.display(description="p95 time")
    def p95_seconds(self, agent: Agent) -> SafeString:
        p95 = getattr(agent, "live_figures_json", {}).get("p95_seconds")
        return _figure(agent.pk, "p95_seconds", _seconds(p95))

    @admin.display(description="last activity")
    def last_activity(self, agent: Agent) -> Any:
        status = getattr(agent, "live", None)
        return status.last_activity if status and status.last_activity else "—"

    # The change page

    @admin.display(description="figures")
    def live_figures(self, agent: Agent) -> str:
        if agent.pk is None:
            return "—"
        report = status_report(include_metrics=True)
        status = next((item for item in report.agents if item.agent_id == agent.pk), None)
        figures = (report.performance_metrics or {}).get("agents", {}).get(agent.pk, {})
        return render_to_string(
            "admin/agents/agent/live_figures.html",
            {
                "status": status,
                "figures": figures,
                "success_rate": _percent(status.success_rate if status else None),
                "performance_score": _percent(status.performance_score if status else None),
                "average_response_time": _seconds(status.average_response_time if status else None),
                "median_seconds": _seconds(figures.get("median_seconds")),
                "p95_seconds": _seconds(figures.get("p95_seconds")),
                "last_updated": report.last_updated,
            },
        )

    @admin.display(description="latest changes")
    def recent_changes(self, agent: Agent) -> str:
        changes = list(
            AgentConfigurationChange.objects.filter(agent_id=agent.pk).order_by("-changed_at", "-id")[
                :RECENT_CHANGES_SHOWN
            ]
        )
        for change in changes:
            change.description = describe_changes(change)
        log_url = reverse("admin:agents_agentconfigurationchange_changelist")
        return render_to_string(
            "admin/agents/agent/recent_changes.html",
            {
                "changes": changes,
                "total": AgentConfigurationChange.objects.filter(agent_id=agent.pk).count(),
                "log_url": f"{log_url}?{urlencode({'agent__id__exact': agent.pk})}",
            },
        )

    @admin.display(description="latest runs")
    def recent_runs(self, agent: Agent) -> str:
        runs = list(
            AgentRun.objects.filter(agent_id=agent.pk).order_by("-started_at", "-id")[:RECENT_RUNS_SHOWN]
        )
        runs_url = reverse("admin:agents_agentrun_changelist")
        return render_to_string(
            "admin/agents/agent/recent_runs.html",
            {
                "runs": runs,
                "total": AgentRun.objects.filter(agent_id=agent.pk).count(),
                "runs_url": f"{runs_url}?{urlencode({'agent__id__exact': agent.pk})}",
            },
        )

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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A run is a measurement; the page shows it without a form to change it.
        return False
