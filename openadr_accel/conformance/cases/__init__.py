"""The suite's cases, one module per catalogue group and device role (``registration_ven``:
the registration cases whose device is a VEN). Importing this package imports every module in
it, which registers each case in :data:`openadr_accel.conformance.case.REGISTRY`."""

from __future__ import annotations

import importlib
import pkgutil

__all__: list[str] = []

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
        __all__.append(_module.name)
