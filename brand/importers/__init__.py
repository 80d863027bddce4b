"""Importers for the brand's CSV exports: Shopify products, Shopify orders, Meta Ads daily metrics.

`import_file` is the one entry: it reads the file in one transaction and either returns what it
created, updated and left unchanged, or raises `ImportRefused` naming every bad row, having
written nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.db import connection, transaction
from simple_history.models import HistoricalChanges

from ..clock import brand_tz
from ..models import Channel
from ..selectors import brand_profile
from ..signals import data_imported
from .common import (
    CHUNK_SIZE,
    BaseImporter,
    CsvSource,
    FileProblem,
    ImportRefused,
    ImportResult,
    ProgressCallback,
    RowError,
)
from .meta_ads import MetaAdsImporter
from .shopify_orders import ShopifyOrdersImporter
from .shopify_products import ShopifyProductsImporter

KINDS: dict[str, type[BaseImporter]] = {
    ShopifyProductsImporter.kind: ShopifyProductsImporter,
    ShopifyOrdersImporter.kind: ShopifyOrdersImporter,
    MetaAdsImporter.kind: MetaAdsImporter,
}

__all__ = ["KINDS", "ImportRefused", "ImportResult", "RowError", "import_file"]


class _RollBack(Exception):
    """Raised inside the transaction to undo a file with bad rows."""


def import_file(
    *,
    kind: str,
    path: str | Path,
    channel: str = Channel.META,
    progress: ProgressCallback | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportResult:
    """Import one export file whole, or nothing of it (then `ImportRefused` says why, row by row)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown import kind {kind!r}; expected one of {', '.join(KINDS)}.")
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}; expected one of {', '.join(Channel.values)}.")
    result = ImportResult(kind=kind, file=str(path))
    # Read before the import's transaction: the profile may be created on first use.
    profile = brand_profile()
    extra: dict[str, object] = {}
    if kind == ShopifyOrdersImporter.kind:
        extra = {"tz": brand_tz(profile), "currency": profile.currency}
    elif kind == MetaAdsImporter.kind:
        extra = {"channel": channel}
    try:
        with transaction.atomic(), CsvSource(Path(path), str(path)) as source:
            importer = KINDS[kind](source=source, result=result, chunk_size=chunk_size, **extra)
            importer.run(progress)
            if result.errors:
                raise _RollBack
    except FileProblem as problem:
        result.errors.append(RowError(problem.line, "", None, str(problem)))
    except _RollBack:
        pass
    if result.errors:
        # Nothing was written, so nothing was created, updated or left unchanged.
        for counter in (result.created, result.updated, result.unchanged, result.deleted):
            counter.clear()
        result.errors.sort(key=lambda error: (error.line, error.position))
        raise ImportRefused(result)
    refresh_planner_statistics()
    data_imported.send(sender=KINDS[kind], kind=kind)
    return result


def refresh_planner_statistics() -> None:
    """Bring PostgreSQL's table statistics up to date after an import.

    The planner sizes its joins from statistics that autovacuum refreshes only a while later:
    right after a bulk import it would still plan for nearly empty tables (a join built for a
    hundred rows that meets ten thousand), and the agents' analyses pay for it. SQLite has no
    statistics unless asked (ANALYZE) and plans from its indexes alone.

    The live tables and their many-to-many links (segment members, campaign SKUs), which the
    analyses read; not the history tables, which only the audit pages do.
    """
    if connection.vendor != "postgresql":
        return
    models = apps.get_app_config("brand").get_models(include_auto_created=True)
    live = [m for m in models if not issubclass(m, HistoricalChanges)]
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in live)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
