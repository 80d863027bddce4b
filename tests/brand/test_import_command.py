"""`manage.py atlas_import`: its summary, its JSON, and no traceback for any bad file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from brand import models as bm
from tests.brand.import_helpers import FILES, snapshot

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("atlas_import", *args, stdout=out)
    return out.getvalue()


def test_summary_counts_per_model():
    out = run("shopify-products", str(FILES / "products_export.csv"))
    assert out.splitlines() == [
        f"{FILES / 'products_export.csv'}: 7 rows (shopify-products), 1 skipped",
        "  product: 3 created, 0 updated, 0 unchanged",
        "  variant: 6 created, 0 updated, 0 unchanged",
    ]
    out = run("shopify-products", str(FILES / "products_export.csv"))
    assert "  variant: 0 created, 0 updated, 6 unchanged" in out.splitlines()


def test_json_output_for_scripts():
    data = json.loads(run("meta-ads", str(FILES / "ads_mixed_case.csv"), "--json", "--channel", "pinterest"))
    assert data == {
        "kind": "meta-ads",
        "file": str(FILES / "ads_mixed_case.csv"),
        "rows": 3,
        "skipped": 0,
        "created": {"adcampaign": 2, "admetric": 3},
        "updated": {},
        "unchanged": {},
        "deleted": {},
        "errors": [],
    }
    assert set(bm.AdCampaign.objects.values_list("channel", flat=True)) == {"pinterest"}


def test_a_bad_file_is_a_command_error_naming_every_line():
    with pytest.raises(CommandError) as error:
        run("shopify-products", str(FILES / "products_broken.csv"))
    message = str(error.value)
    assert f"{FILES / 'products_broken.csv'}:3: column 'Variant Price': value '12,5' is not a number" in message
    assert len(re.findall(r"products_broken\.csv:\d+: ", message)) == 7
    assert message.endswith("refused (7 errors); nothing was written.")


def test_a_bad_file_with_json_prints_the_errors_as_json_and_fails():
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("atlas_import", "shopify-products", str(FILES / "products_broken.csv"), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["created"] == {}
    assert data["errors"][0] == {"line": 3, "column": "Variant Price", "value": "12,5", "message": "is not a number"}
    assert len(data["errors"]) == 7


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"", "is empty (no header row)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not UTF-8 text (byte 0x89 at column 1)"),
        (
            b"Handle,Title,Variant SKU,Variant Price\nnul,\x00x,N-1,1\n",
            "export.csv:2: is not a CSV file (NUL byte at column 5)",
        ),
        ("Handle,Title,Variant SKU,Variant Price\nbol,Crème bowl,B-1,5\n".encode("latin-1"), "is not UTF-8 text"),
    ],
)
def test_unreadable_files_are_named_without_a_traceback(tmp_path, content, expected):
    path = tmp_path / "export.csv"
    if content is not None:
        path.write_bytes(content)
    before = snapshot()
    with pytest.raises(CommandError) as error:
        run("shopify-products", str(path))
    assert str(path) in str(error.value) and expected in str(error.value)
    assert snapshot() == before


def test_a_latin1_file_names_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        "Handle,Title,Variant SKU,Variant Price\nbowl,Bowl,B-1,5\nvase,Crème vase,V-1,9\n".encode("latin-1")
    )
    with pytest.raises(CommandError) as error:
        run("shopify-products", str(path))
    assert str(error.value).startswith(f"{path}:3: is not UTF-8 text (byte 0xe8 at column 8)")
    assert not bm.Product.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_in_a_real_process_prints_no_traceback():
    """Run as a user would: a non-zero exit, the error lines, no Python traceback."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        url = f"sqlite:///{database['NAME']}"
    else:
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "manage.py", "atlas_import", "shopify-orders", str(FILES / "orders_broken.csv")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "orders_broken.csv:5: column 'Lineitem sku': value 'CDL-XXX-8' is not a known SKU" in done.stderr
    assert done.stderr.rstrip().endswith("refused (11 errors); nothing was written.")


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal():
    out, err = Terminal(), StringIO()
    call_command("atlas_import", "meta-ads", str(FILES / "meta_ads_daily.csv"), stdout=out, stderr=err)
    assert "meta-ads" in err.getvalue() and "B/s" in err.getvalue()
    out, err = StringIO(), StringIO()
    call_command("atlas_import", "meta-ads", str(FILES / "meta_ads_daily.csv"), stdout=out, stderr=err)
    assert err.getvalue() == ""
