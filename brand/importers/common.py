"""Plumbing shared by the CSV importers: reading a file, headers, cell parsers, errors, results.

The importers stream: a file is read record by record and handled in chunks of whole groups
(all rows of one product or one order), so memory stays flat in the file's size. A file is one
transaction: every bad row is collected with its physical line number, and if there is any,
the transaction is rolled back and the whole file is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import timezone

from atlas_project.audit import Actor, acting_as, current_actor, history_write

CHUNK_SIZE = 2000
# A Shopify "Body (HTML)" cell can be far larger than the csv module's 128 KiB default.
FIELD_SIZE_LIMIT = 16 * 1024 * 1024
MAX_VALUE_SHOWN = 80
UTF8_BOM = b"\xef\xbb\xbf"

ProgressCallback = Callable[[int, int], None]


# --- errors and results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One bad cell (or a file-level problem when column is empty)."""

    line: int
    column: str
    value: str | None
    message: str
    # The column's position in the file, so that a row's errors read left to right.
    position: int = field(default=0, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "value": self.value, "message": self.message}

    def format(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        if self.column and self.value is not None:
            return f"{where}: column '{self.column}': value '{shorten(self.value)}' {self.message}"
        if self.column:
            return f"{where}: column '{self.column}' {self.message}"
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    kind: str
    file: str
    rows: int = 0
    skipped: int = 0
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "skipped": self.skipped,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "deleted": dict(self.deleted),
            "errors": [error.as_dict() for error in self.errors],
        }

    def error_lines(self) -> list[str]:
        return [error.format(self.file) for error in self.errors]

    def summary(self) -> str:
        models_seen = sorted(set(self.created) | set(self.updated) | set(self.unchanged) | set(self.deleted))
        parts = [f"{self.file}: {self.rows} rows ({self.kind})" + (f", {self.skipped} skipped" if self.skipped else "")]
        for name in models_seen:
            counts = f"{self.created[name]} created, {self.updated[name]} updated, {self.unchanged[name]} unchanged" + (
                f", {self.deleted[name]} deleted" if self.deleted[name] else ""
            )
            parts.append(f"  {name}: {counts}")
        return "\n".join(parts)


class ImportRefused(Exception):
    """The file was refused whole: nothing was written. `result.errors` names every bad row."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.result.errors)
        lines = self.result.error_lines()
        lines.append(f"{self.result.file}: refused ({count} error{'s' if count != 1 else ''}); nothing was written.")
        return "\n".join(lines)


class FileProblem(Exception):
    """The file cannot be read as CSV at all (missing, binary, not UTF-8, empty)."""

    def __init__(self, message: str, line: int = 0) -> None:
        self.line = line
        super().__init__(message)


def shorten(value: str) -> str:
    value = value.replace("\r", "\\r").replace("\n", "\\n")
    return value if len(value) <= MAX_VALUE_SHOWN else value[: MAX_VALUE_SHOWN - 1] + "…"


# --- cell parsers (pure: raise ValueError with the phrase that follows "value 'X'") ------------------

_NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d*)?$")
_INTEGER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.0*)?$")
_MONEY_LIMIT = Decimal(10) ** 12  # MONEY fields hold 14 digits, 2 of them after the point
_INT_LIMIT = 2**31
CENT = Decimal("0.01")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_SHOPIFY_DATETIME = "%Y-%m-%d %H:%M:%S %z"


def parse_decimal(text: str, *, negative: bool = False) -> Decimal | None:
    """A money amount, to the cent. Thousands separators ("1,234.50") are accepted; empty is None."""
    text = text.strip()
    if not text:
        return None
    if not _NUMBER.match(text) or not any(ch.isdigit() for ch in text):
        raise ValueError("is not a number")
    try:
        value = Decimal(text.replace(",", "")).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError("is not a number") from exc
    if abs(value) >= _MONEY_LIMIT:
        raise ValueError("is too large")
    if value < 0 and not negative:
        raise ValueError("must not be negative")
    return value


def parse_int(text: str, *, negative: bool = False) -> int | None:
    """A whole number ("1,204" and a spreadsheet's "12.0" included); empty is None."""
    text = text.strip()
    if not text:
        return None
    if not _INTEGER.match(text):
        raise ValueError("is not a whole number")
    value = int(text.replace(",", "").split(".")[0])
    if abs(value) >= _INT_LIMIT:
        raise ValueError("is too large")
    if value < 0 and not negative:
        raise ValueError("must not be negative")
    return value


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("is not a date (expected YYYY-MM-DD)") from exc


def parse_datetime(text: str, tz: ZoneInfo | dt.tzinfo) -> dt.datetime | None:
    """Shopify's "2024-03-05 14:22:11 -0500", ISO 8601, or a date; without an offset, in `tz`."""
    text = text.strip()
    if not text:
        return None
    value: dt.datetime | None = None
    try:
        value = dt.datetime.strptime(text, _SHOPIFY_DATETIME)
    except ValueError:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
    if value is None:
        raise ValueError("is not a date and time (expected e.g. 2024-03-05 14:22:11 -0500 or ISO 8601)")
    if timezone.is_naive(value):
        value = value.replace(tzinfo=tz)
    return value


def parse_bool(text: str) -> bool | None:
    text = text.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("is not true/false (expected TRUE, FALSE, yes or no)")


def parse_text(text: str, *, max_length: int) -> str:
    text = text.strip()
    if len(text) > max_length:
        raise ValueError(f"is too long (at most {max_length} characters)")
    return text


def max_length(model: type[models.Model], field_name: str) -> int:
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.Field) or field.max_length is None:
        raise ValueError(f"{model.__name__}.{field_name} has no max_length")
    return field.max_length


# --- reading --------------------------------------------------------------------------------------


def normalise_header(name: str) -> str:
    return " ".join(name.strip().lower().split())


@dataclass(frozen=True)
class Column:
    """A column an importer reads: the header it shows in errors and the headers it accepts."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    # For headers that carry a variable part, e.g. "Amount spent (EUR)".
    prefix: str | None = None

    def matches(self, header: str) -> bool:
        if header == normalise_header(self.label) or header in self.aliases:
            return True
        return self.prefix is not None and header.startswith(self.prefix)


class Row:
    """One record of the file: cells by column key, its physical line, and the errors in it."""

    __slots__ = ("_cells", "_index", "_labels", "errors", "line")

    def __init__(self, line: int, cells: list[str], index: dict[str, int], labels: dict[str, str]) -> None:
        self.line = line
        self._cells = cells
        self._index = index
        self._labels = labels
        self.errors: list[RowError] = []

    @property
    def bad(self) -> bool:
        return bool(self.errors)

    def has(self, key: str) -> bool:
        return key in self._index

    def raw(self, key: str) -> str:
        position = self._index.get(key)
        if position is None or position >= len(self._cells):
            return ""
        return self._cells[position]

    def error(self, key: str, message: str, value: str | None = None) -> None:
        self.errors.append(
            RowError(
                self.line,
                self._labels[key],
                self.raw(key) if value is None else value,
                message,
                position=self._index.get(key, -1),
            )
        )

    def parse(self, key: str, parser: Callable[..., Any], *args: Any, required: bool = False, **kwargs: Any) -> Any:
        """The cell parsed; on a bad cell the error is recorded on the row and None returned."""
        text = self.raw(key)
        if required and not text.strip():
            self.error(key, "is empty (required)")
            return None
        try:
            return parser(text, *args, **kwargs)
        except ValueError as exc:
            self.error(key, str(exc))
            return None


class CsvSource:
    """A CSV file read line by line from bytes, so that line numbers and decode errors are exact."""

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self.line = 0
        self._file: BinaryIO | None = None

    def __enter__(self) -> CsvSource:
        csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))
        try:
            self._file = self.path.open("rb")
        except FileNotFoundError as exc:
            raise FileProblem("no such file") from exc
        except IsADirectoryError as exc:
            raise FileProblem("is a directory, not a CSV file") from exc
        except OSError as exc:
            raise FileProblem(f"cannot be read ({exc.strerror})") from exc
        self.size = self.path.stat().st_size
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._file is not None:
            self._file.close()

    @property
    def bytes_read(self) -> int:
        return self._file.tell() if self._file is not None else 0

    def _lines(self) -> Iterator[str]:
        assert self._file is not None
        for raw in self._file:
            self.line += 1
            if self.line == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                byte = raw[exc.start : exc.start + 1].hex()
                raise FileProblem(
                    f"is not UTF-8 text (byte 0x{byte} at column {exc.start + 1}); export it as CSV UTF-8",
                    line=self.line,
                ) from exc
            # Python's csv reader accepts NUL since 3.11; in an export it means a binary file.
            if "\x00" in text:
                raise FileProblem(f"is not a CSV file (NUL byte at column {text.index(chr(0)) + 1})", line=self.line)
            yield text

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(first physical line of the record, cells) for every non-blank record."""
        reader = csv.reader(self._lines())
        previous = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileProblem(f"is not a CSV file ({exc})", line=self.line) from exc
            start, previous = previous + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells


# --- the importer skeleton ------------------------------------------------------------------------


class BaseImporter:
    """Reads a file in chunks of whole groups and hands each chunk to `process_chunk`.

    Subclasses declare their `columns`, say which rows belong together (`group_key`) and do the
    bulk upserts of a chunk with a handful of `__in` queries, never one query per row.
    """

    kind: str
    columns: tuple[Column, ...]

    def __init__(self, *, source: CsvSource, result: ImportResult, chunk_size: int = CHUNK_SIZE) -> None:
        self.source = source
        self.result = result
        self.chunk_size = chunk_size
        # History rows name whoever runs the import, else the import itself ("import:shopify-products").
        self.actor = current_actor() or Actor(label=f"import:{self.kind}")
        self.now = timezone.now()

    # hooks
    def group_key(self, row: Row) -> str | None:
        return None

    def process_chunk(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def skip(self, row: Row) -> bool:
        """Rows that carry nothing to import (a Shopify image row, a totals row)."""
        return False

    def finish(self) -> None:
        """After the last chunk: counts that needed the whole file."""

    # machinery
    def map_header(self, header: list[str]) -> tuple[dict[str, int], dict[str, str]] | None:
        index: dict[str, int] = {}
        labels: dict[str, str] = {}
        normalised = [normalise_header(name) for name in header]
        for column in self.columns:
            positions = [position for position, name in enumerate(normalised) if column.matches(name)]
            if not positions:
                labels[column.key] = column.label
                if column.required:
                    self.result.errors.append(RowError(1, column.label, None, "is missing from the header"))
                continue
            index[column.key] = positions[0]
            labels[column.key] = header[positions[0]].strip()
            if len(positions) > 1:
                # Two columns for one fact: which one the person meant is a guess, so ask instead.
                where = " and ".join(str(p + 1) for p in positions)
                self.result.errors.append(
                    RowError(1, labels[column.key], None, f"appears more than once in the header (columns {where})")
                )
        return None if self.result.errors else (index, labels)

    def run(self, progress: ProgressCallback | None = None) -> None:
        records = self.source.records()
        first = next(records, None)
        if first is None:
            raise FileProblem("is empty (no header row)")
        mapping = self.map_header(first[1])
        if mapping is None:
            return
        index, labels = mapping
        chunk: list[Row] = []
        last_key: str | None = None
        for line, cells in records:
            self.result.rows += 1
            row = Row(line, cells, index, labels)
            if self.skip(row):
                self.result.skipped += 1
                continue
            key = self.group_key(row)
            # Cut only between groups, so that one product's or one order's rows share a chunk.
            if len(chunk) >= self.chunk_size and (key is None or key != last_key):
                self._flush(chunk, progress)
                chunk = []
            chunk.append(row)
            last_key = key
        if chunk:
            self._flush(chunk, progress)
        self.finish()

    def _flush(self, chunk: list[Row], progress: ProgressCallback | None) -> None:
        self.process_chunk(chunk)
        for row in chunk:
            self.result.errors.extend(row.errors)
        if progress is not None:
            progress(self.source.bytes_read, self.source.size)

    # bulk writes, with history for the historied models
    def bulk_create(self, model: type[models.Model], objs: list[Any]) -> list[Any]:
        if not objs:
            return objs
        created = model._default_manager.bulk_create(objs, batch_size=500)
        if getattr(model, "history", None) is not None:
            with acting_as(self.actor):
                history_write(created, created=True, at=self.now)
        return created

    def bulk_update(self, model: type[models.Model], objs: list[Any], fields: Iterable[str]) -> None:
        if not objs:
            return
        model._default_manager.bulk_update(objs, list(fields), batch_size=500)
        if getattr(model, "history", None) is not None:
            with acting_as(self.actor):
                # The rows hold what bulk_update wrote: no reload.
                history_write(objs, refresh=False, at=self.now)


def assign_changes(obj: models.Model, values: dict[str, Any]) -> bool:
    """Set `values` on obj; True when anything differed (unchanged rows are not written)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed
