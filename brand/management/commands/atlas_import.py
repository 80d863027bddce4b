"""`manage.py atlas_import KIND FILE`: load a Shopify or Ads Manager export, whole or not at all."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from brand.importers import KINDS, ImportRefused, import_file
from brand.models import Channel


class Command(BaseCommand):
    help = (
        "Import a CSV export: shopify-products, shopify-orders or meta-ads (an Ads Manager daily export; "
        "--channel for the same layout from another ad platform). Re-importing a file changes nothing; "
        "a file with any bad row is refused whole, with every bad row named."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="Which export the file is.")
        parser.add_argument("file", help="Path of the CSV file (UTF-8, as Shopify and Ads Manager export it).")
        parser.add_argument("--json", action="store_true", help="Print the result (or the errors) as JSON.")
        parser.add_argument(
            "--channel",
            choices=Channel.values,
            default=Channel.META,
            help="Ad channel of the campaigns a meta-ads file creates (default: meta).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_json: bool = options["json"]
        progress, bar = None, None
        if not as_json and self.stdout.isatty():
            from tqdm import tqdm

            bar = tqdm(total=0, unit="B", unit_scale=True, desc=options["kind"], file=self.stderr, leave=False)

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

        try:
            result = import_file(
                kind=options["kind"], path=options["file"], channel=options["channel"], progress=progress
            )
        except ImportRefused as refused:
            if as_json:
                self.stdout.write(json.dumps(refused.result.as_dict(), indent=2))
                raise CommandError(str(refused).splitlines()[-1]) from None
            raise CommandError(str(refused)) from None
        finally:
            if bar is not None:
                bar.close()
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self.stdout.write(self.style.SUCCESS(result.summary()))
