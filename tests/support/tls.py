"""Throwaway TLS certificates for HTTPS tests, made with the ``openssl`` command line.

:func:`make_certificates` creates, in a folder, a private certificate authority and a
server certificate it signed for ``localhost`` (``subjectAltName = DNS:localhost`` only: no
IP address, so ``https://127.0.0.1/`` must fail verification). It returns the server
``ssl.SSLContext`` (for ``LocalServer(tls=...)``) and a client ``ssl.SSLContext`` that trusts
that CA and nothing else::

    certs = make_certificates(tmp_path)
    with LocalServer(tls=certs.server) as srv:
        ... GuardedTransport(allow, verify=certs.client) ...
        assert certs.server_names == ["localhost"]    # SNI the server received

Without an ``openssl`` executable the calling test is skipped, or failed when the ``CI``
environment variable is set (CI must run these tests). The Python ``cryptography`` package
is deliberately not used.
"""

from __future__ import annotations

import os
import secrets
import shutil
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = ["Certificates", "in_ci", "make_certificates", "openssl_path"]

KEY_OPTIONS = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")

# A complete configuration, so that the system openssl.cnf (and its defaults) plays no part.
CONFIG = """\
[req]
distinguished_name = dn
prompt = no

[dn]
CN = unused

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = {san}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


@dataclass
class Certificates:
    """Files of a throwaway CA and server certificate, and the two SSL contexts."""

    folder: Path
    ca_file: Path
    cert_file: Path
    key_file: Path
    server: ssl.SSLContext  # serves cert_file; records the SNI names it receives
    client: ssl.SSLContext  # trusts ca_file only, checks host names
    server_names: list[str | None] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _record_sni(
        self, _socket: ssl.SSLObject | ssl.SSLSocket, name: str | None, _context: ssl.SSLContext
    ) -> None:
        with self._lock:
            self.server_names.append(name)


def in_ci() -> bool:
    """True when the CI environment variable is set (to anything but empty/0/false/no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def openssl_path() -> str:
    """The openssl executable; skips the test without one (fails it under CI)."""
    found = shutil.which("openssl") or (
        "/usr/bin/openssl" if os.access("/usr/bin/openssl", os.X_OK) else None
    )
    if found is None:
        reason = "the openssl command line is needed to create test TLS certificates"
        if in_ci():
            pytest.fail(f"{reason}, and CI must run the HTTPS tests: install openssl")
        pytest.skip(f"{reason}; install openssl to run the HTTPS tests")
    return found


def make_certificates(folder: Path, dns_name: str = "localhost") -> Certificates:
    """A new CA and a certificate for ``dns_name`` (DNS SAN only) in ``folder``."""
    openssl = openssl_path()
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "openssl.cnf"
    config.write_text(CONFIG.format(san=f"DNS:{dns_name}"), encoding="utf-8")
    ca_key, ca_file = folder / "ca.key", folder / "ca.pem"
    key_file, csr, cert_file = folder / "server.key", folder / "server.csr", folder / "server.pem"

    def run(*args: str | Path) -> None:
        command = [openssl, *map(str, args)]
        env = {**os.environ, "OPENSSL_CONF": str(config)}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"openssl failed ({done.returncode}): {' '.join(command)}\n{done.stderr}"
            )

    run("req", "-config", config, "-x509", "-new", *KEY_OPTIONS, "-sha256", "-days", "2",
        "-subj", "/CN=Herald throwaway test CA", "-extensions", "ca_ext",
        "-keyout", ca_key, "-out", ca_file)  # fmt: skip
    run("req", "-config", config, "-new", *KEY_OPTIONS, "-sha256",
        "-subj", f"/CN={dns_name}", "-keyout", key_file, "-out", csr)  # fmt: skip
    run("x509", "-req", "-in", csr, "-CA", ca_file, "-CAkey", ca_key,
        "-set_serial", f"0x{secrets.randbits(63):x}", "-days", "1", "-sha256",
        "-extfile", config, "-extensions", "server_ext", "-out", cert_file)  # fmt: skip

    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(ca_file))  # this CA only, no system roots
    certificates = Certificates(folder, ca_file, cert_file, key_file, server, client)
    server.sni_callback = certificates._record_sni
    return certificates
