"""Signed cookies, CSRF tokens, safe links and the security headers of every response.

The reader cookie holds the reader's token signed with HMAC-SHA256 under the instance's
secret key. CSRF protection is a signed double submit: a random nonce lives in its own
HttpOnly cookie and every form carries HMAC(nonce); a POST must present both.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

READER_COOKIE = "herald_reader"
CSRF_COOKIE = "herald_csrf"
CSRF_FIELD = "csrf"
COOKIE_MAX_AGE = 400 * 24 * 3600

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "interest-cohort=(), browsing-topics=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _mac(key: str, purpose: str, value: str) -> str:
    msg = f"{purpose}:{value}".encode()
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


def sign(key: str, value: str) -> str:
    """``value.signature`` for a cookie."""
    return f"{value}.{_mac(key, 'reader', value)}"


def unsign(key: str, signed: str | None) -> str | None:
    """The value of a signed cookie, or None when missing or tampered with."""
    if not signed or "." not in signed:
        return None
    value, _, mac = signed.rpartition(".")
    if not value or not hmac.compare_digest(mac, _mac(key, "reader", value)):
        return None
    return value


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(key: str, nonce: str) -> str:
    """The token forms carry for the CSRF nonce ``nonce``."""
    return _mac(key, "csrf", nonce)


def csrf_valid(key: str, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token:
        return False
    return hmac.compare_digest(token, csrf_token(key, nonce))


def safe_url(url: str) -> str:
    """``url`` when it is an absolute http(s) address, else '' (no javascript: links)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return ""
    return url.strip()


def safe_next(target: str | None, default: str = "/") -> str:
    """A same-site path to redirect to; anything else becomes ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ch in target for ch in "\r\n"):
        return default
    return target
