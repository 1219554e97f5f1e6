"""The workbench's web application (FastAPI): a JSON API over :class:`~.session.Workbench`, the editor page
(``/``), the read-only presentation page (``/presentatie``) and the comparison of two scenarios (``/vergelijk``).

Every request is validated (pydantic models, a body limit of :data:`BODY_LIMIT` bytes); every refusal is a 4xx
answer ``{"error": "<one Dutch sentence>"}``, and even an unexpected failure answers one sentence, never a
traceback. With an access token (needed for any host but 127.0.0.1) a request must carry it: once as
``?token=...`` (the answer sets a cookie), then the cookie or the ``X-Sessie-Token`` header.
"""

from __future__ import annotations

import hmac
import json
import logging
from importlib import resources
from typing import Any, Literal

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..interrupts import handled
from ..report.compare import compare, entry_from_labels, load_plan, render_html
from ..report.maps import leaflet_assets
from ..text import workbench_text
from .session import PlanState, SessionError, Workbench

BODY_LIMIT = 64_000  # bytes of a request body (a note of NOTE_LIMIT characters fits, in any script)
TOKEN_COOKIE = "sessie_token"
TOKEN_HEADER = "x-sessie-token"
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- request bodies


class Body(BaseModel):
    """Every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class MoveBody(Body):
    """Move (or preview moving) buurt ``buurt`` to area index ``area``."""

    buurt: str = Field(max_length=40)
    area: int


class LockBody(Body):
    """Lock (``locked``) or release one buurt or one whole area; exactly one of ``buurt`` and ``area``."""

    buurt: str | None = Field(default=None, max_length=40)
    area: int | None = None
    locked: bool


class RenameBody(Body):
    """Give area index ``area`` the name ``name``."""

    area: int
    name: str = Field(max_length=1000)


class NoteBody(Body):
    """The note of an area (``kind="area"``, ``target`` its index) or a buurt (``target`` its code); empty removes it."""

    kind: Literal["area", "buurt"]
    target: str | int
    text: str


class SaveBody(Body):
    """Save the scenario as scenario folder ``name`` (``force`` replaces an existing one)."""

    name: str = Field(max_length=200)
    force: bool = False


class OpenBody(Body):
    """Open scenario ``name`` (from the session, else its saved plan.csv)."""

    name: str = Field(max_length=200)


# ---------------------------------------------------------------- middleware


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class BodyLimit:
    """Refuse request bodies above ``limit`` bytes with 413 and one sentence, before any handler reads them."""

    def __init__(self, app: ASGIApp, limit: int = BODY_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the whole body (up to the limit), then pass it on as one message."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _error(413, workbench_text("body_too_large", limit=self.limit))(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class TokenGuard:
    """With a token: refuse (403) requests that carry neither the cookie, the header nor ``?token=``."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token; a correct ``?token=`` also sets the cookie."""
        if scope["type"] != "http" or self.token is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        given = request.query_params.get("token") or request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE) or ""
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            await _error(403, workbench_text("forbidden"))(scope, receive, send)
            return
        if request.query_params.get("token"):
            async def send_cookie(message: Message) -> None:
                if message["type"] == "http.response.start":
                    cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                    message["headers"] = list(message.get("headers", [])) + [(b"set-cookie", cookie.encode())]
                await send(message)

            await self.app(scope, receive, send_cookie)
            return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- static files and geometry


def static_text(name: str) -> str:
    """A file of ``wijkindeling/workbench/static``."""
    return resources.files("wijkindeling.workbench").joinpath("static").joinpath(name).read_text(encoding="utf-8")


def buurt_geojson(bench: Workbench) -> dict[str, Any]:
    """The buurten as GeoJSON in WGS84 (lightly simplified), with code, name and inhabitants; strings unescaped
    (the page writes them with ``textContent``)."""
    buurten = bench.base.buurten
    assert buurten is not None, "the problem has no buurt geometries"
    geoms = buurten.geometry.simplify(2.0).to_crs("EPSG:4326")
    feats = []
    for i, (code, geom) in enumerate(zip(buurten["buurtcode"], geoms)):
        u = bench.index[code]
        feats.append({"type": "Feature", "id": i, "geometry": geom.__geo_interface__,
                      "properties": {"code": code, "name": bench.base.names[u], "population": int(bench.base.population[u])}})
    return {"type": "FeatureCollection", "features": feats}


def _comparison_entry(bench: Workbench, name: str) -> Any:
    """A scenario for ``compare``: the session's current state when it has it, else its saved plan.csv."""
    if bench.store.has(name):
        state = PlanState.from_json(bench.store.state(name), bench.codes)
        problem = bench.problem_of(state)
        return entry_from_labels(problem, np.asarray(state.labels), name, list(state.names))
    path = bench.scenario_folder(name) / "plan.csv"
    if not path.exists():
        raise SessionError(404, "scenario_not_found", name=name, folder=path.parent.parent)
    return load_plan(bench.base, str(path), name)


# ---------------------------------------------------------------- the app


def create_app(bench: Workbench, token: str | None = None) -> FastAPI:
    """The web application for one session.

    Parameters
    ----------
    bench : Workbench
        The session, with an active scenario (:meth:`Workbench.start`).
    token : str, optional
        The access token every request must carry; None on 127.0.0.1.

    Returns
    -------
    fastapi.FastAPI
    """
    app = FastAPI(title="wijkindeling sessie", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.bench = bench
    geometry = json.dumps(buurt_geojson(bench), ensure_ascii=False)
    css, js = leaflet_assets()

    @app.exception_handler(SessionError)
    async def session_error(request: Request, err: SessionError) -> JSONResponse:
        return _error(err.status, err.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        errors = err.errors()
        if any(e.get("type") == "json_invalid" for e in errors) or any(e.get("type") == "model_attributes_type" for e in errors):
            return _error(422, workbench_text("bad_json"))
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return _error(422, workbench_text("bad_request", detail=f"veld '{where}': {first.get('msg', '')}"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        key = "not_found" if err.status_code == 404 else "bad_json"
        return _error(err.status_code, workbench_text(key))

    @app.exception_handler(Exception)
    async def failure(request: Request, err: Exception) -> JSONResponse:
        log.exception("workbench request failed")
        return _error(500, "Er ging iets mis in de server; de sessie is niet veranderd. Herlaad de pagina en probeer het opnieuw.")

    def page() -> HTMLResponse:
        return HTMLResponse(static_text("index.html"), headers={"Cache-Control": "no-store"})

    @app.get("/")
    def editor() -> HTMLResponse:
        return page()

    @app.get("/presentatie")
    def presentation() -> HTMLResponse:
        return page()

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        files = {"app.js": ("application/javascript", lambda: static_text("app.js")),
                 "style.css": ("text/css", lambda: static_text("style.css")),
                 "leaflet.js": ("application/javascript", lambda: js), "leaflet.css": ("text/css", lambda: css)}
        if name not in files:
            raise SessionError(404, "not_found")
        media, content = files[name]
        return Response(content(), media_type=media, headers={"Cache-Control": "no-cache"})

    @app.get("/api/geometry")
    def geometry_json() -> Response:
        return Response(geometry, media_type="application/json")

    @app.get("/api/state")
    def state() -> dict[str, Any]:
        return bench.view()

    @app.get("/api/version")
    def version() -> dict[str, Any]:
        job = bench.job.view() if bench.job is not None else None
        return {"version": bench.store.version(), "active": bench.store.active(), "job": job}

    @app.get("/api/scenarios")
    def scenarios() -> dict[str, Any]:
        return {"active": bench.store.active(), "scenarios": bench.saved_scenarios()}

    @app.post("/api/open")
    def open_scenario(body: OpenBody) -> dict[str, Any]:
        bench.open(body.name)
        return bench.view()

    @app.post("/api/s/{scenario}/move")
    def move(scenario: str, body: MoveBody) -> dict[str, Any]:
        return bench.move(scenario, body.buurt, body.area)

    @app.post("/api/s/{scenario}/preview")
    def preview(scenario: str, body: MoveBody) -> dict[str, Any]:
        return bench.preview(scenario, body.buurt, body.area)

    @app.post("/api/s/{scenario}/undo")
    def undo(scenario: str) -> dict[str, Any]:
        return bench.undo(scenario)

    @app.post("/api/s/{scenario}/redo")
    def redo(scenario: str) -> dict[str, Any]:
        return bench.redo(scenario)

    @app.post("/api/s/{scenario}/lock")
    def lock(scenario: str, body: LockBody) -> dict[str, Any]:
        if (body.buurt is None) == (body.area is None):
            raise SessionError(422, "bad_request", detail="geef precies één van 'buurt' en 'area'")
        if body.buurt is not None:
            return bench.lock_buurt(scenario, body.buurt, body.locked)
        assert body.area is not None
        return bench.lock_area(scenario, body.area, body.locked)

    @app.post("/api/s/{scenario}/rename")
    def rename(scenario: str, body: RenameBody) -> dict[str, Any]:
        return bench.rename(scenario, body.area, body.name)

    @app.post("/api/s/{scenario}/note")
    def note(scenario: str, body: NoteBody) -> dict[str, Any]:
        if body.kind == "area" and not isinstance(body.target, int):
            try:
                target: str | int = int(body.target)
            except ValueError:
                raise SessionError(422, "bad_request", detail="'target' van een gebiedsnotitie is een gebiedsnummer") from None
        else:
            target = body.target
        return bench.set_note(scenario, body.kind, target, body.text)

    @app.get("/api/s/{scenario}/suggest")
    def suggest(scenario: str) -> dict[str, Any]:
        return {"moves": bench.suggest(scenario)}

    @app.post("/api/s/{scenario}/optimise")
    def optimise(scenario: str) -> dict[str, Any]:
        return bench.start_optimise(scenario)

    @app.get("/api/job")
    def job() -> dict[str, Any]:
        return {"job": bench.job.view() if bench.job is not None else None}

    @app.post("/api/job/cancel")
    def cancel() -> dict[str, Any]:
        return bench.cancel()

    @app.post("/api/s/{scenario}/save")
    def save(scenario: str, body: SaveBody) -> dict[str, Any]:
        folder = bench.save(scenario, body.name, body.force)
        return {"folder": str(folder), "scenario": body.name, "state": bench.view()}

    @app.get("/vergelijk")
    def compare_page(a: str, b: str) -> HTMLResponse:
        entries = [_comparison_entry(bench, a), _comparison_entry(bench, b)]
        comp = compare(entries)
        return HTMLResponse(render_html(comp, f"{bench.base.provenance.gemeente or ''}: {a} en {b} vergeleken"))

    app.add_middleware(BodyLimit)
    app.add_middleware(TokenGuard, token=token)
    return app


def serve(bench: Workbench, host: str = "127.0.0.1", port: int = 8765, token: str | None = None) -> None:
    """Run the application with uvicorn until Ctrl-C (then the solver process is stopped).

    Parameters
    ----------
    bench : Workbench
        The session, with an active scenario.
    host : str
        The address to listen on.
    port : int
        The TCP port.
    token : str, optional
        The access token (required by the caller for any host but 127.0.0.1).
    """
    import uvicorn  # noqa: PLC0415 - only the server needs it; the app and its tests do not

    bench.warm()
    handled()  # uvicorn handles Ctrl-C/SIGTERM itself (a graceful stop, then the signal again): no forced exit
    try:
        uvicorn.run(create_app(bench, token), host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
    finally:
        bench.close()
