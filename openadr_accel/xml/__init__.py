"""The OpenADR 2.0b XML codec: :func:`serialize` a model object, :func:`parse` bytes back.

Parsing is safe and strict by default: documents are size-capped, DTDs and entities are refused,
nothing is fetched from the network, and every document is validated against the published 2.0b
XSD before it is read. Validation can be switched off explicitly with ``validate=False`` (for
example to inspect a peer's invalid message); the hardening cannot.

Every problem raises a subclass of :class:`~openadr_accel.errors.OpenADRError` that says what and
where, and carries the response code to answer with (454 for invalid data).

Example::

    from openadr_accel import model, xml

    data = xml.serialize(model.OadrPoll(ven_id="ven-1"))
    assert xml.parse(data) == model.OadrPoll(ven_id="ven-1")
"""

from __future__ import annotations

from lxml import etree

from ..errors import LocalProtocolError, OpenADRError
from ..model import Payload
from .decode import decode, message_element
from .encode import encode
from .parser import DEFAULT_MAX_BYTES, load_schema, parse_tree, validate_tree

__all__ = [
    "DEFAULT_MAX_BYTES",
    "decode",
    "load_schema",
    "message_element",
    "parse",
    "parse_tree",
    "serialize",
    "validate_tree",
]


def parse(data: bytes, *, validate: bool = True, max_bytes: int = DEFAULT_MAX_BYTES) -> Payload:
    """Read an ``oadrPayload`` document and return the message it carries.

    Args:
        data: the document, as received (bytes; the XML declaration gives the encoding).
        validate: validate against the 2.0b XSD first (the default). With False, only the
            decoder's own checks apply: use it to look at documents, not to accept them.
        max_bytes: refuse larger documents before parsing them.

    Raises:
        RemoteProtocolError: (or a subclass) for anything wrong with the document.
    """
    return decode(parse_tree(data, validate=validate, max_bytes=max_bytes))


def serialize(payload: Payload, *, validate: bool = False) -> bytes:
    """Write ``payload`` as a complete, UTF-8 ``oadrPayload`` document.

    The model's constructors already refuse most invalid values; ``validate=True`` also checks
    the output against the XSD (a parse and a validation, so it costs about as much as
    :func:`parse`).

    Raises:
        LocalProtocolError: if ``payload`` is not a 2.0b message or holds a value that 2.0b
            cannot express (a duration with fractional seconds, a control character, ...).
    """
    try:
        data = encode(payload)
    except KeyError:
        raise LocalProtocolError(f"{type(payload).__name__} is not an OpenADR 2.0b message") from None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise LocalProtocolError(f"cannot serialize {type(payload).__name__}: {exc}") from exc
    if validate:
        try:
            validate_tree(etree.fromstring(data))
        except OpenADRError as exc:
            raise LocalProtocolError(f"serialized {type(payload).__name__} is not valid: {exc}") from exc
    return data
