"""Read the tables departments send (xlsx, xls, csv in UTF-8, UTF-8 with BOM or GBK) into frames of text.

Every cell is read as text; an ID column also says which cells were numbers in the workbook, because Excel keeps
only 15 significant digits of a number and the digits shown are then not the digits typed. The header row is
found among the first rows (a title above it, a group heading merged over two rows), its names matched
tolerantly to the columns a dataset expects. Blank rows are skipped and counted. A file that cannot be read at
all raises ``UnreadableFile`` with a stable code and a clerk-readable Chinese reason.

No Python loop runs over the data rows: the sheet is read by fastexcel (calamine) and shaped by Polars.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import fastexcel
import polars as pl

__all__ = ["MESSAGES", "ColumnSpec", "ReadResult", "UnreadableFile", "read_table"]

# Plain constants like core's MESSAGES: the exchange layer may render them through its own catalogue by code.
MESSAGES: Final = {
    "empty": "文件是空的，没有任何内容",
    "not_a_table": "文件不是 Excel（xlsx、xls）或 CSV 表格",
    "image": "文件是图片，不是 Excel 或 CSV 表格；请上传数据表，签字盖章的扫描件请在审批时上传",
    "corrupt": "文件已损坏或不是有效的 Excel 工作簿，无法读取",
    "encrypted": "工作簿设置了打开密码，请去掉密码后重新上传",
    "encoding": "无法识别 CSV 文件的编码（支持 UTF-8、带 BOM 的 UTF-8 和 GBK）",
    "sheet_not_found": "工作簿中没有指定的工作表",
    "missing_columns": "缺少必需的列：{columns}",
}

HEADER_SEARCH_ROWS: Final = 10  # the header row is looked for among this many rows from the top
_CSV_SNIFF_LINES: Final = 50
_XLSX_CHUNK: Final = 1 << 23
_ZIP: Final = b"PK\x03\x04"
_OLE2: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES: Final = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"%PDF", b"BM")
_BOM: Final = codecs.BOM_UTF8
_PARENS: Final = re.compile(r"\([^()]*\)")
_SPACES: Final = re.compile(r"\s+")
_TYPES: Final = frozenset({"id_number", "name", "text", "date", "phone", "enum", "division", "number"})
# A numeric cell of an xlsx sheet: no type attribute (or t="n") and a value. Excel, WPS, LibreOffice,
# xlsxwriter and openpyxl all write the reference attribute first.
_NUMERIC_CELL: Final = r'<c r="[A-Z]{1,3}[0-9]+"(?: s="[0-9]+")?(?: t="n")?>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?<v>'
_NUMERIC_CELL_BYTES: Final = re.compile(_NUMERIC_CELL.encode())
_CELL_REF: Final = b'<c r="'
_CELL_START: Final = b"<c "
_VALUE: Final = b"<v>"
# Up to this many values in a piece of sheet XML are looked at one by one; more go to Polars' regex engine.
_FEW_VALUES: Final = 1024


@dataclass(frozen=True)
class ColumnSpec:
    """One column a dataset expects: its key, its Chinese header and the other names it goes by."""

    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    type: str = "text"  # id_number | name | text | date | phone | enum | division | number

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise ValueError(f"unknown column type {self.type!r}")


class UnreadableFile(Exception):
    """A file that cannot be read as a table at all; nothing of it may be used."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message if message is not None else MESSAGES.get(code, code)
        super().__init__(self.message)


@dataclass
class ReadResult:
    """The rows of a table as text, with where they came from and how the header was understood."""

    frame: pl.DataFrame
    format: str  # xlsx | xls | csv
    encoding: str  # utf-8 | utf-8-sig | gbk | "" for Excel
    header_map: dict[str, str] = field(default_factory=dict)  # header as written -> key
    unmatched_headers: list[str] = field(default_factory=list)
    header_row: int = 1  # 1-based row (Excel row or csv line) of the last header row
    blank_rows: int = 0


def read_table(
    source: Path | bytes,
    *,
    filename: str,
    columns: Sequence[ColumnSpec],
    sheet: int | str = 0,
    original: str = "json",
) -> ReadResult:
    """Read an xlsx, xls or csv table into text columns keyed by the dataset's column keys.

    The frame holds ``__row`` (the row number as the clerk sees it), one String column per matched key (cells
    stripped, null when empty; ID and name cells keep their spaces so that the repair can be reported), for each
    ``id_number`` column ``K`` also ``K__numeric`` (the cell was a number in the workbook), and ``__original``
    (the row as written, a JSON object keyed by the headers). With ``original="struct"`` ``__original`` is the
    same row as a struct of the cells (fields named as the JSON keys), which costs nothing to build: a caller
    that keeps the row as written for a few rows only encodes those (``.struct.json_encode()``).
    """
    if original not in ("json", "struct"):
        raise ValueError(f"unknown original form {original!r}")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    kind = _sniff(data, filename)
    if kind == "csv":
        raw, encoding, line_offsets = _read_csv(data)
        return _shape(
            raw, columns, fmt="csv", encoding=encoding, line_offsets=line_offsets, numeric=None, original=original
        )
    return _read_excel(data, kind, columns, sheet, original)


# --- format ------------------------------------------------------------------------------------------------


def _sniff(data: bytes, filename: str) -> str:
    """Tell the format from the bytes, not from the name: a renamed file is common."""
    if not data.strip(b" \t\r\n\x00" + _BOM):
        raise UnreadableFile("empty")
    if data.startswith(_ZIP):
        return "xlsx"
    if data.startswith(_OLE2):
        return "xls"
    if data.startswith(_IMAGES):
        raise UnreadableFile("image")
    if b"\x00" in data[:8192]:
        # Text files have no NUL bytes; a binary file with an Excel name is a broken workbook.
        raise UnreadableFile("corrupt" if filename.lower().endswith((".xlsx", ".xls", ".xlsm")) else "not_a_table")
    return "csv"


# --- csv ---------------------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(_BOM):
        try:
            return data[len(_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UnreadableFile("encoding") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB 18030 is the superset of GBK that Windows in China writes; report it under the name clerks know.
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        raise UnreadableFile("encoding") from exc


def _read_csv(data: bytes) -> tuple[pl.DataFrame, str, pl.Series]:
    text, encoding = _decode(data)
    head = text[: 1 << 16].splitlines()[:_CSV_SNIFF_LINES]
    width = max((len(row) for row in csv.reader(head)), default=0)
    if width == 0:
        raise UnreadableFile("empty")
    names = [f"c{i}" for i in range(width)]
    try:
        raw = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            has_header=False,
            schema=dict.fromkeys(names, pl.String),
            truncate_ragged_lines=True,
            missing_columns="insert",
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise UnreadableFile("not_a_table") from exc
    # A quoted cell may hold line breaks: the line of each row is its index plus the breaks above it.
    breaks = pl.sum_horizontal([pl.col(c).str.count_matches("\n").fill_null(0) for c in names])
    offsets = raw.select((breaks.cum_sum() - breaks).cast(pl.Int64).alias("offset")).to_series()
    return raw, encoding, offsets


# --- xlsx and xls ------------------------------------------------------------------------------------------


def _read_excel(
    data: bytes, kind: str, columns: Sequence[ColumnSpec], sheet: int | str, original: str = "json"
) -> ReadResult:
    if kind == "xlsx":
        _check_zip(data)
    try:
        reader = fastexcel.read_excel(data)
        names = reader.sheet_names
    except fastexcel.FastExcelError as exc:
        raise UnreadableFile("encrypted" if kind == "xls" and _encrypted_ooxml(data) else "corrupt") from exc
    if (isinstance(sheet, int) and not 0 <= sheet < len(names)) or (isinstance(sheet, str) and sheet not in names):
        raise UnreadableFile("sheet_not_found")
    index = sheet if isinstance(sheet, int) else names.index(sheet)

    names_by_index: dict[int, str] = {}

    def load() -> pl.DataFrame:
        # header_row=None with skip_rows=0 keeps leading empty rows, so row i of the frame is Excel row i+1.
        loaded = reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
        frame = loaded.to_polars()
        # Leading empty columns are dropped by calamine: name each column by its absolute position.
        names_by_index.update({info.absolute_index: info.name for info in loaded.available_columns()})
        return frame.rename({name: f"c{absolute}" for absolute, name in names_by_index.items()})

    numeric: _NumericCells | None = None
    try:
        if kind == "xlsx":
            # The XML scan for numeric cells runs while calamine parses the same sheet (both release the GIL
            # for most of their work), so it costs little wall time.
            with ThreadPoolExecutor(max_workers=1) as pool:
                future = pool.submit(load)
                numeric = _xlsx_numeric_cells(data, index)
                raw = future.result()
        else:
            raw = load()
    except fastexcel.FastExcelError as exc:
        raise UnreadableFile("corrupt") from exc
    if numeric is None:
        numeric = _NumericCells(reader=reader, index=index, names=names_by_index)
    return _shape(raw, columns, fmt=kind, encoding="", line_offsets=None, numeric=numeric, original=original)


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise UnreadableFile("not_a_table")
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("corrupt") from exc


def _encrypted_ooxml(data: bytes) -> bool:
    # A password-protected xlsx is an OLE2 container holding an "EncryptedPackage" stream.
    return "EncryptedPackage".encode("utf-16-le") in data[:65536] or b"EncryptedPackage" in data[:65536]


@dataclass
class _NumericCells:
    """Where the numeric cells are: (column, Excel row) from the xlsx XML, or else a second read of the sheet."""

    cells: pl.DataFrame | None = None  # columns "col" (absolute index) and "row" (Excel row)
    reader: fastexcel.ExcelReader | None = None
    index: int = 0
    names: dict[int, str] = field(default_factory=dict)  # absolute column index -> fastexcel's column name

    def flags(self, column: str, rows: pl.Series) -> pl.Series:
        """Tell, for each Excel row number, whether the cell of this column (``c<n>``) holds a number."""
        absolute = int(column[1:])
        if self.cells is not None:
            return rows.is_in(self.cells.filter(pl.col("col") == absolute)["row"].implode())
        assert self.reader is not None
        # xls (BIFF): read the column once more as booleans; only numbers and booleans give a value there.
        loaded = self.reader.load_sheet(
            self.index, header_row=None, skip_rows=0, dtypes="boolean", use_columns=[self.names[absolute]]
        )
        typed = loaded.to_polars().to_series().is_not_null()
        by_row = pl.DataFrame({"row": pl.int_range(1, typed.len() + 1, eager=True), "numeric": typed})
        return (
            pl.DataFrame({"row": rows})
            .join(by_row, on="row", how="left", maintain_order="left")["numeric"]
            .fill_null(False)
        )


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xlsx_numeric_cells(data: bytes, index: int) -> _NumericCells | None:
    """Find the numeric cells of a sheet in its XML; None when the XML is not laid out as expected."""
    found: list[pl.Series] = []
    seen_refs = False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            path = _sheet_path(archive, index)
            if path is None:
                return None
            with archive.open(path) as stream:
                tail = b""
                while True:
                    chunk = stream.read(_XLSX_CHUNK)
                    buffer = tail + chunk
                    # Cut before the last cell so that no cell straddles two pieces (an ASCII boundary, too).
                    cut = buffer.rfind(_CELL_START) if chunk else len(buffer)
                    if cut <= 0:
                        cut = len(buffer)
                    seen_refs = seen_refs or _CELL_REF in buffer
                    found.append(_numeric_matches(buffer[:cut]))
                    tail = buffer[cut:]
                    if not chunk:
                        break
    except (zipfile.BadZipFile, KeyError, OSError, UnicodeDecodeError, pl.exceptions.PolarsError):
        return None
    if not seen_refs:  # cells without a reference attribute (allowed, rare): read the column again instead
        return None
    matches = pl.concat(found)
    if matches.is_empty():
        return _NumericCells(cells=pl.DataFrame(schema={"col": pl.Int64, "row": pl.Int64}))
    parts = matches.str.extract_groups(r'^<c r="([A-Z]+)([0-9]+)"').struct.unnest()
    # Few distinct column letters: turn each into its index once.
    letters = parts["1"].unique().to_list()
    cells = parts.select(
        col=pl.col("1").replace_strict(letters, [_column_index(v) for v in letters], return_dtype=pl.Int64),
        row=pl.col("2").cast(pl.Int64),
    )
    return _NumericCells(cells=cells)


def _numeric_matches(piece: bytes) -> pl.Series:
    """Return the opening tag (through ``<v>``) of every numeric cell in a piece of sheet XML."""
    # Only a cell with a value element can be a number. Sheets of inline strings (xlsxwriter, many exporters)
    # have few, so those few are checked where they stand instead of matching the pattern at every cell.
    values: list[int] = []
    at = piece.find(_VALUE)
    while at >= 0 and len(values) <= _FEW_VALUES:
        values.append(at)
        at = piece.find(_VALUE, at + len(_VALUE))
    if at < 0:
        found: list[str] = []
        for end in values:
            # The cell a value belongs to opens at the last "<c " before it: "<" never stands unescaped in XML
            # text or attribute values.
            start = piece.rfind(_CELL_START, 0, end)
            match = _NUMERIC_CELL_BYTES.fullmatch(piece, start, end + len(_VALUE)) if start >= 0 else None
            if match is not None:
                found.append(match[0].decode())
        return pl.Series(found, dtype=pl.String)
    # Shared strings put a value in every cell: Polars' regex engine scans the piece several times faster than re.
    text = pl.Series([piece], dtype=pl.Binary).cast(pl.String)
    return text.str.extract_all(_NUMERIC_CELL).explode().drop_nulls()


def _sheet_path(archive: zipfile.ZipFile, index: int) -> str | None:
    # Regular expressions rather than an XML parser: these are uploaded files, and no entity is ever expanded.
    workbook = archive.read("xl/workbook.xml")
    sheets = re.findall(rb"<(?:[A-Za-z]+:)?sheet\b[^>]*>", workbook)
    if index >= len(sheets):
        return None
    rel_id = re.search(rb'\br:id="([^"]+)"', sheets[index])
    if rel_id is None:
        return None
    for rel in re.findall(rb"<(?:[A-Za-z]+:)?Relationship\b[^>]*>", archive.read("xl/_rels/workbook.xml.rels")):
        found_id = re.search(rb'\bId="([^"]+)"', rel)
        target = re.search(rb'\bTarget="([^"]+)"', rel)
        if found_id and target and found_id[1] == rel_id[1]:
            path = target[1].decode()
            return path.lstrip("/") if path.startswith("/") else f"xl/{path}"
    return None


# --- header ------------------------------------------------------------------------------------------------


def normalise_header(text: str) -> str:
    """Bring a header to a comparable form: NFKC (full-width brackets to ASCII), no spaces, lower case."""
    folded = unicodedata.normalize("NFKC", text).replace("*", "")
    return _SPACES.sub("", folded).casefold()


def _without_parens(text: str) -> str:
    return _PARENS.sub("", text)


class _Matcher:
    """Match headers as written to column keys: exact names first, then names without their bracketed notes."""

    def __init__(self, columns: Sequence[ColumnSpec]) -> None:
        self.exact: dict[str, str] = {}
        loose: dict[str, set[str]] = {}
        for spec in columns:
            for name in (spec.label, *spec.synonyms, spec.key):
                norm = normalise_header(name)
                self.exact.setdefault(norm, spec.key)
                loose.setdefault(_without_parens(norm), set()).add(spec.key)
        self.loose = {name: keys.pop() for name, keys in loose.items() if len(keys) == 1 and name}

    def key(self, header: str) -> str | None:
        norm = normalise_header(header)
        if not norm:
            return None
        return self.exact.get(norm) or self.loose.get(_without_parens(norm))


@dataclass
class _Header:
    row: int  # index in the raw frame of the last header row
    names: dict[str, str]  # raw column -> header as written
    keys: dict[str, str]  # raw column -> key


def _cell(value: object) -> str:
    return "" if value is None else str(value).strip()


def _header_names(rows: list[dict[str, object]], row: int, cols: list[str], two_rows: bool) -> dict[str, list[str]]:
    """Return, per column, the header candidates of this row, most specific first."""
    child = {c: _cell(rows[row][c]) for c in cols}
    if not two_rows or row == 0:
        return {c: [child[c]] for c in cols if child[c]}
    parent_row = {c: _cell(rows[row - 1][c]) for c in cols}
    if sum(1 for v in parent_row.values() if v) < 2:  # a title above, not a group heading
        return {c: [child[c]] for c in cols if child[c]}
    out: dict[str, list[str]] = {}
    group = ""
    for c in cols:
        if parent_row[c]:
            # A heading with nothing under it was merged down both rows; one with children heads a group.
            group = parent_row[c] if child[c] else ""
            if not child[c]:
                out[c] = [parent_row[c]]
                continue
        if child[c]:
            out[c] = [f"{group} / {child[c]}", child[c]] if group else [child[c]]
    return out


def _find_header(raw: pl.DataFrame, matcher: _Matcher) -> _Header:
    cols = raw.columns
    rows = raw.head(HEADER_SEARCH_ROWS).to_dicts()
    best: tuple[int, int, int] | None = None  # (score, -row, two_rows)
    for row in range(len(rows)):
        for two_rows in (False, True):
            found = _header_names(rows, row, cols, two_rows)
            score = len({k for cands in found.values() for k in map(matcher.key, cands) if k})
            # Ties go to the earlier row, and to a single header row over a two-row reading of the same row.
            if best is None or score > best[0]:
                best = (score, -row, int(two_rows))
    if best is None:
        return _Header(row=-1, names={}, keys={})
    if best[0] == 0:
        # Nothing matched: take the first row with anything in it as the header.
        first = next((i for i, r in enumerate(rows) if any(_cell(v) for v in r.values())), 0)
        best = (0, -first, 0)
    row, two_rows = -best[1], bool(best[2])
    names: dict[str, str] = {}
    keys: dict[str, str] = {}
    taken: set[str] = set()
    for column, candidates in _header_names(rows, row, cols, two_rows).items():
        # Written as "group / child" under a group heading, whichever of the two forms matched.
        names[column] = candidates[0]
        for candidate in candidates:
            key = matcher.key(candidate)
            if key and key not in taken:  # a second column of the same meaning stays unmatched
                keys[column] = key
                taken.add(key)
                break
    return _Header(row=row, names=names, keys=keys)


# --- shape -------------------------------------------------------------------------------------------------


def _shape(
    raw: pl.DataFrame,
    columns: Sequence[ColumnSpec],
    *,
    fmt: str,
    encoding: str,
    line_offsets: pl.Series | None,
    numeric: _NumericCells | None,
    original: str = "json",
) -> ReadResult:
    if raw.height == 0 or raw.width == 0:
        raise UnreadableFile("empty")
    matcher = _Matcher(columns)
    header = _find_header(raw, matcher)
    if header.row < 0:
        raise UnreadableFile("empty")
    missing = [spec.label for spec in columns if spec.required and spec.key not in header.keys.values()]
    if missing:
        raise UnreadableFile("missing_columns", MESSAGES["missing_columns"].format(columns="、".join(missing)))

    # Row numbers as the clerk sees them: Excel rows, or csv lines counting breaks inside quoted cells.
    number = pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    raw = raw.with_columns(__row=number if line_offsets is None else number + line_offsets)
    data = raw.slice(header.row + 1)
    cols = [c for c in raw.columns if c != "__row"]
    blank = pl.all_horizontal([pl.col(c).str.strip_chars().fill_null("") == "" for c in cols])
    flagged = data.with_columns(__blank=blank)
    blank_rows = int(flagged["__blank"].sum())
    data = flagged.filter(~pl.col("__blank")).drop("__blank")

    # Columns in the order the dataset lists them, whatever the order in the file.
    found = {key: column for column, key in header.keys.items()}
    by_key = {spec.key: found[spec.key] for spec in columns if spec.key in found}
    specs = {spec.key: spec for spec in columns}
    out: list[pl.Expr] = [pl.col("__row")]
    for key, column in by_key.items():
        out.append(_text(pl.col(column), specs[key].type).alias(key))
    numeric_flags: dict[str, pl.Series] = {}
    for key, column in by_key.items():
        if specs[key].type != "id_number":
            continue
        if numeric is None:
            numeric_flags[f"{key}__numeric"] = pl.Series(f"{key}__numeric", [False] * data.height, dtype=pl.Boolean)
        else:
            numeric_flags[f"{key}__numeric"] = numeric.flags(column, data["__row"]).alias(f"{key}__numeric")
    row_as_written = _original(cols, header.names)
    out.append((row_as_written if original == "struct" else row_as_written.struct.json_encode()).alias("__original"))
    frame = data.select(out)
    if numeric_flags:
        frame = frame.with_columns(list(numeric_flags.values()))
    header_row = int(raw["__row"][header.row])
    return ReadResult(
        frame=frame,
        format=fmt,
        encoding=encoding,
        header_map={header.names[column]: key for column, key in header.keys.items()},
        unmatched_headers=[name for column, name in header.names.items() if column not in header.keys],
        header_row=header_row,
        blank_rows=blank_rows,
    )


def _text(cell: pl.Expr, kind: str) -> pl.Expr:
    """Return a cell as text: stripped and null when empty; ID and name cells keep spaces for the repair report."""
    stripped = cell.str.strip_chars()
    if kind in ("id_number", "name"):
        return pl.when(stripped.fill_null("") == "").then(None).otherwise(cell)
    value = pl.when(stripped == "").then(None).otherwise(stripped)
    if kind == "date":
        # A date-formatted cell reads as "2024-01-31 00:00:00": keep the date.
        value = value.str.replace(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00$", "$1")
    return value


def _original(cols: Iterable[str], names: dict[str, str]) -> pl.Expr:
    """Return the row as written, a struct keyed by the headers (column letters for unnamed columns)."""
    fields: list[pl.Expr] = []
    used: set[str] = set()
    for column in cols:
        name = names.get(column) or f"{_column_letters(int(column[1:]))}列"
        base, n = name, 2
        while name in used:
            name, n = f"{base} ({n})", n + 1
        used.add(name)
        fields.append(pl.col(column).alias(name))
    return pl.struct(fields)
