"""Shared CLI plumbing: one-line errors with exit code 2, and arch/range option parsing."""
from __future__ import annotations

import ast
import json
import sys

import click

#: Exceptions that mean "the user asked for something wrong": printed as one line, exit 2.
USER_ERRORS = (ValueError, KeyError, LookupError, FileNotFoundError, NotADirectoryError,
               IsADirectoryError, PermissionError, FileExistsError)


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


class Group(click.Group):
    """A click group whose commands report user errors as ``Error: ...`` and exit 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # bad options: one line too, not usage + hint + error
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(2)
        except USER_ERRORS as exc:
            click.echo(f"Error: {_message(exc)}", err=True)
            sys.exit(2)


def parse_int_range(text: str, name: str = "value") -> list[int]:
    """Parse ``"1-3"``, ``"1,2,5"`` or ``"2"`` into a sorted list of ints."""
    values: set[int] = set()
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                values.update(range(lo, hi + 1))
            else:
                values.add(int(part))
    except ValueError:
        raise click.BadParameter(f"{name} must look like '1-3' or '0,1,2', got {text!r}") from None
    return sorted(values)


def _literal(text: str):
    """A ``--param`` value: JSON / Python literal if it parses, else the string itself."""
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError):
            continue
    return text


def parse_params(items: tuple[str, ...], scope: str | None = None) -> dict:
    """``KEY=VALUE`` options into a dict; with ``scope`` (e.g. ``"MODEL"``) they are
    ``SCOPE.KEY=VALUE`` and the result is nested ``{scope_value: {key: value}}``."""
    out: dict = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--param")
        if scope:
            outer, dot, name = key.partition(".")
            if not dot or not outer or not name:
                raise click.BadParameter(f"expected {scope}.KEY=VALUE, got {item!r}", param_hint="--param")
            out.setdefault(outer, {})[name] = _literal(text)
        else:
            out[key] = _literal(text)
    return out


def command_line(ctx: click.Context) -> str:
    """The exact command that reproduces ``ctx``: its path plus every option not defaulted."""
    import shlex

    parts = ctx.command_path.split()
    if parts:
        parts[0] = "nasbench"
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name)
        if source is None or source.name == "DEFAULT" or not param.opts:
            continue
        value = ctx.params[param.name]
        flag = max(param.opts, key=len)
        if isinstance(param, click.Option) and param.is_flag:
            if value:  # a set flag (bool True, or its flag_value such as "exhaustive")
                parts.append(flag)
            continue
        for item in value if param.multiple else [value]:
            parts += [flag, str(item)]
    return " ".join(shlex.quote(p) for p in parts)
