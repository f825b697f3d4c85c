"""`coldmail templates check`: catch what would make a template fail, look like spam, or pressure people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import TemplateError

from coldmail.mail import templating
from coldmail.mail.rendering import EMAIL_DIR, template_names

ALWAYS_DEFINED = {"email", "sender_name", "sender_company", "sender_email"}
CONTACT_OPTIONAL = {"first_name", "last_name", "company", "role", "country", "website"}
CAMPAIGN_OPTIONAL = {"topic", "value_proposition", "campaign", "previous_subject"}

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


def check_source(name: str, source: str) -> list[LintIssue]:
    issues: list[LintIssue] = []
    env = templating.environment(None)
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [LintIssue(name, exc.lineno or 1, "error", f"syntax error: {exc.message}")]
    guarded = _guarded_names(ast)
    inside_if_defined = _names_in_defined_tests(ast)
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    known = ALWAYS_DEFINED | CONTACT_OPTIONAL | CAMPAIGN_OPTIONAL
    for n in ast.find_all(nodes.Name):
        if n.ctx != "load" or n.name in assigned:
            continue
        if n.name not in known:
            issues.append(LintIssue(name, n.lineno, "error", f"undefined variable {n.name!r}"))
        elif n.name in CONTACT_OPTIONAL | CAMPAIGN_OPTIONAL and id(n) not in guarded and n.name not in inside_if_defined:
            issues.append(LintIssue(
                name, n.lineno, "error",
                f"{n.name!r} is not set for every contact: write {{{{ {n.name} | default(\"…\") }}}}",
            ))
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


def needs(name: str, workspace_templates: Path | None = None) -> dict[str, list[str]]:
    """The variables template `name` uses, by where each comes from: the contact's record, the
    sender's identity, or the campaign (`campaign create --var k=v`); `other` is none of these."""
    used: set[str] = set()
    for suffix in (".txt.j2", ".html.j2"):
        full = f"email/{name}{suffix}"
        if templating.template_exists(full, workspace_templates=workspace_templates):
            used |= templating.variables(full, workspace_templates=workspace_templates)
    groups = {"contact": CONTACT_OPTIONAL | {"email"}, "sender": ALWAYS_DEFINED - {"email"},
              "campaign": CAMPAIGN_OPTIONAL}
    out = {group: sorted(used & names) for group, names in groups.items()}
    out["other"] = sorted(used - set().union(*groups.values()))
    return out
