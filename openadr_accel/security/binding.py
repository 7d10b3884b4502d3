"""Binding venIDs to certificates: a VTN refuses a payload whose venID is not its sender's (463)."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import CertificateMismatchError, NotAuthorizedError
from ..model import Payload

__all__ = ["VenCertificateBindings", "check_sender", "payload_ven_id"]


def payload_ven_id(payload: Payload) -> str | None:
    """The venID a message names, if it names one (every VEN-to-VTN message but oadrResponse may)."""
    ven_id = getattr(payload, "ven_id", None)
    return ven_id if isinstance(ven_id, str) else None


def check_sender(payload: Payload, ven_id_fingerprint: str | None, peer_fingerprint: str | None) -> None:
    """Refuse ``payload`` unless it comes from the certificate its venID is bound to.

    Args:
        payload: the message received.
        ven_id_fingerprint: the fingerprint bound to the payload's venID (None: not bound).
        peer_fingerprint: the fingerprint of the TLS client certificate it came with.

    Raises:
        NotAuthorizedError: no client certificate, or a venID bound to no certificate (463).
        CertificateMismatchError: the venID is bound to another certificate (463).
    """
    ven_id = payload_ven_id(payload)
    if ven_id is None:
        return
    if peer_fingerprint is None:
        raise NotAuthorizedError(f"venID {ven_id!r} came without a client certificate", element="venID")
    if ven_id_fingerprint is None:
        raise NotAuthorizedError(f"venID {ven_id!r} is not bound to any certificate", element="venID")
    if ven_id_fingerprint != peer_fingerprint:
        raise CertificateMismatchError(
            f"venID {ven_id!r} belongs to the certificate {ven_id_fingerprint}, "
            f"not to the sender's {peer_fingerprint}",
            element="venID",
        )


class VenCertificateBindings:
    """An in-memory table of venID to certificate fingerprint (a VTN's store keeps its own).

    Example::

        bindings = VenCertificateBindings({"ven-1": fingerprint("ven-1.pem")})
        bindings.check(payload, peer_fingerprint(ssl_object))
    """

    def __init__(self, bindings: Mapping[str, str] | None = None) -> None:
        self._fingerprints: dict[str, str] = {}
        for ven_id, fingerprint in (bindings or {}).items():
            self.bind(ven_id, fingerprint)

    def bind(self, ven_id: str, fingerprint: str) -> None:
        """Bind ``ven_id`` to the certificate with ``fingerprint`` (replacing an earlier binding)."""
        self._fingerprints[ven_id] = fingerprint.upper()

    def unbind(self, ven_id: str) -> None:
        """Forget ``ven_id``'s binding, if any."""
        self._fingerprints.pop(ven_id, None)

    def fingerprint_of(self, ven_id: str) -> str | None:
        """The fingerprint ``ven_id`` is bound to, or None."""
        return self._fingerprints.get(ven_id)

    def check(self, payload: Payload, peer_fingerprint: str | None) -> None:
        """:func:`check_sender` against this table."""
        ven_id = payload_ven_id(payload)
        check_sender(payload, None if ven_id is None else self.fingerprint_of(ven_id), peer_fingerprint)
