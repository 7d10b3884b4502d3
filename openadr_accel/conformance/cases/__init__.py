"""The suite's cases, one module per catalogue group and device role; importing this package
registers them all in :data:`openadr_accel.conformance.case.REGISTRY`."""

from __future__ import annotations

from . import registration_ven

__all__ = ["registration_ven"]
