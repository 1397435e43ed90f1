"""Tables of labelled examples: CSV, TSV or JSON-lines files, read with bad input named clearly."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from rnnkit.data.text import read_text
from rnnkit.errors import DataError


class Table:
    """Rows of a file as dicts of strings, with the file's column names and each row's line."""

    def __init__(self, path: str, columns: list[str], rows: list[dict], lines: list[int]) -> None:
        self.path, self.columns, self.rows, self.lines = path, columns, rows, lines

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str, *, allow_empty: bool = False, what: str = "column") -> list[str]:
        """The values of column `name`; an error names the columns there are, or the first row
        whose cell is empty."""
        if name not in self.columns:
            raise DataError(f"{self.path}: no {what} {name!r}; the columns are: "
                            f"{', '.join(self.columns) or '(none)'}")
        values = [row.get(name) for row in self.rows]
        for value, line in zip(values, self.lines):
            if value is None or (not allow_empty and not str(value).strip()):
                raise DataError(f"{self.path} line {line}: empty {what} {name!r}")
        return ["" if v is None else str(v) for v in values]


def read_table(path: str | Path, encoding: str = "utf-8") -> Table:
    """A CSV (.csv), TSV (.tsv, .tab) or JSON-lines (.jsonl, .json) file with a header or keys."""
    text = read_text(path, encoding)
    path = str(path)
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return _read_jsonl(path, text)
    delimiter = "\t" if suffix in (".tsv", ".tab") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise DataError(f"{path}: no header line")
        columns = [c.strip() for c in header]
        rows, lines = [], []
        for record in reader:
            if not record or not any(cell.strip() for cell in record):
                continue
            if len(record) != len(columns):
                raise DataError(f"{path} line {reader.line_num}: {len(record)} fields where the "
                                f"header has {len(columns)} ({', '.join(columns)})")
            rows.append(dict(zip(columns, record)))
            lines.append(reader.line_num)
    except csv.Error as error:
        raise DataError(f"{path} line {reader.line_num}: not valid CSV ({error})") from None
    if not rows:
        raise DataError(f"{path}: a header but no rows")
    return Table(path, columns, rows, lines)


def _read_jsonl(path: str, text: str) -> Table:
    columns: list[str] = []
    rows, lines = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{path} line {number}: not valid JSON ({error.msg})") from None
        except RecursionError:
            raise DataError(f"{path} line {number}: JSON nested too deeply") from None
        except ValueError as error:  # e.g. an integer of thousands of digits
            raise DataError(f"{path} line {number}: a JSON value rnnkit cannot read ({error})") from None
        if not isinstance(record, dict):
            raise DataError(f"{path} line {number}: expected a JSON object per line")
        for key in record:
            if key not in columns:
                columns.append(key)
        try:
            rows.append({k: v if isinstance(v, str) or v is None else json.dumps(v) if isinstance(
                v, (list, dict)) else str(v) for k, v in record.items()})
        except (RecursionError, ValueError):
            raise DataError(f"{path} line {number}: a JSON value nested too deeply or too long") from None
        lines.append(number)
    if not rows:
        raise DataError(f"{path}: no JSON records")
    return Table(path, columns, rows, lines)
