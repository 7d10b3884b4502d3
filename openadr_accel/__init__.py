"""openadr_accel: OpenADR 2.0b for Python.

Layers, bottom up: :mod:`openadr_accel.model` (dataclasses and enums for every 2.0b message),
:mod:`openadr_accel.xml` (the validated, hardened codec: :func:`~openadr_accel.xml.parse` and
:func:`~openadr_accel.xml.serialize`), :mod:`openadr_accel.rules` (conformance checks the schema
cannot express) and :mod:`openadr_accel.errors` (one exception tree rooted at
:class:`~openadr_accel.errors.OpenADRError`).
"""

__version__ = "0.1.0"
"""The version of openadr_accel (also ``openadr-accel --version``)."""

__all__ = ["__version__"]
