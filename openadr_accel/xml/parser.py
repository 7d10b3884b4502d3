"""Hardened XML parsing and validation against the 2.0b schema.

Every document goes through :func:`parse_tree`:

1. a size cap, checked before anything is parsed;
2. libxml2 with entity substitution, DTD loading and network access switched off, and its default
   limits on depth and text size kept (no ``huge_tree``);
3. any document type declaration is refused, so entity declarations (and the entity-expansion
   and external-entity attacks they carry) never get a chance. The scan runs on the bytes when
   the document is UTF-8 or ASCII (the usual case), and on the decoded text when it names
   another encoding (UTF-16, UTF-32, UTF-7, EBCDIC ...), where the markup would hide from a
   byte scan;
4. the tree is validated against the published 2.0b XSD, compiled once per thread and cached.
"""

from __future__ import annotations

import codecs
import re
import threading
from functools import cache, lru_cache
from importlib.resources import as_file, files

from lxml import etree

from ..errors import MalformedXMLError, MessageTooLargeError, SchemaValidationError, UnsafeXMLError

__all__ = ["DEFAULT_MAX_BYTES", "load_schema", "parse_tree", "validate_tree"]

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
"""Default size cap of one document: 4 MiB, far above any sane 2.0b message."""

_DOCTYPE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
# XML 1.0 appendix F: the first bytes of a document that is not in an ASCII-compatible encoding.
_UNICODE_SIGNATURES = (
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # "<?xm" in EBCDIC
)
_BYTE_SCANNABLE = frozenset({"utf_8", "ascii"})
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
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > max_bytes:
        raise MessageTooLargeError(f"document of {size} bytes exceeds the cap of {max_bytes} bytes")
    raw = bytes(data)
    _refuse_document_type(raw)
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


def _refuse_document_type(raw: bytes) -> None:
    """Raise UnsafeXMLError if ``raw`` holds a DOCTYPE or ENTITY declaration, in any encoding."""
    if any(marker in raw for marker in _DOCTYPE_MARKERS):
        raise UnsafeXMLError("document type declarations (DTDs, entities) are not allowed")
    encoding = _encoding_of(raw)
    if encoding in _BYTE_SCANNABLE:
        return
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise MalformedXMLError(f"not well-formed XML: not valid {encoding}: {exc.reason}") from exc
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise UnsafeXMLError("document type declarations (DTDs, entities) are not allowed")


def _encoding_of(raw: bytes) -> str:
    """The codec a document is in: its byte-order mark or first bytes, else its XML declaration."""
    if raw.startswith(b"<?xml"):  # the usual case: no byte-order mark, ASCII-compatible
        end = raw.find(b"?>", 0, 200)
        return _declaration_codec(raw[: end + 2] if end >= 0 else raw[:200])
    for signature, encoding in _UNICODE_SIGNATURES:
        if raw.startswith(signature):
            if encoding == "cp037":
                head = raw[:200].decode("cp037").encode("ascii", "replace")
                return _declared_codec(head, default="cp037")
            return encoding
    return _declared_codec(raw[:200], default="utf_8")


@lru_cache(maxsize=64)
def _declaration_codec(declaration: bytes) -> str:
    """:func:`_declared_codec` of an ASCII-compatible declaration (cached: they repeat)."""
    return _declared_codec(declaration, default="utf_8")


def _declared_codec(head: bytes, *, default: str) -> str:
    match = _DECLARED_ENCODING.match(head.removeprefix(codecs.BOM_UTF8))
    if match is None:
        return default
    return _codec_named(match.group(1))


@lru_cache(maxsize=64)
def _codec_named(name: bytes) -> str:
    """Python's codec for a declared encoding name (cached: every message declares one)."""
    text = name.decode("ascii")
    try:
        return codecs.lookup(text).name.replace("-", "_")
    except LookupError as exc:
        raise MalformedXMLError(f"not well-formed XML: unsupported encoding {text!r}", line=1) from exc


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
