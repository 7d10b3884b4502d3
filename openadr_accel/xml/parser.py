"""Hardened XML parsing and validation against the 2.0b schema.

Every document goes through :func:`parse_tree`:

1. a size cap, checked before anything is parsed;
2. libxml2 with entity substitution, DTD loading and network access switched off, and its default
   limits on depth and text size kept (no ``huge_tree``);
3. any document type declaration is refused, so entity declarations (and the entity-expansion
   and external-entity attacks they carry) never get a chance;
4. the tree is validated against the published 2.0b XSD, compiled once per thread and cached.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib.resources import as_file, files

from lxml import etree

from ..errors import MalformedXMLError, MessageTooLargeError, SchemaValidationError, UnsafeXMLError

__all__ = ["DEFAULT_MAX_BYTES", "load_schema", "parse_tree", "validate_tree"]

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
"""Default size cap of one document: 4 MiB, far above any sane 2.0b message."""

_DOCTYPE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_ROOT_SCHEMA = "oadr_20b.xsd"


class _PerThread(threading.local):
    parser: etree.XMLParser | None = None
    schema: etree.XMLSchema | None = None


_per_thread = _PerThread()


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


@cache
def _schema_source() -> bytes:
    """The root XSD's bytes (read once); its imports resolve next to it."""
    return (files("openadr_accel") / "schema" / _ROOT_SCHEMA).read_bytes()


def load_schema() -> etree.XMLSchema:
    """The compiled 2.0b schema, compiled once per thread and then reused.

    ``XMLSchema`` objects keep an error log per object, so each thread gets its own.
    """
    schema = _per_thread.schema
    if schema is None:
        with as_file(files("openadr_accel") / "schema") as schema_dir:
            document = etree.fromstring(
                _schema_source(), _safe_parser(), base_url=str(schema_dir / _ROOT_SCHEMA)
            ).getroottree()
            schema = etree.XMLSchema(document)
        _per_thread.schema = schema
    return schema


def _parser() -> etree.XMLParser:
    parser = _per_thread.parser
    if parser is None:
        parser = _per_thread.parser = _safe_parser()
    return parser


def parse_tree(data: bytes, *, validate: bool = True, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse ``data`` safely and, unless ``validate`` is False, validate it against the 2.0b XSD.

    Returns the root element. Raises :class:`~openadr_accel.errors.MessageTooLargeError`,
    :class:`~openadr_accel.errors.UnsafeXMLError`, :class:`~openadr_accel.errors.MalformedXMLError`
    or :class:`~openadr_accel.errors.SchemaValidationError`.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse_tree() takes bytes, not {type(data).__name__}")
    if len(data) > max_bytes:
        raise MessageTooLargeError(f"document of {len(data)} bytes exceeds the cap of {max_bytes} bytes")
    raw = bytes(data)
    if any(marker in raw for marker in _DOCTYPE_MARKERS):
        raise UnsafeXMLError("document type declarations (DTDs, entities) are not allowed")
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise MalformedXMLError(f"not well-formed XML: {exc.msg}", line=line) from exc
    if root.getroottree().docinfo.doctype:
        # Reached only when the declaration hid from the byte scan (another encoding).
        raise UnsafeXMLError("document type declarations (DTDs, entities) are not allowed")
    if validate:
        validate_tree(root)
    return root


def validate_tree(root: etree._Element) -> None:
    """Validate a parsed tree against the 2.0b XSD; raise on the first problem."""
    schema = load_schema()
    if schema.validate(root):
        return
    first = schema.error_log[0]
    element = _element_named_in(first.message)
    raise SchemaValidationError(
        f"not valid OpenADR 2.0b: {first.message}", line=first.line or None, element=element
    )


def _element_named_in(message: str) -> str | None:
    """libxml2 names the element first: ``Element '{ns}name': ...`` or ``Element 'prefix:name'``."""
    prefix = "Element '"
    if not message.startswith(prefix):
        return None
    name = message[len(prefix) : message.find("'", len(prefix))]
    return name.rpartition("}")[2].rpartition(":")[2] or None
