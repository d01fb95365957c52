"""A small Yengisar: the county, two townships, three villages, their units and a user per post."""

from __future__ import annotations

import pytest

from liangxian.core.models import Division, DivisionLevel
from liangxian.org.models import Role, Unit, User
from liangxian.org.services import org_bootstrap, user_create


@pytest.fixture
def divisions(db: None) -> Division:
    county = Division.objects.create(code="653123", name="英吉沙县", level=DivisionLevel.COUNTY)
    t1 = Division.objects.create(code="653123100", name="英吉沙镇", level=DivisionLevel.TOWNSHIP, parent=county)
    t2 = Division.objects.create(code="653123101", name="乌恰镇", level=DivisionLevel.TOWNSHIP, parent=county)
    for code, name, parent in (
        ("653123100001", "其兰巴格社区", t1),
        ("653123100002", "英巴格社区", t1),
        ("653123101201", "阿亚格博依村", t2),
    ):
        Division.objects.create(code=code, name=name, level=DivisionLevel.VILLAGE, parent=parent)
    return county


@pytest.fixture
def units(divisions: Division) -> dict[str, Unit]:
    org_bootstrap(county_code="653123")
    return {u.code: u for u in Unit.objects.all()}


def make_user(username: str, unit: Unit | None, role: str, full_name: str = "") -> User:
    return user_create(
        actor=None,
        username=username,
        password="Test-password-1",
        unit=unit,
        role=role,
        full_name=full_name or username,
        phone="13999800000",
    )


@pytest.fixture
def people(units: dict[str, Unit]) -> dict[str, User]:
    """One user per post the org tests need."""
    return {
        "tax": make_user("tax", units["653123-tax"], Role.STAFF, "李建国"),
        "medical": make_user("medical", units["653123-medical"], Role.STAFF, "王丽"),
        "medical2": make_user("medical2", units["653123-medical"], Role.STAFF, "王二"),
        "specialist": make_user("specialist", units["653123100"], Role.SPECIALIST, "努尔艾力·吐尔洪"),
        "specialist2": make_user("specialist2", units["653123100"], Role.STAFF, "阿不都·热依木"),
        "leader": make_user("leader", units["653123100"], Role.TOWNSHIP_LEADER, "热合曼·阿不力孜"),
        "other_township": make_user("other_township", units["653123101"], Role.SPECIALIST, "张三"),
        "collector": make_user("collector", units["653123100001"], Role.COLLECTOR, "阿卜杜拉·买买提"),
        "collector_b": make_user("collector_b", units["653123100002"], Role.COLLECTOR, "李四"),
        "admin": make_user("admin", None, Role.SYSADMIN, "系统管理员"),
    }
