"""Record in the database itself every update or removal of a resident or household (SQLite), and the apply marks.

The triggers write a RegisterChange row for every person or household row updated or deleted, by any code or
client: a list's next version trusts them to name every person the register changed for since its apply (see
registry.services._incremental). PostgreSQL gets none: there the apply always compares the whole list.
"""

import django.db.models.deletion
from django.db import migrations, models

TRIGGERS = {
    "registry_person_changed": "AFTER UPDATE ON registry_person BEGIN INSERT INTO registry_registerchange "
    "(person_id, old_id_number, new_id_number, household_id) VALUES (OLD.id, OLD.id_number, NEW.id_number, NULL); END",
    "registry_person_removed": "AFTER DELETE ON registry_person BEGIN INSERT INTO registry_registerchange "
    "(person_id, old_id_number, new_id_number, household_id) VALUES (OLD.id, OLD.id_number, '', NULL); END",
    "registry_household_changed": "AFTER UPDATE ON registry_household BEGIN INSERT INTO registry_registerchange "
    "(person_id, old_id_number, new_id_number, household_id) VALUES (NULL, '', '', OLD.id); END",
    "registry_household_removed": "AFTER DELETE ON registry_household BEGIN INSERT INTO registry_registerchange "
    "(person_id, old_id_number, new_id_number, household_id) VALUES (NULL, '', '', OLD.id); END",
}


def _triggers_create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name, body in TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {body}")


def _triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0004_row_digest'),
        ('registry', '0003_personfact_no_redundant_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='RegisterChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('person_id', models.BigIntegerField(blank=True, null=True, verbose_name='person')),
                ('old_id_number', models.CharField(blank=True, max_length=30, verbose_name='ID number before')),
                ('new_id_number', models.CharField(blank=True, max_length=30, verbose_name='ID number after')),
                ('household_id', models.BigIntegerField(blank=True, null=True, verbose_name='household')),
            ],
            options={
                'verbose_name': 'register change',
                'verbose_name_plural': 'register changes',
            },
        ),
        migrations.CreateModel(
            name='ApplyMark',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('change_id', models.BigIntegerField(verbose_name='last register change')),
                ('person_id', models.BigIntegerField(verbose_name='last person')),
                ('household_id', models.BigIntegerField(verbose_name='last household')),
                ('context', models.CharField(max_length=64, verbose_name='context digest')),
                ('unplaced', models.JSONField(blank=True, default=list, verbose_name='ID numbers not placed')),
                ('submission', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='apply_mark', to='exchange.submission', verbose_name='submission')),
            ],
            options={
                'verbose_name': 'apply mark',
                'verbose_name_plural': 'apply marks',
            },
        ),
        migrations.RunPython(_triggers_create, _triggers_drop, elidable=False),
    ]
