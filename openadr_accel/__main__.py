"""``python -m openadr_accel``: the same as the ``openadr-accel`` command."""

from .cli import main

main()
