"""URL helpers: canonical forms for deduplication, and resolution of relative links."""

from __future__ import annotations

from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonicalize", "is_http_url", "origin", "resolve"]

DEFAULT_PORTS = {"http": 80, "https": 443}

#: Query parameters that only track a click and never change what a page shows.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "ncid",
        "ocid",
        "s_cid",
        "sr_share",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "vero_id",
        "wt_mc",
        "wt.mc_id",
        "__twitter_impression",
        "at_medium",
        "at_campaign",
        "spm",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")


def canonicalize(url: str) -> str:
    """The canonical form of ``url``, for comparing and deduplicating addresses.

    Lowercases the scheme and host, drops default ports, fragments and tracking
    parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``ref``...), sorts the
    remaining query parameters and gives an empty path as ``/``. Query parameters are kept
    byte for byte (no re-encoding), so the canonical URL fetches the same resource.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    netloc = _canonical_netloc(parts, scheme)
    path = parts.path or ("/" if netloc else "")
    return urlunsplit((scheme, netloc, path, _canonical_query(parts.query), ""))


def _canonical_netloc(parts: SplitResult, scheme: str) -> str:
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return parts.netloc.lower()
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    return netloc


def _canonical_query(query: str) -> str:
    pieces = [piece for piece in query.split("&") if piece and not _is_tracking(piece)]
    return "&".join(sorted(pieces))


def _is_tracking(piece: str) -> bool:
    key = unquote_plus(piece.partition("=")[0]).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def resolve(base: str, href: str) -> str:
    """``href`` made absolute against ``base`` (whitespace around ``href`` is ignored)."""
    href = href.strip()
    if not href:
        return base
    return urljoin(base, href)


def is_http_url(url: str) -> bool:
    """True when ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lowercased, default ports dropped."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return f"{scheme}://{_canonical_netloc(parts, scheme).rpartition('@')[2]}"
