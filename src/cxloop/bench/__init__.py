"""`make bench`: load synthetic responses in bulk and time the dashboard queries.

Not a Django app (no models): `generate` writes an organization's responses and rollups
straight into the configured database, `run` times the dashboard selectors against them.
`cli()` is the entry point (`python -c 'from cxloop.bench import cli; cli()' --responses N`):
it sets Django up before anything imports the models.
"""

import os


def cli() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxloop.settings")
    import django
    from django.conf import settings

    django.setup()
    # Like production: DEBUG would keep every SQL statement in memory and slow each query.
    settings.DEBUG = False
    from cxloop.bench.run import main

    main()
