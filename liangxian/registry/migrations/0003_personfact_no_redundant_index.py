"""Drop the index on PersonFact.person alone: the (person, field, current) index serves every lookup by person.

The index is dropped by name rather than by AlterField, which on SQLite would copy the whole table to do it.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "registry_personfact_person_id_e753a5f6"


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_facts_categories_corrections_verifications"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "registry_personfact" ("person_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="personfact",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="facts",
                        to="registry.person",
                        verbose_name="person",
                    ),
                ),
            ],
        ),
    ]
