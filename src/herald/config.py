"""The one settings table.

Every setting has a name, a type, a default and a help text. Values come from, in order of
precedence: ``HERALD_<NAME>`` environment variables, a TOML file (``--config``,
``HERALD_CONFIG``, or ``herald.toml`` in the working directory), then the defaults here.
No other module reads ``os.environ`` for settings.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from herald.exceptions import ConfigError


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "herald")


@dataclass(frozen=True)
class Settings:
    """All of Herald's settings (see ``herald config`` or docs/configuration.md)."""

    data_dir: str = ""
    database_url: str = ""
    # fetching
    user_agent_contact: str = "admin@example.invalid"
    allow_networks: str = ""
    fetch_timeout: float = 15.0
    connect_timeout: float = 5.0
    max_response_bytes: int = 10_000_000
    max_redirects: int = 5
    per_host_concurrency: int = 2
    per_host_delay: float = 0.0
    total_concurrency: int = 32
    fetch_retries: int = 2
    respect_robots: bool = True
    source_backoff_base: float = 300.0
    source_backoff_max: float = 86_400.0
    poll_interval: float = 900.0
    # extraction
    min_article_chars: int = 200
    workers: int = 0
    work_timeout: float = 30.0
    # distributed mode
    executor: str = "local"
    ray_address: str = ""
    # clustering
    cluster_threshold: float = 0.6
    cluster_window_hours: float = 72.0
    # trending
    trend_half_life_hours: float = 6.0
    trend_threshold: float = 1.0
    trend_min_outlets: int = 2
    # writing
    writer: str = "composer"
    write_min_words: int = 150
    write_max_words: int = 400
    write_target_words: int = 250
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0
    llm_retries: int = 1
    llm_max_tokens: int = 800
    # verification
    verify_min_similarity: float = 0.45
    verify_max_dropped_share: float = 0.34
    judge_base_url: str = ""
    judge_model: str = ""
    judge_api_key: str = ""
    judge_timeout: float = 30.0
    judge_threshold: float = 0.5
    # web
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_threads: int = 2
    web_inline: bool = True
    secret_key: str = ""
    feed_days: float = 3.0
    session_days: float = 30.0
    admin_emails: str = ""
    # replays
    now: str = ""

    @property
    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir or _default_data_dir()).expanduser()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'herald.db'}"

    @property
    def user_agent(self) -> str:
        from herald import __version__

        return f"Herald/{__version__} (self-hosted news reader; {self.user_agent_contact})"

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with some settings replaced (values are converted to the field types)."""
        return replace(self, **{k: _convert(k, v) for k, v in values.items()})


HELP: dict[str, str] = {
    "data_dir": "Folder for the SQLite database, secrets and caches.",
    "database_url": "SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db.",
    "user_agent_contact": "Contact address put in Herald's User-Agent header.",
    "allow_networks": "Comma-separated CIDRs fetched although not public (e.g. 127.0.0.1/32).",
    "fetch_timeout": "Read timeout of one HTTP request, seconds.",
    "connect_timeout": "Connect timeout of one HTTP request, seconds.",
    "max_response_bytes": "Largest response body accepted, bytes.",
    "max_redirects": "Most redirects followed for one request.",
    "per_host_concurrency": "Most simultaneous requests to one host.",
    "per_host_delay": "Seconds between two requests to the same host.",
    "total_concurrency": "Most simultaneous requests overall.",
    "fetch_retries": "Retries of a failed request (exponential backoff with jitter).",
    "respect_robots": "Honour robots.txt for feeds and pages.",
    "source_backoff_base": "Seconds a source waits after its first failure (doubles per failure).",
    "source_backoff_max": "Longest wait of a failing source, seconds.",
    "poll_interval": "Seconds between polls of a healthy source and between `herald run` rounds.",
    "min_article_chars": "Extracted text shorter than this is marked too_short.",
    "workers": "Worker processes that parse feeds and extract pages (0: one per CPU core;"
    " -1: none, work runs in the main process without a time limit). With executor = ray:"
    " shards and model batches run at once (0: one per CPU of the cluster).",
    "work_timeout": "Seconds one feed parse or page extraction may take before its worker is"
    " killed and the item recorded as an error.",
    "executor": "Where the stages' work runs: local (this machine) or ray (a Ray cluster;"
    " needs PostgreSQL, see docs/deploy.md).",
    "ray_address": "Address of the Ray cluster for executor = ray (e.g. 10.0.0.5:6379, or auto).",
    "cluster_threshold": "Combined score an article needs to join a story (docs/clustering.md).",
    "cluster_window_hours": "Stories older than this (last article) take no new articles.",
    "trend_half_life_hours": "Half-life of an article's weight in the trending score.",
    "trend_threshold": "Score a story with enough outlets needs to be labelled trending.",
    "trend_min_outlets": "Distinct publishers a story needs to be trending or written.",
    "writer": "Writer back end: composer (no LLM) or openai (any OpenAI-compatible server).",
    "write_min_words": "Shortest article written, words.",
    "write_max_words": "Longest article written, words.",
    "write_target_words": "Word budget the writer aims for.",
    "llm_base_url": "Base URL of an OpenAI-compatible server (e.g. http://127.0.0.1:8080/v1).",
    "llm_model": "Model name to ask the OpenAI-compatible server for.",
    "llm_api_key": "API key for the OpenAI-compatible server.",
    "llm_timeout": "Seconds to wait for an LLM answer.",
    "llm_retries": "Retries of a failed LLM call (timeouts, connection errors, 429 and 5xx).",
    "llm_max_tokens": "Most tokens the LLM may write for one article.",
    "verify_min_similarity": "Least embedding similarity between a sentence and its evidence.",
    "verify_max_dropped_share": "A draft losing more than this share of sentences is rejected.",
    "judge_base_url": "Base URL of an OpenAI-compatible server asked, for every sentence the"
    " verifier's checks accept, whether its cited passages support it; a 'no' drops the"
    " sentence (the judge can only veto). Empty: no judge (the default). See docs/verifier.md.",
    "judge_model": "Model name to ask the judge's server for.",
    "judge_api_key": "API key for the judge's server.",
    "judge_timeout": "Seconds to wait for one judge answer (a failure keeps the checks' verdict).",
    "judge_threshold": "The judge vetoes a sentence when its probability of 'yes' is below this.",
    "web_host": "Address the web app listens on.",
    "web_port": "Port the web app listens on.",
    "web_threads": "Threads per web worker process for page and API work. Few keep requests"
    " first come, first served on a busy CPU (2 measured best here); raise it when the"
    " database is far away, so that workers overlap its round trips.",
    "web_inline": "Run the feed and story reads on each web worker's event loop, with no hand-off"
    " to a thread (less CPU per page with a local database); off: on web_threads threads,"
    " which overlap round trips to a database far away.",
    "secret_key": "Key signing cookies and CSRF tokens (empty: made once, kept in the database).",
    "feed_days": "Days of stories a reader's feed draws from.",
    "session_days": "Days a reader stays logged in (a session's lifetime).",
    "admin_emails": "Comma-separated email addresses of the accounts that are administrators.",
    "now": "Freeze the clock at this ISO time (replays and the demo); empty for the real clock.",
}


def _field_types() -> dict[str, type]:
    names = {"str": str, "int": int, "float": float, "bool": bool}
    return {f.name: names[str(f.type)] for f in fields(Settings)}


def _convert(name: str, value: Any) -> Any:
    types = _field_types()
    if name not in types:
        raise ConfigError(f"unknown setting {name!r}")
    kind = types[name]
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"setting {name!r} must be {kind.__name__}, got {value!r}") from e


def load_settings(path: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Load settings from a TOML file and ``HERALD_*`` environment variables."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    file = (
        path
        or env.get("HERALD_CONFIG")
        or ("herald.toml" if Path("herald.toml").exists() else None)
    )
    if file:
        values.update(_read_toml(Path(file)))
    for name in _field_types():
        key = f"HERALD_{name.upper()}"
        if key in env:
            values[name] = env[key]
    return Settings().with_overrides(**values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as e:
        raise ConfigError(f"config file not found: {path}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from e
    table = data.get("herald", data)
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [herald] must be a table")
    return dict(table)


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) for every setting, for docs and ``herald config``."""
    defaults = Settings()
    return [
        (f.name, repr(getattr(defaults, f.name)), HELP.get(f.name, "")) for f in fields(Settings)
    ]
