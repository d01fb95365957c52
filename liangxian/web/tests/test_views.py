"""The home page of every role, the login page and the supervisors' log pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone, translation

from liangxian.core.models import AccessLog
from liangxian.org.models import Role, Unit, User
from liangxian.web.navigation import existing_links, nav_sections

from .roles import Login, demo_logins

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def logins() -> list[Login]:
    return demo_logins()


def _signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_home_redirects_an_anonymous_visitor_to_login(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_names_the_system_in_chinese(client: Client) -> None:
    response = client.get("/login/")

    assert response.status_code == 200
    assert "两险征缴管理系统" in response.content.decode()


def test_every_role_lands_on_its_own_home_page_in_chinese(logins: list[Login]) -> None:
    # given one login per role
    for login in logins:
        user = User.objects.get(username=login.username)
        # when he opens the home page
        response = _signed_in(login.username).get("/")
        # then it is his role's page, headed by his unit and his role in Chinese
        body = response.content.decode()
        assert response.status_code == 200, login.username
        assert response.templates[0].name == f"web/home/{login.key}.html", login.username
        with translation.override("zh-hans"):
            role_label = str(user.get_role_display())
        assert (login.unit_name or "两险征缴管理系统") in body, login.username
        assert role_label in body, login.username
        assert "待办事项" in body, login.username
        assert HAN.search(role_label), f"role {login.role} has no Chinese label"


def test_tax_home_lists_its_duties_with_article_numbers(logins: list[Login]) -> None:
    body = _signed_in("tax").get("/").content.decode()

    assert "第二十七条" in body
    assert "第八条" in body


def test_township_home_lists_its_villages_with_person_counts_and_its_posts(logins: list[Login]) -> None:
    response = _signed_in("township").get("/")

    body = response.content.decode()
    villages = response.context["villages"]
    assert "其兰巴格社区" in body
    assert len(villages) > 1 and villages[0].persons == 2 and villages[1].persons == 0
    assert "热合曼·阿不力孜" in body  # the leader in charge
    assert "努尔艾力·吐尔洪" in body  # the specialist


def test_collector_home_shows_his_authorisation_in_force(logins: list[Login]) -> None:
    response = _signed_in("collector").get("/")

    assert response.context["authorisation"].state == "valid"
    assert "其兰巴格社区" in response.content.decode()
    assert "授权" in response.content.decode()


def test_collector_home_says_when_he_is_not_authorised(logins: list[Login]) -> None:
    # given tax withdrew the collector's authorisation yesterday
    user = User.objects.get(username="collector")
    yesterday = timezone.now() - timedelta(days=1)
    user.authorisations.update(withdrawn_at=yesterday, withdraw_reason="test")

    response = _signed_in("collector").get("/")

    assert response.context["authorisation"].state == "withdrawn"


def test_a_user_without_a_unit_is_told_so(db: None) -> None:
    User.objects.create_user(username="nobody", password="Nobody-pass-2024", role=Role.STAFF)

    response = _signed_in("nobody").get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "web/home/no_unit.html"
    assert "尚未分配" in response.content.decode()


def test_nav_shows_the_admin_only_to_the_administrator(logins: list[Login]) -> None:
    admin_nav = [link["path"] for link in _signed_in("admin").get("/").context["nav"]]
    collector_nav = [link["path"] for link in _signed_in("collector").get("/").context["nav"]]

    assert "/admin/" in admin_nav
    assert "/admin/" not in collector_nav
    assert "/audit-log/" not in collector_nav


def test_access_log_page_is_open_to_discipline_and_closed_to_tax(logins: list[Login]) -> None:
    # given one recorded read of personal data
    AccessLog.objects.create(
        at="2024-09-01T10:00:00+08:00", unit_code="dept-tax", duty="collection", action="view", object_type="person"
    )

    assert _signed_in("discipline").get("/audit-log/").status_code == 200
    assert _signed_in("audit").get("/audit-log/events/").status_code == 200
    assert _signed_in("tax").get("/audit-log/").status_code == 403


def test_access_log_page_lists_the_recorded_reads(logins: list[Login]) -> None:
    AccessLog.objects.create(
        at="2024-09-01T10:00:00+08:00", unit_code="dept-tax", duty="collection", action="view", object_type="person"
    )

    body = _signed_in("discipline").get("/audit-log/").content.decode()

    assert "dept-tax" in body and "2024-09-01 10:00:00" in body


def test_language_switch_to_uyghur_renders_the_layout_in_uyghur(logins: list[Login]) -> None:
    client = _signed_in("collector")

    response = client.post("/i18n/setlang/", {"language": "ug", "next": "/"}, follow=True)

    body = response.content.decode()
    assert 'lang="ug" dir="rtl"' in body
    assert "چىقىش" in body  # "Sign out" in Uyghur


def test_pages_carry_no_inline_script_or_style(logins: list[Login]) -> None:
    for username in ("tax", "township", "collector", "admin"):
        body = _signed_in(username).get("/").content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), username
        assert " style=" not in body and "<style" not in body, username


def test_logout_is_a_post(logins: list[Login]) -> None:
    client = _signed_in("tax")

    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_practice_site_marks_every_page(client: Client) -> None:
    with override_settings(LIANGXIAN_PRACTICE_SITE=True):
        body = client.get("/login/").content.decode()

    assert "系统操作演练环境" in body


def test_the_real_site_carries_no_practice_banner(client: Client) -> None:
    assert "practice-banner" not in client.get("/login/").content.decode()


def test_collector_home_links_to_his_village_and_the_residents(logins: list[Login]) -> None:
    village = User.objects.get(username="collector").unit
    assert village is not None

    paths = [link["path"] for link in _signed_in("collector").get("/").context["links"]]

    assert f"/org/villages/{village.code}/" in paths
    assert "/residents/" in paths
    assert "/admin/" not in paths


def test_links_to_pages_not_built_yet_are_left_out() -> None:
    links = existing_links([("/calendar/", "calendar"), ("/not-built-yet/", "not yet"), ("", "unnamed")])

    assert [link["path"] for link in links] == ["/calendar/"]


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_home_renders_for_every_role_in_every_kind_of_unit(logins: list[Login], role: str) -> None:
    # given one user of this role in each kind of unit (even combinations the demo does not make)
    units = {u.kind: u for u in Unit.objects.order_by("-code")}
    for kind, unit in units.items():
        user = User.objects.create_user(username=f"{role}-{kind}", password="Any-pass-2024", unit=unit, role=role)
        client = Client()
        client.force_login(user)
        # when he opens the home page, then it renders, in Chinese
        response = client.get("/")
        assert response.status_code == 200, (role, kind)
        assert "待办事项" in response.content.decode(), (role, kind)


def test_nav_marks_only_the_deepest_section_of_the_page_as_current(logins: list[Login]) -> None:
    # given the township specialist, whose sections include the due-list and, below it, the progress page
    user = User.objects.get(username="township")

    # when he is on the progress page
    current = [link["path"] for link in nav_sections(user, "/roster/due/progress/") if link["current"]]

    # then only the progress section is marked, not the due-list it sits under
    assert current == ["/roster/due/progress/"]
    assert [link["path"] for link in nav_sections(user, "/") if link["current"]] == ["/"]


@pytest.mark.django_db
def test_home_lists_what_waits_in_collection_for_the_bureau_and_nothing_when_nothing_waits(client: Client) -> None:
    from liangxian.refunds.services import refund_request
    from liangxian.refunds.tests.fixtures import refund_county

    county = refund_county()
    client.force_login(county["medical"])
    assert client.get("/").context["attention"] == []
    refund_request(by=county["tax"], payment=county["li_again"], reason="duplicate")
    items = client.get("/").context["attention"]
    assert [item["count"] for item in items] == [1]
    assert items[0]["url"] == "/refunds/"
