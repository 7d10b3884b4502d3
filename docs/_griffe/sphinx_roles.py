"""A Griffe extension: the reStructuredText bits of our docstrings, as Markdown for mkdocstrings.

The docstrings are Google style, but they cross-reference with Sphinx roles (``:class:`VTN```,
``:meth:`~VEN.running```, ``:data:`.case.REGISTRY```) and show code with reST literal blocks
(``Example::`` and an indented block, ``.. code-block:: text``). This extension rewrites them
before mkdocstrings parses the docstrings:

- A role naming one of our objects becomes a Markdown cross-reference to its full path
  (``[VTN][openadr_accel.vtn.server.VTN]``), found as Sphinx finds it: in the scope of the
  object whose docstring it is (its members, then its parents', imports included), then, for a
  dotted or leading-dot target, as a unique suffix of a known path. A role that names something
  of ours that the site does not render (or that does not exist) stays a cross-reference, so
  ``mkdocs build --strict`` fails on it: that is the point.
- A role naming a standard-library object links to the Python documentation; one naming another
  library's object (or a builtin) becomes code.
- An entry naming several parameters or attributes at once (``min_size, max_size: the pool's
  size.``) becomes one entry per name, each with the description.
- A reST simple table (columns under runs of ``=``) becomes a Markdown table; a row whose first
  cell is blank continues the row above.
- ``text::`` and the indented block after it become ``text:`` and a fenced code block;
  ``.. code-block:: LANG`` becomes a fenced block of that language.
- An entry of an ``Attributes:`` section (of a class or module docstring) becomes the docstring of
  the attribute it names, when that has none, so that every attribute is rendered as an object of
  its own (with its type and default) that cross-references can point to; ``mkdocs.yml`` turns
  the sections themselves off (``show_docstring_attributes: false``). An entry that names no
  attribute is reported as a warning, which fails the strict build.

It is loaded by ``mkdocs.yml`` (``extensions: [docs/_griffe/sphinx_roles.py]``); the API reference
pages are the only thing it changes: the docstrings in the code stay as they are.
"""

from __future__ import annotations

import builtins
import re
import sys
from collections.abc import Iterator
from functools import partial
from typing import Any

import griffe

_ROLE = re.compile(r":(?P<role>class|func|meth|mod|data|attr|exc|obj|const):`(?P<target>[^`]+)`")
_CODE_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]*(?P<lang>\S*)[ \t]*$")
_PACKAGE = "openadr_accel"
_logger = griffe.get_logger("griffe")


def _walk(obj: griffe.Object) -> Iterator[griffe.Object]:
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)  # type: ignore[arg-type]


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles and reST literal blocks of every docstring of the package."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.name != _PACKAGE:
            return
        objects = list(_walk(pkg))
        paths = {obj.path for obj in objects}
        for obj in objects:
            for name, member in obj.members.items():
                if member.is_alias:
                    paths.add(f"{obj.path}.{name}")
        for obj in objects:
            if obj.docstring is not None:
                text = _split_entries(_simple_tables(_literal_blocks(obj.docstring.value)))
                obj.docstring.value = _ROLE.sub(partial(_role, obj=obj, paths=paths), text)
        for obj in objects:
            if obj.docstring is not None and (obj.is_class or obj.is_module):
                _attributes_to_members(obj)
            if obj.is_class:
                _arguments_to_members(obj)


def _arguments_to_members(cls: griffe.Object) -> None:
    """An instance attribute set from the constructor's argument of its name (``self.x = x``)
    and documented nowhere else gets that argument's description."""
    docstrings = [cls.docstring]
    init = cls.members.get("__init__")
    if init is not None and not init.is_alias:
        docstrings.append(init.docstring)
    for docstring in docstrings:
        if docstring is None:
            continue
        for section in griffe.parse_google(docstring, warnings=False):
            if section.kind is not griffe.DocstringSectionKind.parameters:
                continue
            for parameter in section.value:
                member = cls.members.get(parameter.name)
                if not isinstance(member, griffe.Object) or member.docstring is not None:
                    continue
                value = str(getattr(member, "value", "") or "")
                if (value == parameter.name or value.startswith(parameter.name + " ")) and (
                    parameter.description
                ):
                    member.docstring = griffe.Docstring(
                        parameter.description, lineno=docstring.lineno, parent=member
                    )


def _attributes_to_members(obj: griffe.Object) -> None:
    assert obj.docstring is not None
    sections = griffe.parse_google(obj.docstring, warnings=False)
    for section in sections:
        if section.kind is not griffe.DocstringSectionKind.attributes:
            continue
        for attribute in section.value:
            member = obj.members.get(attribute.name)
            if member is None:
                _logger.warning(
                    f"{obj.relative_filepath}:{obj.docstring.lineno}: the Attributes section of "
                    f"{obj.path} names {attribute.name!r}, which is not an attribute of it"
                )
            elif isinstance(member, griffe.Object) and member.docstring is None and attribute.description:
                member.docstring = griffe.Docstring(
                    attribute.description, lineno=obj.docstring.lineno, parent=member
                )


def _role(found: re.Match[str], *, obj: griffe.Object, paths: set[str]) -> str:
    target = found.group("target").strip()
    short = target.startswith("~")
    target = target.lstrip("~")
    call = "()" if found.group("role") in {"func", "meth"} else ""
    shown = target.rsplit(".", 1)[-1] if short else target.lstrip(".")
    text = f"`{shown}{call}`"
    path = _resolve(target, obj, paths)
    if path is None:
        return text
    if not path.startswith(_PACKAGE + ".") and path != _PACKAGE:
        return _external(path, text)
    return f"[{text}][{path}]"


def _resolve(target: str, obj: griffe.Object, paths: set[str]) -> str | None:
    """The canonical path of what ``target`` names from the docstring of ``obj``.

    None for a builtin; a path outside the package for another library's object; for a name
    that cannot be found, a path that does not exist (so that the cross-reference fails).
    """
    relative = target.startswith(".")
    name = target.lstrip(".")
    if name == _PACKAGE or name.startswith(_PACKAGE + "."):
        return _canonical(obj, name) or name
    first, _, rest = name.partition(".")
    if not relative:
        try:
            base = obj.resolve(first)
        except griffe.NameResolutionError:
            base = None
        if base is not None:
            full = f"{base}.{rest}" if rest else base
            if not base.startswith(_PACKAGE):
                return full
            return _canonical(obj, full) or full
        if not rest and hasattr(builtins, first):
            return None
        if first in sys.stdlib_module_names:
            return name
    # Sphinx's way: the object's scope, its module, the packages above it; then a unique suffix.
    scopes = [] if obj.is_module else [obj.path]
    if obj.parent is not None and not obj.parent.is_module and not obj.is_module:
        scopes.append(obj.parent.path)
    module = obj if obj.is_module else obj.module
    package = module.path
    while package:
        scopes.append(package)
        package = package.rpartition(".")[0]
    for scope in scopes:
        found = _canonical(obj, f"{scope}.{name}")
        if found is not None:
            return found
    suffixed = [path for path in paths if path.endswith("." + name)]
    if len(suffixed) > 1:  # the nearest ones: those sharing the longest prefix with obj
        shared = [len(_common_prefix(path, obj.path)) for path in suffixed]
        suffixed = [path for path, length in zip(suffixed, shared, strict=True) if length == max(shared)]
    if len(suffixed) == 1:
        return _canonical(obj, suffixed[0]) or suffixed[0]
    return f"{module.path}.{name}"  # not found: fails the strict build


def _common_prefix(one: str, other: str) -> list[str]:
    common: list[str] = []
    for a, b in zip(one.split("."), other.split("."), strict=False):
        if a != b:
            break
        common.append(a)
    return common


def _canonical(obj: griffe.Object, path: str) -> str | None:
    """The canonical path of the object of ours at ``path`` (aliases followed), or None."""
    package: griffe.Object = obj
    while package.parent is not None:
        package = package.parent
    if path == package.path:
        return path
    if not path.startswith(package.path + "."):
        return None
    try:
        found = package[path[len(package.path) + 1 :]]
        if found.is_alias and found.inherited:
            return found.path  # type: ignore[no-any-return]  # rendered under the inheriting class
        return found.canonical_path  # type: ignore[no-any-return]
    except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _external(path: str, text: str) -> str:
    module, _, _ = path.partition(".")
    if module in sys.stdlib_module_names:
        page = path if "." not in path else path.rsplit(".", 1)[0]
        while page.count(".") and page.rsplit(".", 1)[0] in sys.stdlib_module_names:
            page = page.rsplit(".", 1)[0]
        page = page if page in sys.stdlib_module_names else module
        return f"[{text}](https://docs.python.org/3/library/{page}.html#{path})"
    return text


_SECTION = re.compile(
    r"^(?P<indent>[ \t]*)(Args|Arguments|Parameters|Params|Attributes|Keyword Args|Keyword Arguments"
    r"|Other Parameters|Other Args):[ \t]*$"
)
_ENTRY = re.compile(r"^(?P<indent>[ \t]+)(?P<names>[A-Za-z_]\w*(?:,[ \t]*[A-Za-z_]\w*)+):(?P<rest>.*)$")


def _split_entries(text: str) -> str:
    """``a, b: text`` entries of Args/Attributes sections as one entry per name."""
    lines = text.split("\n")
    out: list[str] = []
    section_indent: int | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        header = _SECTION.match(line)
        if header is not None:
            section_indent = len(header.group("indent"))
            out.append(line)
            continue
        if section_indent is not None and line.strip() and len(line) - len(line.lstrip()) <= section_indent:
            section_indent = None
        entry = _ENTRY.match(line) if section_indent is not None else None
        if entry is None:
            out.append(line)
            continue
        indent = len(entry.group("indent"))
        more: list[str] = []
        while index < len(lines) and (
            not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent
        ):
            if not lines[index].strip() and (
                index + 1 >= len(lines) or len(lines[index + 1]) - len(lines[index + 1].lstrip()) <= indent
            ):
                break
            more.append(lines[index])
            index += 1
        for name in (name.strip() for name in entry.group("names").split(",")):
            out.append(f"{entry.group('indent')}{name}:{entry.group('rest')}")
            out.extend(more)
    return "\n".join(out)


_TABLE_RULE = re.compile(r"^(?P<indent>[ \t]*)=+(?:[ \t]+=+)+[ \t]*$")


def _simple_tables(text: str) -> str:
    """reST simple tables (a rule, a header, a rule, rows, a rule) as Markdown tables."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    fenced = False
    while index < len(lines):
        if lines[index].lstrip().startswith("```"):
            fenced = not fenced
        rule = None if fenced else _TABLE_RULE.match(lines[index])
        ends = [i for i in range(index + 1, len(lines)) if lines[i] == lines[index]] if rule else []
        if rule is None or len(ends) < 2:
            out.append(lines[index])
            index += 1
            continue
        spans = [(found.start(), found.end()) for found in re.finditer(r"=+", lines[index])]
        header_end, table_end = ends[0], ends[1]

        def cells(line: str, spans: list[tuple[int, int]] = spans) -> list[str]:
            bounds = [start for start, _ in spans[1:]] + [len(line) + 1]
            return [line[start:bound].strip() for (start, _), bound in zip(spans, bounds, strict=True)]

        rows: list[list[str]] = []
        for line in lines[index + 1 : table_end]:
            if line == lines[header_end] or not line.strip():
                continue
            row = cells(line)
            if rows and not row[0]:
                rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], row, strict=True)]
            else:
                rows.append(row)
        header_rows = sum(1 for line in lines[index + 1 : header_end] if line.strip())
        pad = rule.group("indent")
        header, body = rows[:header_rows] or [[""] * len(spans)], rows[header_rows:]
        out.append("")
        out.append(pad + "| " + " | ".join(" ".join(column) for column in zip(*header, strict=True)) + " |")
        out.append(pad + "|" + "---|" * len(spans))
        out.extend(pad + "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body)
        out.append("")
        index = table_end + 1
    return "\n".join(out)


def _literal_blocks(text: str) -> str:
    """reST literal blocks (``::``, ``.. code-block::``) as fenced Markdown code blocks."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        directive = _CODE_BLOCK.match(line)
        if directive is not None or line.rstrip().endswith("::"):
            indent = len(line) - len(line.lstrip())
            if directive is not None:
                lang = directive.group("lang") or "text"
            else:
                lead = line.rstrip()[:-2].rstrip()
                if lead.strip():
                    out.append(lead + ":")
                lang = ""
            block, index = _indented_block(lines, index + 1, indent)
            if block:
                if not lang:
                    lang = "python" if _looks_like_python(block) else "text"
                pad = " " * indent
                out.extend(["", f"{pad}```{lang}", *(pad + row if row else "" for row in block), f"{pad}```"])
                continue
            if directive is None and not line.rstrip()[:-2].strip():
                continue
            out.append(line if directive is None else "")
            continue
        out.append(line)
        index += 1
    return "\n".join(out)


def _indented_block(lines: list[str], start: int, indent: int) -> tuple[list[str], int]:
    """The block indented deeper than ``indent`` from ``start`` (after blank lines), dedented."""
    index = start
    while index < len(lines) and not lines[index].strip():
        index += 1
    block: list[str] = []
    while index < len(lines):
        line = lines[index]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        block.append(line)
        index += 1
    while block and not block[-1].strip():
        block.pop()
    if not block:
        return [], start
    depth = min(len(row) - len(row.lstrip()) for row in block if row.strip())
    return [row[depth:] for row in block], index


def _looks_like_python(block: list[str]) -> bool:
    code = "\n".join(block)
    try:
        compile(code, "<docstring>", "exec", flags=0x2000)  # PyCF_ALLOW_TOP_LEVEL_AWAIT
    except SyntaxError:
        return False
    return True
