"""Accounts in the web app (in-process TestClient on a real SQLite Herald).

Sign up keeps the anonymous profile, log in merges it, log out really logs out; CSRF and
cross-site requests are refused; repeated failures get 429; cookies carry the right flags;
export and deletion work for accounts and anonymous readers; tampered cookies are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import lxml.html
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from herald.app import Herald
from herald.store.accounts import Accounts
from herald.store.schema import accounts, readers, sessions
from herald.web.app import create_app
from herald.web.context import SESSION_COOKIE, current_account, is_admin
from herald.web.security import CSRF_COOKIE, READER_COOKIE
from tests.test_web_seed import Seeded, client, herald, seeded

__all__ = ["client", "herald", "seeded"]

EMAIL = "Reader@Example.org"
PASSWORD = "correct horse battery"


def csrf(c: TestClient, path: str = "/account") -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', c.get(path).text)
    assert match, path
    return match.group(1)


def follow(c: TestClient, pref: str) -> None:
    r = c.post("/prefs", data={"csrf": csrf(c, "/settings"), "pref": pref}, follow_redirects=False)
    assert r.status_code == 303, r.text


def signup(c: TestClient, email: str = EMAIL, password: str = PASSWORD, next: str = "") -> None:
    data = {"csrf": csrf(c, "/signup"), "email": email, "password": password, "next": next}
    r = c.post("/signup", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text


def login(c: TestClient, email: str = EMAIL, password: str = PASSWORD, next: str = "") -> str:
    data = {"csrf": csrf(c, "/login"), "email": email, "password": password, "next": next}
    r = c.post("/login", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def logout(c: TestClient) -> None:
    r = c.post("/logout", data={"csrf": csrf(c)}, follow_redirects=False)
    assert r.status_code == 303


def set_cookie(response: object, name: str) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    found = [h for h in headers if h.startswith(f"{name}=")]
    assert found, headers
    return str(found[-1])


def replace_cookie(c: TestClient, name: str, value: str) -> None:
    """Make ``name`` the only cookie of that name in the client's jar."""
    saved = {k: v for k, v in c.cookies.items() if k != name}
    c.cookies.clear()
    for key, val in saved.items():
        c.cookies.set(key, val)
    c.cookies.set(name, value)


def page(c: TestClient, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(c.get(path).text)


def nav_account_link(c: TestClient) -> str:
    links = page(c, "/").xpath("//nav[@aria-label='Main']//a/text()")
    return str(links[-1])


def follows(c: TestClient) -> list[str]:
    names = page(c, "/settings").xpath(
        "//section[@aria-labelledby='mine-h']//span[@class='pref-name']/text()"
    )
    return [" ".join(n.split()) for n in names]


def table_count(herald: Herald, table: object) -> int:
    with herald.store.tx() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_sign_up_keeps_the_anonymous_profile(client: TestClient, herald: Herald) -> None:
    assert nav_account_link(client) == "Sign in"
    follow(client, "follow|topic|science")
    follow(client, "mute|topic|business")
    anonymous = herald.store.reader_by_token(client.cookies[READER_COOKIE].rpartition(".")[0])
    form = page(client, "/signup")
    assert "The choices you made on this browser are kept." in form.text_content()

    data = {"csrf": csrf(client, "/signup"), "email": EMAIL, "password": PASSWORD}
    r = client.post("/signup", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    cookie = set_cookie(r, SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    assert f"Max-Age={30 * 86400}" in cookie
    assert set_cookie(r, READER_COOKIE).startswith(f'{READER_COOKIE}=""')  # deleted
    assert set_cookie(r, CSRF_COOKIE)  # a fresh CSRF nonce

    account = Accounts(herald.store).by_email(EMAIL)
    assert account is not None and account.reader_id == anonymous.id
    assert account.email == "reader@example.org"
    assert nav_account_link(client) == "Account"
    assert follows(client) == ["Science", "Business"]
    doc = page(client, "/account")
    assert doc.xpath("//dl[@class='account-facts']/dd/text()")[0] == "reader@example.org"


def test_log_out_then_log_in_merges_what_was_chosen_meanwhile(
    client: TestClient, herald: Herald
) -> None:
    follow(client, "follow|topic|science")
    signup(client)
    follow(client, "mute|entity|NASA")
    logout(client)
    assert client.cookies.get(SESSION_COOKIE) is None
    assert client.cookies.get(READER_COOKIE) is None
    assert nav_account_link(client) == "Sign in"
    assert follows(client) == []  # logged out: a fresh anonymous browser
    assert page(client, "/").xpath("//h1/text()") == ["Top stories"]

    follow(client, "follow|topic|technology")
    follow(client, "follow|entity|NASA")  # the account mutes NASA: the account wins
    assert login(client, next="/settings") == "/settings"
    assert sorted(follows(client)) == ["NASA", "Science", "Technology"]
    mutes = page(client, "/settings").xpath(
        "//section[@aria-labelledby='mine-h']//h3[.='Muted']/following-sibling::ul[1]//span"
        "[@class='pref-name']/text()"
    )
    assert mutes == ["NASA"]
    assert table_count(herald, readers) == 1  # the anonymous profile was merged away


def test_logging_in_rotates_the_session(client: TestClient, herald: Herald) -> None:
    signup(client)
    first = client.cookies[SESSION_COOKIE]
    login(client)
    second = client.cookies[SESSION_COOKIE]
    assert first != second
    assert table_count(herald, sessions) == 1  # the old session ended with the new login
    replace_cookie(client, SESSION_COOKIE, first)
    assert nav_account_link(client) == "Sign in"


def test_logged_in_visitors_skip_the_forms(client: TestClient) -> None:
    signup(client)
    for path, target in (("/signup", "/account"), ("/login", "/account")):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == target
    r = client.get("/login?next=/settings", follow_redirects=False)
    assert r.headers["location"] == "/settings"


def test_settings_say_where_choices_are_kept(client: TestClient) -> None:
    def intro() -> str:
        return str(page(client, "/settings").xpath("string(//p[@class='intro'])"))

    assert "cookie on this browser" in intro()
    assert page(client, "/settings").xpath("//p[@class='intro']/a/@href") == ["/signup"]
    signup(client)
    assert "belong to your account" in intro()
    assert "cookie" not in intro()


def test_next_redirects_stay_on_the_site(client: TestClient) -> None:
    signup(client, next="https://evil.example/")
    logout(client)
    for target, expected in (
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/stories/1", "/stories/1"),
    ):
        assert login(client, next=target) == expected
    doc = page(client, "/login?next=//evil.example")
    assert not doc.xpath("//input[@name='next']")


def test_every_post_needs_the_csrf_token(client: TestClient, herald: Herald) -> None:
    client.get("/account")
    posts = {
        "/signup": {"email": EMAIL, "password": PASSWORD},
        "/login": {"email": EMAIL, "password": PASSWORD},
        "/logout": {},
        "/account/delete": {"confirm": "yes", "password": PASSWORD},
    }
    for path, data in posts.items():
        r = client.post(path, data=data, follow_redirects=False)
        assert r.status_code == 403, path
        assert "CSRF" in r.text
        r = client.post(path, data=data | {"csrf": "0" * 64}, follow_redirects=False)
        assert r.status_code == 403, path
    assert table_count(herald, accounts) == 0


def test_cross_site_posts_are_refused(client: TestClient, herald: Herald) -> None:
    signup(client)
    evil = {"origin": "https://evil.example"}
    token = csrf(client)
    r = client.post("/logout", data={"csrf": token}, headers=evil, follow_redirects=False)
    assert r.status_code == 403 and "cross-site" in r.text
    data = {"csrf": token, "password": PASSWORD}
    r = client.post("/account/delete", data=data, headers=evil, follow_redirects=False)
    assert r.status_code == 403
    data = {"csrf": csrf(client, "/login"), "email": EMAIL, "password": PASSWORD}
    r = client.post("/login", data=data, headers=evil, follow_redirects=False)
    assert r.status_code == 403
    assert table_count(herald, accounts) == 1
    assert nav_account_link(client) == "Account"


def test_repeated_failures_get_429_with_retry_after(client: TestClient) -> None:
    signup(client)
    logout(client)
    for _ in range(5):
        data = {"csrf": csrf(client, "/login"), "email": EMAIL, "password": "wrong password"}
        r = client.post("/login", data=data)
        assert r.status_code == 400
        assert "Wrong email address or password." in r.text
    data = {"csrf": csrf(client, "/login"), "email": EMAIL, "password": PASSWORD}
    r = client.post("/login", data=data)
    assert r.status_code == 429
    assert 800 <= int(r.headers["retry-after"]) <= 900
    doc = lxml.html.fromstring(r.text)
    alert = doc.xpath("//p[@role='alert']/text()")
    assert alert and alert[0].startswith("Too many failed log-ins. Wait 15 minutes")
    assert doc.xpath("//input[@name='email']/@value") == [EMAIL]
    assert SESSION_COOKIE not in client.cookies


def test_signup_form_errors_are_tied_to_their_fields(client: TestClient, herald: Herald) -> None:
    data = {"csrf": csrf(client, "/signup"), "email": "not an address", "password": "short"}
    r = client.post("/signup", data=data)
    assert r.status_code == 400
    doc = lxml.html.fromstring(r.text)
    for name in ("email", "password"):
        [field] = doc.xpath(f"//form[@action='/signup']//input[@name='{name}']")
        assert field.get("aria-invalid") == "true"
        described = field.get("aria-describedby").split()
        errors = [doc.get_element_by_id(i) for i in described if i.endswith("-error")]
        assert len(errors) == 1 and errors[0].text_content().strip()
    assert doc.xpath("//input[@name='email']/@value") == ["not an address"]
    assert table_count(herald, readers) == 0  # nothing was created for a refused form
    signup(client)
    logout(client)
    data = {"csrf": csrf(client, "/signup"), "email": EMAIL.upper(), "password": PASSWORD}
    r = client.post("/signup", data=data)
    assert r.status_code == 400 and "log in instead" in r.text
    assert table_count(herald, readers) == 1


@pytest.mark.parametrize("path", ["/signup", "/login", "/account"])
def test_forms_label_every_field_and_say_what_to_autocomplete(
    client: TestClient, path: str
) -> None:
    if path == "/account":
        signup(client)
    doc = page(client, path)
    fields = doc.xpath("//main//input[not(@type='hidden')]")
    assert fields
    for field in fields:
        labels = doc.xpath(f"//label[@for='{field.get('id')}']")
        assert len(labels) == 1 and labels[0].text_content().strip(), field.get("name")
        if field.get("type") in {"email", "password"}:
            assert field.get("autocomplete") in {
                "email",
                "username",
                "new-password",
                "current-password",
            }
    assert doc.xpath("//main//form[@method='post']//input[@name='csrf']")
    assert page(client, path).xpath("//nav//a[@aria-current='page']/@href") in (
        ["/login"],
        ["/account"],
    )


def test_session_cookie_flags_over_https(herald: Herald, seeded: Seeded) -> None:
    with TestClient(create_app(herald), base_url="https://testserver") as c:
        data = {"csrf": csrf(c, "/signup"), "email": EMAIL, "password": PASSWORD}
        r = c.post("/signup", data=data, follow_redirects=False)
        cookie = set_cookie(r, SESSION_COOKIE)
        for flag in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
            assert flag in cookie
        token = cookie.split(";")[0].split("=", 1)[1]
        assert len(token) >= 40
        with herald.store.tx() as conn:
            stored = conn.execute(select(sessions.c.token_hash)).scalar_one()
        assert token not in stored and len(stored) == 64
        assert c.get("/account").headers["cache-control"] == "no-store"


def test_tampered_or_stale_cookies_are_anonymous(client: TestClient, herald: Herald) -> None:
    follow(client, "follow|topic|science")
    reader_cookie = client.cookies[READER_COOKIE]
    signup(client)
    token = client.cookies[SESSION_COOKIE]
    for forged in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "", "x" * 500):
        replace_cookie(client, SESSION_COOKIE, forged)
        assert nav_account_link(client) == "Sign in"
        assert follows(client) == []
    # The old anonymous cookie names a profile that now has an account: it is no way in.
    client.cookies.clear()
    client.cookies.set(READER_COOKIE, reader_cookie)
    assert follows(client) == []
    assert client.get("/account/export.json").json()["reader"] is None
    replace_cookie(client, SESSION_COOKIE, token)
    assert follows(client) == ["Science"]


def test_export_downloads_everything_as_json(client: TestClient, seeded: Seeded) -> None:
    empty = client.get("/account/export.json")
    assert empty.status_code == 200 and empty.json()["reader"] is None
    follow(client, "follow|topic|science")
    anonymous = client.get("/account/export.json").json()
    assert [p["value"] for p in anonymous["preferences"]] == ["science"]
    assert anonymous["account"] is None
    signup(client)
    r = client.get("/account/export.json")
    assert r.headers["content-type"].startswith("application/json")
    assert re.fullmatch(
        r'attachment; filename="herald-export-\d{4}-\d\d-\d\d\.json"',
        r.headers["content-disposition"],
    )
    assert r.headers["cache-control"] == "no-store"
    data = json.loads(r.text)
    assert data["account"]["email"] == "reader@example.org"
    assert data["reader"]["id"] == anonymous["reader"]["id"]
    assert [p["value"] for p in data["preferences"]] == ["science"]
    assert set(data["personal_feeds"]) == {"RSS", "Atom", "JSON Feed"}
    rss = data["personal_feeds"]["RSS"].removeprefix("http://testserver")
    assert client.get(rss).status_code == 200
    assert "argon2" not in r.text and PASSWORD not in r.text
    assert client.cookies[SESSION_COOKIE] not in r.text
    doc = page(client, "/account")
    assert doc.xpath("//a[@href='/account/export.json']/@download") == [""]


def test_delete_account_needs_the_password_then_removes_everything(
    client: TestClient, herald: Herald
) -> None:
    follow(client, "follow|topic|science")
    signup(client)
    data = {"csrf": csrf(client), "password": "not my password"}
    r = client.post("/account/delete", data=data)
    assert r.status_code == 400
    doc = lxml.html.fromstring(r.text)
    [field] = doc.xpath("//form[@action='/account/delete']//input[@name='password']")
    assert field.get("aria-invalid") == "true"
    assert doc.get_element_by_id(field.get("aria-describedby")).text_content().strip() == (
        "That is not your password."
    )
    assert table_count(herald, accounts) == 1

    data = {"csrf": csrf(client), "password": PASSWORD}
    r = client.post("/account/delete", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account?done=deleted"
    for table in (accounts, sessions, readers):
        assert table_count(herald, table) == 0
    assert client.cookies.get(SESSION_COOKIE) is None
    doc = page(client, "/account?done=deleted")
    assert doc.xpath("//p[@role='status']/text()") == [
        "Your account and everything Herald kept about you are deleted."
    ]
    assert nav_account_link(client) == "Sign in"
    r = client.post(
        "/login", data={"csrf": csrf(client, "/login"), "email": EMAIL, "password": PASSWORD}
    )
    assert r.status_code == 400


def test_forget_me_deletes_an_anonymous_profile(client: TestClient, herald: Herald) -> None:
    doc = page(client, "/account")
    assert not doc.xpath("//form[@action='/account/delete']")  # nothing to forget yet
    follow(client, "follow|topic|science")
    doc = page(client, "/account")
    assert doc.xpath("//h2[@id='delete-h']/text()") == ["Forget me"]
    r = client.post("/account/delete", data={"csrf": csrf(client)})
    assert r.status_code == 400 and "Tick the box to confirm." in r.text
    assert table_count(herald, readers) == 1
    r = client.post(
        "/account/delete", data={"csrf": csrf(client), "confirm": "yes"}, follow_redirects=False
    )
    assert r.headers["location"] == "/account?done=forgotten"
    assert table_count(herald, readers) == 0
    assert client.cookies.get(READER_COOKIE) is None
    assert follows(client) == []


@pytest.fixture()
def whoami(herald: Herald, seeded: Seeded) -> Iterator[TestClient]:
    """The app with one more route that reports ``current_account`` and ``is_admin``."""
    herald.settings = herald.settings.with_overrides(admin_emails=" Boss@Example.org , x@y.z")
    app = create_app(herald)

    def who(request: Request) -> dict[str, object]:
        account = current_account(request)
        return {"email": account.email if account else None, "admin": is_admin(request)}

    app.add_api_route("/_whoami", who)
    with TestClient(app) as c:
        yield c


def test_current_account_and_is_admin(whoami: TestClient) -> None:
    assert whoami.get("/_whoami").json() == {"email": None, "admin": False}
    signup(whoami)
    assert whoami.get("/_whoami").json() == {"email": "reader@example.org", "admin": False}
    logout(whoami)
    signup(whoami, "boss@example.org")
    assert whoami.get("/_whoami").json() == {"email": "boss@example.org", "admin": True}
    logout(whoami)
    assert whoami.get("/_whoami").json() == {"email": None, "admin": False}
