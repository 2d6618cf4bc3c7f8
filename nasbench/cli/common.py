"""Shared CLI plumbing: one-line errors with exit code 2, and arch/range option parsing."""
from __future__ import annotations

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
