"""What every command shares: the `command` decorator (errors to exit codes, bugs to the log, a
reader that went away), `fail`, the workspace, JSON output, the progress bar and time options."""

from __future__ import annotations

import inspect
import json
import os
import sys
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import NoReturn

import typer

from coldmail.errors import ColdmailError


class _Stderr:
    """stderr as a rich Console, built on first use: importing rich costs 40 ms of every command's
    start, and most lines are plain text (`markup=False`), written here without it."""

    _console = None

    def print(self, *objects, markup: bool | None = None, **kwargs) -> None:
        if markup is False and not kwargs and all(isinstance(o, str) for o in objects):
            sys.stderr.write(" ".join(objects) + "\n")
            sys.stderr.flush()
            return
        self.console.print(*objects, markup=markup, **kwargs)

    @property
    def console(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._console

    def __getattr__(self, name: str):
        return getattr(self.console, name)


err = _Stderr()

# The keyword under which typer hands each command its context (see `command`).
_CTX = "_cli_context"


class _StdoutClosed(Exception):
    """The reader of stdout went away (`coldmail … | head`); raised by the output helpers below, so a
    broken pipe elsewhere (an SMTP socket) still counts as a bug."""


class Exit(Exception):
    """Stop the command with this exit code (after its message is printed)."""

    def __init__(self, code: int):
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"coldmail: {message}", markup=False)
    raise Exit(code)


def command(fn: Callable) -> Callable:
    """Run a command: `ColdmailError`s print one line and exit with their `exit_code`; anything else
    is a bug (exit code 3, traceback in the log); a closed stdout (`coldmail … | head`) ends quietly,
    with exit code 0, as cat and grep do."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = kwargs.pop(_CTX, None)
        try:
            fn(*args, **kwargs)
            code = 0
        except Exit as exc:
            code = exc.code
        except ColdmailError as exc:
            err.print(f"coldmail: {exc}", markup=False)
            code = exc.exit_code
        except _StdoutClosed:
            _silence_stdout()
            code = 0
        except (KeyboardInterrupt, typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            log = _log_bug(_command_name(ctx), exc)
            err.print(f"coldmail: unexpected error: {type(exc).__name__}: {exc}. Details: {log}", markup=False)
            code = 3
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        if code:
            raise typer.Exit(code)

    # Ask typer for the context too (it fills a parameter annotated typer.Context), so the log can
    # name the command without the arguments, which hold people's addresses.
    signature = inspect.signature(fn, eval_str=True)
    wrapper.__signature__ = signature.replace(parameters=[
        *signature.parameters.values(),
        inspect.Parameter(_CTX, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
    ])
    return wrapper


def _silence_stdout() -> None:
    """The reader of stdout went away: send what is left to /dev/null, as cat and grep stop quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind stdout (a test's capture)
        pass


def _command_name(ctx: typer.Context | None) -> str:
    """The command's path, such as "coldmail requests answer": no arguments, whatever argv[0] was."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["coldmail", *reversed(names)])


def _log_bug(name: str, exc: BaseException) -> Path:
    """Append the command's name, the exceptions' types and where they were raised to the log. Not the
    arguments nor the messages, which quote addresses, names and SQL parameters: the log outlives
    erasures, so it must hold no one's personal data. The person sees the message on the terminal."""
    log = _log_path()
    text = f"--- {datetime.now(UTC).isoformat()} {name}: {_type_name(exc)}\n"
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text += "Traceback (most recent call last):\n" + "".join(traceback.format_tb(current.__traceback__))
        text += _type_name(current) + "\n"
        if current.__cause__ is not None:
            current = current.__cause__
            text += "raised from:\n"
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
            text += "raised while handling:\n"
        else:
            current = None
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        pass
    return log


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _log_path() -> Path:
    from coldmail.store.config import default_home

    return default_home() / "coldmail.log"


_WS = None


def ws():
    """The workspace, opened (and migrated) on first use in this process."""
    global _WS
    if _WS is None:
        from coldmail.store.workspace import open_workspace

        _WS = open_workspace()
    return _WS


def echo(text: str = "", nl: bool = True) -> None:
    """A line for stdout (`typer.echo`). Commands print through these helpers, never to stdout directly."""
    try:
        typer.echo(text, nl=nl)
    except BrokenPipeError:
        raise _StdoutClosed from None


def interactive() -> bool:
    """A person at a terminal (stdin and stdout), not a pipe, a script or CI."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def write(text: str) -> None:
    """Text for stdout exactly as given."""
    try:
        sys.stdout.write(text)
    except BrokenPipeError:
        raise _StdoutClosed from None


def out_json(data) -> None:
    write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def parse_time(value: str | None, *, option: str, example: str) -> datetime | None:
    """An ISO date or timestamp given to `option`, in UTC when it names no offset."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{option} {value!r} is not {example}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_now(value: str | None) -> datetime | None:
    """The `--now` option: evaluate schedules, windows and caps as if it were this time."""
    return parse_time(value, option="--now", example="an ISO timestamp such as 2026-11-23T10:00:00+00:00")


@contextmanager
def progress_bar(label: str, enabled: bool | None = None):
    """A rich progress bar on stderr when it is a terminal; yields an update(done, total) callback.

    The bar appears on the first update, so an error found before any work prints alone."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    if enabled is None:
        enabled = err.is_terminal
    state: dict = {}

    def update(done: int, total: int) -> None:
        if not enabled:
            return
        if "progress" not in state:
            progress = Progress(
                TextColumn(label), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                console=err.console, transient=False,
            )
            progress.start()
            state["progress"], state["task"] = progress, progress.add_task(label, total=total or None)
        state["progress"].update(state["task"], completed=done, total=total or None)

    try:
        yield update
    finally:
        if "progress" in state:
            state["progress"].stop()
