"""Generate a synthetic Yengisar County as frames: households in villages, residents, and who is on which list.

Everything is drawn in vectorised steps from named, seeded uniform streams (Arrow's ``random`` with an
initializer derived from the seed and the stream name), so the same seed gives the same county and adding a
new stream does not shift the others. No row is built in a Python loop.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.compute as pc

from liangxian.batch.frames import id_check_digit

from . import vocab

COUNTY_CODE = "653123"
# The county as of the start of a collection campaign: a fixed day, so a seed never depends on the clock.
AS_OF = date(2025, 9, 1)
DIVISIONS_CSV = Path(__file__).resolve().parent.parent / "core" / "fixtures" / "divisions-kashgar-6531.csv"

# Share of households of 1..8 persons in a rural Kashgar county (mean about 4).
HOUSEHOLD_SIZE_WEIGHTS = (8, 14, 17, 22, 19, 11, 6, 3)
HAN_SHARE_COMMUNITY = 0.14
HAN_SHARE_VILLAGE = 0.035
BORN_ELSEWHERE_SHARE = 0.08
RATES = {
    "special_hardship": 0.005,  # 特困, of persons
    "orphan": 0.001,  # 孤儿, of persons
    "minimum_allowance": 0.06,  # 低保, of households
    "monitored": 0.03,  # 返贫监测, of households
    "employee_scheme": 0.02,  # enrolled as employees, of persons
}


class Draws:
    """Seeded uniform draws in [0, 1), one independent stream per name."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def uniform(self, stream: str, n: int) -> pl.Series:
        """Return ``n`` uniforms of the named stream; the same seed and name give the same numbers."""
        digest = hashlib.sha256(f"liangxian-demo/{self.seed}/{stream}".encode()).digest()
        values = pc.random(n, initializer=int.from_bytes(digest[:8], "big"))
        return pl.Series(stream, values, dtype=pl.Float64)


@dataclass(frozen=True)
class County:
    """The synthetic county: its villages, households and persons, each a frame."""

    seed: int
    as_of: date
    villages: pl.DataFrame
    households: pl.DataFrame
    persons: pl.DataFrame

    @property
    def batch(self) -> str:
        return f"demo-{self.seed}-{self.persons.height}"


def villages_from_csv(path: Path = DIVISIONS_CSV, county: str = COUNTY_CODE) -> pl.DataFrame:
    """Read the county's villages with their townships from the divisions file."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    frame = pl.DataFrame(rows, schema={"code": pl.String, "name": pl.String, "level": pl.String, "parent": pl.String})
    return villages_frame(frame, county=county)


def villages_frame(divisions: pl.DataFrame, county: str = COUNTY_CODE) -> pl.DataFrame:
    """Pick the county's villages from a frame of divisions (code, name, level, parent), with township names."""
    townships = divisions.filter((pl.col("level") == "township") & (pl.col("parent") == county)).select(
        township_code=pl.col("code"), township_name=pl.col("name")
    )
    return (
        divisions.filter(pl.col("level") == "village")
        .join(townships, left_on="parent", right_on="township_code", how="inner")
        .select(
            village_code=pl.col("code"),
            village_name=pl.col("name"),
            township_code=pl.col("parent"),
            township_name=pl.col("township_name"),
        )
        .sort("village_code")
    )


def _pick(u: pl.Expr, weights: Sequence[float]) -> pl.Expr:
    """Turn uniforms into indexes 0..len(weights)-1 drawn with the given weights."""
    total = float(sum(weights))
    bounds, running = [], 0.0
    for weight in weights[:-1]:
        running += weight / total
        bounds.append(running)
    return pl.sum_horizontal([(u >= bound).cast(pl.Int32) for bound in bounds]).cast(pl.Int32)


def _index(u: pl.Expr, n: int, skew: float = 1.0) -> pl.Expr:
    """Turn uniforms into indexes 0..n-1; ``skew`` above 1 makes the first entries more common."""
    return (u.pow(skew) * n).floor().cast(pl.Int32).clip(0, n - 1)


def _lookup(index: pl.Expr, values: Sequence[str]) -> pl.Expr:
    return index.replace_strict(list(range(len(values))), list(values), return_dtype=pl.String)


def _top(key: pl.Expr, k: int) -> pl.Expr:
    """Mark the ``k`` rows with the smallest key (ties by row order)."""
    return key.rank("ordinal") <= k


def county_generate(*, persons: int, seed: int, villages: pl.DataFrame, as_of: date = AS_OF) -> County:
    """Generate a county of ``persons`` residents spread over ``villages`` (village_code, village_name, township_*)."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if villages.is_empty():
        raise ValueError("no villages to place residents in")
    draws = Draws(seed)
    villages = _weigh_villages(villages, draws)
    households = _households(persons, villages, draws)
    people = _members(households, draws, as_of)
    people = _names(people, draws)
    people = _id_numbers(people, draws)
    people = _life_events(people, draws, as_of)
    people = _phones(people, draws)
    people = _students(people, draws, as_of)
    people = _disabilities(people, draws)
    people, households = _assistance(people, households, draws)
    return County(seed=seed, as_of=as_of, villages=villages, households=households, persons=people)


def _weigh_villages(villages: pl.DataFrame, draws: Draws) -> pl.DataFrame:
    # Some villages are several times larger than others; town communities are larger still, the park small.
    u = draws.uniform("village.weight", villages.height)
    weight = (
        (0.35 + 2.2 * pl.lit(u).pow(2))
        * pl.when(pl.col("village_name").str.ends_with("社区")).then(1.6).otherwise(1.0)
        * pl.when(pl.col("township_name").str.contains("园区")).then(0.3).otherwise(1.0)
    )
    return villages.with_columns(weight=weight).with_columns(cum_weight=pl.col("weight").cum_sum())


def _households(persons: int, villages: pl.DataFrame, draws: Draws) -> pl.DataFrame:
    mean = sum((i + 1) * w for i, w in enumerate(HOUSEHOLD_SIZE_WEIGHTS)) / sum(HOUSEHOLD_SIZE_WEIGHTS)
    n = int(persons / mean * 1.3) + 16
    frame = pl.DataFrame(
        {
            "u_size": draws.uniform("household.size", n),
            "u_village": draws.uniform("household.village", n),
            "u_han": draws.uniform("household.han", n),
            "u_age": draws.uniform("household.head_age", n),
            "u_age2": draws.uniform("household.head_age2", n),
            "u_female": draws.uniform("household.head_female", n),
            "u_spouse": draws.uniform("household.spouse", n),
            "u_grand": draws.uniform("household.grand", n),
            "u_parents": draws.uniform("household.parents", n),
            "u_children": draws.uniform("household.children", n),
        }
    )
    frame = frame.with_columns(size=_pick(pl.col("u_size"), HOUSEHOLD_SIZE_WEIGHTS) + 1).with_columns(
        start=pl.col("size").cum_sum() - pl.col("size")
    )
    frame = frame.filter(pl.col("start") < persons).with_columns(
        size=pl.min_horizontal(pl.col("size"), pl.lit(persons) - pl.col("start")).cast(pl.Int32)
    )
    cum = villages["cum_weight"]
    village_index = cum.search_sorted(frame["u_village"] * cum[-1], side="right").clip(0, villages.height - 1)
    frame = frame.with_columns(village_index=village_index).join(
        villages.drop("weight", "cum_weight")
        .with_row_index("village_index")
        .with_columns(pl.col("village_index").cast(village_index.dtype)),
        on="village_index",
        how="left",
    )
    community = pl.col("village_name").str.ends_with("社区")
    # Head of household ages: a hump in the forties with a long tail to the old (mean of two uniforms, bent).
    draft_age = 21 + (((pl.col("u_age") + pl.col("u_age2")) / 2).pow(1.6) * 62).floor().cast(pl.Int32)
    frame = frame.with_columns(
        han=pl.col("u_han") < pl.when(community).then(HAN_SHARE_COMMUNITY).otherwise(HAN_SHARE_VILLAGE),
        spouse=((pl.col("size") >= 2) & (pl.col("u_spouse") < 0.9)).cast(pl.Int32),
        draft_age=draft_age,
    )
    rest = pl.col("size") - 1 - pl.col("spouse")
    grand = (pl.col("size") >= 4) & (pl.col("draft_age") >= 55) & (pl.col("u_grand") < 0.6)
    frame = frame.with_columns(
        grandchildren=pl.when(grand)
        .then(rest - 1 - (pl.col("u_children") < 0.5).cast(pl.Int32))
        .otherwise(0)
        .clip(0, None)
        .cast(pl.Int32),
        parents=pl.when(~grand & (pl.col("size") >= 4) & (pl.col("draft_age") <= 50) & (pl.col("u_parents") < 0.25))
        .then(pl.min_horizontal(1 + (pl.col("u_parents") < 0.1).cast(pl.Int32), rest - 1))
        .otherwise(0)
        .cast(pl.Int32),
    )
    frame = frame.with_columns(children=(rest - pl.col("grandchildren") - pl.col("parents")).cast(pl.Int32))
    # A head is old enough for his children, or for grandchildren; one living with parents is not old.
    head_age = (
        pl.when(pl.col("grandchildren") > 0)
        .then(pl.max_horizontal(pl.col("draft_age"), 52 + 2 * pl.col("grandchildren")))
        .otherwise(pl.max_horizontal(pl.col("draft_age"), 21 + 2 * pl.col("children")))
    )
    frame = frame.with_columns(
        head_age=pl.when(pl.col("parents") > 0).then(pl.min_horizontal(head_age, 50)).otherwise(head_age),
        # A woman heads the household mostly when she lives without a husband.
        head_female=pl.col("u_female") < pl.when(pl.col("spouse") == 1).then(0.04).otherwise(0.45),
    )
    frame = frame.with_row_index("hh").with_columns(pl.col("hh").cast(pl.Int64))
    seq = pl.int_range(1, pl.len() + 1).over("village_code")
    return frame.with_columns(
        number=pl.col("village_code") + seq.cast(pl.String).str.zfill(4),
        address=pl.concat_str(
            pl.lit("新疆维吾尔自治区喀什地区英吉沙县"),
            pl.col("township_name"),
            pl.col("village_name"),
            ((pl.col("u_village") * 97).floor() % 9 + 1).cast(pl.Int32).cast(pl.String),
            pl.lit("组"),
            seq.cast(pl.String),
            pl.lit("号"),
        ),
    ).select(
        "hh",
        "number",
        "village_code",
        "village_name",
        "township_code",
        "township_name",
        "address",
        "size",
        "han",
        "spouse",
        "parents",
        "children",
        "grandchildren",
        "head_age",
        "head_female",
    )


def _members(households: pl.DataFrame, draws: Draws, as_of: date) -> pl.DataFrame:
    frame = households.with_columns(pos=pl.int_ranges(0, pl.col("size"))).explode("pos")
    n = frame.height
    frame = frame.with_columns(
        pos=pl.col("pos").cast(pl.Int32),
        u_sex=draws.uniform("person.sex", n),
        u_age=draws.uniform("person.age", n),
        u_day=draws.uniform("person.birth_day", n),
    )
    spouse_end = 1 + pl.col("spouse")
    parent_end = spouse_end + pl.col("parents")
    child_end = parent_end + pl.col("children")
    role = (
        pl.when(pl.col("pos") == 0)
        .then(pl.lit("head"))
        .when(pl.col("pos") < spouse_end)
        .then(pl.lit("spouse"))
        .when(pl.col("pos") < parent_end)
        .then(pl.lit("parent"))
        .when(pl.col("pos") < child_end)
        .then(pl.lit("child"))
        .otherwise(pl.lit("grandchild"))
    )
    frame = frame.with_columns(role=role)
    rank = (
        pl.when(pl.col("role") == "parent")
        .then(pl.col("pos") - spouse_end)
        .when(pl.col("role") == "child")
        .then(pl.col("pos") - parent_end)
        .otherwise(pl.col("pos") - child_end)
    )
    male = (
        pl.when(pl.col("role") == "head")
        .then(~pl.col("head_female"))
        .when(pl.col("role") == "spouse")
        .then(pl.col("head_female"))
        .when(pl.col("role") == "parent")
        .then(pl.when(pl.col("parents") == 2).then(rank == 0).otherwise(pl.col("u_sex") >= 0.65))
        .otherwise(pl.col("u_sex") < 0.512)
    )
    frame = frame.with_columns(rank=rank, male=male)
    head_age = pl.col("head_age")
    spread = pl.col("u_age")
    # The eldest child is at most the head's age less 21; each next one at least two years younger.
    eldest = head_age - 21
    age = (
        pl.when(pl.col("role") == "head")
        .then(head_age)
        .when(pl.col("role") == "spouse")
        .then(
            pl.when(pl.col("male"))
            .then(head_age + (spread * 7).floor())
            .otherwise((head_age + 1 - (spread * 9).floor()).clip(18, None))
        )
        .when(pl.col("role") == "parent")
        .then((head_age + 21 + (spread * 14).floor()).clip(None, 99))
        .when(pl.col("role") == "child")
        .then(eldest - 2 * pl.col("rank") - (spread * pl.min_horizontal(12, eldest - 2 * pl.col("rank") + 1)).floor())
        .otherwise((head_age - 44 - (spread * 8).floor() - 2 * pl.col("rank")).clip(0, None))
    ).cast(pl.Int32)
    relation = (
        pl.when(pl.col("role") == "head")
        .then(pl.lit("户主"))
        .when(pl.col("role") == "spouse")
        .then(pl.lit("配偶"))
        .when(pl.col("role") == "parent")
        .then(pl.when(pl.col("male")).then(pl.lit("父亲")).otherwise(pl.lit("母亲")))
        .when(pl.col("role") == "child")
        .then(pl.when(pl.col("male")).then(pl.lit("子")).otherwise(pl.lit("女")))
        .otherwise(pl.when(pl.col("male")).then(pl.lit("孙子")).otherwise(pl.lit("孙女")))
    )
    # Born on a day of the year before this age was reached: as_of minus age years minus 0..364 days.
    birth = pl.date(as_of.year - age, as_of.month, as_of.day) - pl.duration(
        days=(pl.col("u_day") * 365).floor().cast(pl.Int64) + 1
    )
    frame = frame.with_columns(
        age=age, relation=relation, sex=pl.when(pl.col("male")).then(pl.lit("M")).otherwise(pl.lit("F"))
    )
    frame = frame.with_columns(birth_date=birth).with_row_index("person").with_columns(pl.col("person").cast(pl.Int64))
    return frame.drop("u_sex", "u_age", "u_day")


def _names(frame: pl.DataFrame, draws: Draws) -> pl.DataFrame:
    n = frame.height
    frame = frame.with_columns(
        u_given=draws.uniform("name.given", n),
        u_father=draws.uniform("name.father", n),
        u_surname=draws.uniform("name.surname", n),
        u_han1=draws.uniform("name.han_first", n),
        u_han2=draws.uniform("name.han_second", n),
        u_han_len=draws.uniform("name.han_length", n),
    )
    male = pl.col("male")
    given_uy = (
        pl.when(male)
        .then(_lookup(_index(pl.col("u_given"), len(vocab.UYGHUR_MALE), 1.5), vocab.UYGHUR_MALE))
        .otherwise(_lookup(_index(pl.col("u_given"), len(vocab.UYGHUR_FEMALE), 1.5), vocab.UYGHUR_FEMALE))
    )
    random_father = _lookup(_index(pl.col("u_father"), len(vocab.UYGHUR_MALE), 1.5), vocab.UYGHUR_MALE)
    han_char = _lookup(_index(pl.col("u_han1"), len(vocab.HAN_MALE_CHARS)), list(vocab.HAN_MALE_CHARS))
    han_char_f = _lookup(_index(pl.col("u_han1"), len(vocab.HAN_FEMALE_CHARS)), list(vocab.HAN_FEMALE_CHARS))
    han_char2 = _lookup(_index(pl.col("u_han2"), len(vocab.HAN_MALE_CHARS)), list(vocab.HAN_MALE_CHARS))
    han_char2_f = _lookup(_index(pl.col("u_han2"), len(vocab.HAN_FEMALE_CHARS)), list(vocab.HAN_FEMALE_CHARS))
    given_han = pl.when(male).then(han_char).otherwise(han_char_f) + pl.when(pl.col("u_han_len") < 0.6).then(
        pl.when(male).then(han_char2).otherwise(han_char2_f)
    ).otherwise(pl.lit(""))
    own_surname = _lookup(_index(pl.col("u_surname"), len(vocab.HAN_SURNAMES), 1.3), vocab.HAN_SURNAMES)
    frame = frame.with_columns(
        given=pl.when(pl.col("han")).then(given_han).otherwise(given_uy), own_surname=own_surname
    )
    # The husband among head and spouse is the children's father; the head's father may live with him.
    husband = pl.when(pl.col("role").is_in(["head", "spouse"]) & male).then(pl.col("given")).max().over("hh")
    grandfather = pl.when((pl.col("role") == "parent") & male).then(pl.col("given")).max().over("hh")
    family_surname = pl.when(pl.col("role") == "head").then(pl.col("own_surname")).max().over("hh")
    head_male = pl.when(pl.col("role") == "head").then(male).max().over("hh")
    father = (
        pl.when(pl.col("role") == "child")
        .then(pl.coalesce(husband, pl.col("given_father_random")))
        .when((pl.col("role") == "head") | ((pl.col("role") == "spouse") & ~head_male))
        .then(pl.coalesce(grandfather, pl.col("given_father_random")))
        .otherwise(pl.col("given_father_random"))
    )
    # Han children take the family's surname; a wife keeps her own.
    surname = (
        pl.when(pl.col("role").is_in(["head", "child", "grandchild"]) | ((pl.col("role") == "parent") & male))
        .then(family_surname)
        .otherwise(pl.col("own_surname"))
    )
    frame = frame.with_columns(given_father_random=random_father).with_columns(father=father, surname=surname)
    name = (
        pl.when(pl.col("han"))
        .then(pl.col("surname") + pl.col("given"))
        .otherwise(pl.col("given") + pl.lit("·") + pl.col("father"))
    )
    return frame.with_columns(
        name=name, ethnicity=pl.when(pl.col("han")).then(pl.lit("汉族")).otherwise(pl.lit("维吾尔族"))
    ).drop("u_given", "u_father", "u_surname", "u_han1", "u_han2", "u_han_len", "given_father_random", "own_surname")


def _id_numbers(frame: pl.DataFrame, draws: Draws) -> pl.DataFrame:
    n = frame.height
    frame = frame.with_columns(
        u_area=draws.uniform("id.area", n),
        u_order=draws.uniform("id.order", n),
    )
    area = (
        pl.when(pl.col("u_area") < 1 - BORN_ELSEWHERE_SHARE)
        .then(pl.lit(COUNTY_CODE))
        .otherwise(
            _lookup(
                _index(
                    (pl.col("u_area") - (1 - BORN_ELSEWHERE_SHARE)) / BORN_ELSEWHERE_SHARE,
                    len(vocab.KASHGAR_OTHER_COUNTIES),
                ),
                vocab.KASHGAR_OTHER_COUNTIES,
            )
        )
    )
    frame = frame.with_columns(area_code=area, birth8=pl.col("birth_date").dt.strftime("%Y%m%d"))
    # Order codes are unique per area, birth date and sex: a random start per group, then a stride of 37
    # (coprime to 500), so the codes look scattered and never repeat within the 500 slots of a sex.
    group = ["area_code", "birth8", "male"]
    rank = pl.int_range(pl.len()).over(group)
    start = (pl.col("u_order") * 500).floor().cast(pl.Int64).first().over(group)
    slot = (start + rank * 37) % 500
    order = (slot * 2 + pl.col("male").cast(pl.Int64)).cast(pl.String).str.zfill(3)
    frame = frame.with_columns(order3=order).with_columns(
        body=pl.col("area_code") + pl.col("birth8") + pl.col("order3")
    )
    frame = frame.with_columns(id_number=pl.col("body") + id_check_digit(pl.col("body")))
    return frame.drop("u_area", "u_order", "body")


def _life_events(frame: pl.DataFrame, draws: Draws, as_of: date) -> pl.DataFrame:
    n = frame.height
    frame = frame.with_columns(
        u_death=draws.uniform("event.death", n),
        u_move=draws.uniform("event.move", n),
        u_when=draws.uniform("event.date", n),
    )
    age = pl.col("age")
    # Yearly mortality by age, giving about 0.6 % of the county over the past year.
    death_rate = (
        pl.when(age < 1)
        .then(0.006)
        .when(age < 50)
        .then(0.0022)
        .when(age < 60)
        .then(0.008)
        .when(age < 70)
        .then(0.025)
        .when(age < 80)
        .then(0.06)
        .otherwise(0.15)
    )
    move_rate = pl.when(age.is_between(18, 40)).then(0.022).otherwise(0.004)
    status = (
        pl.when(pl.col("u_death") < death_rate)
        .then(pl.lit("deceased"))
        .when(pl.col("u_move") < move_rate)
        .then(pl.lit("moved_away"))
        .otherwise(pl.lit("active"))
    )
    when = pl.lit(as_of) - pl.duration(days=(pl.col("u_when") * 365).floor().cast(pl.Int64))
    frame = frame.with_columns(status=status).with_columns(
        status_date=pl.when(pl.col("status") == "active").then(None).otherwise(when).cast(pl.Date)
    )
    return frame.drop("u_death", "u_move", "u_when")


def _phones(frame: pl.DataFrame, draws: Draws) -> pl.DataFrame:
    n = frame.height
    frame = frame.with_columns(
        u_has=draws.uniform("phone.has", n),
        u_prefix=draws.uniform("phone.prefix", n),
        u_number=draws.uniform("phone.number", n),
    )
    own = pl.concat_str(
        _lookup(_index(pl.col("u_prefix"), len(vocab.PHONE_PREFIXES)), vocab.PHONE_PREFIXES),
        (pl.col("u_number") * 100_000_000).floor().cast(pl.Int64).cast(pl.String).str.zfill(8),
    )
    age = pl.col("age")
    has_own = pl.col("u_has") < pl.when(age < 16).then(0.0).when(age <= 60).then(0.86).when(age <= 75).then(
        0.6
    ).otherwise(0.35)
    frame = frame.with_columns(own_phone=pl.when(has_own).then(own).otherwise(None))
    # Children are registered with the phone of the head of household (or of whoever in it has one).
    household_phone = pl.col("own_phone").drop_nulls().first().over("hh")
    phone = pl.when(age < 16).then(pl.when(pl.col("u_has") < 0.45).then(household_phone)).otherwise(pl.col("own_phone"))
    return frame.with_columns(phone=phone).drop("u_has", "u_prefix", "u_number", "own_phone")


def _students(frame: pl.DataFrame, draws: Draws, as_of: date) -> pl.DataFrame:
    n = frame.height
    frame = frame.with_columns(
        u_school=draws.uniform("student.enrolled", n),
        u_which=draws.uniform("student.school", n),
    )
    age = pl.col("age")
    rate = (
        pl.when(age.is_between(6, 14))
        .then(0.985)
        .when(age.is_between(15, 17))
        .then(0.85)
        .when(age == 18)
        .then(0.45)
        .when(age.is_between(19, 22))
        .then(0.22)
        .otherwise(0.0)
    )
    student = (pl.col("u_school") < rate) & (pl.col("status") == "active")
    short_village = pl.col("village_name").str.replace(r"(村委会|村|社区居委会|社区)$", "")
    school = (
        pl.when(age <= 11)
        .then(
            pl.when(pl.col("u_which") < 0.5)
            .then(pl.col("township_name") + pl.lit("中心小学"))
            .otherwise(short_village + pl.lit("小学"))
        )
        .when(age <= 14)
        .then(pl.col("township_name") + pl.lit("中学"))
        .when(age <= 17)
        .then(_lookup(_index(pl.col("u_which"), len(vocab.HIGH_SCHOOLS), 1.4), vocab.HIGH_SCHOOLS))
        .otherwise(_lookup(_index(pl.col("u_which"), len(vocab.COLLEGES), 1.4), vocab.COLLEGES))
    )
    grade = age.clip(6, 22).replace_strict(list(vocab.GRADES), list(vocab.GRADES.values()), return_dtype=pl.String)
    # Pupils start school in September of the year they turn six.
    enrolled = pl.lit(as_of.year) - (age - 6).clip(0, None)
    return frame.with_columns(
        student=student,
        school=pl.when(student).then(school),
        grade=pl.when(student).then(grade),
        enrolled_year=pl.when(student).then(enrolled).cast(pl.Int32),
    ).drop("u_school", "u_which")


def _disabilities(frame: pl.DataFrame, draws: Draws) -> pl.DataFrame:
    n = frame.height
    frame = frame.with_columns(
        u_dis=draws.uniform("disability.has", n),
        u_type=draws.uniform("disability.type", n),
        u_grade=draws.uniform("disability.grade", n),
    )
    rate = (0.006 + 0.00045 * pl.col("age")).clip(None, 0.06)
    disabled = pl.col("u_dis") < rate
    type_index = _pick(pl.col("u_type"), [w for _, _, w in vocab.DISABILITY_TYPES])
    grade_index = _pick(pl.col("u_grade"), [w for _, _, w in vocab.DISABILITY_GRADES])
    type_code = _lookup(type_index, [c for c, _, _ in vocab.DISABILITY_TYPES])
    grade_code = _lookup(grade_index, [c for c, _, _ in vocab.DISABILITY_GRADES])
    return frame.with_columns(
        disabled=disabled,
        disability_type=pl.when(disabled).then(_lookup(type_index, [t for _, t, _ in vocab.DISABILITY_TYPES])),
        disability_grade=pl.when(disabled).then(_lookup(grade_index, [g for _, g, _ in vocab.DISABILITY_GRADES])),
        # The federation's certificate number: the ID number, then the type code and the grade code.
        disability_cert=pl.when(disabled).then(pl.col("id_number") + type_code + grade_code),
    ).drop("u_dis", "u_type", "u_grade")


def _assistance(people: pl.DataFrame, households: pl.DataFrame, draws: Draws) -> tuple[pl.DataFrame, pl.DataFrame]:
    n, h = people.height, households.height
    people = people.with_columns(
        u_hardship=draws.uniform("assist.special_hardship", n),
        u_orphan=draws.uniform("assist.orphan", n),
        u_employee=draws.uniform("assist.employee", n),
    )
    age = pl.col("age")
    active = pl.col("status") == "active"
    severe = pl.col("disability_grade").is_in(["一级", "二级"]).fill_null(False)
    # Special hardship: old people living alone first, then the severely disabled without support.
    hardship_key = (
        pl.col("u_hardship")
        - 1.0 * ((age >= 60) & (pl.col("size") == 1)).cast(pl.Float64)
        - 0.6 * (severe & (age >= 16)).cast(pl.Float64)
        - 0.3 * (age >= 70).cast(pl.Float64)
        + 5.0 * ((age < 16) | ~active).cast(pl.Float64)
    )
    # Orphans: children living with grandparents first.
    orphan_key = (
        pl.col("u_orphan")
        - 1.0 * (pl.col("role") == "grandchild").cast(pl.Float64)
        + 5.0 * ((age >= 18) | ~active).cast(pl.Float64)
    )
    employee_key = (
        pl.col("u_employee")
        - 0.4 * pl.col("village_name").str.ends_with("社区").cast(pl.Float64)
        - 0.2 * pl.col("han").cast(pl.Float64)
        + 5.0 * (~age.is_between(20, 59) | ~active).cast(pl.Float64)
    )
    people = people.with_columns(
        special_hardship=_top(hardship_key, round(n * RATES["special_hardship"])),
        orphan=_top(orphan_key, round(n * RATES["orphan"])),
        employee_scheme=_top(employee_key, round(n * RATES["employee_scheme"])),
    ).drop("u_hardship", "u_orphan", "u_employee")
    per_household = people.group_by("hh").agg(
        any_disabled=pl.col("disabled").any(), any_old=(pl.col("age") >= 65).any()
    )
    households = households.join(per_household, on="hh", how="left").sort("hh")
    households = households.with_columns(
        u_allowance=draws.uniform("assist.minimum_allowance", h),
        u_monitored=draws.uniform("assist.monitored", h),
        u_monitor_type=draws.uniform("assist.monitor_type", h),
    )
    allowance_key = (
        pl.col("u_allowance")
        - 0.35 * pl.col("any_disabled").cast(pl.Float64)
        - 0.2 * (pl.col("size") >= 6).cast(pl.Float64)
        - 0.25 * pl.col("any_old").cast(pl.Float64)
    )
    households = households.with_columns(minimum_allowance=_top(allowance_key, round(h * RATES["minimum_allowance"])))
    monitored_key = (
        pl.col("u_monitored")
        - 0.4 * pl.col("minimum_allowance").cast(pl.Float64)
        - 0.2 * pl.col("any_disabled").cast(pl.Float64)
    )
    households = households.with_columns(monitored=_top(monitored_key, round(h * RATES["monitored"])))
    monitor_type = _lookup(
        _pick(pl.col("u_monitor_type"), [w for _, w in vocab.MONITOR_TYPES]), [t for t, _ in vocab.MONITOR_TYPES]
    )
    households = households.with_columns(monitor_type=pl.when(pl.col("monitored")).then(monitor_type)).drop(
        "u_allowance", "u_monitored", "u_monitor_type", "any_disabled", "any_old"
    )
    people = people.join(households.select("hh", "minimum_allowance", "monitored", "monitor_type"), on="hh", how="left")
    return people.sort("person"), households
