"""The runtime every service shares: built in the lifespan (never at import), it owns the
engine, runs the migrations, starts the outbox relay and the consumer, and serves the
health, readiness and metrics endpoints. A service is this runtime plus its own domain,
handlers and routes; `create_app` turns one or several of them into a FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from asyncpg import exceptions as asyncpg_exceptions
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from common.auth import TokenVerifier, signed_in
from common.backbone import ServiceTables
from common.body_limit import BodyLimit, RouteLimit
from common.clock import Clock, SystemClock
from common.db import make_engine, make_session_factory, migrate, unstorable_value
from common.idempotency import Covered, IdempotencyMiddleware
from common.messaging.contracts import IntegrationEvent, StaffSignedOut, Topics
from common.messaging.inbox import Batched, BatchHandler, ConsumerMembers, ConsumerSettings, EventConsumer, Handler
from common.messaging.kafka import KafkaTransport
from common.messaging.memory import InMemoryTransport
from common.messaging.outbox import OutboxRelay
from common.messaging.transport import Transport
from common.metrics import CONSUMER_RESTARTS
from common.refusals import Refusal
from common.settings import AuthSettings, ServiceSettings
from common.uow import UnitOfWork
from common.web_session import PageSessions, end_sessions

log = logging.getLogger(__name__)


class Service:
    """Base of the five services. Subclasses set `name`, `tables`, `migrations_dir`,
    `publishes`, `handlers()` and `routers()`."""

    name: str
    tables: ServiceTables
    migrations_dir: Path
    publishes: Sequence[type[IntegrationEvent]] = ()
    staff_pages: Sequence[tuple[str, str]] = ()
    """(path, title) of the pages staff sign in to, e.g. ("/console", "派遣台")."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        transport: Transport | None = None,
        clock: Clock | None = None,
        replica: str | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.replica = replica or f"{socket.gethostname()}-{os.getpid()}"
        self._given_transport = transport
        self.transport: Transport
        self.relay: OutboxRelay
        self.consumer: EventConsumer | ConsumerMembers | None = None
        self._consumer_task: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []
        self.pages = {path: PageSessions(self, page=path, title=title) for path, title in self.staff_pages}

    # -- what a service declares ---------------------------------------------------------------
    def handlers(self) -> dict[type[IntegrationEvent], Handler | Batched]:
        return {}

    def batch_handler(self) -> BatchHandler | None:
        """A projection that applies a whole batch at once, instead of handler by handler."""
        return None

    def routers(self) -> list[APIRouter]:
        return []

    def body_limits(self) -> dict[tuple[str, str], int]:
        """Endpoints whose request body may be larger than common.body_limit's default (photo
        uploads): (method, path as routed) -> bytes."""
        return {}

    async def consumer_group(self) -> str:
        return self.name

    async def on_started(self) -> None:
        """Seed data and warm caches once the schema is migrated."""

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def schema(self) -> str:
        schema = self.tables.metadata.schema
        if schema is None:
            raise TypeError(f"{self.name}'s tables name no schema")
        return schema

    def uow(self) -> UnitOfWork:
        relay = getattr(self, "relay", None)  # none in a process that only applies (a rebuild's worker)
        return UnitOfWork(
            self.session_factory,
            outbox=self.tables.outbox,
            source=f"/cgzf/{self.name}",
            clock=self.clock,
            events_written=relay.events_written if relay is not None else None,
        )

    def _make_transport(self) -> Transport:
        if self._given_transport is not None:
            return self._given_transport
        if self.settings.bus == "memory":
            return InMemoryTransport()
        return KafkaTransport(
            self.settings.kafka_bootstrap,
            client_id=f"{self.name}-{self.replica}",
            partitions=self.settings.topic_partitions,
            namespace=self.settings.kafka_namespace,
        )

    async def start(self, *, run_relay: bool = True, run_consumer: bool = True) -> None:
        self.engine = make_engine(self.settings.database_url, self.settings.db_pool_size, self.settings.db_max_overflow)
        self.session_factory = make_session_factory(self.engine)
        await migrate(self.engine, self.migrations_dir, self.schema)
        self.transport = self._make_transport()
        if self._given_transport is None:
            await self.transport.start()
        handlers = self.handlers()
        subscribed = sorted({cls.topic for cls in handlers} | ({StaffSignedOut.topic} if self.pages else set()))
        own_topics = [cls.topic for cls in self.publishes]
        await self.transport.ensure_topics([*own_topics, *subscribed, Topics.dead_letter(self.name)])
        self.relay = OutboxRelay(
            service=self.name,
            engine=self.engine,
            table=self.tables.outbox,
            transport=self.transport,
            clock=self.clock,
            batch_size=self.settings.relay_batch_size,
            poll_interval_s=self.settings.relay_poll_interval_s,
            linger_s=self.settings.relay_linger_s,
        )
        await self.on_started()
        if handlers and run_consumer:
            await self.start_consumer()
        if self.pages and run_consumer:
            await self._start_sign_out_consumer()
        if run_relay:
            self.start_relay()
        log.info("%s started (bus=%s, replica=%s)", self.name, self.settings.bus, self.replica)

    def start_relay(self) -> None:
        self._spawn(self.relay.run(), "relay")

    async def start_consumer(self) -> None:
        handlers = self.handlers()
        group = await self.consumer_group()
        # Several members only on Kafka, where the group shares the partitions among them, as
        # many as the backlog needs (common.messaging.inbox.ConsumerMembers).
        members = self.settings.consumer_members if self.settings.bus == "kafka" else 1

        def member(i: int) -> EventConsumer:
            return EventConsumer(
                service=self.name,
                group=group,
                topics=sorted({c.topic for c in handlers}),
                handlers=handlers,
                batch_handler=self.batch_handler(),
                transport=self.transport,
                uow_factory=self.uow,
                inbox=self.tables.inbox,
                settings=ConsumerSettings(
                    max_attempts=self.settings.consumer_max_attempts,
                    backoff_s=self.settings.consumer_backoff_s,
                    batch_size=self.settings.consumer_batch_size,
                    gather_s=self.settings.consumer_gather_s,
                ),
                client_id=f"{self.name}-{self.replica}" + (f"-{i}" if members > 1 else ""),
            )

        def consumer() -> EventConsumer | ConsumerMembers:
            return member(0) if members == 1 else ConsumerMembers(member, members, self.settings.consumer_batch_size)

        self.consumer = consumer()
        self._consumer_task = self._spawn(self._consuming(consumer), "consumer")
        await self._wait_consumer_started()

    async def _consuming(self, make: Callable[[], EventConsumer | ConsumerMembers]) -> None:
        """Run the consumer, and if it stops on an error nobody foresaw once it had started, say
        so and start a new one after a pause (1 s, doubling up to a minute): otherwise the service
        would answer its API and look healthy while its events piled up unapplied. What the
        stopped one had applied but not committed is handed to the new one again, and the inbox
        turns it away."""
        pause, first = 1.0, True
        consumer = self.consumer or make()
        while True:
            began = time.monotonic()
            try:
                await consumer.run()
                raise RuntimeError("the consumer returned")
            except Exception:
                if first and not consumer.started.is_set():
                    raise  # the service's own start: start() says why it could not
                pause = 1.0 if time.monotonic() - began > 300 else pause
                log.exception("%s consumer stopped; a new one starts in %.0f s", self.name, pause)
            CONSUMER_RESTARTS.labels(self.name).inc()
            await asyncio.sleep(pause)
            pause, first = min(pause * 2, 60.0), False
            consumer = self.consumer = make()  # a later one that cannot start (the broker away) is tried again

    async def _start_sign_out_consumer(self) -> None:
        """The pages' own consumer (group `<service>.sessions`): a person who signs out on any page
        of any service, or whom the provider signs out, is signed out of this service's pages too."""
        store = next(iter(self.pages.values())).store

        async def signed_out(event: StaffSignedOut, env, uow: UnitOfWork) -> None:
            await end_sessions(
                uow.session, store.sessions, event.subject or None, event.provider_session_id, opened_before=event.at
            )  # a replayed old sign-out ends no later session

        consumer = EventConsumer(
            service=self.name,
            group=f"{self.name}.sessions",
            topics=[StaffSignedOut.topic],
            handlers={StaffSignedOut: signed_out},
            transport=self.transport,
            uow_factory=self.uow,
            inbox=self.tables.inbox,
            settings=ConsumerSettings(
                max_attempts=self.settings.consumer_max_attempts, backoff_s=self.settings.consumer_backoff_s
            ),
            client_id=f"{self.name}-{self.replica}-sessions",
        )
        self._spawn(consumer.run(), "sign-outs")
        waiter = asyncio.ensure_future(consumer.started.wait())
        await asyncio.wait([waiter], timeout=60)

    async def stop_consumer(self) -> None:
        task = getattr(self, "_consumer_task", None)
        if task is not None:
            await _cancel([task])
            self._tasks.remove(task)
            self._consumer_task = None

    async def _wait_consumer_started(self) -> None:
        if self.consumer is None:
            return
        waiter = asyncio.ensure_future(self.consumer.started.wait())
        done, _ = await asyncio.wait([waiter, *self._tasks], return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            for t in done:
                t.result()  # re-raise why the consumer could not start

    def _spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task:
        task = asyncio.create_task(coro, name=f"{self.name}-{what}")

        def crashed(t: asyncio.Task) -> None:
            if not t.cancelled() and t.exception() is not None:
                log.error("%s %s stopped: %r", self.name, what, t.exception())

        task.add_done_callback(crashed)
        self._tasks.append(task)
        return task

    async def stop(self) -> None:
        await _cancel(self._tasks)
        self._tasks.clear()
        if self._given_transport is None:
            await self.transport.stop()
        await self.engine.dispose()

    async def readiness(self) -> dict[str, bool]:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            db = True
        except Exception:
            db = False
        return {"database": db, "broker": await self.transport.ready()}


async def _cancel(tasks: list[asyncio.Task]) -> None:
    """Cancel until they are gone: a cancellation that lands as an inner wait completes can be
    swallowed (asyncio.wait_for in the libraries underneath, on Python 3.11), so ask again."""
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1)
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            task.result()


async def start_all(services: Sequence[Service], started: list[Service] | None = None) -> None:
    """Start the services of one process: every consumer subscribes before any relay publishes,
    so a transport that is not durable knows, for each record, every group that must apply it
    before its outbox row counts as published (common.messaging.memory)."""
    started = [] if started is None else started
    for s in services:
        await s.start(run_relay=False)
        started.append(s)
    for s in services:
        s.start_relay()


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="alive (存活)")
    async def healthz() -> dict:
        return {"status": "ok"}

    @router.get("/readyz", summary="database and broker reachable (就绪)")
    async def readyz(request: Request) -> JSONResponse:
        checks = {name: await s.readiness() for name, s in request.app.state.services.items()}
        ok = all(all(c.values()) for c in checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
        )

    @router.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_app(
    services: Sequence[Service],
    *,
    title: str,
    description: str = "",
    after_start: Callable[[], Awaitable[None]] | None = None,
    sessions_from: str | None = None,
) -> FastAPI:
    """`sessions_from`: the service whose session store (and cookie) the process's pages share,
    when several services with pages run in one process (default: the first with a page)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        started: list[Service] = []
        try:
            await start_all(services, started)
            if after_start is not None:
                await after_start()
            yield
        finally:
            for s in reversed(started):
                await s.stop()

    # The API documentation's pages and scripts are served by the platform itself (fastapi-offline):
    # a bureau's intranet has no CDN, and Swagger UI from one would be a blank page there.
    app = FastAPIOffline(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.services = {s.name: s for s in services}
    development = all(s.settings.environment == "development" for s in services)
    # tokens expire on the wall clock (the provider's), whatever clock a test gives the services
    app.state.token_verifier = TokenVerifier(AuthSettings(), accept_dev_tokens=development)
    pages = [p for s in services for p in s.pages.values()]
    pages.sort(key=lambda p: p.service.name != sessions_from)  # stable: the named service's pages first
    for p in pages[1:]:  # one store for the process: one person, one session across its pages
        p.store = pages[0].store
    app.state.page_sessions = pages[0] if pages else None
    app.state.demo_people = ()
    app.add_exception_handler(Refusal, _refused)
    app.add_exception_handler(DBAPIError, _unstorable)
    app.add_exception_handler(asyncpg_exceptions.DataError, _unstorable)
    app.include_router(health_router())
    for s in services:
        for r in s.routers():
            app.include_router(r)
        for page in s.pages.values():
            app.include_router(page.router())
    app.openapi = partial(_openapi_with_one_error_shape, app)  # type: ignore[method-assign]  # FastAPI's way
    app.add_middleware(
        IdempotencyMiddleware,
        covered=_idempotent_routes(services),
        resolve_subject=partial(_subject_of, app),
    )
    app.add_middleware(BodyLimit, limits=_route_limits(services))
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    return app


def _openapi_with_one_error_shape(app: FastAPI) -> dict:
    """One error shape, documented as it is: `{"detail": ...}`, where detail is the list of
    field errors FastAPI makes for a body or parameter that breaks its schema, or one sentence
    naming what was wrong (a domain refusal: 404, 409, 422 naming the field, 413, 429)."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        error = doc.get("components", {}).get("schemas", {}).get("HTTPValidationError")
        if error is not None:
            error["title"] = "Error"
            error["description"] = (_openapi_with_one_error_shape.__doc__ or "").split("\n\n")[0].replace("\n    ", " ")
            error["properties"]["detail"] = {
                "anyOf": [error["properties"]["detail"], {"type": "string"}],
                "title": "Detail",
            }
        app.openapi_schema = doc
    return app.openapi_schema


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    """The one answer to a refusal (common.refusals): its status, and the one error shape."""
    assert isinstance(exc, Refusal)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers())


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold (too long for its column, a NUL character, a number out
    of range) is the request's fault: 422 with the database's reason, never a 500. The bounds
    are checked at the edge; this is the net under them (common.db.unstorable_value). Any other
    database error is ours, and stays a 500."""
    reason = unstorable_value(exc)
    if reason is None:
        raise exc
    log.warning("unstorable value in %s %s: %s", request.method, request.url.path, reason)
    return JSONResponse({"detail": f"a value could not be stored: {reason}"}, status_code=422)


def _idempotent_routes(services: Sequence[Service]) -> Covered:
    """The unsafe routes of the services that keep the Idempotency-Key table (common.idempotency)."""
    covered = Covered()
    for s in services:
        if s.tables.idempotent_requests is not None:
            for router in s.routers():
                for r in router.routes:
                    if isinstance(r, APIRoute):
                        sessions = partial(lambda service: service.session_factory(), s)
                        covered.add(r.methods, r.path_regex, s.tables.idempotent_requests, sessions, s.clock)
    return covered


async def _subject_of(app: FastAPI, scope) -> str | None:
    """Who sends a request, verified as the route would (a bearer token, or a staff session)."""
    request = Request(scope)
    try:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return (await app.state.token_verifier.verify(header[7:].strip())).subject
        principal = await signed_in(request)
    except Refusal:
        return None
    return principal.subject if principal else None


def _route_limits(services: Sequence[Service]) -> list[RouteLimit]:
    limits = []
    for s in services:
        routes = {
            (m, r.path): r
            for router in s.routers()
            for r in router.routes
            if isinstance(r, APIRoute)
            for m in r.methods or ()
        }
        for (method, path), limit in s.body_limits().items():
            route = routes.get((method, path))
            if route is None:
                raise LookupError(f"{s.name} sets a body limit for {method} {path}, which it does not serve")
            limits.append(RouteLimit(method, route.path_regex, limit))
    return limits
