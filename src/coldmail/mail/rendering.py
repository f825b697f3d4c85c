"""Turning a rep's template and a contact into the exact email that will be sent.

The rep writes the sales text; this module wraps it in a layout the template cannot remove: the
Art. 14 notice for this contact and a separate opt-out (Art. 21(4)), in the contact's language,
plus List-Unsubscribe headers. Rendering is separate from sending (see sending.py).
"""

from __future__ import annotations

import email
import functools
import html
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

from coldmail.addresses import domain_of
from coldmail.contacts.views import ContactView
from coldmail.mail import grammar, i18n, mime, templating
from coldmail.mail.templating import TemplateProblem
from coldmail.store.config import Config
from coldmail.store.models import utcnow

EMAIL_DIR = "email"
_URL = re.compile(r"https?://[^\s<>\"')]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_safe(value: str) -> str:
    """No CR, LF or other control character can reach a header: they could start a new one."""
    return " ".join(_CONTROL.sub(" ", value).split())


@dataclass(frozen=True)
class RenderedTemplate:
    subject: str
    text: str
    html: str | None
    language: str | None = None  # what the template declares (`Language: fr` under the subject)


@dataclass(frozen=True)
class Thread:
    """Where a follow-up sits: the first message's id and the chain so far."""

    in_reply_to: str
    references: tuple[str, ...]


def template_names(workspace_templates: Path | None = None, *, variants: bool = False) -> list[str]:
    """Names of the email templates a rep can use, e.g. `first_touch`; with `variants`, also their
    versions in other languages, e.g. `first_touch.fr` (a contact gets the one in their language)."""
    names: set[str] = set()
    for base in (templating.shipped_templates_dir(), workspace_templates):
        if base and (base / EMAIL_DIR).is_dir():
            for path in (base / EMAIL_DIR).glob("*.txt.j2"):
                name = path.name.removesuffix(".txt.j2")
                stem, _, code = name.rpartition(".")
                if variants or not (stem and i18n.normalize(code) == code):
                    names.add(name)
    return sorted(names)


def contact_context(contact: ContactView, config: Config, extra: dict | None = None) -> dict:
    """What a template can use. Empty fields are left out, so StrictUndefined makes a forgotten
    `| default(...)` an error that names the field, never a silent blank."""
    ctx = {k: getattr(contact, k) for k in ("first_name", "last_name", "company", "role", "country", "website")
           if getattr(contact, k)}
    ctx["email"] = contact.email
    ctrl = config.controller
    ctx.update(
        sender_name=ctrl.sender_name,
        sender_company=ctrl.company,
        sender_email=ctrl.sender_email,
    )
    if extra:
        # Campaign variables are one line of the rep's text (`--var`): a line break could move the
        # rest of a subject into the body, or into a `Language:` line.
        ctx.update({k: header_safe(v) if isinstance(v, str) else v for k, v in extra.items()})
    return ctx


def _split_subject(name: str, text: str) -> tuple[str, str, str | None]:
    """(subject, body, declared language): the first line is `Subject: …`; a `Language: xx` line may follow."""
    first, _, rest = text.partition("\n")
    if not first.lower().startswith("subject:"):
        raise TemplateProblem(f"{name}: the first line must be 'Subject: …'")
    subject = first.split(":", 1)[1].strip()
    if not subject:
        raise TemplateProblem(f"{name}: the subject is empty")
    second, _, after = rest.partition("\n")
    language = None
    if second.lower().startswith("language:"):
        given = second.split(":", 1)[1].strip()
        language = i18n.normalize(given)
        if language is None:
            raise TemplateProblem(f"{name}: unknown language {given!r} (known: {', '.join(i18n.LANGUAGES)})")
        rest = after
    return subject, rest.lstrip("\n"), language


def _versions_to_try(name: str, language: str | None, workspace_templates: Path | None) -> list[str]:
    """`name.<language>` then `name`; but a rep who rewrote `name` in the workspace without writing
    its `name.<language>` there keeps their own text: a shipped translation of the text they
    replaced is not theirs."""
    if not language:
        return [name]
    versioned = f"{name}.{language}"
    if workspace_templates is not None:
        own = workspace_templates / EMAIL_DIR
        if (own / f"{name}.txt.j2").is_file() and not (own / f"{versioned}.txt.j2").is_file():
            return [name]
    return [versioned, name]


def render_template(
    name: str, context: dict, *, workspace_templates: Path | None = None, who: str = "",
    language: str | None = None,
) -> RenderedTemplate:
    """Render `email/<name>.txt.j2` (and `.html.j2` when it exists) for one contact, or its version
    in the contact's `language`, `email/<name>.<language>.txt.j2`, when there is one."""
    rendered = None
    for chosen in _versions_to_try(name, language, workspace_templates):
        txt_name = f"{EMAIL_DIR}/{chosen}.txt.j2"
        rendered = templating.render(txt_name, context, workspace_templates=workspace_templates, who=who,
                                     missing_ok=True)
        if rendered is not None:
            break
    if rendered is None:
        available = ", ".join(template_names(workspace_templates)) or "none"
        raise TemplateProblem(f"no template {name!r} (available: {available})")
    subject, text, language_line = _split_subject(txt_name, rendered)
    # A language version is written in its language, whether or not it says so under the subject.
    language = language_line or (language if chosen != name else None)
    html_body = templating.render(f"{EMAIL_DIR}/{chosen}.html.j2", context, workspace_templates=workspace_templates,
                                  who=who, missing_ok=True)
    return RenderedTemplate(subject=header_safe(subject), text=text.rstrip() + "\n", html=html_body,
                            language=language)


_PARAGRAPHS = re.compile(r"\n\s*\n")


def text_to_html(text: str) -> str:
    """Plain text to simple HTML: escaped, paragraphs kept, bare URLs made clickable (not rewritten)."""
    linked = _URL.sub(r'<a href="\g<0>">\g<0></a>', html.escape(text.strip()))
    paragraphs = [p for p in _PARAGRAPHS.split(linked) if p.strip()]
    return "\n".join(["<p>" + p.replace("\n", "<br>\n") + "</p>" for p in paragraphs])


def _layout_context(contact: ContactView, config: Config, lang: str, token: str) -> dict:
    ctrl = config.controller
    authority, authority_url = i18n.authority_for(contact.country, config.supervisory_authority)
    return {
        "c": ctrl,
        "r": config.retention,
        "lang": lang,
        "rtl": lang in i18n.RTL,
        "justification": contact.justification,
        "source": contact.source,
        # A profile page (LinkedIn...) is data we hold about the person, not where we found them.
        "source_url": "" if grammar.is_profile(contact.source_url) else contact.source_url,
        "source_public": contact.source_public,
        # The fields held, named in the notice by the locale's `fields` (a profile page as "profile").
        "held": list(contact.held()) + (["profile"] if grammar.is_profile(contact.source_url)
                                        and "profile" not in contact.held() else []),
        "purpose": "; ".join(contact.list_purposes),
        "authority": authority,
        "authority_url": authority_url,
        "reply_to": ctrl.sender_email,
        "unsubscribe_link": unsubscribe_link(token, config),
        "page_link": page_link(token, config),
    }


def public_base(config: Config) -> str:
    """The https base URL where `coldmail serve` answers ('' when none is configured)."""
    url = config.controller.public_url.rstrip("/")
    return url if url.startswith("https://") else ""


def unsubscribe_link(token: str, config: Config) -> str:
    """The per-contact https unsubscribe link: `<public_url>/u/<token>` when `coldmail serve` runs,
    else the workspace's own endpoint, else ''. It carries the contact's token (`suppression.tokens`),
    never the address."""
    base = public_base(config)
    if base:
        return f"{base}/u/{token}"
    url = config.controller.unsubscribe_url
    if not url.startswith("https://"):
        return ""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}t={token}"


def page_link(token: str, config: Config) -> str:
    """The recipient's page (why we wrote, the source, what we hold, their buttons), or ''."""
    base = public_base(config)
    return f"{base}/p/{token}" if base else ""


def unsubscribe_headers(token: str, config: Config) -> tuple[str, str | None]:
    """(List-Unsubscribe, List-Unsubscribe-Post or None). The mailto's subject carries the contact's
    token, so that the message a mail client sends for it names the contact whatever its body and
    whichever of the person's addresses it comes from. One-click needs https (RFC 8058)."""
    mailto = f"<mailto:{config.controller.sender_email}?subject={quote('unsubscribe ' + token)}>"
    link = unsubscribe_link(token, config)
    if link:
        return f"<{link}>, {mailto}", "List-Unsubscribe=One-Click"
    return mailto, None


def _footer(lay: dict, contact: ContactView, *, language: str | None,
            declared: str | None) -> tuple[list[str], list[str], list[str]]:
    """(languages, notices, opt-outs) under the rep's text.

    One language per email when the template declares one (or the caller asks for one), and always
    when a public URL is set; there the notice is the short first layer (who, from where, why this
    person, the source, where the rest is) and the full Art. 14 notice is on the recipient's page.
    With neither, the contact's language is followed by English, as the shipped English templates need."""
    lang = i18n.language_for(contact.country, language or declared)
    layered = bool(lay["page_link"])
    langs = [lang] if language or declared or layered or lang == "en" else [lang, "en"]
    notices, optouts = [], []
    for code in langs:
        code_lay = {**lay, "lang": code, "rtl": code in i18n.RTL, "t": i18n.words(code, "email")}
        kind = "short" if layered else "notice"
        notices.append(templating.render_layout(f"layout/{kind}.txt.j2", code_lay).strip())
        optouts.append(templating.render_layout("layout/optout.txt.j2", code_lay).strip())
    return langs, notices, optouts


@dataclass(frozen=True)
class Composed:
    """A rendered message on the wire: the bytes to send and what the sender needs to record."""

    raw: bytes
    message_id: str
    to: str
    subject: str

    def as_email(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=policy.default)


def compose(
    *,
    template: str,
    contact: ContactView,
    config: Config,
    token: str,
    workspace_templates: Path | None = None,
    language: str | None = None,
    message_id: str | None = None,
    thread: Thread | None = None,
    now: datetime | None = None,
    extra: dict | None = None,
) -> Composed:
    """The complete message for one contact, exactly as it will be sent."""
    ctrl = config.controller
    if not ctrl.configured:
        raise TemplateProblem("no controller identity yet: run `coldmail init` first")
    ctx = contact_context(contact, config, extra)
    body = render_template(template, ctx, workspace_templates=workspace_templates, who=contact.email,
                           language=i18n.language_for(contact.country, language))
    lay = _layout_context(contact, config, i18n.language_for(contact.country, language), token)
    langs, notices, optouts = _footer(lay, contact, language=language, declared=body.language)
    text = f"{body.text}\n" + "\n\n".join(optouts) + "\n\n-- \n" + "\n\n".join(notices) + "\n"
    body_html = body.html if body.html is not None else text_to_html(body.text)
    # The language the email is written in: the template's, else (undeclared) the notice's.
    written_in = body.language or langs[0]
    html_doc = templating.render_layout(
        "layout/message.html.j2",
        {
            **lay,
            "lang": written_in,
            "rtl": written_in in i18n.RTL,
            # Already escaped: the rep's HTML template is autoescaped, text_to_html escapes.
            "body_html": Markup(body_html),
            "notice_blocks": [
                {"lang": code, "rtl": code in i18n.RTL, "html": Markup(text_to_html(n))}
                for code, n in zip(langs, notices, strict=True)
            ],
            "optout_blocks": [
                {"lang": code, "rtl": code in i18n.RTL, "html": Markup(text_to_html(o))}
                for code, o in zip(langs, optouts, strict=True)
            ],
            "subject": body.subject,
        },
    )
    msgid = message_id or make_msgid(domain=domain_of(ctrl.sender_email))
    headers = [
        mime.address("From", header_safe(ctrl.sender_name), ctrl.sender_email),
        mime.address("To", header_safe(contact.name), contact.email),
        mime.unstructured("Subject", body.subject),
        mime.raw_header("Date", format_datetime(now or utcnow())),
        mime.raw_header("Message-ID", msgid),
    ]
    if thread is not None:
        headers.append(mime.raw_header("In-Reply-To", thread.in_reply_to))
        headers.append(mime.raw_header("References", " ".join(thread.references)))
    unsub, post = unsubscribe_headers(token, config)
    headers.append(mime.raw_header("List-Unsubscribe", unsub))
    if post:
        headers.append(mime.raw_header("List-Unsubscribe-Post", post))
    headers.append(mime.raw_header("Content-Language", ", ".join(langs)))
    raw = mime.build(headers, text, html_doc)
    if config.dkim.selector and config.dkim.key_path:
        raw = dkim_sign(raw, config, signed=["From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe"]
                        + (["List-Unsubscribe-Post"] if post else []) + (["In-Reply-To", "References"] if thread else []))
    return Composed(raw=raw, message_id=msgid, to=contact.email, subject=body.subject)


@functools.lru_cache(maxsize=4)
def _private_key(path: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise TemplateProblem(f"[dkim] key_path {path}: {exc.strerror or exc}") from None


def dkim_sign(raw: bytes, config: Config, *, signed: list[str]) -> bytes:
    """Prepend a DKIM-Signature (dkimpy, rsa-sha256, relaxed/relaxed) over the listed headers."""
    import dkim

    d = config.dkim
    domain = d.domain or domain_of(config.controller.sender_email)
    try:
        sig = dkim.sign(raw, d.selector.encode(), domain.encode(), _private_key(d.key_path),
                        canonicalize=(b"relaxed", b"relaxed"), include_headers=[h.encode() for h in signed])
    except dkim.DKIMException as exc:
        raise TemplateProblem(f"DKIM signing failed: {exc}") from None
    return sig.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + raw


def build_message(**kwargs) -> EmailMessage:
    """`compose` as an `email.message.EmailMessage` (parsed from the exact bytes that are sent)."""
    return compose(**kwargs).as_email()


def render_for(ws, **kwargs) -> EmailMessage:
    """Load the contact and build its message: what `coldmail render` prints and the TUI previews."""
    return compose_for(ws, **kwargs).as_email()


def suppressed_note(ws, email: str) -> str | None:
    """What a preview of a message to `email` must say first when the address or its domain is
    suppressed: the message is shown, but no path sends it."""
    from coldmail.suppression import register

    found = register.check(ws, email)
    if found is None:
        return None
    what = f"the domain {found.domain}" if found.domain else email
    return (f"{what} is suppressed since {found.since:%Y-%m-%d} ({found.reason}): "
            "this message would not be sent")


def compose_for(
    ws,
    *,
    template: str,
    email: str,
    language: str | None = None,
    thread: Thread | None = None,
    message_id: str | None = None,
    now: datetime | None = None,
    extra: dict | None = None,
) -> Composed:
    """Load the contact and compose its message."""
    from coldmail.contacts.views import load_contact
    from coldmail.errors import NotFound
    from coldmail.store import db
    from coldmail.suppression import tokens

    with db.session_scope(ws.engine, write=False) as session:
        contact = load_contact(session, ws.fingerprint_key, email)
    if contact is None:
        raise NotFound(f"no contact {email!r}")
    return compose(
        template=template,
        contact=contact,
        config=ws.config,
        token=tokens.issue(ws.fingerprint_key, contact.id),
        workspace_templates=ws.home / "templates",
        language=language,
        message_id=message_id,
        thread=thread,
        now=now,
        extra=extra,
    )
