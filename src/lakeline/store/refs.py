"""Ref expressions, shared by every backend: parsing ``base[@][~N|^N]...`` and the ancestry rules.

Resolution order for the base (lakeFS's): full commit id, branch, tag, unique commit-id
prefix. A trailing ``@`` on a branch means its committed state only; without it a bare
branch is read together with its staging area. ``~N`` follows first parents N times;
``^N`` takes the N-th parent (``^0`` is the commit itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lakeline.errors import InvalidRefError

_MODIFIER = re.compile(r"([~^])(\d*)")


@dataclass(frozen=True)
class RefExpression:
    base: str
    committed_only: bool  # a trailing '@'
    modifiers: tuple[tuple[str, int], ...]  # ('~', n) or ('^', n)


def parse_ref(text: str) -> RefExpression:
    if not isinstance(text, str) or not text or text != text.strip():
        raise InvalidRefError(f"invalid ref {text!r}: expected a branch, tag or commit id")
    cut = len(text)
    for sep in ("~", "^"):
        at = text.find(sep)
        if at != -1:
            cut = min(cut, at)
    base, rest = text[:cut], text[cut:]
    committed_only = base.endswith("@")
    if committed_only:
        base = base[:-1]
    if not base or base.endswith("@") or any(ch.isspace() or ch in ":?*[\\" for ch in base):
        raise InvalidRefError(f"invalid ref {text!r}: expected a branch, tag or commit id")
    modifiers: list[tuple[str, int]] = []
    pos = 0
    while pos < len(rest):
        match = _MODIFIER.match(rest, pos)
        if not match:
            raise InvalidRefError(
                f"invalid ref {text!r}: after the name only '~N' and '^N' modifiers are allowed"
            )
        kind, digits = match.group(1), match.group(2)
        if len(digits) > 6:
            raise InvalidRefError(f"invalid ref {text!r}: modifier number too large")
        modifiers.append((kind, int(digits) if digits else 1))
        pos = match.end()
    return RefExpression(base, committed_only, tuple(modifiers))
