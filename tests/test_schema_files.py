"""The shipped XSD files are exactly the published 2.0b set, and the schema is compiled once."""

from __future__ import annotations

import hashlib
import threading
from importlib.resources import files

from openadr_accel.xml import load_schema

PUBLISHED = {
    "oadr_20b.xsd",
    "oadr_ei_20b.xsd",
    "oadr_pyld_20b.xsd",
    "oadr_emix_20b.xsd",
    "oadr_strm_20b.xsd",
    "oadr_xcal_20b.xsd",
    "oadr_power_20b.xsd",
    "oadr_siscale_20b.xsd",
    "oadr_gml_20b.xsd",
    "oadr_atom.xsd",
    "oadr_greenbutton.xsd",
    "oadr_ISO_ISO3AlphaCurrencyCode_20100407.xsd",
    "oadr_xml.xsd",
    "oadr_xmldsig.xsd",
    "oadr_xmldsig11.xsd",
    "oadr_xmldsig-properties-schema.xsd",
}
SCHEMA_DIR = files("openadr_accel") / "schema"


def _manifest() -> dict[str, str]:
    sums = {}
    for line in (SCHEMA_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    return sums


def test_manifest_lists_exactly_the_published_files() -> None:
    assert set(_manifest()) == PUBLISHED
    shipped = {entry.name for entry in SCHEMA_DIR.iterdir() if entry.name.endswith(".xsd")}
    assert shipped == PUBLISHED


def test_every_file_matches_its_sha256() -> None:
    for name, digest in _manifest().items():
        assert hashlib.sha256((SCHEMA_DIR / name).read_bytes()).hexdigest() == digest, name


def test_licence_notices_ship_with_the_schemas() -> None:
    notices = (SCHEMA_DIR / "LICENSES.txt").read_text()
    assert "W3C" in notices
    assert "OASIS" in notices
    assert "UN/CEFACT" in (SCHEMA_DIR / "oadr_ISO_ISO3AlphaCurrencyCode_20100407.xsd").read_text()


def test_schema_is_compiled_once_per_thread() -> None:
    assert load_schema() is load_schema()
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(load_schema()))
    thread.start()
    thread.join()
    assert other[0] is not load_schema()  # each thread has its own (lxml keeps an error log per schema)
