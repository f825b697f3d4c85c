"""`coldmail templates check`: catch what would make a template fail, look like spam, or pressure people."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.exceptions import TemplateError

from coldmail.mail import templating
from coldmail.mail.rendering import EMAIL_DIR, template_names

ALWAYS_DEFINED = {"email", "sender_name", "sender_company", "sender_email"}
CONTACT_OPTIONAL = {"first_name", "last_name", "company", "role", "country", "website"}
# Campaign variables are any other names: these are the usual ones (`campaign` is the campaign's
# name, which every campaign sets); a rep may use their own (`campaign create --var event=…`).
CAMPAIGN_OPTIONAL = {"topic", "value_proposition", "campaign", "previous_subject"}
SET_BY_CAMPAIGN = {"campaign"}
# Words Jinja reads as literals or operators: never a variable.
JINJA_WORDS = {"true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if", "else"}

SPAM_PHRASES = (
    "100% free", "free!!", "act now", "click here", "buy now", "risk-free", "risk free", "no obligation!!",
    "guaranteed", "winner", "congratulations", "cash bonus", "earn money", "make money", "double your",
    "dear friend", "this is not spam", "unsubscribe is not", "100% satisfied", "order now", "special promotion",
    "$$$", "once in a lifetime", "miracle",
)
FAKE_URGENCY = (
    "act now", "last chance", "only today", "today only", "expires tonight", "expires today", "urgent",
    "limited time", "don't miss out", "do not miss out", "hurry", "before it's too late", "final notice",
    "only a few spots", "immediate action", "respond immediately", "asap!",
)


@dataclass(frozen=True)
class LintIssue:
    template: str
    line: int
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.severity}: {self.message}"


def _guarded_names(ast: nodes.Template) -> set[int]:
    """ids of Name nodes protected by `| default(...)` or an `is defined` test."""
    guarded: set[int] = set()
    for f in ast.find_all(nodes.Filter):
        if f.name in ("default", "d") and isinstance(f.node, nodes.Name):
            guarded.add(id(f.node))
    for t in ast.find_all(nodes.Test):
        if t.name in ("defined", "undefined") and isinstance(t.node, nodes.Name):
            guarded.add(id(t.node))
    return guarded


def _names_in_defined_tests(ast: nodes.Template) -> set[str]:
    return {t.node.name for t in ast.find_all(nodes.Test)
            if t.name == "defined" and isinstance(t.node, nodes.Name)}


def reserved_names() -> set[str]:
    """Names a campaign variable cannot take: the contact's and sender's fields, the campaign's
    name, Jinja's globals and literals."""
    return ALWAYS_DEFINED | CONTACT_OPTIONAL | SET_BY_CAMPAIGN | set(templating.environment(None).globals) | JINJA_WORDS


def _uses(ast: nodes.Template) -> dict[str, tuple[int, bool]]:
    """The variables a template reads from its context (not its own `set`, loop variables or
    Jinja's globals): name -> (first line, whether some use has no default and no `is defined`)."""
    free = meta.find_undeclared_variables(ast) - set(templating.environment(None).globals)
    guarded = _guarded_names(ast)
    inside_if_defined = _names_in_defined_tests(ast)
    out: dict[str, tuple[int, bool]] = {}
    for n in ast.find_all(nodes.Name):
        if n.ctx != "load" or n.name not in free:
            continue
        bare = id(n) not in guarded and n.name not in inside_if_defined
        line, was_bare = out.get(n.name, (n.lineno, False))
        out[n.name] = (min(line, n.lineno), was_bare or bare)
    return out


def _is_campaign_variable(name: str) -> bool:
    return name not in ALWAYS_DEFINED | CONTACT_OPTIONAL


def check_source(name: str, source: str) -> list[LintIssue]:
    issues: list[LintIssue] = []
    env = templating.environment(None)
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [LintIssue(name, exc.lineno or 1, "error", f"syntax error: {exc.message}")]
    fields = sorted(ALWAYS_DEFINED | CONTACT_OPTIONAL)
    for var, (line, bare) in sorted(_uses(ast).items()):
        if var in CONTACT_OPTIONAL and bare:
            issues.append(LintIssue(
                name, line, "error", f"{var!r} is not set for every contact: write {{{{ {var} | default(\"…\") }}}}"))
        elif not _is_campaign_variable(var) or var in SET_BY_CAMPAIGN:
            continue
        elif close := difflib.get_close_matches(var, fields, n=1, cutoff=0.8):
            issues.append(LintIssue(name, line, "error", f"undefined variable {var!r}: did you mean {close[0]!r}?"))
        elif not bare:
            continue  # an optional campaign variable: `templates check` lists it
        elif var not in CAMPAIGN_OPTIONAL:
            issues.append(LintIssue(
                name, line, "warning",
                f"undefined variable {var!r}: not a contact or sender field, so each campaign using this template "
                f"must give it (`campaign create --var {var}=…`)"))
        else:
            issues.append(LintIssue(
                name, line, "warning",
                f"campaign variable {var!r} has no default: each campaign using this template must give "
                f"`--var {var}=…` (or write {{{{ {var} | default(\"…\") }}}})"))
    lines = source.splitlines()
    first = lines[0] if lines else ""
    if not first.lower().startswith("subject:") or not first.split(":", 1)[1].strip():
        issues.append(LintIssue(name, 1, "error", "missing subject: the first line must be 'Subject: …'"))
    else:
        subject = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", first.split(":", 1)[1])
        letters = [ch for ch in subject if ch.isalpha()]
        if len(letters) >= 6 and sum(ch.isupper() for ch in letters) / len(letters) > 0.7:
            issues.append(LintIssue(name, 1, "warning", "subject is in capitals; it reads as shouting and as spam"))
        if "!!" in subject or subject.strip().endswith("!"):
            issues.append(LintIssue(name, 1, "warning", "exclamation marks in the subject look like spam"))
    for lineno, line in enumerate(lines, 1):
        folded = line.lower()
        for phrase in SPAM_PHRASES:
            if phrase in folded:
                issues.append(LintIssue(name, lineno, "warning", f"spam-trigger phrasing: {phrase!r}"))
        for phrase in FAKE_URGENCY:
            if phrase in folded:
                issues.append(LintIssue(
                    name, lineno, "warning", f"fake urgency: {phrase!r} pressures people; say what is true instead"
                ))
    return sorted(set(issues), key=lambda i: (i.line, i.message))


def check_all(workspace_templates: Path | None = None, names: list[str] | None = None) -> dict[str, list[LintIssue]]:
    env = templating.environment(workspace_templates)
    result: dict[str, list[LintIssue]] = {}
    for tname in names or template_names(workspace_templates, variants=True):
        path = f"{EMAIL_DIR}/{tname}.txt.j2"
        try:
            source, filename, _ = env.loader.get_source(env, path)
        except TemplateError:
            result[tname] = [LintIssue(tname, 0, "error", "no such template")]
            continue
        result[tname] = check_source(filename or path, source)
    return result


def versions(name: str, workspace_templates: Path | None = None) -> list[str]:
    """`name` and its versions in other languages (`first_touch.fr`): a campaign step may use any."""
    return [name] + [v for v in template_names(workspace_templates, variants=True) if v.rpartition(".")[0] == name]


def _file_uses(name: str, workspace_templates: Path | None) -> dict[str, tuple[int, bool]]:
    """What `_uses` finds in the text and HTML parts of template `name` (one version)."""
    env = templating.environment(workspace_templates)
    out: dict[str, tuple[int, bool]] = {}
    for suffix in (".txt.j2", ".html.j2"):
        try:
            source, _, _ = env.loader.get_source(env, f"{EMAIL_DIR}/{name}{suffix}")
            ast = env.parse(source)
        except TemplateError:
            continue  # no such part, or a syntax error `check_all` reports
        for var, (line, bare) in _uses(ast).items():
            out[var] = (line, bare or out.get(var, (0, False))[1])
    return out


def campaign_variables(name: str, workspace_templates: Path | None = None) -> dict[str, bool]:
    """The campaign variables template `name` uses, in any of its versions and parts: name ->
    required (used somewhere without a default or an `is defined` guard). `campaign`, which every
    campaign sets, is left out."""
    out: dict[str, bool] = {}
    for version in versions(name, workspace_templates):
        for var, (_, bare) in _file_uses(version, workspace_templates).items():
            if _is_campaign_variable(var) and var not in SET_BY_CAMPAIGN:
                out[var] = out.get(var, False) or bare
    return dict(sorted(out.items()))


def missing_variables(name: str, given, workspace_templates: Path | None = None) -> list[str]:
    """The campaign variables template `name` requires that are not among `given`."""
    return [var for var, required in campaign_variables(name, workspace_templates).items()
            if required and var not in given]


def needs(name: str, workspace_templates: Path | None = None) -> dict[str, list[str]]:
    """The variables template `name` uses, by where each comes from: the contact's record, the
    sender's identity, or the campaign (`campaign create --var k=v`, and `campaign`, its name)."""
    used: set[str] = set()
    for version in versions(name, workspace_templates):
        used |= set(_file_uses(version, workspace_templates))
    groups = {"contact": CONTACT_OPTIONAL | {"email"}, "sender": ALWAYS_DEFINED - {"email"}}
    out = {group: sorted(used & names) for group, names in groups.items()}
    out["campaign"] = sorted(used - set().union(*groups.values()))
    return out
