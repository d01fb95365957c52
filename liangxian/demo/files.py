"""Write the files the county's departments would send about the synthetic county, dirt included.

Each file is built as a frame with Chinese headers as the bureaus write them, then a seeded 3-5 % of its rows
is dirtied the way real submissions are (lowercase x, full-width digits, spaces, 15-digit old numbers, numbers
damaged by Excel, other separators in Uyghur names, blank and duplicated rows, a wrong check digit).
``manifest.json`` lists every file with its kind, encoding, row counts and each dirty row: the ground truth
for the readers' tests. Files are byte-identical for the same seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import xlsxwriter

from liangxian.batch.frames import id_check_digit

from .county import County, Draws, _lookup, _pick

# (kind, weight): how often each kind of dirt appears among the dirtied rows.
DIRT_XLSX = (
    ("id_lowercase_x", 8),
    ("id_fullwidth", 10),
    ("id_spaces", 12),
    ("id_15_digit", 8),
    ("id_excel_numeric", 10),
    ("id_wrong_check_digit", 8),
    ("name_separator", 22),
    ("name_spaces", 6),
    ("blank_row", 8),
    ("duplicate_row", 8),
)
DIRT_CSV = tuple(("id_excel_scientific", w) if k == "id_excel_numeric" else (k, w) for k, w in DIRT_XLSX)
SEPARATORS = ("•", ".", "．", "-", " ")
SEPARATORS_GBK = (".", "．", "-", " ")  # GBK has no bullet (U+2022)
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"X": "Ｘ"}
CHECK_CHARS = "10X98765432"
STATUS_LABEL = {"active": "正常", "deceased": "死亡注销", "moved_away": "迁出注销"}
SEX_LABEL = {"M": "男", "F": "女"}


@dataclass
class DepartmentFile:
    """One file to write: its frame of visible columns and how to dirty and store it."""

    name: str
    kind: str
    department: str
    fmt: str  # "xlsx" or "csv"
    frame: pl.DataFrame  # visible columns plus _id, _name, _birth_year
    id_column: str
    name_column: str
    encoding: str = "utf-8"
    line_terminator: str = "\n"
    sheet: str = "Sheet1"
    title: str = ""
    merged_header: dict[str, list[str]] = field(default_factory=dict)


def _label(values: dict[str, str], column: str) -> pl.Expr:
    return pl.col(column).replace_strict(list(values), list(values.values()), return_dtype=pl.String)


def _short_village() -> pl.Expr:
    # NBS names end in 村委会 / 社区; the bureaus write the village as 村 or 社区.
    return pl.col("village_name").str.replace(r"村委会$", "村")


def _meta() -> list[pl.Expr]:
    return [
        pl.col("id_number").alias("_id"),
        pl.col("name").alias("_name"),
        pl.col("birth_date").dt.year().alias("_birth_year"),
    ]


def department_files_build(county: County) -> Iterator[DepartmentFile]:
    """Build the frame of each department file in turn, before dirt (one at a time, to bound memory)."""
    p = county.persons.with_columns(village=_short_village())
    year = county.as_of.year
    heads = p.filter(pl.col("role") == "head").select("hh", head_name=pl.col("name"), head_id=pl.col("id_number"))
    p = p.join(heads, on="hh", how="left").sort("person")

    register = p.select(
        pl.col("number").alias("户号"),
        pl.col("name").alias("姓名"),
        pl.col("id_number").alias("公民身份号码"),
        _label(SEX_LABEL, "sex").alias("性别"),
        pl.col("ethnicity").alias("民族"),
        pl.col("birth_date").dt.strftime("%Y-%m-%d").alias("出生日期"),
        pl.col("relation").alias("与户主关系"),
        pl.col("township_name").alias("乡镇（街道）"),
        pl.col("village").alias("村（社区）"),
        pl.col("phone").alias("联系电话"),
        _label(STATUS_LABEL, "status").alias("户口状态"),
        pl.col("status_date").dt.strftime("%Y-%m-%d").alias("变动日期"),
        *_meta(),
    )
    yield (
        DepartmentFile(
            name=f"公安局_户籍人口_{year}.xlsx",
            kind="public_security.household_register",
            department="公安局",
            fmt="xlsx",
            frame=register,
            id_column="公民身份号码",
            name_column="姓名",
            sheet="户籍人口",
        )
    )

    hardship = p.filter(pl.col("special_hardship")).with_columns(seq=pl.int_range(1, pl.len() + 1))
    yield (
        DepartmentFile(
            name=f"民政局_特困人员供养名册_{year}.xlsx",
            kind="civil_affairs.special_hardship",
            department="民政局",
            fmt="xlsx",
            frame=hardship.select(
                pl.col("seq").cast(pl.String).alias("序号"),
                pl.col("township_name").alias("乡镇"),
                pl.col("village").alias("村（社区）"),
                pl.col("name").alias("姓名"),
                pl.col("id_number").alias("身份证号码"),
                _label(SEX_LABEL, "sex").alias("性别"),
                pl.col("age").cast(pl.String).alias("年龄"),
                pl.when(pl.col("age") >= 80).then(pl.lit("集中供养")).otherwise(pl.lit("分散供养")).alias("供养方式"),
                pl.lit("").alias("备注"),
                *_meta(),
            ),
            id_column="身份证号码",
            name_column="姓名",
            sheet="特困人员",
            title=f"英吉沙县{year}年特困人员供养名册",
            merged_header={"供养对象": ["姓名", "身份证号码", "性别", "年龄"]},
        )
    )

    orphans = p.filter(pl.col("orphan")).with_columns(seq=pl.int_range(1, pl.len() + 1))
    yield (
        DepartmentFile(
            name=f"民政局_孤儿名单_{year}.xlsx",
            kind="civil_affairs.orphans",
            department="民政局",
            fmt="xlsx",
            frame=orphans.select(
                pl.col("seq").cast(pl.String).alias("序号"),
                pl.col("name").alias("姓名"),
                pl.col("id_number").alias("身份证号码"),
                _label(SEX_LABEL, "sex").alias("性别"),
                pl.col("birth_date").dt.strftime("%Y%m%d").alias("出生日期"),
                pl.col("township_name").alias("乡镇"),
                pl.col("village").alias("村（社区）"),
                pl.col("head_name").alias("监护人姓名"),
                pl.lit("孤儿").alias("类别"),
                *_meta(),
            ),
            id_column="身份证号码",
            name_column="姓名",
            sheet="孤儿",
        )
    )

    allowance = p.filter(pl.col("minimum_allowance")).with_columns(seq=pl.int_range(1, pl.len() + 1))
    yield (
        DepartmentFile(
            name=f"民政局_农村低保名册_{year}.xlsx",
            kind="civil_affairs.minimum_allowance",
            department="民政局",
            fmt="xlsx",
            frame=allowance.select(
                pl.col("seq").cast(pl.String).alias("序号"),
                pl.col("township_name").alias("乡镇"),
                pl.col("village").alias("村（社区）"),
                pl.col("head_name").alias("户主姓名"),
                pl.col("head_id").alias("户主身份证号码"),
                pl.col("name").alias("家庭成员姓名"),
                pl.col("id_number").alias("身份证号码"),
                pl.col("relation").alias("与户主关系"),
                pl.col("size").cast(pl.String).alias("保障人数"),
                pl.when(pl.col("size") >= 6).then(pl.lit("A类")).otherwise(pl.lit("B类")).alias("类别"),
                *_meta(),
            ),
            id_column="身份证号码",
            name_column="家庭成员姓名",
            sheet="低保",
        )
    )

    monitored = p.filter(pl.col("monitored"))
    yield (
        DepartmentFile(
            name=f"乡村振兴局_防止返贫监测对象_{year}.csv",
            kind="rural_revitalisation.monitored_households",
            department="乡村振兴局",
            fmt="csv",
            frame=monitored.select(
                pl.lit("英吉沙县").alias("县"),
                pl.col("township_name").alias("乡镇"),
                pl.col("village").alias("行政村"),
                pl.col("number").alias("户编号"),
                pl.col("monitor_type").alias("监测对象类别"),
                pl.col("head_name").alias("户主姓名"),
                pl.col("name").alias("成员姓名"),
                pl.col("id_number").alias("证件号码"),
                pl.col("relation").alias("与户主关系"),
                pl.col("size").cast(pl.String).alias("家庭人口数"),
                pl.lit(f"{year - 1}-11").alias("纳入监测时间"),
                *_meta(),
            ),
            id_column="证件号码",
            name_column="成员姓名",
            encoding="gbk",
            line_terminator="\r\n",
        )
    )

    disabled = p.filter(pl.col("disabled")).with_columns(seq=pl.int_range(1, pl.len() + 1))
    yield (
        DepartmentFile(
            name=f"残疾人联合会_持证残疾人名单_{year}.xlsx",
            kind="disabled_persons_federation.certified",
            department="残疾人联合会",
            fmt="xlsx",
            frame=disabled.select(
                pl.col("seq").cast(pl.String).alias("序号"),
                pl.col("name").alias("姓名"),
                _label(SEX_LABEL, "sex").alias("性别"),
                pl.col("id_number").alias("身份证号码"),
                pl.col("disability_cert").alias("残疾证号"),
                pl.col("disability_type").alias("残疾类别"),
                pl.col("disability_grade").alias("残疾等级"),
                pl.col("township_name").alias("乡镇"),
                pl.col("village").alias("村（社区）"),
                pl.col("phone").alias("联系电话"),
                *_meta(),
            ),
            id_column="身份证号码",
            name_column="姓名",
            sheet="持证残疾人",
        )
    )

    students = p.filter(pl.col("student")).sort("school", "grade", "person")
    yield (
        DepartmentFile(
            name=f"教育局_在校学生名单_{year}.csv",
            kind="education.students",
            department="教育局",
            fmt="csv",
            frame=students.select(
                pl.col("school").alias("学校名称"),
                pl.col("grade").alias("年级"),
                pl.col("name").alias("学生姓名"),
                pl.col("id_number").alias("身份证号码"),
                _label(SEX_LABEL, "sex").alias("性别"),
                pl.col("birth_date").dt.strftime("%Y-%m-%d").alias("出生日期"),
                (pl.col("township_name") + pl.col("village")).alias("户籍所在地"),
                pl.col("enrolled_year").cast(pl.String).alias("入学年份"),
                pl.lit("在读").alias("学籍状态"),
                *_meta(),
            ),
            id_column="身份证号码",
            name_column="学生姓名",
            encoding="utf-8-sig",
            line_terminator="\r\n",
        )
    )

    # The survey (摸排, Art 17, 29) finds what the household register does not yet say: a few residents dead or
    # moved away whom public security has not yet deregistered, some away for long, the residents who can pay
    # only in cash, and a few persons living in the village whom the register lacks (新增).
    surveyed = p.filter(pl.col("status") == "active").with_columns(
        _s=Draws(county.seed).uniform("survey.status", p.filter(pl.col("status") == "active").height),
        _c=Draws(county.seed).uniform("survey.cash", p.filter(pl.col("status") == "active").height),
    )
    surveyed = surveyed.with_columns(
        survey_status=pl.when(pl.col("_s") < 0.002)
        .then(pl.lit("已死亡"))
        .when(pl.col("_s") < 0.005)
        .then(pl.lit("已迁出"))
        .when(pl.col("_s") < 0.04)
        .then(pl.lit("长期外出"))
        .otherwise(pl.lit("在村")),
        cash_only=pl.when((pl.col("_c") < 0.03) | ((pl.col("age") >= 60) & (pl.col("_c") < 0.12)))
        .then(pl.lit("是"))
        .otherwise(pl.lit("否")),
    )
    surveyed = pl.concat([surveyed, _survey_additions(surveyed, county)], how="diagonal_relaxed")
    for code, township in (
        county.villages.select("township_code", "township_name").unique().sort("township_code").iter_rows()
    ):
        rows = surveyed.filter(pl.col("township_code") == code).with_columns(seq=pl.int_range(1, pl.len() + 1))
        yield (
            DepartmentFile(
                name=f"乡镇_{township}_村级摸底_{year}.csv",
                kind="township.village_survey",
                department=township,
                fmt="csv",
                frame=rows.select(
                    pl.col("seq").cast(pl.String).alias("序号"),
                    pl.col("village").alias("村（社区）"),
                    pl.col("number").alias("户号"),
                    pl.col("name").alias("姓名"),
                    pl.col("id_number").alias("身份证号码"),
                    _label(SEX_LABEL, "sex").alias("性别"),
                    pl.col("relation").alias("与户主关系"),
                    pl.col("phone").alias("联系电话"),
                    pl.col("cash_only").alias("仅能现金缴费"),
                    pl.col("survey_status").alias("摸排情况"),
                    pl.when(pl.col("survey_status") == "新增")
                    .then(pl.lit("户籍名册中无此人，实际在村居住"))
                    .when(pl.col("employee_scheme"))
                    .then(pl.lit("已参加职工保险"))
                    .when(pl.col("student") & (pl.col("age") >= 18))
                    .then(pl.lit("在外上学"))
                    .otherwise(pl.lit(""))
                    .alias("备注"),
                    *_meta(),
                ),
                id_column="身份证号码",
                name_column="姓名",
            )
        )


def _survey_additions(surveyed: pl.DataFrame, county: County) -> pl.DataFrame:
    """Make a few persons per township whom the survey finds and the household register lacks (新增).

    Each is modelled on a surveyed resident of the same household (a spouse or child not yet registered): the
    same village and household, a sequence number no demo person has (9xx), a name taken from another resident.
    """
    u = Draws(county.seed).uniform("survey.added", surveyed.height)
    picked = surveyed.with_columns(_a=u, _name=pl.col("name").shift(7).fill_null(pl.col("name"))).filter(
        pl.col("_a") < 0.001
    )
    body = pl.col("id_number").str.slice(0, 14) + (pl.lit("9") + pl.col("id_number").str.slice(15, 2))
    return (
        picked.with_columns(
            id_number=body + id_check_digit(body),
            name=pl.col("_name"),
            phone=pl.lit(None, dtype=pl.String),
            relation=pl.lit("其他"),
            survey_status=pl.lit("新增"),
            cash_only=pl.lit("否"),
            employee_scheme=pl.lit(False),
            student=pl.lit(False),
        )
        .drop("_a", "_name")
        .join(county.persons.select("id_number"), on="id_number", how="anti")
    )  # not registered


def _fullwidth(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_many(list(FULLWIDTH), list(FULLWIDTH.values()))


def dirty_rows(
    frame: pl.DataFrame, *, draws: Draws, stream: str, fmt: str, id_column: str, name_column: str, gbk: bool = False
) -> pl.DataFrame:
    """Dirty a seeded 3-5 % of the rows; add ``_kind`` (None when clean) and ``_number`` (an ID Excel made numeric)."""
    n = frame.height
    dirt = DIRT_XLSX if fmt == "xlsx" else DIRT_CSV
    rate = 0.03 + 0.02 * draws.uniform(f"{stream}.rate", 1)[0]
    frame = frame.with_columns(
        _u=draws.uniform(f"{stream}.dirty", n),
        _k=draws.uniform(f"{stream}.kind", n),
        _v=draws.uniform(f"{stream}.variant", n),
    )
    drawn = _lookup(_pick(pl.col("_k"), [w for _, w in dirt]), [k for k, _ in dirt])
    ends_x = pl.col("_id").str.ends_with("X")
    uyghur = pl.col("_name").str.contains("·", literal=True)
    # Where a drawn kind cannot apply to the row, fall back to one that can.
    kind = (
        pl.when(pl.col("_u") >= rate)
        .then(None)
        .when((drawn == "id_lowercase_x") & ~ends_x)
        .then(pl.lit("id_spaces"))
        .when((drawn == "id_15_digit") & (pl.col("_birth_year") > 1970))
        .then(pl.lit("id_fullwidth"))
        .when(drawn.is_in(["id_excel_numeric", "id_excel_scientific"]) & ends_x)
        .then(pl.lit("id_lowercase_x"))
        .when((drawn == "name_separator") & ~uyghur)
        .then(pl.lit("name_spaces"))
        .otherwise(drawn)
    )
    frame = frame.with_columns(_kind=kind)
    ident, v = pl.col("_id"), pl.col("_v")
    spaced = (
        pl.when(v < 0.4)
        .then(
            pl.concat_str(ident.str.slice(0, 6), pl.lit(" "), ident.str.slice(6, 8), pl.lit(" "), ident.str.slice(14))
        )
        .when(v < 0.7)
        .then(ident + pl.lit(" "))
        .otherwise(pl.lit(" ") + ident)
    )
    check_index = ident.str.slice(17, 1).replace_strict(list(CHECK_CHARS), list(range(11)), return_dtype=pl.Int32)
    wrong = _lookup((check_index + 1 + (v * 10).floor().cast(pl.Int32)) % 11, list(CHECK_CHARS))
    new_id = (
        pl.when(pl.col("_kind") == "id_lowercase_x")
        .then(ident.str.replace("X", "x", literal=True))
        .when(pl.col("_kind") == "id_fullwidth")
        .then(_fullwidth(ident))
        .when(pl.col("_kind") == "id_spaces")
        .then(spaced)
        .when(pl.col("_kind") == "id_15_digit")
        .then(pl.concat_str(ident.str.slice(0, 6), ident.str.slice(8, 6), ident.str.slice(14, 3)))
        .when(pl.col("_kind") == "id_excel_numeric")
        .then(None)
        .when(pl.col("_kind") == "id_excel_scientific")
        .then(pl.concat_str(ident.str.slice(0, 1), pl.lit("."), ident.str.slice(1, 5), pl.lit("E+17")))
        .when(pl.col("_kind") == "id_wrong_check_digit")
        .then(ident.str.slice(0, 17) + wrong)
        .otherwise(pl.col(id_column))
    )
    separators = SEPARATORS_GBK if gbk else SEPARATORS
    separator = _lookup((v * len(separators)).floor().cast(pl.Int32).clip(0, len(separators) - 1), separators)
    name = pl.col("_name")
    new_name = (
        pl.when(pl.col("_kind") == "name_separator")
        .then(name.str.replace("·", separator, literal=True))
        .when(pl.col("_kind") == "name_spaces")
        .then(
            pl.when(uyghur | (v < 0.5))
            .then(pl.concat_str(pl.lit(" "), name, pl.lit("　")))
            .otherwise(pl.concat_str(name.str.slice(0, 1), pl.lit("　"), name.str.slice(1)))
        )
        .otherwise(pl.col(name_column))
    )
    # Excel keeps 15 significant digits of a number: the last three digits of the ID become zeros.
    number = pl.when(pl.col("_kind") == "id_excel_numeric").then(
        ident.str.slice(0, 15).cast(pl.Int64, strict=False).cast(pl.Float64) * 1000
    )
    frame = frame.with_columns(new_id.alias(id_column), new_name.alias(name_column), _number=number)
    # A blank or duplicated row follows its original, which stays clean.
    extra = pl.col("_kind").is_in(["blank_row", "duplicate_row"]).fill_null(False)
    frame = frame.with_columns(_copy=pl.int_ranges(0, 1 + extra.cast(pl.Int64))).explode("_copy")
    frame = frame.with_columns(
        _kind=pl.when(extra & (pl.col("_copy") == 0)).then(None).otherwise(pl.col("_kind")),
    )
    visible = [c for c in frame.columns if not c.startswith("_")]
    blank = pl.col("_kind") == "blank_row"
    return frame.with_columns(
        [pl.when(blank).then(None).otherwise(pl.col(c)).alias(c) for c in [*visible, "_id", "_name"]]
    ).drop("_u", "_k", "_v", "_copy")


def _write_xlsx(path: Path, spec: DepartmentFile, frame: pl.DataFrame, created: dt.datetime) -> int:
    """Write one sheet; return how many rows come before the data."""
    visible = [c for c in frame.columns if not c.startswith("_")]
    # constant_memory writes row by row, so a header merged down two rows needs the ordinary mode (small lists).
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": not spec.merged_header,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    # A fixed creation time keeps the file byte-identical for the same seed.
    workbook.set_properties({"created": created, "author": spec.department})
    sheet = workbook.add_worksheet(spec.sheet)
    bold = workbook.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    row = 0
    if spec.title:
        sheet.merge_range(
            0,
            0,
            0,
            len(visible) - 1,
            spec.title,
            workbook.add_format({"bold": True, "font_size": 14, "align": "center"}),
        )
        row = 1
    if spec.merged_header:
        # Two header rows: a group heading over its columns, other headings merged down both rows.
        grouped = {col: group for group, cols in spec.merged_header.items() for col in cols}
        col = 0
        while col < len(visible):
            name = visible[col]
            if name in grouped:
                members = spec.merged_header[grouped[name]]
                sheet.merge_range(row, col, row, col + len(members) - 1, grouped[name], bold)
                col += len(members)
            else:
                sheet.merge_range(row, col, row + 1, col, name, bold)
                col += 1
        for col, name in enumerate(visible):
            if name in grouped:
                sheet.write_string(row + 1, col, name, bold)
        row += 2
    else:
        sheet.write_row(row, 0, visible, bold)
        row += 1
    header_rows = row
    id_col = visible.index(spec.id_column)
    # Every visible column is text: write_string skips write_row's type dispatch, the bulk of the time here.
    write_string, write_number = sheet.write_string, sheet.write_number
    for values, number in zip(frame.select(visible).iter_rows(), frame["_number"], strict=True):
        for col, value in enumerate(values):
            if value is not None:
                write_string(row, col, value)
        if number is not None:
            write_number(row, id_col, number)
        row += 1
    workbook.close()
    return header_rows


def _write_csv(path: Path, spec: DepartmentFile, frame: pl.DataFrame) -> int:
    visible = [c for c in frame.columns if not c.startswith("_")]
    text = frame.select(visible).write_csv(line_terminator=spec.line_terminator)
    path.write_bytes(text.encode(spec.encoding))
    return 1


def department_files_write(county: County, out: Path) -> dict[str, Any]:
    """Write every department file of the county into ``out`` with its manifest; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    draws = Draws(county.seed)
    created = dt.datetime.combine(county.as_of, dt.time(9, 0))
    entries = []
    for spec in department_files_build(county):
        gbk = spec.encoding == "gbk"
        frame = dirty_rows(
            spec.frame,
            draws=draws,
            stream=f"file.{spec.name}",
            fmt=spec.fmt,
            id_column=spec.id_column,
            name_column=spec.name_column,
            gbk=gbk,
        )
        path = out / spec.name
        header_rows = _write_xlsx(path, spec, frame, created) if spec.fmt == "xlsx" else _write_csv(path, spec, frame)
        entries.append(_manifest_entry(spec, frame, header_rows))
    manifest = {
        "generator": "liangxian demo-data",
        "seed": county.seed,
        "persons": county.persons.height,
        "households": county.households.height,
        "as_of": county.as_of.isoformat(),
        "batch": county.batch,
        "row_numbers": "1-based row of the sheet or line of the csv file, header rows included",
        "files": entries,
    }
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return manifest


def _manifest_entry(spec: DepartmentFile, frame: pl.DataFrame, header_rows: int) -> dict[str, Any]:
    numbered = frame.with_row_index("_row", offset=header_rows + 1)
    dirty = numbered.filter(pl.col("_kind").is_not_null())
    counts = dirty.group_by("_kind").len().sort("_kind")
    blank = int(frame.filter(pl.col("_kind") == "blank_row").height)
    return {
        "file": spec.name,
        "kind": spec.kind,
        "department": spec.department,
        "format": spec.fmt,
        "encoding": spec.encoding if spec.fmt == "csv" else "xlsx",
        "sheet": spec.sheet if spec.fmt == "xlsx" else None,
        "header_rows": header_rows,
        "id_column": spec.id_column,
        "name_column": spec.name_column,
        "rows": frame.height,
        "blank_rows": blank,
        "data_rows": frame.height - blank,
        "persons": spec.frame.height,
        "dirty_rows_total": dirty.height,
        "dirty": dict(counts.iter_rows()),
        "dirty_rows": [
            {"row": row, "kind": kind, "id_number": ident, "name": name}
            for row, kind, ident, name in dirty.select("_row", "_kind", "_id", "_name").iter_rows()
        ],
    }


def manifest_kinds(manifest: dict[str, Any]) -> Sequence[str]:
    """List the dirt kinds present anywhere in a manifest."""
    return sorted({kind for entry in manifest["files"] for kind in entry["dirty"]})
