import pytest
from django.test import Client


@pytest.mark.django_db
def test_a_json_body_with_a_nul_character_is_refused_before_any_view():
    # given an API call whose JSON carries an escaped NUL
    client = Client()
    # when it is posted
    response = client.post(
        "/api/org/collectors/authorisations", data='{"village": "a\\u0000"}', content_type="application/json"
    )
    # then it is refused with a readable reason, not a server error
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


@pytest.mark.django_db
def test_a_query_string_with_a_nul_character_is_refused():
    response = Client().get("/api/residents/?q=%00abc")
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_clean_request_passes_through():
    response = Client().get("/login/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_an_english_browser_still_gets_chinese_pages():
    # given a browser that asks for English first
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    # when it opens the login page
    response = client.get("/login/")
    # then the page is in Chinese
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


@pytest.mark.django_db
def test_the_language_the_user_chose_is_kept():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.post("/i18n/setlang/", {"language": "ug", "next": "/login/"})
    response = client.get("/login/")
    assert response["Content-Language"] == "ug"


@pytest.mark.django_db
def test_a_session_cookie_or_token_with_a_nul_character_is_refused():
    # given a session cookie and a bearer token that carry a NUL, as a fuzzer sends them
    client = Client()
    client.cookies["sessionid"] = "abc\x00def"
    # when the API is called
    by_cookie = client.get("/api/residents/")
    by_token = Client().get("/api/residents/", HTTP_AUTHORIZATION="Bearer ab\x00c.secret")
    # then both are refused before any lookup reaches the database
    assert by_cookie.status_code == 400
    assert by_token.status_code == 400
