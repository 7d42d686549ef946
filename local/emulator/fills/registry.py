"""
The registry of fills: each fill is one function, registered with ``@fill`` in definition order;
``apply_fills`` applies them, once per process, leaving out the named ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable


@dataclass(frozen=True)
class Fill:
    """One gap of moto and the function that fills it."""

    name: str
    apply: Callable[[], None]

    @property
    def description(self) -> str:
        """The fill's docstring as one line: the gap, then the fix."""
        return " ".join((self.apply.__doc__ or "").split())


FILLS: list[Fill] = []


def fill(func: Callable[[], None]) -> Callable[[], None]:
    """Registers ``func`` as a fill, in definition order."""
    if not (func.__doc__ or "").strip():
        raise ValueError(f"fill {func.__name__} needs a docstring saying what it fills")
    FILLS.append(Fill(func.__name__, func))
    return func


_applied: set[str] = set()


def apply_fills(skip: Iterable[str] = ()) -> list[str]:
    """Applies every fill not named in ``skip`` (once per process); answers the names applied."""
    skipped = set(skip)
    unknown = skipped - {f.name for f in FILLS}
    if unknown:
        raise ValueError(f"unknown fill(s): {', '.join(sorted(unknown))}")
    names = []
    for f in FILLS:
        if f.name in skipped:
            continue
        if f.name not in _applied:
            f.apply()
            _applied.add(f.name)
        names.append(f.name)
    return names


def snake(name: str) -> str:
    """An AWS attribute name as moto's attribute: ``RedriveAllowPolicy`` -> ``redrive_allow_policy``."""
    from moto.core.utils import camelcase_to_underscores

    return camelcase_to_underscores(name)
