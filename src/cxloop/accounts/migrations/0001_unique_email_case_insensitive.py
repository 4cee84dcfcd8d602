"""One account per e-mail address, whatever its case, even under concurrent sign-ups.

Django's auth.User cannot carry the constraint in its own model state, so the index is
created here; it skips empty addresses (e.g. a superuser created without one).
"""

from django.db import migrations

INDEX = "accounts_user_email_ci_unique"


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX} ON auth_user (LOWER(email)) WHERE email <> ''",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
