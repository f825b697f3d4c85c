"""`coldmail demo`: the whole loop in a minute, in a throwaway workspace.

Import a list with real provenance, send the first step to an SMTP capture server on 127.0.0.1,
then read four replies: a Hebrew "no thanks", an out-of-office, a hard bounce and a "where did you
get my email?". Nothing leaves the machine."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from coldmail.outreach import campaigns
from coldmail.outreach.sending import send_campaign
from coldmail.privacy.controller import init_workspace
from coldmail.prospects.importing import import_csv
from coldmail.prospects.lists import update_list
from coldmail.replies import ingest as replies
from coldmail.store import db
from coldmail.store.config import Sending, save_config
from coldmail.store.models import Message
from coldmail.store.workspace import Workspace, open_workspace

PROSPECTS = """\
email,first_name,last_name,company,role,country,source,source_url,source_public,justification
hana.quartermain@freightly.example,Hana,Quartermain,Freightly,Head of Operations,GB,company website (team page),https://freightly.example/team,yes,Runs operations at a 200-person freight forwarder; route planning is her remit
noa.levi@shipfast.example,Noa,Levi,ShipFast,VP Operations,IL,referral from Dana Cohen (customer),,no,Dana suggested Noa as someone facing the same routing problem
claire.martin@transports-martin.example,Claire,Martin,Transports Martin,Directrice logistique,FR,speaker list of Logistics Paris 2026,https://logistics-paris.example/speakers,yes,Spoke on last-mile planning; our product addresses exactly that
liam.byrne@atlantic-haulage.example,Liam,Byrne,Atlantic Haulage,Fleet Manager,IE,company website (about page),https://atlantic-haulage.example/about,yes,Manages a 60-truck fleet that fits our customer profile
olivia.smith@gone-logistics.example,Olivia,Smith,Gone Logistics,COO,GB,LinkedIn profile,https://linkedin.example/in/oliviasmith,yes,COO of a logistics firm in our target segment
ethan.brooks@midwest-freight.example,Ethan,Brooks,Midwest Freight,Director of Operations,US,trade show attendee list (FreightTech 2026),,no,Visited our stand and asked about route optimisation
"""


@dataclass
class DemoResult:
    home: Path
    sent: int = 0
    captured: list[str] = field(default_factory=list)
    replies: list[replies.ImportedReply] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"Workspace: {self.home}", f"Sent the first step to {self.sent} contacts (captured on 127.0.0.1):"]
        lines += [f"  - {to}" for to in self.captured]
        if self.captured:
            lines.append(f"As they received it (open one in a mail client): {self.home / 'sent'}")
        lines.append("Replies read and acted on:")
        for r in self.replies:
            lines.append(f"  - {r.email}: {r.kind}{'/' + r.request if r.request else ''} -> {r.action}")
        lines.append(f"Open it again: COLDMAIL_HOME={self.home} coldmail")
        return "\n".join(lines)


def _reply(original_id: str, frm: str, subject: str, body: str, headers: dict | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = frm
    msg["To"] = "sam@acme-tools.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<demo-{abs(hash(body))}@client.example>"
    msg["In-Reply-To"] = original_id
    msg["References"] = original_id
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    return msg.as_bytes()


def _bounce(original_id: str, rcpt: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mail Delivery System <MAILER-DAEMON@mx.gone-logistics.example>"
    msg["To"] = "sam@acme-tools.example"
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg["Message-ID"] = "<demo-bounce@mx.gone-logistics.example>"
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(
        "This is the mail system at host mx.gone-logistics.example.\n\n"
        "I'm sorry to have to inform you that your message could not be delivered.\n\n"
        f"<{rcpt}>: host mx.gone-logistics.example said: 550 5.1.1 <{rcpt}>: Recipient address rejected: "
        "User unknown in virtual mailbox table\n"
    )
    msg.add_attachment(f"Message-ID: {original_id}\nTo: {rcpt}\n".encode(), maintype="text", subtype="rfc822-headers")
    return msg.as_bytes()


def build(home: Path | None = None, on_step=None) -> tuple[Workspace, DemoResult]:
    """Create the demo workspace and run the loop. `on_step(text)` reports progress."""
    step = on_step or (lambda text: None)
    home = Path(home or tempfile.mkdtemp(prefix="coldmail-demo-"))
    ws = open_workspace(home)
    init_workspace(ws, company="Acme Tools Ltd", sender_name="Sam Carter", sender_email="sam@acme-tools.example",
                   postal_address="1 Main St, Bristol BS1 4DJ, United Kingdom",
                   privacy_url="https://acme-tools.example/privacy", dpo_email="privacy@acme-tools.example",
                   country="GB")
    # The demo sends at once, whatever the hour: no windows or pacing (your own workspace keeps them).
    ws.config.sending = Sending.unpaced(country_rules=True)
    save_config(ws.home, ws.config)
    step("Importing a list with provenance…")
    csv_path = home / "prospects.csv"
    csv_path.write_text(PROSPECTS, encoding="utf-8")
    update_list(ws, name="freight-ops", purpose="route-planning software for freight and haulage firms",
                geography="UK, IE, FR, IL, US", industry="freight forwarding, haulage", company_size="50-500",
                roles="operations and fleet leaders",
                lia_purpose="Offering a relevant B2B product to the people who run freight operations",
                lia_necessity="Their work email, name and role are the least we need to reach the right person",
                lia_balancing="Professional addresses, role-relevant message, one-word opt-out, no tracking, "
                              "short retention")
    import_csv(ws, path=csv_path, list_name="freight-ops")
    campaigns.create(ws, name="freight-q4", list_name="freight-ops", template="first_touch",
                     follow_ups=["follow_up_1:4", "follow_up_2:7"])
    result = DemoResult(home=home)
    step("Sending the first step to a capture server on 127.0.0.1…")
    from aiosmtpd.controller import Controller

    sent_dir = home / "sent"
    sent_dir.mkdir(exist_ok=True)

    class Capture:
        """Keeps each message as its recipient's server received it, in sent/NN-<recipient>.eml."""

        def __init__(self):
            self.to: list[str] = []

        async def handle_DATA(self, server, session, envelope):
            for rcpt in envelope.rcpt_tos:
                self.to.append(rcpt)
                (sent_dir / f"{len(self.to):02d}-{rcpt}.eml").write_bytes(envelope.original_content or envelope.content)
            return "250 OK"

    capture = Capture()
    port = _free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        summary = asyncio.run(send_campaign(ws, name="freight-q4", smtp_url=f"smtp://127.0.0.1:{port}", caps=False))
    finally:
        controller.stop()
    result.sent, result.captured = summary.sent, list(capture.to)
    step("Reading the replies…")
    ids = _message_ids(ws)
    inbox = home / "inbox"
    inbox.mkdir(exist_ok=True)
    samples = {
        "01-noa.eml": _reply(ids["noa.levi@shipfast.example"], "Noa Levi <noa.levi@shipfast.example>",
                             "Re: A question about ShipFast's operations", "לא תודה\n\nנועה"),
        "02-liam.eml": _reply(ids["liam.byrne@atlantic-haulage.example"], "Liam Byrne <liam.byrne@atlantic-haulage.example>",
                              "Automatic reply: A question about Atlantic Haulage's operations",
                              "Thanks for your email. I'm out of the office and back on 7 December, with limited access "
                              "to email.", {"Auto-Submitted": "auto-replied"}),
        "03-bounce.eml": _bounce(ids["olivia.smith@gone-logistics.example"], "olivia.smith@gone-logistics.example"),
        "04-ethan.eml": _reply(ids["ethan.brooks@midwest-freight.example"],
                               "Ethan Brooks <ethan.brooks@midwest-freight.example>",
                               "Re: A question about Midwest Freight's operations",
                               "Hi Sam, where did you get my email? I don't remember giving it to you.\n\nEthan"),
    }
    for name, raw in samples.items():
        (inbox / name).write_bytes(raw)
    result.replies = replies.import_paths(ws, [inbox])
    step("Done.")
    return ws, result


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _message_ids(ws: Workspace) -> dict[str, str]:
    from sqlalchemy import select

    with db.session_scope(ws.engine, write=False) as session:
        return dict(session.execute(select(Message.to_email, Message.message_id).where(Message.position == 0)).all())
