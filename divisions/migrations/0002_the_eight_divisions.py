from django.db import migrations


def create_divisions(apps, schema_editor):
    from divisions.catalog import DIVISIONS

    Division = apps.get_model("divisions", "Division")
    for slug, name, mandate in DIVISIONS:
        Division.objects.update_or_create(slug=slug, defaults={"name": name, "mandate": mandate})


def create_owners_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="Owners")


class Migration(migrations.Migration):
    dependencies = [("divisions", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunPython(create_divisions, migrations.RunPython.noop),
        migrations.RunPython(create_owners_group, migrations.RunPython.noop),
    ]
