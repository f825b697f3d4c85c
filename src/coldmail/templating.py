"""The Jinja2 environment: sandboxed (reps write templates), strict (a missing field is an error,
never a blank), autoescaped for HTML, and with workspace templates overriding the shipped ones."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment


class TemplateProblem(Exception):
    """A template could not be found or rendered; the message names the template and the cause."""


def shipped_templates_dir() -> Path:
    """Templates inside the installed wheel, or the repository's `templates/` in a checkout."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def _autoescape(name: str | None) -> bool:
    return bool(name) and name.endswith((".html", ".html.j2", ".htm"))


@lru_cache(maxsize=8)
def environment(workspace_templates: Path | None = None) -> SandboxedEnvironment:
    loaders = []
    if workspace_templates is not None:
        loaders.append(FileSystemLoader(str(workspace_templates)))
    loaders.append(FileSystemLoader(str(shipped_templates_dir())))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=_autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(name: str, context: dict, *, workspace_templates: Path | None = None, who: str = "") -> str:
    """Render one template; errors name the template and, when given, the contact."""
    env = environment(workspace_templates)
    try:
        return env.get_template(name).render(context)
    except UndefinedError as exc:
        target = f" for {who}" if who else ""
        raise TemplateProblem(f"{name}{target}: {exc.message}") from None
    except TemplateError as exc:
        raise TemplateProblem(f"{name}: {exc}") from None


def template_exists(name: str, *, workspace_templates: Path | None = None) -> bool:
    env = environment(workspace_templates)
    try:
        env.get_template(name)
    except TemplateError:
        return False
    return True
