"""Customers' personal data takes a permission: `brand.view_customer_pii`, granted to the Owners group.

The permission row is created here rather than left to post_migrate, so that the grant to the
Owners group (created by divisions 0002) holds from the first migrate on.
"""

from django.db import migrations

OWNERS_GROUP = "Owners"  # divisions.permissions.OWNERS_GROUP; a migration does not import app code


def grant_to_owners(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="brand", model="customer")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="view_customer_pii", defaults={"name": "Can see customers' personal data"}
    )
    owners, _ = Group.objects.get_or_create(name=OWNERS_GROUP)
    owners.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("brand", "0002_appliedaction"),
        ("divisions", "0002_the_eight_divisions"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="customer",
            options={"ordering": ["email"], "permissions": [("view_customer_pii", "Can see customers' personal data")]},
        ),
        migrations.RunPython(grant_to_owners, migrations.RunPython.noop),
    ]
