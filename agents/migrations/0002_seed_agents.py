from django.db import migrations


def seed_agents(apps, schema_editor):
    from agents.seeds import DEFAULT_AGENTS

    Agent = apps.get_model("agents", "Agent")
    for values in DEFAULT_AGENTS:
        values = dict(values)
        Agent.objects.update_or_create(id=values.pop("id"), defaults=values)


def remove_agents(apps, schema_editor):
    apps.get_model("agents", "Agent").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_initial")]

    operations = [migrations.RunPython(seed_agents, remove_agents)]
