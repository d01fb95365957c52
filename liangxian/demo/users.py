"""The demo logins: one per role and per department, with the posts and handlers that fill their pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from liangxian.org import selectors as org_selectors
from liangxian.org import services as org_services
from liangxian.org.errors import DivisionsMissing, OrgInvalid
from liangxian.org.models import Department, Role, TownshipPost, Unit, UnitKind, User

# Demo only: every demo login shares this password unless a password file gives another.
DEMO_PASSWORD = "Liangxian-2026!"  # noqa: S105
DEMO_TOWNSHIP = "653123100"  # 英吉沙镇
_DEMO_SALT = "liangxiandemo"

# Each department's demo staff member: username = the department's code.
DEPARTMENT_STAFF: dict[str, str] = {
    Department.TAX: "李建国",
    Department.MEDICAL: "王丽",
    Department.SOCIAL: "阿依古丽·吐尔逊",
    Department.FINANCE: "张伟",
    Department.CIVIL: "买买提·艾力",
    Department.REVITAL: "刘洋",
    Department.POLICE: "艾尔肯·阿不都拉",
    Department.JUSTICE: "陈静",
    Department.DISABLED: "古丽米拉·买买提",
    Department.EDUCATION: "赵敏",
    Department.PUBLICITY: "孙强",
    Department.PBC: "周芳",
    Department.DISCIPLINE: "吴刚",
    Department.AUDIT: "郑红",
}


@dataclass(frozen=True)
class DemoLogin:
    """One demo login as printed for the person trying the demo."""

    username: str
    password: str
    full_name: str
    role: str
    unit_code: str
    unit_name: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class _Spec:
    username: str
    full_name: str
    unit: Unit | None
    role: str
    phone: str
    superuser: bool = False


def _phone(n: int) -> str:
    return f"1399980{n:04d}"


def _demo_places(county_code: str) -> tuple[Unit, Unit, Unit]:
    """Pick the demo township (英吉沙镇 or the first), its first village and the first bank."""
    township = (
        Unit.objects.filter(kind=UnitKind.TOWNSHIP, code=DEMO_TOWNSHIP).first()
        or Unit.objects.filter(kind=UnitKind.TOWNSHIP, code__startswith=county_code).order_by("code").first()
    )
    if township is None:
        raise DivisionsMissing()
    village = Unit.objects.filter(kind=UnitKind.VILLAGE, parent=township).order_by("code").first()
    if village is None:
        raise OrgInvalid(f"{township.name} has no villages")
    bank = Unit.objects.filter(kind=UnitKind.BANK, code__startswith=county_code).order_by("code").first()
    if bank is None:
        raise DivisionsMissing()
    return township, village, bank


def _specs(county_code: str) -> list[_Spec]:
    township, village, bank = _demo_places(county_code)
    departments = {u.department: u for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT, code__startswith=county_code)}
    specs = [
        _Spec(dept, name, departments[dept], Role.STAFF, _phone(i + 1))
        for i, (dept, name) in enumerate(DEPARTMENT_STAFF.items())
    ]
    specs += [
        _Spec("tax_leader", "马志明", departments[Department.TAX], Role.LEADER, _phone(101)),
        # The principal leaders who sign and stamp their bureau's lists (Art 10, 11, 14).
        _Spec("civil_leader", "阿不都热合曼·吐尔地", departments[Department.CIVIL], Role.LEADER, _phone(102)),
        _Spec("revital_leader", "杨帆", departments[Department.REVITAL], Role.LEADER, _phone(103)),
        _Spec("disabled_leader", "帕提古丽·艾买提", departments[Department.DISABLED], Role.LEADER, _phone(104)),
        _Spec("township", "努尔艾力·吐尔洪", township, Role.SPECIALIST, _phone(201)),
        _Spec("township_leader", "热合曼·阿不力孜", township, Role.TOWNSHIP_LEADER, _phone(202)),
        _Spec("collector", "阿卜杜拉·买买提", village, Role.COLLECTOR, _phone(301)),
        _Spec("village_head", "吐尔逊·卡德尔", village, Role.VILLAGE_HEAD, _phone(302)),
        _Spec("bank", "黄磊", bank, Role.STAFF, _phone(401)),
        _Spec("admin", "系统管理员", None, Role.SYSADMIN, _phone(901), superuser=True),
    ]
    return specs


def _ensure_user(spec: _Spec, password_hash: str) -> User:
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = org_services.user_create(
            actor=None,
            username=spec.username,
            password=None,
            password_hash=password_hash,
            unit=spec.unit,
            role=spec.role,
            full_name=spec.full_name,
            phone=spec.phone,
            is_staff=spec.superuser,
            is_superuser=spec.superuser,
        )
    else:
        org_services.user_update(
            actor=None, user=user, unit=spec.unit, role=spec.role, full_name=spec.full_name, phone=spec.phone
        )
        if user.password != password_hash:
            org_services.user_password_set(actor=None, user=user, password_hash=password_hash)
    return user


# The first village's notice: assistant, committee head and the village work team's leader (Art 31).
_HANDLERS: tuple[dict[str, str], ...] = (
    {
        "login": "collector",
        "post": "协理员",
        "post_ug": "ھەق يىغىش ياردەمچىسى",
        "name_ug": "ئابدۇللا مەمەت",
        "duties": "入户宣传，协助缴费人通过微信等渠道缴费；代收现金当日缴入并出具缴费证明",
        "duties_ug": "ئائىلىلەرنى ئارىلاپ تەشۋىق قىلىش، ھەق تاپشۇرغۇچىلارنىڭ ئۈندىدار قاتارلىق يوللار ئارقىلىق "
        "ھەق تاپشۇرۇشىغا ياردەملىشىش؛ نەق پۇلنى شۇ كۈنى تاپشۇرۇپ، ھەق تاپشۇرۇش ئىسپاتى بېرىش",
    },
    {
        "login": "village_head",
        "post": "村委会主任",
        "post_ug": "كەنت كومىتېتى مۇدىرى",
        "name_ug": "تۇرسۇن قادىر",
        "duties": "组织本村征缴工作，审核现金征缴登记台账并签字",
        "duties_ug": "كەنتنىڭ ھەق يىغىش خىزمىتىنى تەشكىللەش، نەق پۇل يىغىش خاتىرە دەپتىرىنى تەكشۈرۈپ ئىمزا قويۇش",
    },
    {
        "login": "",
        "name": "王建华",
        "name_ug": "ۋاڭ جيەنخۇا",
        "phone": _phone(303),
        "post": "驻村工作队队长",
        "post_ug": "كەنتتە تۇرۇشلۇق خىزمەت گۇرۇپپىسىنىڭ باشلىقى",
        "duties": "督促入户摸排，协助核实应缴费人员台账",
        "duties_ug": "ئائىلىلەرنى ئارىلاپ ئەھۋال ئىگىلەشكە نازارەت قىلىش، ھەق تاپشۇرۇشقا تېگىشلىك كىشىلەر "
        "دەپتىرىنى تەكشۈرۈشكە ياردەملىشىش",
    },
)


def _ensure_posts(users: dict[str, User], county_code: str) -> None:
    township, village, _bank = _demo_places(county_code)
    today = timezone.localdate()
    for dept in DEPARTMENT_STAFF:
        user = users[dept]
        assert user.unit is not None
        if org_selectors.data_contact_current(unit=user.unit) is None:
            org_services.data_contact_designate(actor=user, unit=user.unit, user=user, since=today)
    for post, login in ((TownshipPost.LEADER_IN_CHARGE, "township_leader"), (TownshipPost.SPECIALIST, "township")):
        if org_selectors.appointment_current(township=township, post=post) is None:
            org_services.township_appoint(actor=users[login], township=township, post=post, user=users[login])
    collector = users["collector"]
    if not org_selectors.collector_is_authorised(collector=collector, village=village, on=today):
        org_services.collector_authorise(
            actor=users["tax"], collector=collector, village=village, valid_from=dt.date(today.year, 1, 1)
        )
    if not org_selectors.handlers_for(village=village).exists():
        for order, h in enumerate(_HANDLERS, start=1):
            person: User | None = users[h["login"]] if h["login"] else None
            org_services.village_handler_add(
                actor=users["township"],
                village=village,
                name=person.full_name if person else h["name"],
                phone=person.phone if person else h["phone"],
                post=h["post"],
                duties=h["duties"],
                name_ug=h["name_ug"],
                post_ug=h["post_ug"],
                duties_ug=h["duties_ug"],
                user=person,
                order=order,
            )


def demo_users_create(*, password: str = DEMO_PASSWORD, county_code: str = "653123") -> list[DemoLogin]:
    """Create (or bring back in line) the demo logins, their posts and the first village's handlers."""
    org_services.org_bootstrap(actor=None, county_code=county_code)
    # One hash with a fixed salt serves every demo login: hashing twenty times would take seconds, and
    # an unchanged hash tells a rerun that nothing needs doing. Demo only; real users get their own salt.
    password_hash = make_password(password, salt=_DEMO_SALT)
    users: dict[str, User] = {}
    logins: list[DemoLogin] = []
    for spec in _specs(county_code):
        user = _ensure_user(spec, password_hash)
        users[spec.username] = user
        logins.append(
            DemoLogin(
                username=spec.username,
                password=password,
                full_name=spec.full_name,
                role=spec.role,
                unit_code=spec.unit.code if spec.unit else "",
                unit_name=spec.unit.name if spec.unit else "",
            )
        )
    _ensure_posts(users, county_code)
    return logins
