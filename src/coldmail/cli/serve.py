"""`coldmail serve`: the HTTP server for the links in our emails (one-click unsubscribe, the
recipient's page). Run it behind a TLS proxy; `init --public-url` names where it is reachable."""

from __future__ import annotations

from typing import Annotated

import typer

from coldmail.cli._common import command, err, ws


@command
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (put a TLS proxy in front).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """Serve one-click unsubscribe (RFC 8058) and each recipient's page until interrupted."""
    from coldmail.web.app import serve as run

    workspace = ws()
    if not workspace.config.controller.public_url:
        err.print("note: no public URL yet; emails link here only after `coldmail init --public-url https://…`",
                  markup=False)
    err.print(f"serving on http://{host}:{port}", markup=False)
    run(workspace, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command()(serve)
