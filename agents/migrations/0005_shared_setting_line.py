from django.db import migrations

# The templates are written out, not imported from agents.seeds, so this step
# keeps doing what it did when the seeds change again. Both new templates open
# with the setting line, so the writer's first model call reuses the prompt
# tokens of the planner's call.
TEMPLATES = {
    "planner": (
        "కథా వస్తువు: {prompt}\nప్రధాన పాత్ర: {protagonist}\nనేపథ్యం: {setting}\nకథ పేరు: ",
        "నేపథ్యం: {setting}\nకథా వస్తువు: {prompt}\nప్రధాన పాత్ర: {protagonist}\nకథ పేరు: ",
    ),
    "writer": (
        "తెలుగు కథ: {title}\nపాత్రలు: {characters}\nనేపథ్యం: {setting}\n\n{story_so_far}",
        "నేపథ్యం: {setting}\nపాత్రలు: {characters}\nతెలుగు కథ: {title}\n\n{story_so_far}",
    ),
}


def open_with_setting(apps, schema_editor):
    # A template an admin already changed is left as it is.
    Agent = apps.get_model("agents", "Agent")
    for agent_id, (old, new) in TEMPLATES.items():
        Agent.objects.filter(pk=agent_id, prompt_template=old).update(prompt_template=new)


def open_with_title(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    for agent_id, (old, new) in TEMPLATES.items():
        Agent.objects.filter(pk=agent_id, prompt_template=new).update(prompt_template=old)


class Migration(migrations.Migration):
    dependencies = [("agents", "0004_agent_settings_and_audit")]

    operations = [migrations.RunPython(open_with_setting, open_with_title)]
