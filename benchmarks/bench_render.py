"""Rendering 100k complete messages (notice, opt-out, HTML, MIME) against bare Jinja2 rendering.

The reference renders the same templates (the rep's body, the notice, the opt-out and the HTML
layout) for the same contacts with a plain `jinja2.Template.render` loop: no sandbox, no MIME.

    python benchmarks/bench_render.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jinja2

sys.path.insert(0, str(Path(__file__).parent))
from _common import record, tempdir, workspace, write_prospects  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100_000)
    args = ap.parse_args()
    from coldmail.contacts.paging import page
    from coldmail.contacts.views import show_contact
    from coldmail.mail import templating
    from coldmail.mail.rendering import _layout_context, compose, contact_context
    from coldmail.prospects.importing import import_csv
    from coldmail.suppression.register import fingerprint

    with tempdir() as tmp:
        ws = workspace(tmp / "ws")
        import_csv(ws, path=write_prospects(tmp / "p.csv", 1000), list_name="bench")
        contacts = [show_contact(ws, r.email) for r in page(ws, limit=1000)]
        # English-speaking contacts only, so both sides render one notice language.
        contacts = [c for c in contacts if c.country in ("GB", "IE", "US")]
        fps = {c.email: fingerprint(ws.fingerprint_key, c.email) for c in contacts}
        n = args.messages

        # Plain Jinja2 (no sandbox) with the same loaders and filters, so the words files resolve.
        files = jinja2.FileSystemLoader(str(templating.shipped_templates_dir()))
        env = templating._setup(jinja2.Environment(loader=jinja2.ChoiceLoader([files, templating.LocalizedLoader(files)])))
        bare = {name: env.get_template(name)
                for name in ("email/first_touch.txt.j2", "layout/notice.txt.j2",
                             "layout/optout.txt.j2", "layout/message.html.j2")}
        from coldmail.mail import i18n

        contexts = [(contact_context(c, ws.config),
                     {**_layout_context(c, ws.config, "en", fps[c.email]), "t": i18n.words("en", "email")})
                    for c in contacts]
        t = time.perf_counter()
        for i in range(n):
            body_ctx, lay = contexts[i % len(contexts)]
            bare["email/first_touch.txt.j2"].render(body_ctx)
            bare["layout/notice.txt.j2"].render(lay)
            bare["layout/optout.txt.j2"].render(lay)
            bare["layout/message.html.j2"].render(lay, body_html="", notice_blocks=[], optout_blocks=[], subject="")
        ref = time.perf_counter() - t

        t = time.perf_counter()
        total = 0
        for i in range(n):
            c = contacts[i % len(contacts)]
            total += len(compose(template="first_touch", contact=c, config=ws.config, token=fps[c.email]).raw)
        ours = time.perf_counter() - t

        record("Rendering (issue 3)", [
            "| messages | bare Jinja2 render (same 4 templates) | coldmail compose (sandbox + notice + HTML + MIME) | ratio (goal <= 3x) |",
            "|---|---|---|---|",
            f"| {n:,} | {ref:.2f} s ({n / ref:,.0f}/s) | {ours:.2f} s ({n / ours:,.0f}/s, {total / n / 1024:.1f} KiB each) | {ours / ref:.1f}x |",
        ])


if __name__ == "__main__":
    main()
