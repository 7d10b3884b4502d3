"""The OpenLEADR side of ``bench/vtn_poll``: an OpenLEADR 0.5.36 ``OpenADRServer`` answering polls.

Runs under the private OpenLEADR interpreter (``tests/openleadr_env.py`` builds it), never under
ours; ``run.py`` starts it as ``python openleadr_vtn.py CONFIG.json [--key-once]`` with the
configuration file ``servers.py`` reads, and talks to it with ``servers.py``'s JSON-line control
channel (``ready``, then ``cpu`` / ``stop``), whose code it loads from ``servers.py`` (standard
library and aiohttp only at module level).

The server is OpenLEADR's as a user would run it:

- ``OpenADRServer(vtn_id=..., ven_lookup=...)``, every VEN known in memory through
  ``ven_lookup`` (venID, venName, registrationID, and in the secure mode its certificate's
  fingerprint), which OpenLEADR consults on every request (the re-registration check, and the
  fingerprint check of ``authenticate_message`` over TLS). Its poll service has no pending
  events for anyone: each poll is answered ``oadrResponse`` 200.
- plain mode: no certificates at all (HTTP, unsigned answers).
- secure mode: ``http_cert``/``http_key``/``http_ca_file`` (mutual TLS) and ``cert``/``key`` (it
  then signs every answer and, ``verify_message_signatures`` being on by default, checks each
  poll's signature, its ReplayProtect and that the signing certificate is the TLS client's).
  One change to OpenLEADR's TLS context, made here before the server starts: TLS 1.2 only and
  the two 2.0b cipher suites, as our servers have. OpenLEADR's context keeps Python's default
  cipher list, which has no ``TLS_RSA_WITH_AES_128_CBC_SHA256``: a 2.0b client with an RSA-2048
  certificate could not connect at all (docs/interop-openleadr.md).
- ``--key-once`` (secure mode, informative): OpenLEADR re-reads its PEM private key for every
  message it signs (``create_message`` loads it twice, about 25 ms each for RSA, with
  cryptography's key check): here the key is loaded once and passed as an object, with
  ``openleadr.messaging.load_private_key`` patched to accept one, in this process only (the
  patch of ``bench/signature``).

OpenLEADR's own logging is left as shipped (its ``logger.info`` calls format their message even
when nothing is printed). Its banner ``print``s go to stderr, since stdout is the control
channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import importlib.util
import ssl
import sys
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from openleadr import OpenADRServer, messaging  # type: ignore[import-not-found, unused-ignore]
from openleadr.service import VTNService  # type: ignore[import-not-found, unused-ignore]

OPENSSL_CIPHERS = "ECDHE-ECDSA-AES128-SHA256:AES128-SHA256"
"""The two 2.0b suites (``openadr_accel.security.tls.OPENSSL_CIPHERS``, not importable here)."""


def _servers() -> ModuleType:
    path = Path(__file__).with_name("servers.py")
    spec = importlib.util.spec_from_file_location("bench_vtn_poll_servers", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


servers = _servers()


def load_key_once(key_path: str, cert_path: str) -> None:
    """Sign with a key object loaded once (see the module docstring)."""
    shipped = messaging.load_private_key

    def load_private_key(key_data: Any, passphrase: Any = None) -> Any:
        if isinstance(key_data, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            return key_data
        return shipped(key_data, passphrase)

    key = shipped(Path(key_path).read_bytes())
    messaging.load_private_key = load_private_key
    VTNService._create_message = partial(
        messaging.create_message, cert=Path(cert_path).read_bytes(), key=key, passphrase=None
    )


async def run(config: dict[str, Any], key_once: bool) -> None:
    secure = config["mode"] == "secure"
    vens = {
        ven["ven_id"]: {
            "ven_id": ven["ven_id"],
            "ven_name": ven["ven_id"],
            "registration_id": f"reg-{ven['ven_id']}",
            "fingerprint": ven["fingerprint"] if secure else None,
        }
        for ven in config["vens"]
    }

    def ven_lookup(ven_id: str) -> dict[str, Any]:
        return vens.get(ven_id, {})

    tls: dict[str, Any] = {}
    if secure:
        tls = {
            "cert": config["vtn_certificate"],
            "key": config["vtn_key"],
            "http_cert": config["vtn_certificate"],
            "http_key": config["vtn_key"],
            "http_ca_file": config["ca_bundle"],
        }
    with contextlib.redirect_stdout(sys.stderr):
        server = OpenADRServer(
            vtn_id=servers.VTN_ID,
            ven_lookup=ven_lookup,
            http_host="127.0.0.1",
            http_port=0,
            show_fingerprint=False,  # it cannot read a certificate chain (docs/interop-openleadr.md)
            **tls,
        )
        if secure:
            context: ssl.SSLContext = server.ssl_context
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.maximum_version = ssl.TLSVersion.TLSv1_2
            context.set_ciphers(OPENSSL_CIPHERS)
            if key_once:
                load_key_once(config["vtn_key"], config["vtn_certificate"])
        elif key_once:
            raise ValueError("--key-once is for the secure mode")
        await server.run()
    try:
        port = server.app_runner.addresses[0][1]
        servers.say(
            {
                "ready": True,
                "port": port,
                "server": "openleadr-key-once" if key_once else "openleadr",
                "version": _version(),
            }
        )
        await servers.control_loop({})
    finally:
        await server.stop()


def _version() -> str:
    return importlib.metadata.version("openleadr")


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != "--key-once"):
        print(f"usage: {argv[0]} CONFIG.json [--key-once]", file=sys.stderr)
        return 2
    config = servers.load_config(argv[1])
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(config, key_once=len(argv) == 3))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
