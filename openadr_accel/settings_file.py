"""Settings from a TOML table plus command-line flags, shared by the VTN and the VEN.

Each role keeps its own frozen settings dataclass (a :class:`TableSettings`, naming its table and
its converter); this module holds what both need: reading the role's table (:func:`read_table`),
merging values into the dataclass with errors that name their source and key
(:func:`merge_settings`), the
converters for strings, ports and the ``tls`` table, the TLS material itself (:class:`TlsFiles`),
and folding the ``--cert/--key/--ca/--sign`` flags into it (:func:`with_tls_flags`).
"""

from __future__ import annotations

import ssl
import tomllib
from collections.abc import Callable
from dataclasses import Field, dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from .security.certificates import Credentials
from .security.signature import Signer
from .security.tls import ven_ssl_context, vtn_ssl_context

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "TLS_FLAGS",
    "TableSettings",
    "TlsFiles",
    "convert_port",
    "convert_text",
    "convert_tls",
    "merge_settings",
    "read_table",
    "with_tls_flags",
]

_S = TypeVar("_S", bound="DataclassInstance")

TLS_FLAGS = ("cert", "key", "ca", "sign")
"""The command-line flags :func:`with_tls_flags` reads (``--cert``, ``--key``, ``--ca``, ``--sign``)."""

_TLS_FILES = ("cert", "key", "ca")


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsFiles:
    """TLS material: certificate chain, key, and the CA bundle the peer's certificate chains to.

    Attributes:
        sign: sign messages with this certificate and key (XML signatures, negotiated at
            registration).
    """

    cert: Path
    key: Path
    ca: Path
    sign: bool = False

    def server_context(self) -> ssl.SSLContext:
        """The server TLS context (mutual TLS, 2.0b suites): a VTN, or a push VEN's endpoint."""
        return vtn_ssl_context(Credentials(self.cert, self.key), self.ca)

    def client_context(self) -> ssl.SSLContext:
        """The client TLS context (mutual TLS, 2.0b suites): a VEN talking to its VTN, or a VTN
        pushing to VENs."""
        return ven_ssl_context(Credentials(self.cert, self.key), self.ca)

    def signer(self) -> Signer | None:
        """The XML signer, if signing is on."""
        return Signer.from_files(self.cert, self.key) if self.sign else None


def read_table(path: Path, table_name: str) -> dict[str, Any]:
    """The ``[table_name]`` table of the TOML file at ``path``.

    Raises:
        ValueError: unreadable file, or no such table.
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    table = document.get(table_name)
    if not isinstance(table, dict):
        raise ValueError(f"{path}: no [{table_name}] table")
    return table


class TableSettings:
    """Base of a frozen settings dataclass read from the ``[TABLE]`` table of a TOML file and
    from flags: subclasses set ``TABLE`` and ``convert(key, value, base)`` (a staticmethod that
    turns one file or flag value into the field's value, raising TypeError or ValueError)."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    TABLE: ClassVar[str]

    @staticmethod
    def convert(key: str, value: Any, base: Path) -> Any:
        """One value for the field ``key`` (paths relative to ``base``)."""
        raise NotImplementedError

    @classmethod
    def from_file(cls, path: Path) -> Self:
        """Read a settings file.

        Raises:
            ValueError: unreadable file, unknown key, or a value of the wrong kind (with its name).
        """
        return cls().merged(read_table(path, cls.TABLE), base=path.parent, source=str(path))

    def merged(self, values: dict[str, Any], *, base: Path = Path(), source: str = "flags") -> Self:
        """These settings with ``values`` (from a file or from flags; None values are skipped).

        Raises:
            ValueError: an unknown key or a value of the wrong kind, naming ``source`` and the key.
        """
        return merge_settings(self, values, self.convert, base=base, source=source)


def merge_settings(
    settings: _S,
    values: dict[str, Any],
    convert: Callable[[str, Any, Path], Any],
    *,
    base: Path,
    source: str,
) -> _S:
    """``settings`` (a dataclass) with ``values`` converted by ``convert(key, value, base)``;
    None values are skipped.

    Raises:
        ValueError: an unknown key or a value of the wrong kind, naming ``source`` and the key.
    """
    known = {f.name for f in fields(settings)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key not in known:
            raise ValueError(f"{source}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
        try:
            changes[key] = convert(key, value, base)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: {key}: {exc}") from exc
    return replace(settings, **changes)


def convert_text(value: Any) -> str:
    """``value`` if it is a string.

    Raises:
        TypeError: it is not.
    """
    if not isinstance(value, str):
        raise TypeError(f"must be a string, got {value!r}")
    return value


def convert_port(value: Any) -> int:
    """``value`` if it is a port number (0 to 65535; not a bool).

    Raises:
        ValueError: it is not.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ValueError(f"must be a port number, got {value!r}")
    return value


def convert_tls(value: Any, base: Path) -> TlsFiles:
    """A ``tls`` table (``cert``, ``key``, ``ca``, optional ``sign``; paths relative to ``base``),
    or a :class:`TlsFiles` as it is.

    Raises:
        ValueError: keys missing or unknown.
        TypeError: a path that is not a string, or a ``sign`` that is not a bool.
    """
    if isinstance(value, TlsFiles):
        return value
    if not isinstance(value, dict) or not set(_TLS_FILES) <= set(value) or set(value) - set(TLS_FLAGS):
        raise ValueError("needs cert, key and ca (and optionally sign)")
    sign = value.get("sign", False)
    if not isinstance(sign, bool):
        raise TypeError(f"sign must be true or false, got {sign!r}")
    return TlsFiles(
        cert=base / convert_text(value["cert"]),
        key=base / convert_text(value["key"]),
        ca=base / convert_text(value["ca"]),
        sign=sign,
    )


def with_tls_flags(current: TlsFiles | None, flags: dict[str, Any]) -> dict[str, Any] | None:
    """The ``tls`` value for :func:`merge_settings`: ``current`` (from the file, if any) with the
    ``--cert``, ``--key``, ``--ca`` and ``--sign`` flags given (None values: not given) laid over
    it; None if no such flag was given.

    Raises:
        ValueError: the result lacks one of the three files (naming the missing flags).
    """
    files = {name: flags[name] for name in _TLS_FILES if flags[name] is not None}
    if not files and flags["sign"] is None:
        return None
    merged: dict[str, Any] = {}
    if current is not None:
        merged = {
            "cert": str(current.cert),
            "key": str(current.key),
            "ca": str(current.ca),
            "sign": current.sign,
        }
    merged.update({name: str(path) for name, path in files.items()})
    if flags["sign"] is not None:
        merged["sign"] = flags["sign"]
    missing = [f"--{name}" for name in _TLS_FILES if name not in merged]
    if missing:
        raise ValueError(f"TLS needs --cert, --key and --ca: {', '.join(missing)} missing")
    return merged
