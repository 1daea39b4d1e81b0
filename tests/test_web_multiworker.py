"""Several web workers on one PostgreSQL database behave as one web app.

``herald serve --workers 2`` runs as a real process on a loopback port against a PostgreSQL
database seeded through the Store API. Each request goes over a fresh connection, and the test
knows which worker process accepted it by looking the connection up in ``/proc`` (the
server-side socket's inode in ``/proc/net/tcp``, then the worker whose file descriptors hold
it), so the app exposes nothing new. Every check makes a change through one worker and reads it
through the other: sessions, CSRF tokens, follows and mutes, the signals cap, log-in limits
(also against guesses sent to both at once) and revoked personal feed addresses.

The secret key is left unset, so the workers sign with the key the first process stored in
the database (``herald.store.secret_key``). The shared parts on their own run on SQLite and
PostgreSQL: that key, the signal counts, and the limits on log-ins, sign-ups and reports under
tries made at once.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import lxml.html
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from herald.app import Herald, make_herald
from herald.config import Settings
from herald.exceptions import AuthError, RateLimitedError
from herald.store import newsroom
from herald.store.accounts import Accounts, LoginLimits
from herald.store.schema import login_attempts, readers, signal_caps, signals
from herald.store.secret_key import shared_secret_key
from herald.store.signal_caps import count_signal
from herald.store.store import Store
from herald.types import ReportKind
from herald.web.context import wall_now
from herald.web.reader_routes import RATE_LIMIT
from herald.web.security import READER_COOKIE, unsign
from tests.test_web_seed import NOW, Seeded, seed

HOST = "127.0.0.1"
START_TIMEOUT = 90.0
PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF_META = re.compile(r'name="herald-csrf" content="([0-9a-f]+)"')
FEED_URL = re.compile(r"/feeds/([A-Za-z0-9_-]+)\.rss")

needs_proc = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="finds each connection's worker in /proc (Linux)"
)


# --------------------------------------------------------------------------- which worker


def _ppid(pid: int) -> int | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(raw.rpartition(")")[2].split()[1])


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _ppid(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def accepted_inode(server_port: int, client_port: int) -> int:
    """The inode of the server's socket of the connection from ``client_port`` (0: none yet)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":"), fields[2].split(":")
        if int(local[1], 16) == server_port and int(remote[1], 16) == client_port:
            return int(fields[9])
    return 0


def socket_owner(pids: list[int], inode: int) -> int | None:
    """The process among ``pids`` with the socket ``inode`` open."""
    target = f"socket:[{inode}]"
    for pid in pids:
        with contextlib.suppress(OSError), os.scandir(f"/proc/{pid}/fd") as fds:
            for fd in fds:
                with contextlib.suppress(OSError):
                    if os.readlink(fd.path) == target:
                        return pid
    return None


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """``herald serve --workers 2`` on ``HOST:port``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    workers: tuple[int, int] = (0, 0)

    def owner(self, client_port: int) -> int:
        """The worker process that accepted the connection from ``client_port``."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            inode = accepted_inode(self.port, client_port)
            if inode:
                pid = socket_owner(process_tree(self.process.pid), inode)
                if pid is not None:
                    return pid
            time.sleep(0.005)
        raise AssertionError(f"no worker accepted the connection from port {client_port}")

    def connect(self, worker: int | None = None) -> tuple[http.client.HTTPConnection, int]:
        """A fresh connection accepted by ``worker`` (None: any), and that worker's pid."""
        for _ in range(400):
            conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            conn.connect()
            assert conn.sock is not None
            pid = self.owner(conn.sock.getsockname()[1])
            if worker is None or pid == worker:
                return conn, pid
            conn.close()
        raise AssertionError(f"worker {worker} accepted none of 400 connections")

    def find_workers(self) -> tuple[int, int]:
        """The two worker processes, once each has accepted a connection."""
        seen: set[int] = set()
        deadline = time.monotonic() + START_TIMEOUT
        while len(seen) < 2 and time.monotonic() < deadline:
            conn, pid = self.connect()
            conn.close()
            seen.add(pid)
            time.sleep(0.01)
        assert len(seen) == 2, f"only {seen} answered: {self.log.read_text()[-2000:]}"
        first, second = sorted(seen)
        return first, second

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_server(env: Mapping[str, str], workdir: Path) -> Server:
    port = free_port()
    log = workdir / "serve.log"
    command = [sys.executable, "-m", "herald", "serve", "--host", HOST, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--workers", "2"],
            env=dict(env),
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=2):
            break
        time.sleep(0.1)
    if process.poll() is not None or time.monotonic() >= deadline:
        server.stop()
        raise AssertionError(f"herald serve did not start: {log.read_text()[-2000:]}")
    return server


@dataclass(frozen=True)
class Site:
    herald: Herald
    seeded: Seeded
    server: Server

    @property
    def a(self) -> int:
        return self.server.workers[0]

    @property
    def b(self) -> int:
        return self.server.workers[1]


@pytest.fixture(scope="module")
def site(
    postgres_database: URL,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Site]:
    """A seeded PostgreSQL database served by ``herald serve --workers 2``."""
    if not Path("/proc/net/tcp").exists():
        pytest.skip("finds each connection's worker in /proc (Linux)")
    workdir = tmp_path_factory.mktemp("multiworker")
    url = postgres_database.render_as_string(hide_password=False)
    data_dir = workdir / "data"
    settings = Settings(data_dir=str(data_dir), database_url=url, now=NOW.isoformat())
    h = make_herald(settings)
    try:
        seeded = seed(h)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        env |= {
            "HERALD_DATABASE_URL": url,
            "HERALD_DATA_DIR": str(data_dir),
            "HERALD_NOW": NOW.isoformat(),
        }
        server = start_server(env, workdir)
        try:
            server.workers = server.find_workers()
            yield Site(h, seeded, server)
        finally:
            server.stop()
    finally:
        h.close()


# --------------------------------------------------------------------------- a browser


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str
    worker: int


@dataclass
class Browser:
    """Cookies, and each request on a fresh connection to the worker asked for."""

    server: Server
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        worker: int,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        conn, pid = self.server.connect(worker)
        sent = {"Connection": "close", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        self._keep(response.headers.get_all("set-cookie") or [])
        return Answer(response.status, response.headers, text, pid)

    def _keep(self, set_cookies: list[str]) -> None:
        for raw in set_cookies:
            for name, morsel in SimpleCookie(raw).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, worker: int) -> Answer:
        return self.request("GET", path, worker)

    def post(self, path: str, worker: int, form: Mapping[str, str]) -> Answer:
        content = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, worker, urlencode(form).encode(), content)

    def csrf(self, worker: int, path: str = "/") -> str:
        """The CSRF token of a page served by ``worker``."""
        match = CSRF_META.search(self.get(path, worker).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def beacon(self, worker: int, story: int, csrf: str) -> Answer:
        headers = {"Content-Type": "application/json", "X-CSRF-Token": csrf}
        body = json.dumps({"story": story, "kind": "open"}).encode()
        return self.request("POST", "/signals", worker, body, headers)


def card_ids(page: Answer) -> list[int]:
    assert page.status == 200, page.text[:500]
    doc = lxml.html.fromstring(page.text)
    return [int(i.split("-")[1]) for i in doc.xpath('//ol[@class="cards"]/li/@id')]


def become_reader(browser: Browser, site: Site) -> None:
    """A reader profile made through worker A (onboarding with nothing ticked)."""
    answer = browser.post("/welcome", site.a, {"csrf": browser.csrf(site.a)})
    assert answer.status == 303 and READER_COOKIE in browser.cookies


def sign_up(browser: Browser, site: Site, email: str) -> None:
    """Sign up with the form of worker A, posted to worker B."""
    token = browser.csrf(site.a, "/signup")
    form = {"csrf": token, "email": email, "password": PASSWORD, "next": "/account"}
    answer = browser.post("/signup", site.b, form)
    assert answer.status == 303, answer.text[:500]


# --------------------------------------------------------------------------- the checks


def at_once(count: int, work: Callable[[int], str]) -> list[str]:
    """``work(0..count-1)`` in threads released together; their results."""
    results: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        outcome = work(n)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
@needs_proc
def test_both_workers_answer_and_sign_with_the_database_key(site: Site) -> None:
    assert site.a != site.b
    assert site.server.process.pid not in site.server.workers  # the supervisor serves nothing
    browser = Browser(site.server)
    become_reader(browser, site)
    key = shared_secret_key(site.herald.store, "not stored: a key exists")
    assert unsign(key, browser.cookies[READER_COOKIE]) is not None
    assert not (Path(site.herald.settings.resolved_data_dir) / "secret_key").exists()


@pytest.mark.postgres
@needs_proc
def test_csrf_tokens_of_one_worker_are_accepted_by_the_other(site: Site) -> None:
    browser = Browser(site.server)
    token = browser.csrf(site.a)
    for worker in (site.a, site.b):
        form = {"csrf": token, "pref": "follow|topic|science", "next": "/"}
        assert browser.post("/prefs", worker, form).status == 303
        forged = {**form, "csrf": "0" * len(token)}
        assert browser.post("/prefs", worker, forged).status == 403
    assert browser.csrf(site.b) == token  # the same nonce cookie, the same key


@pytest.mark.postgres
@needs_proc
def test_a_session_started_on_one_worker_holds_on_the_other(site: Site) -> None:
    browser = Browser(site.server)
    sign_up(browser, site, "reader@example.org")
    for worker in (site.a, site.b):
        page = browser.get("/account", worker)
        assert page.status == 200 and "reader@example.org" in page.text

    stale = Browser(site.server, dict(browser.cookies))  # keeps the ended session's cookie
    logout = browser.post("/logout", site.a, {"csrf": browser.csrf(site.b, "/account")})
    assert logout.status == 303
    for worker in (site.a, site.b):
        assert "reader@example.org" not in browser.get("/account", worker).text
        assert "reader@example.org" not in stale.get("/account", worker).text


@pytest.mark.postgres
@needs_proc
def test_a_mute_set_through_one_worker_changes_the_feed_of_the_other(site: Site) -> None:
    browser = Browser(site.server)
    rates = site.seeded.rates  # the business story
    assert rates in card_ids(browser.get("/", site.b))
    form = {"csrf": browser.csrf(site.a), "pref": "mute|topic|business", "next": "/"}
    assert browser.post("/prefs", site.a, form).status == 303
    for worker in (site.b, site.a):
        assert rates not in card_ids(browser.get("/", worker))

    form = {"csrf": browser.csrf(site.b), "pref": "unset|topic|business", "next": "/"}
    assert browser.post("/prefs", site.b, form).status == 303
    assert rates in card_ids(browser.get("/", site.a))


@pytest.mark.postgres
@needs_proc
def test_the_signals_cap_holds_across_workers(site: Site) -> None:
    browser = Browser(site.server)
    become_reader(browser, site)
    csrf = browser.csrf(site.b)
    started = time.monotonic()
    answers = [
        browser.beacon((site.a, site.b)[n % 2], site.seeded.comet, csrf)
        for n in range(RATE_LIMIT + 20)
    ]
    elapsed = time.monotonic() - started
    assert elapsed < 55, "the cap's window is a minute: the run must fit in one"
    accepted = [a for a in answers if a.status == 204]
    refused = [a for a in answers if a.status == 429]
    assert len(accepted) == RATE_LIMIT and len(refused) == 20
    assert {a.worker for a in accepted} == {site.a, site.b}
    assert {a.worker for a in refused} == {site.a, site.b}
    assert all(1 <= int(a.headers["Retry-After"]) <= 60 for a in refused)

    token = unsign(site.herald.secret_key, browser.cookies[READER_COOKIE])
    reader = next(r for r in _readers(site.herald.store) if r[1] == token)
    with site.herald.store.tx() as conn:
        stored = conn.execute(
            select(func.count()).select_from(signals).where(signals.c.reader_id == reader[0])
        ).scalar_one()
    assert stored == RATE_LIMIT


def _readers(store: Store) -> list[tuple[int, str]]:
    with store.tx() as conn:
        return [(r.id, r.token) for r in conn.execute(select(readers.c.id, readers.c.token))]


@pytest.mark.postgres
@needs_proc
def test_login_limits_hold_across_workers(site: Site) -> None:
    email = "limited@example.org"
    browser = Browser(site.server)
    sign_up(browser, site, email)
    assert browser.post("/logout", site.b, {"csrf": browser.csrf(site.b)}).status == 303

    def log_in(worker: int, password: str) -> Answer:
        form = {"csrf": browser.csrf(worker, "/login"), "email": email, "password": password}
        return browser.post("/login", worker, form)

    codes = [log_in((site.a, site.b)[n % 2], "wrong password").status for n in range(5)]
    assert codes == [400] * 5
    for worker in (site.a, site.b):
        refused = log_in(worker, PASSWORD)  # even the right password, on either worker
        assert refused.status == 429
        assert int(refused.headers["Retry-After"]) > 0


@pytest.mark.postgres
@needs_proc
def test_a_feed_address_revoked_through_one_worker_is_gone_from_all(site: Site) -> None:
    browser = Browser(site.server)
    become_reader(browser, site)
    match = FEED_URL.search(browser.get("/settings", site.b).text)
    assert match
    old = f"/feeds/{match.group(1)}.rss"
    reader = Browser(site.server)  # a feed reader: no cookies
    assert [reader.get(old, w).status for w in (site.a, site.b)] == [200, 200]

    rotate = browser.post("/settings/feeds/rotate", site.b, {"csrf": browser.csrf(site.a)})
    assert rotate.status == 303
    assert [reader.get(old, w).status for w in (site.a, site.b, site.a, site.b)] == [404] * 4
    fresh = FEED_URL.search(browser.get("/settings", site.a).text)
    assert fresh and fresh.group(1) != match.group(1)
    assert reader.get(f"/feeds/{fresh.group(1)}.rss", site.b).status == 200


@pytest.mark.postgres
@needs_proc
def test_concurrent_guesses_get_no_more_tries_than_the_limit(site: Site) -> None:
    email = "guessed@example.org"
    owner = Browser(site.server)
    sign_up(owner, site, email)
    attacker = Browser(site.server)
    token = attacker.csrf(site.a, "/login")
    form = {"csrf": token, "email": email, "password": "a wrong guess"}

    def guess(n: int) -> str:
        worker = (site.a, site.b)[n % 2]
        answer = Browser(site.server, dict(attacker.cookies)).post("/login", worker, form)
        return str(answer.status)

    # Before, all 24 were checked: each try was counted after its password check. Now each
    # counts first, so at most 5 are checked (fewer when tries refused at once held a place).
    codes = at_once(24, guess)
    checked = codes.count("400")
    assert checked <= 5 and codes.count("429") == 24 - checked
    rest = [guess(n).replace("400", "checked") for n in range(5 - checked + 1)]
    assert rest == ["checked"] * (5 - checked) + ["429"]


# --------------------------------------------------------------------------- the shared parts


def test_the_first_stored_secret_key_is_everyones(store: Store) -> None:
    assert shared_secret_key(store, "first") == "first"
    assert shared_secret_key(store, "second") == "first"


def test_processes_starting_at_once_agree_on_one_key(store: Store) -> None:
    keys = at_once(8, lambda n: shared_secret_key(store, f"key-{n}"))
    assert len(keys) == 8 and len(set(keys)) == 1 and keys[0].startswith("key-")


def test_an_older_installs_key_file_becomes_the_databases_key(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "secret_key").write_text("key-of-an-older-install\n")
    first = make_herald(Settings(data_dir=str(data_dir)))
    try:
        assert first.secret_key == "key-of-an-older-install"
    finally:
        first.close()
    (data_dir / "secret_key").unlink()  # gone: the database has it
    again = make_herald(Settings(data_dir=str(data_dir)))
    try:
        assert again.secret_key == "key-of-an-older-install"
    finally:
        again.close()
    fixed = make_herald(Settings(data_dir=str(data_dir), secret_key="from-settings"))
    try:
        assert fixed.secret_key == "from-settings"
    finally:
        fixed.close()


def test_signal_counts_are_shared_and_windowed(store: Store) -> None:
    one, two = store.create_reader(NOW), store.create_reader(NOW)
    t = 1_000_000.0
    assert [count_signal(store, one.id, 3, t + n) for n in range(3)] == [0, 0, 0]
    assert count_signal(store, one.id, 3, t + 10.2) == 50  # the window began at t
    assert count_signal(store, two.id, 3, t + 10.2) == 0  # each reader has their own
    assert count_signal(store, one.id, 3, t + 59.5) == 1
    assert count_signal(store, one.id, 3, t + 60.0) == 0  # a new window
    assert count_signal(store, one.id, 3, t - 3600) == 0  # the clock went back: a new one
    with store.tx() as conn:
        rows = conn.execute(select(signal_caps.c.reader_id, signal_caps.c.used)).all()
    assert sorted((r.reader_id, r.used) for r in rows) == [(one.id, 1), (two.id, 1)]


def test_concurrent_signals_never_pass_the_cap(store: Store) -> None:
    reader = store.create_reader(NOW)
    now = time.time()

    def send(_: int) -> str:
        return ",".join(str(count_signal(store, reader.id, 25, now)) for _ in range(10))

    waits = ",".join(at_once(6, send)).split(",")
    assert len(waits) == 60 and waits.count("0") == 25


def test_a_deleted_reader_takes_their_count_along(store: Store) -> None:
    reader = store.create_reader(NOW)
    count_signal(store, reader.id, 3, time.time())
    Accounts(store).delete_reader(reader.id)
    with store.tx() as conn:
        assert conn.execute(select(func.count()).select_from(signal_caps)).scalar_one() == 0


def test_guesses_at_once_get_no_more_checks_than_the_limit(store: Store) -> None:
    limits = LoginLimits(per_email=3, per_ip=100)
    accts = Accounts(store, limits=limits, hasher=CHEAP)
    accts.create(store.create_reader(NOW).id, "a@example.org", PASSWORD, NOW)
    now = wall_now()

    def guess(n: int) -> str:
        try:
            accts.authenticate("a@example.org", f"guess {n}", "203.0.113.9", now)
        except RateLimitedError:
            return "limited"
        except AuthError:
            return "wrong"
        return "in"

    outcomes = at_once(12, guess)
    checked = outcomes.count("wrong")
    assert checked <= 3 and outcomes.count("limited") == 12 - checked
    rest = [guess(n) for n in range(3 - checked + 1)]  # then one at a time, up to the limit
    assert rest == ["wrong"] * (3 - checked) + ["limited"]
    with pytest.raises(RateLimitedError):
        accts.authenticate("a@example.org", PASSWORD, "198.51.100.2", now)


def test_a_right_password_and_a_refused_try_leave_no_failure(store: Store) -> None:
    limits = LoginLimits(per_email=2, per_ip=3)
    accts = Accounts(store, limits=limits, hasher=CHEAP)
    accts.create(store.create_reader(NOW).id, "b@example.org", PASSWORD, NOW)
    now = wall_now()
    for _ in range(3):  # the right password does not count against the client address
        accts.authenticate("b@example.org", PASSWORD, "203.0.113.10", now)
    for _ in range(2):
        with pytest.raises(AuthError):
            accts.authenticate("b@example.org", "wrong", "203.0.113.10", now)
    with pytest.raises(RateLimitedError):  # refused: not a third failure of the address
        accts.authenticate("b@example.org", "wrong", "203.0.113.10", now)
    with store.tx() as conn:
        keys = sorted(conn.execute(select(login_attempts.c.key)).scalars())
    assert keys == ["email:b@example.org"] * 2 + ["ip:203.0.113.10"] * 2


def test_signups_and_reports_at_once_keep_their_caps(store: Store) -> None:
    accts = Accounts(store, limits=LoginLimits(signups_per_ip=2), hasher=CHEAP)
    now = wall_now()

    def sign_up(_: int) -> str:
        try:
            accts.take_signup("203.0.113.11", now)
        except RateLimitedError:
            return "limited"
        return "taken"

    taken = at_once(8, sign_up).count("taken")
    assert taken <= 2
    assert [sign_up(0) for _ in range(3 - taken)] == ["taken"] * (2 - taken) + ["limited"]

    story = store.create_story("A story", NOW, NOW)
    caps = [newsroom.Cap("reader:1", 2, timedelta(hours=1))]

    def report(_: int) -> str:
        filed = newsroom.file_report(store, story, ReportKind.OTHER, "", NOW, caps=caps)
        return "filed" if filed is not None else "capped"

    filed = at_once(8, report).count("filed")
    assert filed <= 2
    assert [report(0) for _ in range(3 - filed)] == ["filed"] * (2 - filed) + ["capped"]
