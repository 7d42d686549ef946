"""
Fills for the gaps of moto 5.2.1 that the fan-out's stacks and tooling run into, one module per
service (``sqs``, ``sqs_fifo``, ``cloudwatch``, ``sns``, ``awslambda``).

Each fill is one function: its docstring says what moto does wrong and what the fill does, and
it patches moto's classes in this process only (moto's installed files are never edited). The
launcher applies every fill in ``FILLS``, in order, before it serves moto's app, and logs their
names. ``apply_fills(skip=...)`` leaves named fills out, so a gap can be shown without its fill.

Every fill is written against moto 5.2.1 exactly; the launcher refuses any other version.
"""

from __future__ import annotations

from .registry import FILLS, Fill, apply_fills, fill

# Importing a service's module registers its fills: this order is the order of FILLS.
from . import sqs, sqs_fifo, cloudwatch, sns, awslambda  # noqa: E402,F401  (isort: skip)

__all__ = ["FILLS", "Fill", "apply_fills", "fill"]
