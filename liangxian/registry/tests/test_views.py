import io

import openpyxl
import pytest

from liangxian.core.models import AccessLog
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    f.county()
    return {
        "mine": f.person(f.VILLAGE_A1, name="阿卜杜拉·买买提"),
        "other": f.person(f.VILLAGE_B1, name="古丽·艾力"),
    }


@pytest.fixture
def collector_client(client):
    client.force_login(f.collector(f.VILLAGE_A1))
    return client


@pytest.fixture
def collector_user(collector_client):
    return collector_client.session["_auth_user_id"]


def test_a_collector_asking_the_page_for_a_resident_of_another_village_gets_404_and_is_logged(collector_client, county):
    response = collector_client.get(f"/residents/{county['other'].pk}/")

    assert response.status_code == 404
    log = AccessLog.objects.get()
    assert (log.action, log.object_type, log.object_ids, log.channel) == (
        "denied",
        "registry.person",
        [str(county["other"].pk)],
        "web",
    )
    assert log.path == f"/residents/{county['other'].pk}/"


def test_the_list_page_shows_the_collectors_village_with_masked_id_numbers(collector_client, county):
    response = collector_client.get("/residents/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "阿卜杜拉·买买提" in body
    assert "古丽·艾力" not in body
    assert county["mine"].id_number not in body
    assert county["mine"].id_number[-4:] in body
    assert AccessLog.objects.get().action == "list"


def test_the_detail_page_shows_a_resident_in_scope_and_logs_the_view(collector_client, county):
    response = collector_client.get(f"/residents/{county['mine'].pk}/")

    assert response.status_code == 200
    assert "阿卜杜拉·买买提" in response.content.decode()
    assert AccessLog.objects.get().action == "view"


def test_a_township_user_filters_the_list_by_village(client, county):
    f.person(f.VILLAGE_A2, name="王芳")
    client.force_login(f.user(f.unit(f.TOWN_A, kind="township")))

    response = client.get("/residents/", {"village": f.VILLAGE_A2})

    body = response.content.decode()
    assert "王芳" in body
    assert "阿卜杜拉·买买提" not in body


def test_the_residents_pages_need_a_login(client, county):
    response = client.get("/residents/")

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_export_is_stamped_masked_safe_from_formulas_and_logged(collector_client, collector_user, county):
    f.person(f.VILLAGE_A1, name='=HYPERLINK("http://evil")')

    response = collector_client.get("/residents/export.xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    username = f.User.objects.get(pk=collector_user).username
    assert username in rows[0][0] and "village_collection" in rows[0][0]
    names = [r[1] for r in rows[2:]]
    assert '\'=HYPERLINK("http://evil")' in names
    assert all(not str(r[3]).startswith("=") for r in rows[2:])
    assert county["mine"].id_number not in [r[3] for r in rows[2:]]
    assert len(rows) == 2 + 2
    log = AccessLog.objects.get()
    assert (log.action, log.count) == ("export", 2)


def test_a_department_without_a_resident_duty_cannot_export_and_the_attempt_is_logged(client, county):
    client.force_login(f.department("publicity"))

    response = client.get("/residents/export.xlsx")

    assert response.status_code == 404
    assert AccessLog.objects.get().action == "denied"
