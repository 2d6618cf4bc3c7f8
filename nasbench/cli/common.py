"""Shared CLI plumbing: one-line errors with exit code 2, option types every command shares
(output paths checked before work, block counts), deprecated spellings and help examples."""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from nasbench.extras import missing_extra

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
        except ImportError as exc:  # an optional extra is not installed: name it
            hint = missing_extra(exc)
            if hint is None:
                raise
            click.echo(f"Error: {hint}", err=True)
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
    """A ``--param`` value: JSON / Python literal if it parses, else the string itself (the
    rule of inline arm options, :func:`nasbench.search.arms.literal`)."""
    from nasbench.search.arms import literal

    return literal(text)


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
            parts += [flag, ",".join(map(str, item)) if isinstance(item, tuple) else str(item)]
    return " ".join(shlex.quote(p) for p in parts)


class OutPath(click.Path):
    """An output path, checked when the options are parsed, before any work: a file's folder
    must exist and be writable; a folder must be creatable (its nearest existing ancestor a
    writable folder) and must not be a file."""

    def __init__(self, folder: bool, path_type=None):
        super().__init__(file_okay=not folder, dir_okay=folder, path_type=path_type)
        self.folder = folder
        self.name = "folder" if folder else "file"

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        path = Path(os.fsdecode(value))
        if self.folder:
            base = next(p for p in [path, *path.parents] if p.exists())  # ends at '.' or '/'
            if base.exists() and not base.is_dir():
                self.fail(f"{base} is a file, not a folder", param, ctx)
        else:
            base = path.parent
            if not base.is_dir():
                self.fail(f"folder {base} does not exist (create it first)", param, ctx)
        if not os.access(base, os.W_OK):
            self.fail(f"folder {base} is not writable", param, ctx)
        return value


class BlockCounts(click.ParamType):
    """``--blocks/-b`` everywhere: block counts as ``2``, ``1-3`` or ``1,3`` (repeatable)."""

    name = "blocks"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        values = parse_int_range(str(value), "--blocks")
        if values[0] < 1:
            self.fail(f"block counts must be >= 1, got {value!r}", param, ctx)
        return tuple(values)


def blocks_option(help: str, required: bool = False):
    """The one ``--blocks/-b`` option: repeatable, each value a count or range; the command
    receives a tuple of tuples (see :func:`block_list`)."""
    return click.option("--blocks", "-b", type=BlockCounts(), multiple=True, required=required,
                        metavar="B", help=help + " E.g. 2, 1-3 or 1,3; repeatable.")


def block_list(values) -> list[int]:
    """The sorted block counts of a ``--blocks`` option (empty when not given)."""
    return sorted({b for group in values or () for b in group})


def deprecated(old: str, new: str) -> None:
    """Say on stderr that ``old`` is a deprecated spelling of ``new`` (it works one release)."""
    click.echo(f"Deprecated: {old} works in this release only; use {new}.", err=True)


def _alias(param, key: str, dest: str, old: str, new: str):
    """Wrap a command so that the hidden ``param`` (stored as ``key``) fills ``dest``, with a
    deprecation line; giving both spellings is a usage error."""

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            value = kwargs.pop(key)
            if value is not None and value != ():
                ctx = click.get_current_context()
                if ctx.get_parameter_source(dest).name != "DEFAULT":
                    raise click.UsageError(f"give {new} only, not also {old}")
                deprecated(old, new)
                kwargs[dest] = value
            return f(*args, **kwargs)

        return param(wrapper)

    return decorate


def renamed(old_decls: tuple[str, ...], new: str, dest: str, **attrs):
    """Keep a renamed option's old spelling working one release: a hidden option that fills
    ``dest`` (the new option, shown as ``new``) and prints a deprecation line on stderr."""
    key = f"old_{dest}"
    return _alias(click.option(*old_decls, key, hidden=True, default=None, **attrs), key, dest,
                  " / ".join(old_decls), new)


def positional_table(dest: str = "table", new: str = "--table/-t"):
    """Keep the old positional TABLE working one release (hidden from the usage line)."""
    key = f"old_{dest}"
    return _alias(click.argument(key, required=False, metavar=""), key, dest, "a positional TABLE", new)


def table_option(required: bool = True, multiple: bool = False, help: str | None = None):
    """The one way to name an input table: ``--table/-t FOLDER`` (repeatable where several)."""
    text = help or ("Table folder; repeat to give several." if multiple else "Table folder.")
    return click.option("--table", "-t", "tables" if multiple else "table", required=required,
                        multiple=multiple, type=click.Path(path_type=Path) if multiple else None,
                        help=text)


def out_option(folder: bool, help: str, required: bool = True, path_type=None):
    """The one ``--out/-o``: where the command writes (a file or a folder, see ``help``),
    checked before any work starts."""
    return click.option("--out", "-o", required=required, type=OutPath(folder, path_type),
                        help=help)


def progress_option(f):
    """``--progress/--no-progress``: a progress bar on stderr (default: only on a terminal)."""
    return click.option("--progress/--no-progress", default=None,
                        help="Progress bar on stderr (default: when stderr is a terminal).")(f)


def examples(*commands: str) -> str:
    """A help epilog listing real example command lines (kept verbatim by click)."""
    return "\b\nExamples:\n" + "\n".join(f"  {c}" for c in commands)
