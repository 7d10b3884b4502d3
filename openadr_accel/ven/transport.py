"""The VEN's HTTP client: one POST of one 2.0b document to one VTN service, one document back.

Outbound documents are signed when the VEN has a signer; inbound ones are schema-validated,
size-capped, and verified when signed (required once XML signatures were negotiated), against
the VTN's expected certificate fingerprint.
"""

from __future__ import annotations

import ssl
from datetime import timedelta

import aiohttp
from lxml import etree

from .. import xml
from ..errors import MessageTooLargeError, SignatureError, TransportError
from ..model import OadrQueryRegistration, Payload, ServiceName
from ..security.signature import SignatureVerifier, Signer
from .config import VenConfig

__all__ = ["VtnClient", "has_signature"]

_DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
_HEADERS = {"Content-Type": "application/xml"}


def has_signature(root: etree._Element) -> bool:
    """Whether a parsed ``oadrPayload`` carries an XML signature."""
    return any(child.tag == _DS_SIGNATURE for child in root)


class InboundReader:
    """Reads documents from the VTN: validated, size-capped, signatures verified.

    Args:
        verifier: checks signatures and their ReplayProtect.
        vtn_fingerprint: the fingerprint of the certificate the VTN signs with (None: signed
            documents cannot be verified, so they are refused).
        max_bytes: the size cap.
    """

    def __init__(self, verifier: SignatureVerifier, vtn_fingerprint: str | None, max_bytes: int) -> None:
        self.verifier = verifier
        self.vtn_fingerprint = vtn_fingerprint
        self.max_bytes = max_bytes
        self.require_signature = False
        """Set once XML signatures were negotiated: unsigned documents are then refused."""

    def read(self, data: bytes, *, unsigned_ok: bool = False) -> Payload:
        """The message in ``data`` (``unsigned_ok``: taken unsigned even once signatures were
        negotiated; a signature it carries is still verified).

        Raises:
            RemoteProtocolError: invalid, too large, unsigned when a signature is required,
                or with a signature that does not verify against the VTN's certificate.
        """
        root = xml.parse_tree(data, max_bytes=self.max_bytes)
        if has_signature(root):
            if self.vtn_fingerprint is None:
                raise SignatureError(
                    "the VTN signed its message but the VEN knows no VTN certificate fingerprint to "
                    "check it against (set vtn_fingerprint)",
                    element="Signature",
                )
            self.verifier.verify(root, fingerprint=self.vtn_fingerprint)
        elif self.require_signature and not unsigned_ok:
            raise SignatureError(
                "XML signatures were negotiated but the VTN's message is not signed", element="oadrPayload"
            )
        return xml.decode(root)


class VtnClient:
    """POSTs documents to the VTN named by a :class:`VenConfig` (one aiohttp session, reused).

    Args:
        config: where the VTN is and how long to wait.
        reader: how answers are read (and verified).
        ssl_context: the client TLS context for ``https`` (see
            :func:`~openadr_accel.security.ven_ssl_context`).
        signer: signs every outbound document (None: documents go unsigned).
    """

    def __init__(
        self,
        config: VenConfig,
        reader: InboundReader,
        *,
        ssl_context: ssl.SSLContext | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.config = config
        self.reader = reader
        self.signer = signer
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """Open the HTTP session (idempotent)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=_timeout(self.config.request_timeout))

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def encode(self, payload: Payload) -> bytes:
        """``payload`` as the document to send (signed if the VEN signs)."""
        data = xml.serialize(payload)
        return self.signer.sign(data) if self.signer is not None else data

    async def send(self, service: ServiceName, payload: Payload) -> Payload:
        """POST ``payload`` to ``service`` and return the VTN's answer.

        Raises:
            TransportError: the VTN cannot be reached, or answered with an HTTP error status.
            RemoteProtocolError: the answer is not a valid (or validly signed) 2.0b document.
        """
        # An oadrQueryRegistration names no VEN: a VTN may answer it unsigned even to a VEN that
        # negotiated signatures (a re-registration starts with one).
        unsigned_ok = isinstance(payload, OadrQueryRegistration)
        return self.reader.read(await self.post(service, self.encode(payload)), unsigned_ok=unsigned_ok)

    async def post(self, service: ServiceName, data: bytes) -> bytes:
        """POST a ready document; the answer's bytes (see :meth:`send` for the errors)."""
        await self.open()
        assert self._session is not None
        url = self.config.url(service.value)
        try:
            async with self._session.post(url, data=data, headers=_HEADERS, ssl=self._ssl) as response:
                if response.status != 200:
                    text = (await response.content.read(300)).decode("utf-8", "replace")
                    raise TransportError(f"{url} answered HTTP {response.status}: {text}")
                body = await _read_capped(response.content, self.reader.max_bytes)
        except (TransportError, MessageTooLargeError):
            raise
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise TransportError(f"cannot reach {url}: {type(exc).__name__}: {exc}") from exc
        return body


async def _read_capped(content: aiohttp.StreamReader, cap: int) -> bytes:
    """The whole body, refused as soon as it grows past ``cap`` bytes."""
    chunks = []
    size = 0
    async for chunk in content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > cap:
            raise MessageTooLargeError(f"the VTN's answer is larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _timeout(limit: timedelta) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=limit.total_seconds())
