"""The Jinja2 environment: sandboxed (reps write templates), strict (a missing field is an error,
never a blank), autoescaped for HTML, and with workspace templates overriding the shipped ones.

Texts that exist in every language (the answers to requests, the full notice) are one shared
template each, `answers/where.txt.j2`, filled with the words of `mail/locales/<lang>.toml`. Their
per-language name, `answers/where.de.txt.j2`, is that template with `lang` and `t` set, unless a file
of that exact name exists (a workspace can so replace one language's answer by its own text)."""

from __future__ import annotations

import re
import time
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    UndefinedError,
)
from jinja2.sandbox import SandboxedEnvironment

from coldmail.errors import TemplateProblem
from coldmail.mail import i18n
from coldmail.mail.grammar import FILTERS


def shipped_templates_dir() -> Path:
    """Templates inside the installed wheel, or the repository's `templates/` in a checkout."""
    packaged = Path(__file__).resolve().parents[1] / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "templates"


def _autoescape(name: str | None) -> bool:
    return bool(name) and name.endswith((".html", ".html.j2", ".htm"))


# Rep templates and the layout are parsed and rendered alike: strict, autoescaped for HTML, same whitespace.
_OPTIONS = dict(undefined=StrictUndefined, autoescape=_autoescape, keep_trailing_newline=True, trim_blocks=True,
                lstrip_blocks=True)

# The directories whose templates come in every language, and the locale table each one reads.
LOCALIZED = {"answers": "answers", "notice": "notice"}
_LOCALIZED_NAME = re.compile(r"^(?P<dir>[a-z_]+)/(?P<stem>[a-z_]+)\.(?P<lang>[A-Za-z]{2}(?:-[A-Za-z]{2})?)\.(?P<ext>\w+\.j2)$")


class LocalizedLoader(BaseLoader):
    """`DIR/NAME.LANG.EXT.j2` as the shared `DIR/NAME.EXT.j2` with `lang` and `t` (the language's
    words) set on its first line, so that line numbers in errors stay those of the shared file."""

    def __init__(self, inner: BaseLoader):
        self.inner = inner

    def get_source(self, environment, template):
        m = _LOCALIZED_NAME.match(template)
        lang = i18n.normalize(m["lang"]) if m and m["dir"] in LOCALIZED else None
        if lang is None or lang != m["lang"]:
            raise TemplateNotFound(template)
        source, filename, uptodate = self.inner.get_source(environment, f"{m['dir']}/{m['stem']}.{m['ext']}")
        prelude = f'{{% set lang = "{lang}" %}}{{% set t = words("{lang}", "{LOCALIZED[m["dir"]]}") %}}'
        return prelude + source, filename, uptodate


def _setup(env: Environment) -> Environment:
    env.filters.update(FILTERS)
    env.filters["localized"] = i18n.localized
    env.filters["months"] = i18n.months
    env.globals["words"] = i18n.words
    return env


@lru_cache(maxsize=8)
def environment(workspace_templates: Path | None = None) -> SandboxedEnvironment:
    loaders = []
    if workspace_templates is not None:
        loaders.append(FileSystemLoader(str(workspace_templates)))
    loaders.append(FileSystemLoader(str(shipped_templates_dir())))
    files = ChoiceLoader(loaders)
    return _setup(SandboxedEnvironment(loader=ChoiceLoader([files, LocalizedLoader(files)]), cache_size=1000,
                                       **_OPTIONS))


@lru_cache(maxsize=1)
def layout_environment() -> Environment:
    """The layout (notice, opt-out, HTML frame) ships with coldmail and cannot be overridden, so it
    is trusted code and renders without the sandbox's per-attribute checks."""
    return _setup(Environment(loader=FileSystemLoader(str(shipped_templates_dir())), auto_reload=False, **_OPTIONS))


def _render(template: Template, context: dict) -> str:
    """`template.render(context)` without its per-call cost: Jinja merges the template's globals,
    a ChainMap, into a new dict and a new set on every render (about 10 us, a third of a short
    template's time). The globals never change after start-up, so they are merged once; the
    template code and, for rep templates, the sandbox's checks run exactly as in `render`."""
    merged = template.__dict__.get("_coldmail_globals")
    if merged is None:
        merged = template._coldmail_globals = dict(template.globals)
    env = template.environment
    ctx = env.context_class(env, {**merged, **context}, template.name, template.blocks)
    return env.concat(template.root_render_func(ctx))


_LAYOUTS: dict[str, Template] = {}


def render_layout(name: str, context: dict) -> str:
    try:
        template = _LAYOUTS.get(name)
        if template is None:
            template = _LAYOUTS[name] = layout_environment().get_template(name)
        return _render(template, context)
    except UndefinedError as exc:
        raise TemplateProblem(f"{name}: {exc.message}") from None


_CACHE: dict[tuple[str, Path | None], tuple[float, object]] = {}
_MISSING_TTL = 2.0  # seconds a "no such template" answer is trusted


def _lookup(name: str, workspace_templates: Path | None):
    """The compiled template, or None when it does not exist. Unlike Jinja's own cache this also
    remembers absence (briefly), and it notices a template edited on disk (one stat per use)."""
    key = (name, workspace_templates)
    hit = _CACHE.get(key)
    now = time.monotonic()
    if hit is not None:
        checked, template = hit
        if template is None and now - checked < _MISSING_TTL:
            return None
        if template is not None and template.is_up_to_date:
            return template
    try:
        template = environment(workspace_templates).get_template(name)
    except TemplateNotFound:
        template = None
    if len(_CACHE) > 2000:
        _CACHE.clear()
    _CACHE[key] = (now, template)
    return template


def render(name: str, context: dict, *, workspace_templates: Path | None = None, who: str = "",
           missing_ok: bool = False) -> str | None:
    """Render one template; errors name the template and, when given, the contact. With
    `missing_ok`, a template that does not exist renders as None instead of an error."""
    try:
        template = _lookup(name, workspace_templates)
        if template is None:
            if missing_ok:
                return None
            raise TemplateProblem(f"no template {name!r}")
        return _render(template, context)
    except UndefinedError as exc:
        target = f" for {who}" if who else ""
        raise TemplateProblem(f"{name}{target}: {exc.message}") from None
    except TemplateError as exc:
        raise TemplateProblem(f"{name}: {exc}") from None


def variables(name: str, *, workspace_templates: Path | None = None) -> set[str]:
    """The variables a template uses that it does not set itself (`templates check` lists them)."""
    from jinja2 import meta

    env = environment(workspace_templates)
    try:
        source, _, _ = env.loader.get_source(env, name)
        return meta.find_undeclared_variables(env.parse(source))
    except TemplateNotFound:
        raise TemplateProblem(f"no template {name!r}") from None
    except TemplateError as exc:
        raise TemplateProblem(f"{name}: {exc}") from None


def template_exists(name: str, *, workspace_templates: Path | None = None) -> bool:
    try:
        return _lookup(name, workspace_templates) is not None
    except TemplateError:
        return False
