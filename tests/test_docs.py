"""The documentation site builds strictly, and every public name is documented in it.

The list of public modules is here, in one place (:data:`PUBLIC_MODULES`): each has a page of its
own under ``docs/reference/`` (``::: module``), and each name in its ``__all__`` has a docstring as
Griffe, which renders the reference, sees it (for a constant or alias: the string under it, or its
entry in the module's ``Attributes:`` section). Every other module of the package is listed in
:data:`INTERNAL_MODULES` (implementation modules whose names a public module re-exports, and
command-line plumbing), so that a new module must be put on one side or the other.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import griffe
import pytest

ROOT = Path(__file__).parent.parent
REFERENCE = ROOT / "docs" / "reference"
EXTENSION = f"{ROOT / 'docs' / '_griffe' / 'sphinx_roles.py'}:SphinxRoles"

PUBLIC_MODULES = (
    "openadr_accel",
    "openadr_accel.model",
    "openadr_accel.xml",
    "openadr_accel.rules",
    "openadr_accel.errors",
    "openadr_accel.clock",
    "openadr_accel.security",
    "openadr_accel.vtn",
    "openadr_accel.vtn.event_status",
    "openadr_accel.vtn.report_requests",
    "openadr_accel.vtn.reports",
    "openadr_accel.vtn.store",
    "openadr_accel.vtn.store.base",
    "openadr_accel.vtn.store.sqlite",
    "openadr_accel.vtn.store.postgres",
    "openadr_accel.ven",
    "openadr_accel.ven.distribution",
    "openadr_accel.ven.schedule",
    "openadr_accel.ven.reports",
    "openadr_accel.ven.events",
    "openadr_accel.ven.session",
    "openadr_accel.ven.transport",
    "openadr_accel.ven.push",
    "openadr_accel.ven.store",
    "openadr_accel.conformance",
    "openadr_accel.conformance.case",
    "openadr_accel.conformance.cases",
    "openadr_accel.conformance.context",
    "openadr_accel.conformance.devices",
    "openadr_accel.conformance.runner",
    "openadr_accel.conformance.results",
    "openadr_accel.conformance.results.console",
    "openadr_accel.conformance.results.junit",
    "openadr_accel.conformance.results.html",
    "openadr_accel.conformance.harness_vtn",
    "openadr_accel.conformance.harness_ven",
    "openadr_accel.conformance.our_ven",
    "openadr_accel.conformance.our_vtn",
    "openadr_accel.evse",
    "openadr_accel.evse.bridge",
    "openadr_accel.evse.policy",
    "openadr_accel.evse.schedules",
    "openadr_accel.evse.site",
)
"""The modules whose ``__all__`` is API: each has its reference page and documents every name."""

INTERNAL_MODULES = (
    "openadr_accel.__main__",
    "openadr_accel.backoff",
    "openadr_accel.cli",
    "openadr_accel.demo",
    "openadr_accel.services",
    "openadr_accel.settings_file",
    "openadr_accel.model.common",
    "openadr_accel.model.currency",
    "openadr_accel.model.enums",
    "openadr_accel.model.event",
    "openadr_accel.model.messages",
    "openadr_accel.model.opt",
    "openadr_accel.model.registration",
    "openadr_accel.model.report",
    "openadr_accel.model.units",
    "openadr_accel.xml.decode",
    "openadr_accel.xml.encode",
    "openadr_accel.xml.lexical",
    "openadr_accel.xml.namespaces",
    "openadr_accel.xml.parser",
    "openadr_accel.xml.stored",
    "openadr_accel.security.binding",
    "openadr_accel.security.certificates",
    "openadr_accel.security.pki",
    "openadr_accel.security.replay",
    "openadr_accel.security.signature",
    "openadr_accel.security.tls",
    "openadr_accel.vtn.command",
    "openadr_accel.vtn.config",
    "openadr_accel.vtn.core",
    "openadr_accel.vtn.dispatch",
    "openadr_accel.vtn.events",
    "openadr_accel.vtn.handlers",
    "openadr_accel.vtn.opt",
    "openadr_accel.vtn.policies",
    "openadr_accel.vtn.push",
    "openadr_accel.vtn.registration",
    "openadr_accel.vtn.server",
    "openadr_accel.vtn.settings",
    "openadr_accel.vtn.web",
    "openadr_accel.vtn.store.errors",
    "openadr_accel.vtn.store.records",
    "openadr_accel.ven.command",
    "openadr_accel.ven.config",
    "openadr_accel.ven.handlers",
    "openadr_accel.ven.node",
    "openadr_accel.ven.opt",
    "openadr_accel.ven.report_capabilities",
    "openadr_accel.ven.report_history",
    "openadr_accel.ven.settings",
    "openadr_accel.conformance.build",
    "openadr_accel.conformance.command",
    "openadr_accel.conformance.harness_http",
    "openadr_accel.conformance.inbox",
    "openadr_accel.conformance.progress",
    "openadr_accel.conformance.transcript",
    "openadr_accel.evse.central_system",
    "openadr_accel.evse.limits",
    "openadr_accel.evse.simulator",
)
"""Modules that are not API of their own: a public module re-exports what callers need of them.

Modules and packages whose name starts with an underscore are internal without being listed
(``openadr_accel.vtn.store._rows``, ``openadr_accel.conformance.cases._steps``), and so are the
modules of :mod:`openadr_accel.conformance.cases`: each holds cases that register themselves.
"""

SHADOWED_EXPORTS = ("openadr_accel.xml.decode.decode",)
"""Exported functions that Griffe cannot see through their package (``openadr_accel.xml.decode``
is a function and a submodule of that name): their reference pages render them explicitly."""

_IMPLICITLY_INTERNAL = re.compile(r"(^|\.)_[^_]|^openadr_accel\.conformance\.cases\.")


@pytest.fixture(scope="module")
def package() -> griffe.Module:
    loaded = griffe.load(
        "openadr_accel",
        search_paths=[str(ROOT)],
        extensions=griffe.load_extensions(EXTENSION),
        docstring_parser="google",
    )
    assert isinstance(loaded, griffe.Module)
    return loaded


def _modules(module: griffe.Module) -> Iterator[griffe.Module]:
    yield module
    for member in module.modules.values():
        if not member.is_alias:
            assert isinstance(member, griffe.Module)
            yield from _modules(member)


def _module(package: griffe.Module, path: str) -> griffe.Module:
    found = package if path == package.path else package[path.removeprefix(package.path + ".")]
    assert isinstance(found, griffe.Module), path
    return found


def _reference_identifiers() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for page in sorted(REFERENCE.rglob("*.md")):
        for identifier in re.findall(r"^::: *(\S+)", page.read_text(), flags=re.MULTILINE):
            assert identifier not in found, f"{identifier} is rendered twice: {found[identifier]}, {page}"
            found[identifier] = page
    return found


def test_every_module_is_public_or_internal(package: griffe.Module) -> None:
    modules = {module.path for module in _modules(package)}
    listed = set(PUBLIC_MODULES) | set(INTERNAL_MODULES)
    assert not set(PUBLIC_MODULES) & set(INTERNAL_MODULES)
    unlisted = sorted(path for path in modules - listed if not _IMPLICITLY_INTERNAL.search(path))
    assert not unlisted, (
        f"modules neither public nor internal: {unlisted}; add each to PUBLIC_MODULES (and give it "
        "a page under docs/reference/) or to INTERNAL_MODULES in tests/test_docs.py"
    )
    gone = sorted(listed - modules)
    assert not gone, f"listed in tests/test_docs.py but not in the package: {gone}"


def test_every_public_module_has_its_reference_page() -> None:
    rendered = _reference_identifiers()
    missing = [module for module in PUBLIC_MODULES if module not in rendered]
    assert not missing, f"public modules without a '::: module' page under docs/reference/: {missing}"
    extra = sorted(set(rendered) - set(PUBLIC_MODULES) - set(SHADOWED_EXPORTS))
    assert not extra, f"docs/reference/ renders modules that are not in PUBLIC_MODULES: {extra}"


@pytest.mark.parametrize("path", PUBLIC_MODULES)
def test_every_public_name_has_a_docstring(package: griffe.Module, path: str) -> None:
    module = _module(package, path)
    assert module.docstring is not None, f"{path} has no docstring"
    assert module.docstring.value.strip(), f"{path} has an empty docstring"
    undocumented: list[str] = []
    for name in module.exports or ():
        assert isinstance(name, str), f"{path}.__all__ holds {name!r}, not a name"
        try:
            member = module[name]
            docstring = member.docstring
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            pytest.fail(f"{path}.__all__ names {name!r}, which Griffe cannot find")
        if docstring is None or not docstring.value.strip():
            undocumented.append(name)
    assert not undocumented, (
        f"{path}: names in __all__ without a docstring: {undocumented} (a constant or alias takes "
        "a string literal right under it, or an entry in the module docstring's Attributes section)"
    )


@pytest.mark.timeout(900)
def test_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a broken cross-reference, a docstring Griffe cannot read, a
    page missing from the nav or a dead link fails the build (``mkdocs.yml``: ``strict: true``)."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    problems = [line for line in result.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert result.returncode == 0, "\n".join(problems) or result.stderr[-5000:]
    assert not problems, "\n".join(problems)
    assert (tmp_path / "site" / "reference" / "vtn" / "index.html").is_file()
