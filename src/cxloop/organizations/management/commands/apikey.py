from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cxloop.organizations.models import Organization
from cxloop.organizations.selectors import api_key_list
from cxloop.organizations.services import api_key_create, api_key_revoke


class Command(BaseCommand):
    help = "Create, list or revoke an organization's API keys."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--organization", required=True, help="organization slug")
        parser.add_argument("--name", default="API key", help="label for a new key")
        parser.add_argument("--prefix", help="the key's prefix, for revoke")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = Organization.objects.get(slug=options["organization"])
        except Organization.DoesNotExist as error:
            raise CommandError(f"No organization with slug {options['organization']!r}") from error
        action = options["action"]
        if action == "create":
            api_key, raw_key = api_key_create(organization=organization, name=options["name"])
            self.stderr.write(f"Created API key {api_key.name!r} for {organization.slug}.")
            # The key is the last line so scripts can take it with `tail -n 1`.
            self.stdout.write(raw_key)
        elif action == "list":
            for api_key in api_key_list(organization=organization):
                state = "revoked" if api_key.revoked_at else "active"
                self.stdout.write(
                    f"{api_key.prefix}\t{state}\t{api_key.name}\t{api_key.created_at}"
                )
        else:
            if not options["prefix"]:
                raise CommandError("revoke needs --prefix")
            key = api_key_list(organization=organization).filter(prefix=options["prefix"]).first()
            if key is None:
                raise CommandError(f"No key with prefix {options['prefix']!r}")
            api_key_revoke(api_key=key)
            self.stdout.write(f"Revoked {key.prefix}")
