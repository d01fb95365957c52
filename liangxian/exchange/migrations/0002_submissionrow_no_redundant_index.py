"""Drop the index on SubmissionRow.submission alone: the unique (submission, row_number) constraint serves it.

One index fewer to write for every row of a list. Dropped by name rather than by AlterField, which on SQLite
would copy the whole table to do it.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "exchange_submissionrow_submission_id_5bca5f94"


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "exchange_submissionrow" ("submission_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="submissionrow",
                    name="submission",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rows",
                        to="exchange.submission",
                        verbose_name="submission",
                    ),
                ),
            ],
        ),
    ]
