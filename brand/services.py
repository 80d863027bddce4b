"""Writes to the brand's data that other apps call. Action types (brand.actions) change the rest.

Grouped by subdomain; each group is small, so they share this module.
"""

from __future__ import annotations

# --- Importers: CSV exports (Shopify products and orders, Ads Manager daily metrics) ------------
# The importers live in brand.importers (one module per export format); `import_file` is their
# service entry: one file, one transaction, `ImportRefused` naming every bad row.
from .importers import ImportRefused, ImportResult, import_file

__all__ = ["ImportRefused", "ImportResult", "import_file"]
