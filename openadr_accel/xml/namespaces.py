"""XML namespaces of OpenADR 2.0b and the prefixes this library writes."""

from __future__ import annotations

from typing import Final

__all__ = ["NAMESPACES", "OADR", "EI", "PYLD", "EMIX", "XCAL", "STRM", "POWER", "SCALE", "GML", "DS", "DSP"]

OADR: Final = "http://openadr.org/oadr-2.0b/2012/07"
EI: Final = "http://docs.oasis-open.org/ns/energyinterop/201110"
PYLD: Final = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
EMIX: Final = "http://docs.oasis-open.org/ns/emix/2011/06"
XCAL: Final = "urn:ietf:params:xml:ns:icalendar-2.0"
STRM: Final = "urn:ietf:params:xml:ns:icalendar-2.0:stream"
POWER: Final = "http://docs.oasis-open.org/ns/emix/2011/06/power"
SCALE: Final = "http://docs.oasis-open.org/ns/emix/2011/06/siscale"
GML: Final = "http://www.opengis.net/gml/3.2"
DS: Final = "http://www.w3.org/2000/09/xmldsig#"
DSP: Final = "http://openadr.org/oadr-2.0b/2012/07/xmldsig-properties"

NAMESPACES: Final[dict[str, str]] = {
    "oadr": OADR,
    "ei": EI,
    "pyld": PYLD,
    "emix": EMIX,
    "xcal": XCAL,
    "strm": STRM,
    "power": POWER,
    "scale": SCALE,
    "gml": GML,
}
"""Prefix to namespace, as declared on every ``oadrSignedObject`` this library writes."""
