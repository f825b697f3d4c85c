"""The Starlette app behind `coldmail serve`.

  GET  /u/<token>            a confirmation page with a button: a GET never unsubscribes (link scanners)
  POST /u/<token>            RFC 8058 one-click (`List-Unsubscribe=One-Click`): suppressed at once, 200
  GET  /p/<token>            the recipient's page: who wrote and why, the source, what we hold, rights
  POST /p/<token>/stop       objection: suppressed at once                      (CSRF-checked)
  POST /p/<token>/copy       the Art. 15 copy as a JSON download                (CSRF-checked)
  GET  /p/<token>/erase      a confirmation step
  POST /p/<token>/erase      erasure, keeping the suppression fingerprint       (CSRF-checked)

A malformed, forged or unknown token gets the same 404 as any unknown path.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from coldmail.mail.templating import shipped_templates_dir
from coldmail.privacy.export import dumps
from coldmail.store.workspace import Workspace
from coldmail.web import pages, recipient, security

NOT_FOUND = "Not found\n"
MAX_BODY = 4096


def create_app(ws: Workspace, *, per_ip: int = 120, per_token: int = 30, window: float = 60.0) -> Starlette:
    by_ip = security.RateLimiter(per_ip, window)
    by_token = security.RateLimiter(per_token, window)
    key = ws.fingerprint_key

    def not_found() -> Response:
        return PlainTextResponse(NOT_FOUND, status_code=404)

    def client(request: Request) -> str:
        # Behind the TLS proxy, uvicorn (proxy_headers, trusting 127.0.0.1 only) has already put the
        # proxy's X-Forwarded-For here; a header sent by anyone else is not believed.
        return request.client.host if request.client else "?"

    def limited(request: Request, token: str) -> bool:
        return not (by_ip.allow(client(request)) and by_token.allow(token[:64]))

    async def form(request: Request) -> dict[str, str] | None:
        body = await request.body()
        if len(body) > MAX_BODY:
            return None
        from urllib.parse import parse_qsl

        return dict(parse_qsl(body.decode("utf-8", "replace")))

    def html(request: Request, name: str, who, *, status: int = 200, **ctx) -> Response:
        lang = pages.language(who, request.query_params.get("lang"))
        nonce = request.cookies.get(security.CSRF_COOKIE) or security.new_nonce()
        ctx.setdefault("csrf", security.csrf_token(key, nonce, who.token) if who else "")
        body = pages.render(name, ws=ws, lang=lang, token=who.token if who else "", **ctx)
        response = HTMLResponse(body, status_code=status)
        secure = request.headers.get("x-forwarded-proto", request.url.scheme) == "https"
        response.set_cookie(security.CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=secure,
                            path="/")
        return response

    def page_for(request: Request, who, **ctx) -> Response:
        if who.contact is None:
            return html(request, "suppressed.html.j2", who)
        lang = pages.language(who, request.query_params.get("lang"))
        return html(request, "page.html.j2", who, **pages.page_context(ws, who, lang), **ctx)

    async def lookup(request: Request):
        token = request.path_params["token"]
        if limited(request, token):
            return None, PlainTextResponse("Too many requests\n", status_code=429)
        who = await run_in_threadpool(recipient.resolve, ws, token)
        return who, (not_found() if who is None else None)

    async def checked_form(request: Request, who) -> dict[str, str] | None:
        data = await form(request)
        if data is None or not security.same_origin(request.headers):
            return None
        nonce = request.cookies.get(security.CSRF_COOKIE)
        return data if security.csrf_ok(key, nonce, who.token, data.get("csrf")) else None

    async def unsubscribe(request: Request) -> Response:
        who, refusal = await lookup(request)
        if refusal is not None:
            return refusal
        if request.method == "GET":
            return html(request, "unsubscribe.html.j2", who, done=False)
        data = await form(request)
        if data is None or data.get("List-Unsubscribe") != "One-Click":
            return PlainTextResponse("Expected List-Unsubscribe=One-Click\n", status_code=400)
        await run_in_threadpool(recipient.stop, ws, who, reason=recipient.ONE_CLICK_REASON)
        return html(request, "unsubscribe.html.j2", who, done=True)

    async def page(request: Request) -> Response:
        who, refusal = await lookup(request)
        return refusal or await run_in_threadpool(page_for, request, who, done="")

    async def stop(request: Request) -> Response:
        who, refusal = await lookup(request)
        if refusal is not None:
            return refusal
        if await checked_form(request, who) is None:
            return PlainTextResponse("Forbidden\n", status_code=403)
        await run_in_threadpool(recipient.stop, ws, who, reason=recipient.OBJECTION_REASON)
        who = await run_in_threadpool(recipient.resolve, ws, who.token)
        return await run_in_threadpool(page_for, request, who, done="stopped")

    async def copy(request: Request) -> Response:
        who, refusal = await lookup(request)
        if refusal is not None:
            return refusal
        if await checked_form(request, who) is None:
            return PlainTextResponse("Forbidden\n", status_code=403)
        data = await run_in_threadpool(recipient.copy, ws, who)
        if data is None:
            return page_for(request, who)
        return Response(dumps(data), media_type="application/json; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="my-data.json"'})

    async def erase(request: Request) -> Response:
        who, refusal = await lookup(request)
        if refusal is not None:
            return refusal
        if who.contact is None:
            return html(request, "suppressed.html.j2", who)
        if request.method == "GET":
            return html(request, "erase.html.j2", who)
        if await checked_form(request, who) is None:
            return PlainTextResponse("Forbidden\n", status_code=403)
        await run_in_threadpool(recipient.forget, ws, who)
        return html(request, "suppressed.html.j2", who, erased=True)

    async def stylesheet(request: Request) -> Response:
        return FileResponse(shipped_templates_dir() / "web" / "page.css", media_type="text/css")

    async def missing(request: Request, exc: Exception) -> Response:
        return not_found()

    routes = [
        Route("/u/{token}", unsubscribe, methods=["GET", "POST"]),
        Route("/p/{token}", page, methods=["GET"]),
        Route("/p/{token}/stop", stop, methods=["POST"]),
        Route("/p/{token}/copy", copy, methods=["POST"]),
        Route("/p/{token}/erase", erase, methods=["GET", "POST"]),
        Route("/static/page.css", stylesheet, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: missing, 405: missing})
    app.add_middleware(security.SecurityHeaders)
    return app


def serve(ws: Workspace, *, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run until interrupted (uvicorn handles SIGINT and SIGTERM)."""
    import uvicorn

    uvicorn.run(create_app(ws), host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                log_level="warning", access_log=False, server_header=False)
