from django.db import migrations

# The templates are written out, not imported from agents.seeds, so this step
# keeps doing what it did when the seeds change again.
OLD_TEMPLATE = "తెలుగు కథ: {title}\nమెరుగులు: {improvements}\n\n{content}"
NEW_TEMPLATE = "తెలుగు కథ: {title}\n{refinement}\nమెరుగులు: {improvements}\n\n{content}"


def use_refinement_line(apps, schema_editor):
    # A template an admin already changed is left as it is.
    Agent = apps.get_model("agents", "Agent")
    Agent.objects.filter(pk="refiner", prompt_template=OLD_TEMPLATE).update(prompt_template=NEW_TEMPLATE)


def drop_refinement_line(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    Agent.objects.filter(pk="refiner", prompt_template=NEW_TEMPLATE).update(prompt_template=OLD_TEMPLATE)


class Migration(migrations.Migration):
    dependencies = [("agents", "0002_seed_agents")]

    operations = [migrations.RunPython(use_refinement_line, drop_refinement_line)]
