"""Every exception openadr_accel raises, in one tree.

.. code-block:: text

    OpenADRError                      root: catch this to catch everything of ours
    ├── LocalProtocolError            we were asked to build or send something invalid
    ├── TransportError                the peer could not be reached, or answered with an HTTP error
    ├── RefusedError                  the peer answered our request with an error response code
    └── RemoteProtocolError           the peer sent something invalid
        ├── MalformedXMLError         not well-formed XML (or not in its declared encoding)
        ├── UnsafeXMLError            DTD or entity declaration refused
        ├── MessageTooLargeError      larger than the configured size cap
        ├── SchemaValidationError     well-formed but not valid against the 2.0b XSD
        ├── UnsupportedPayloadError   valid 2.0b we do not model (Green Button feeds)
        ├── RuleViolationError        valid XML that breaks a conformance rule
        └── NotAuthorizedError        463: the sender is not who it must be
            ├── CertificateMismatchError  venID or signer does not match the expected certificate
            ├── SignatureError            XML signature missing, malformed or not matching
            └── ReplayError               ReplayProtect missing, stale, from the future or repeated

    SecurityConfigurationError        a ValueError, not an OpenADRError: our own certificates,
                                      keys or TLS settings cannot be used

Every error carries ``response_code``: the OpenADR response code a party should answer with
(454 "invalid data" unless said otherwise), so a role can turn any error into a proper
``eiResponse`` without guessing. Errors about a document also carry ``line`` and ``element``
(the local name of the element at fault) when they are known.

Third-party exceptions (lxml's, for instance) never escape: they are translated at the boundary
and chained with ``raise ... from exc``.
"""

from __future__ import annotations

__all__ = [
    "CertificateMismatchError",
    "LocalProtocolError",
    "MalformedXMLError",
    "MessageTooLargeError",
    "NotAuthorizedError",
    "OpenADRError",
    "RefusedError",
    "RemoteProtocolError",
    "ReplayError",
    "RuleViolationError",
    "SchemaValidationError",
    "SecurityConfigurationError",
    "SignatureError",
    "TransportError",
    "UnsafeXMLError",
    "UnsupportedPayloadError",
]

INVALID_DATA = "454"
NOT_AUTHORIZED = "463"


class OpenADRError(Exception):
    """Root of every openadr_accel exception.

    Attributes:
        message: what went wrong, in words.
        response_code: the OpenADR response code to answer with (a three-digit string,
            comparable with :class:`openadr_accel.model.ResponseCode`).
        line: line of the offending element in the document, if known.
        element: local name of the offending element, if known.
    """

    default_response_code = INVALID_DATA

    def __init__(
        self,
        message: str,
        *,
        response_code: str | None = None,
        line: int | None = None,
        element: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.response_code = response_code or self.default_response_code
        self.line = line
        self.element = element

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.element is not None:
            where.append(f"element <{self.element}>")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{prefix}{self.message} (response code {self.response_code})"


class LocalProtocolError(OpenADRError):
    """We were asked to build or send something that is not valid OpenADR 2.0b."""


class TransportError(OpenADRError):
    """The peer could not be reached (refused, timed out, TLS failed) or answered with an HTTP
    error status instead of an OpenADR document. Worth retrying later."""


class RefusedError(OpenADRError):
    """The peer answered our request with an error ``responseCode`` (carried as
    ``response_code``; the peer's ``responseDescription`` is in the message)."""


class RemoteProtocolError(OpenADRError):
    """The peer sent something that is not valid OpenADR 2.0b."""


class MalformedXMLError(RemoteProtocolError):
    """The document is not well-formed XML."""


class UnsafeXMLError(RemoteProtocolError):
    """The document uses an XML feature that is refused for safety (DTDs, entities, ...)."""


class MessageTooLargeError(RemoteProtocolError):
    """The document is larger than the configured size cap."""


class SchemaValidationError(RemoteProtocolError):
    """The document is well-formed but not valid against the OpenADR 2.0b schema."""


class UnsupportedPayloadError(RemoteProtocolError):
    """The document is valid 2.0b but uses a part this library does not model."""


class RuleViolationError(RemoteProtocolError):
    """The document is schema-valid but breaks a conformance rule.

    Attributes:
        rule: the conformance rule number (as in the certification catalogue), if the check
            maps to a numbered rule.
    """

    def __init__(
        self,
        message: str,
        *,
        rule: int | None = None,
        response_code: str | None = None,
        line: int | None = None,
        element: str | None = None,
    ) -> None:
        super().__init__(message, response_code=response_code, line=line, element=element)
        self.rule = rule


class NotAuthorizedError(RemoteProtocolError):
    """The sender could not be authenticated as the party it claims to be (response 463)."""

    default_response_code = NOT_AUTHORIZED


class CertificateMismatchError(NotAuthorizedError):
    """A venID, or the signer of a message, does not match the certificate bound to it."""


class SignatureError(NotAuthorizedError):
    """An XML signature is missing where one is required, malformed, or does not verify."""


class ReplayError(NotAuthorizedError):
    """A signed message's ReplayProtect is missing, outside the time window, or seen before."""


class SecurityConfigurationError(ValueError):
    """Our own certificates, keys or TLS settings cannot be used (a local mistake, not a peer's)."""
