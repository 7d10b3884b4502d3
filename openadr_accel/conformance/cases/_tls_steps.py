"""Steps of G1_4010 (TLS 1.2, the 2.0b cipher suites, X.509 certificates both ways) that its two
cases, :mod:`.general_ven` and :mod:`.general_vtn`, share: the TLS facts of every document the
device sent, and a TLS client that presents no certificate."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Any
from urllib.parse import urlsplit

from ...model import ServiceName
from ...security.tls import CIPHER_SUITES, OPENSSL_CIPHERS
from ..context import CaseContext
from ..transcript import Direction, Exchange, TlsFacts
from ._steps import check_seen

__all__ = [
    "IANA_NAME",
    "check_version_and_suite",
    "device_documents",
    "named",
    "refuses_anonymous_client",
    "without_certificate",
]

IANA_NAME = {openssl: iana for iana, openssl in CIPHER_SUITES.items()}
"""The 2.0b cipher suites, by their OpenSSL names."""


def named(exchange: Exchange) -> str:
    """An exchange in words, for a failed check: its message, service and HTTP side."""
    return f"{exchange.message or 'document'} ({exchange.service} {exchange.http})"


def device_documents(ctx: CaseContext[Any]) -> list[Exchange]:
    """Every document the device sent in the case (its requests and its HTTP answers)."""
    return [exchange for exchange in ctx.transcript.exchanges if exchange.direction is Direction.FROM_DEVICE]


def check_version_and_suite(ctx: CaseContext[Any], sent: list[Exchange], device: str) -> list[TlsFacts]:
    """Check that every document of ``sent`` came over TLS, TLS 1.2, with a 2.0b cipher suite
    (``device`` names the device in the checks: "VEN" or "VTN"); the TLS facts of the documents."""
    plain = [named(exchange) for exchange in sent if exchange.tls is None]
    check_seen(ctx, not plain, f"every document the {device} sent came over TLS", ", ".join(plain))
    facts = [exchange.tls for exchange in sent if exchange.tls is not None]
    versions = sorted({str(fact.version) for fact in facts})
    check_seen(ctx, versions == ["TLSv1.2"], f"the {device}'s connections use TLS 1.2", ", ".join(versions))
    ciphers = sorted({str(fact.cipher) for fact in facts})
    odd = [cipher for cipher in ciphers if cipher not in IANA_NAME]
    check_seen(
        ctx,
        not odd,
        f"the {device}'s connections use a 2.0b cipher suite ("
        + ", ".join(IANA_NAME.get(cipher, cipher) for cipher in ciphers)
        + ")",
        ", ".join(odd),
    )
    return facts


def without_certificate(exchanges: list[Exchange]) -> list[str]:
    """The exchanges (in words) that came over a TLS connection on which the device presented
    no certificate."""
    return [named(exchange) for exchange in exchanges if exchange.tls and not exchange.tls.peer_fingerprint]


async def refuses_anonymous_client(url: str, service: ServiceName) -> tuple[bool, str]:
    """Whether the TLS endpoint at ``url`` (a base URL: a VTN's, or a push VEN's
    transportAddress) refuses a client that presents no certificate when it POSTs to ``service``
    (TLS 1.2, the 2.0b suites, the server's certificate not checked: only its demand for ours is
    tested); with how the attempt ended."""
    parts = urlsplit(url)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(OPENSSL_CIPHERS)
    writer: asyncio.StreamWriter | None = None
    try:
        reader, opened = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, parts.port or 443, ssl=context), 10
        )
        writer = opened
        path = f"{parts.path.rstrip('/')}/OpenADR2/Simple/2.0b/{service.value}"
        opened.write(
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/xml\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await opened.drain()
        status = await asyncio.wait_for(reader.readline(), 10)
    except (ssl.SSLError, ConnectionError, OSError) as exc:
        return True, f"the handshake failed: {type(exc).__name__}"
    except TimeoutError:
        return False, "it neither answered nor closed the connection"
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(ssl.SSLError, ConnectionError, OSError):
                await writer.wait_closed()
    if not status:
        return True, "it closed the connection without answering"
    return False, f"it answered {status.decode('latin-1').strip()!r}"
