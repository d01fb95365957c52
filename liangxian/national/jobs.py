"""The jobs across counties, each one SQL text run by DuckDB on one machine or by Spark beyond it.

Both read the Parquet that ``liangxian export parquet`` writes per county (hive style, ``county=653123/``), and
both answer with Arrow tables of the same schema; the tests run both on the same data and compare. The SQL keeps
to the subset both engines read the same way (GROUP BY, JOIN, COUNT(DISTINCT), CASE, COALESCE): what one engine
would spell differently (listing a group's counties) is done on the small result, in Polars.

``duplicates``      the same ID number enrolled and paid for the same insurance and coverage year in two or more
                    counties (or provinces): one row per (ID number, insurance, year), its counties listed.
``treasury_match``  the lead's :data:`liangxian.treasury.matching.MATCH_SQL` (Art 36) over our payments and the
                    People's Bank statement: one row per voucher and sign that differs.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from liangxian.treasury.matching import MATCH_SQL, RESULT_SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")

# The per-county Parquet, as ``export parquet`` writes it (the county is the hive partition, not a column).
ENROLMENT_COLUMNS: dict[str, pa.DataType] = {
    "id_number": pa.string(),
    "insurance": pa.string(),
    "coverage_year": pa.int32(),
    "province": pa.string(),
    "paid": pa.bool_(),
    "paid_fen": pa.int64(),
}
PAYMENT_COLUMNS: dict[str, pa.DataType] = {
    "voucher": pa.string(),
    "entry_date": pa.date32(),
    "amount_fen": pa.int64(),
    "insurance": pa.string(),
    "id_number": pa.string(),
    "coverage_year": pa.int32(),
    "kind": pa.string(),
    "township": pa.string(),
}
STATEMENT_COLUMNS = ("voucher", "entry_date", "amount_fen", "insurance")

# Two passes, both plain: the (ID, insurance, year) paid under more than one county (MIN <> MAX: no DISTINCT over
# the whole set), then those keys' paid rows; the counting and listing per key is done on that small result.
DUPLICATES_SQL = """
WITH twice AS (
    SELECT id_number, insurance, coverage_year
    FROM enrolments
    WHERE paid
    GROUP BY id_number, insurance, coverage_year
    HAVING MIN(county) <> MAX(county)
)
SELECT e.id_number, e.insurance, e.coverage_year, e.county, e.province, e.paid_fen
FROM enrolments e
JOIN twice t ON e.id_number = t.id_number AND e.insurance = t.insurance AND e.coverage_year = t.coverage_year
WHERE e.paid
"""

DUPLICATES_SCHEMA = pa.schema(
    [
        ("id_number", pa.string()),
        ("insurance", pa.string()),
        ("coverage_year", pa.int32()),
        ("counties", pa.string()),
        ("county_count", pa.int64()),
        ("province_count", pa.int64()),
        ("paid_fen", pa.int64()),
    ]
)

# Our side of the treasury match: the payments that have an e-tax voucher (the others have not reached it yet).
OURS_SQL = "SELECT voucher, entry_date, amount_fen, insurance FROM payments WHERE voucher IS NOT NULL AND voucher <> ''"
STATEMENT_SQL = "SELECT voucher, entry_date, amount_fen, insurance FROM statement_file"


class JobError(Exception):
    """The job cannot run on what it was given (no such directory, an unknown engine, Spark without Java)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class JobOutput:
    """A job's answer and how many input rows it read."""

    table: pa.Table
    rows_in: int


# ---------------------------------------------------------------------------------------------- the public jobs


def duplicates(engine: str, data_dir: str | Path) -> pa.Table:
    """The ID numbers enrolled and paid for the same insurance and year in two or more counties."""
    return run_duplicates(engine, data_dir).table


def treasury_match(engine: str, payments_dir: str | Path, statement_path: str | Path) -> pa.Table:
    """The differences between our payments and the People's Bank statement (``RESULT_SCHEMA``)."""
    return run_treasury_match(engine, payments_dir, statement_path).table


def run_duplicates(engine: str, data_dir: str | Path) -> JobOutput:
    """Run the duplicate-enrolment check and count the enrolments it read."""
    _engine(engine)
    folder = _dataset(data_dir, "enrolments")
    if not _parquet_files(folder):
        return JobOutput(DUPLICATES_SCHEMA.empty_table(), 0)
    if engine == "duckdb":
        con = duckdb.connect()
        try:
            con.execute(f"CREATE VIEW enrolments AS SELECT * FROM {_duck_scan(folder)}")  # noqa: S608 - quoted path
            pairs = con.sql(DUPLICATES_SQL).to_arrow_table()
        finally:
            con.close()
    elif engine == "spark":
        spark = spark_session()
        spark.read.schema(_spark_schema(ENROLMENT_COLUMNS)).parquet(str(folder)).createOrReplaceTempView("enrolments")
        pairs = spark.sql(DUPLICATES_SQL).toArrow()
    else:
        raise JobError("unknown_engine", f"unknown engine {engine!r}")
    return JobOutput(_collect_counties(pairs), _rows_of(folder))


def run_treasury_match(engine: str, payments_dir: str | Path, statement_path: str | Path) -> JobOutput:
    """Run the treasury match and count our payment lines and the statement's lines it read."""
    _engine(engine)
    folder = _dataset(payments_dir, "payments")
    statement = Path(statement_path)
    if not statement.exists():
        raise JobError("not_found", f"no statement file {statement}")
    with tempfile.TemporaryDirectory(prefix="liangxian-national-") as empty:
        if not _parquet_files(folder):
            # No payment yet: our side is an empty file of the right shape, so every statement line stands alone.
            folder = Path(empty) / "payments"
            (folder / "county=000000").mkdir(parents=True)
            pq.write_table(pa.schema(PAYMENT_COLUMNS.items()).empty_table(), folder / "county=000000" / "empty.parquet")
        if engine == "duckdb":
            con = duckdb.connect()
            try:
                # The paths are quoted by _quote; DuckDB takes no parameters in a view's definition.
                con.execute(f"CREATE VIEW payments AS SELECT * FROM {_duck_scan(folder)}")  # noqa: S608
                con.execute(f"CREATE VIEW statement_file AS SELECT * FROM read_parquet({_quote(str(statement))})")  # noqa: S608
                con.execute(f"CREATE VIEW ours AS {OURS_SQL}")
                con.execute(f"CREATE VIEW statement AS {STATEMENT_SQL}")
                result = con.sql(MATCH_SQL).to_arrow_table()
            finally:
                con.close()
        elif engine == "spark":
            spark = spark_session()
            spark.read.schema(_spark_schema(PAYMENT_COLUMNS)).parquet(str(folder)).createOrReplaceTempView("payments")
            spark.read.parquet(str(statement)).createOrReplaceTempView("statement_file")
            spark.sql(OURS_SQL).createOrReplaceTempView("ours")
            spark.sql(STATEMENT_SQL).createOrReplaceTempView("statement")
            result = spark.sql(MATCH_SQL).toArrow()
        else:
            raise JobError("unknown_engine", f"unknown engine {engine!r}")
        rows_in = _rows_of(folder) + pq.ParquetFile(statement).metadata.num_rows
    return JobOutput(_conform(result, RESULT_SCHEMA), rows_in)


# ---------------------------------------------------------------------------------------------- Spark


def java_available() -> bool:
    """Tell whether a Java runtime is there for Spark (``JAVA_HOME`` or ``java`` on the path)."""
    import shutil

    home = os.environ.get("JAVA_HOME")
    return bool((home and Path(home, "bin", "java").exists()) or shutil.which("java"))


def spark_session(*, master: str | None = None, driver_memory: str | None = None) -> SparkSession:
    """The Spark session of this process: local mode by default, quiet, no UI, no network but the loopback.

    ``LIANGXIAN_SPARK_MASTER`` names a cluster (``spark://…``) where there is one; the same jobs run there.
    """
    if not java_available():
        raise JobError("no_java", "Spark needs a Java runtime (17 or later); none was found")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    scratch = Path(tempfile.gettempdir()) / "liangxian-spark"
    scratch.mkdir(exist_ok=True)
    log_config = Path(__file__).with_name("spark-log4j2.properties")
    master = master or os.environ.get("LIANGXIAN_SPARK_MASTER", "local[2]")
    builder = (
        SparkSession.builder.appName("liangxian-national")
        .master(master)
        .config("spark.driver.memory", driver_memory or os.environ.get("LIANGXIAN_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("LIANGXIAN_SPARK_PARTITIONS", "4"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.local.dir", str(scratch))
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log_config} -Djava.io.tmpdir={scratch}"
        )
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _spark_schema(columns: dict[str, pa.DataType]) -> Any:
    """The Spark schema of a per-county dataset: its columns and the ``county`` partition, all as written."""
    from pyspark.sql import types as t

    kinds = {
        pa.string(): t.StringType(),
        pa.int32(): t.IntegerType(),
        pa.int64(): t.LongType(),
        pa.bool_(): t.BooleanType(),
        pa.date32(): t.DateType(),
    }
    fields = [t.StructField(name, kinds[kind], True) for name, kind in columns.items()]
    return t.StructType([*fields, t.StructField("county", t.StringType(), True)])


# ---------------------------------------------------------------------------------------------- helpers


def _engine(engine: str) -> None:
    if engine not in ENGINES:
        raise JobError("unknown_engine", f"unknown engine {engine!r}: duckdb or spark")


def _dataset(folder: str | Path, name: str) -> Path:
    """The dataset's folder: ``DIR/<name>`` when DIR is the export's root, else DIR itself."""
    base = Path(folder)
    if not base.is_dir():
        raise JobError("not_found", f"no directory {base}")
    return base / name if (base / name).is_dir() else base


def _parquet_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.parquet"))


def _rows_of(folder: Path) -> int:
    """The rows in a dataset's files, from their footers (no scan)."""
    return sum(pq.ParquetFile(path).metadata.num_rows for path in _parquet_files(folder))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _duck_scan(folder: Path) -> str:
    """DuckDB's scan of a per-county dataset, the county read from the path as text (never as a number)."""
    pattern = _quote(str(folder / "**" / "*.parquet"))
    return f"read_parquet({pattern}, hive_partitioning = true, hive_types = {{'county': VARCHAR}})"


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with the schema's columns, in its order and types (Spark's ints and strings may differ)."""
    return table.select(schema.names).cast(schema)


def _collect_counties(pairs: pa.Table) -> pa.Table:
    """One row per (ID number, insurance, year) from its paid rows: the counties sorted and listed, counted."""
    frame = pl.from_arrow(pairs)
    assert isinstance(frame, pl.DataFrame)
    if frame.is_empty():
        return DUPLICATES_SCHEMA.empty_table()
    keys = ["id_number", "insurance", "coverage_year"]
    grouped = (
        frame.group_by(keys)
        .agg(
            pl.col("county").unique().sort().str.join(",").alias("counties"),
            pl.col("county").n_unique().cast(pl.Int64).alias("county_count"),
            pl.col("province").n_unique().cast(pl.Int64).alias("province_count"),
            pl.col("paid_fen").sum().cast(pl.Int64).alias("paid_fen"),
        )
        .sort(keys)
    )
    return _conform(grouped.to_arrow(), DUPLICATES_SCHEMA)
