"""Arms: an algorithm name with inline options, so that one comparison holds variants.

``pnas[K=8,surrogate=xgboost,parents=all]`` is an arm of the registered algorithm ``pnas``
with three options; the whole spec is its label in trajectories, tables and plots. Options
given with ``-p ARM.KEY=VALUE`` (``options[spec]`` in Python) add to the inline ones and win
on a clash. A plain name (``rl``) is an arm without inline options.
"""
from __future__ import annotations

import ast
import json


def literal(text: str):
    """An option value: a JSON or Python literal when it parses, else the string itself."""
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError):
            continue
    return text


def split_arms(text: str) -> list[str]:
    """Comma-separated arm specs; commas inside ``[...]`` (and inside a value's ``{...}`` or
    ``(...)``) belong to the arm."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "[{(") - (ch in "]})")
        if depth < 0:
            raise ValueError(f"unbalanced {ch!r} in {text!r}")
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise ValueError(f"unbalanced brackets in {text!r}")
    parts.append(text[start:])
    return [a.strip() for a in parts if a.strip()]


def parse_arm(spec: str) -> tuple[str, dict]:
    """(algorithm, inline options) of ``spec``, e.g. ``("pnas", {"K": 8})`` for ``pnas[K=8]``."""
    spec = str(spec).strip()
    name, bracket, rest = spec.partition("[")
    if not bracket:
        return spec, {}
    if not rest.endswith("]") or not name:
        raise ValueError(f"bad arm {spec!r}: expected NAME[KEY=VALUE,...]")
    options = {}
    for item in split_arms(rest[:-1]):  # the same bracket-aware split: values may be lists
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"bad arm {spec!r}: {item!r} is not KEY=VALUE")
        options[key.strip()] = literal(value.strip())
    return name.strip(), options


def arm_options(spec: str, options: dict | None = None) -> tuple[str, dict]:
    """(algorithm, options) of an arm: its inline options updated by ``options[spec]``."""
    name, inline = parse_arm(spec)
    return name, {**inline, **dict((options or {}).get(spec, {}))}
