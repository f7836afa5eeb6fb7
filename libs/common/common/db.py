"""Database plumbing every service shares: metadata per schema, engines built in the lifespan,
and Alembic migrations run at start under an advisory lock so replicas can start together."""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from pathlib import Path
from typing import Any, cast

import orjson
from alembic import command
from alembic.config import Config
from asyncpg import exceptions as asyncpg_exceptions
from sqlalchemy import JSON, MetaData, Table, Text, bindparam, func, insert, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.sql.expression import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_registry(schema: str) -> registry:
    """One metadata per service schema: the service's tables, its outbox and its inbox."""
    return registry(metadata=MetaData(schema=schema, naming_convention=NAMING_CONVENTION))


def make_engine(url: str, pool_size: int = 20, max_overflow: int = 5, pool_timeout_s: float = 30) -> AsyncEngine:
    """Connections are kept, not made per request: past the pool, each overflow connection
    costs PostgreSQL a backend process and is thrown away after one use, so the pool is sized
    for the load and the overflow kept small. No pre-ping (a round trip on every checkout):
    when the database restarts, the first statement that meets a dead connection fails and
    SQLAlchemy invalidates the whole pool, so one request per process sees the restart.
    Statement parameters are left out of errors: they hold phone numbers and names."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=pool_timeout_s,
        hide_parameters=True,
    )  # an error's text must not carry what a request sent


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, derived from a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def alembic_config(migrations_dir: Path, schema: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["schema"] = schema
    return cfg


async def migrate(engine: AsyncEngine, migrations_dir: Path, schema: str) -> None:
    """Upgrade the schema to head. The advisory lock makes replicas that start at once take
    turns; the ones that come second find nothing left to do."""
    cfg = alembic_config(migrations_dir, schema)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": advisory_key(f"migrate:{schema}")})
        try:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await conn.commit()

            def upgrade(sync_conn) -> None:
                cfg.attributes["connection"] = sync_conn
                command.upgrade(cfg, "head")

            await conn.run_sync(upgrade)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(f"migrate:{schema}")})
            await conn.commit()
    log.info("schema %s migrated to head", schema)


# -- the hot path: Core statements compiled once, run on the driver's connection ----------------

_PG = asyncpg_dialect(paramstyle="numeric_dollar")


def _json_param(value):
    return None if value is None else orjson.dumps(value).decode()


def unnest(name: str, type_=Text):
    """A bound array parameter, one row per element: set-based statements take a whole batch's values
    as arrays (`SELECT unnest(:ids), unnest(:times)`), so the statement is the same whatever the
    batch's size and is prepared once."""
    return func.unnest(bindparam(name, type_=ARRAY(type_)))


class Prepared:
    """A Core statement compiled once to the SQL that asyncpg runs, with its parameters in order.

    On the hot path (a consumer applying events, intake taking a call) building and compiling a
    statement, and SQLAlchemy's execution around it, cost more Python than the statement costs
    PostgreSQL. The statement is still written in Core against the tables (never a string with
    a schema in it); it is compiled here once, and each call is one asyncpg call on the unit of
    work's own connection, inside its transaction (UnitOfWork.db). asyncpg prepares it on the
    connection once and keeps it in its statement cache. JSON columns take Python values."""

    def __init__(self, statement) -> None:
        # for_executemany: an INSERT returns only what it asks for (no implicit RETURNING of the key)
        compiled = statement.compile(dialect=_PG, for_executemany=True, compile_kwargs={"render_postcompile": True})
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or ())
        self._defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        json_types = (JSON, JSONB)
        self._json = {name for name in self.order if isinstance(compiled.binds[name].type, json_types)}

    def args(self, params: dict) -> list:
        out = []
        for name in self.order:
            value = params[name] if name in params else self._defaults[name]
            out.append(_json_param(value) if name in self._json else value)
        return out

    async def fetch(self, conn, **params) -> list:
        return await conn.fetch(self.sql, *self.args(params))

    async def fetchrow(self, conn, **params):
        return await conn.fetchrow(self.sql, *self.args(params))

    async def fetchval(self, conn, **params):
        return await conn.fetchval(self.sql, *self.args(params))

    async def execute(self, conn, **params) -> str:
        return await conn.execute(self.sql, *self.args(params))

    async def executemany(self, conn, rows: list[dict]) -> None:
        await conn.executemany(self.sql, [self.args(r) for r in rows])


async def driver_connection(session: AsyncSession):
    """The asyncpg connection under `session`, its transaction begun: statements run on it are
    part of the session's transaction, committed or rolled back with it.

    SQLAlchemy's asyncpg adapter begins the driver's transaction lazily, at the first statement it
    runs itself; a statement run on the driver's connection before that would run outside any
    transaction. So the transaction is begun here, as the adapter would begin it (a test holds
    this to the adapter's behaviour: tests/integration/test_db_fast_path.py)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    adapter: Any = raw.dbapi_connection  # SQLAlchemy's asyncpg adapter: its lazy begin is private
    if adapter._transaction is None:  # noqa: SLF001 (the adapter's own lazy begin)
        await adapter._start_transaction()  # noqa: SLF001
    return raw.driver_connection


@cache
def row_insert(table) -> Prepared:
    """INSERT of one whole row of `table`, every column a parameter by its name."""
    return Prepared(insert(table).values({c.name: bindparam(c.name) for c in table.c}))


# -- what went wrong: the database, or the data -------------------------------------------------

_DRIVER_UNAVAILABLE = (
    asyncpg_exceptions.PostgresConnectionError,
    asyncpg_exceptions.AdminShutdownError,
    asyncpg_exceptions.CrashShutdownError,
    asyncpg_exceptions.CannotConnectNowError,
    asyncpg_exceptions.InterfaceError,
    asyncpg_exceptions.InternalClientError,
)


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or went away (a restart, a dropped connection): not the
    fault of what was being written, whether it came through SQLAlchemy, through SQLAlchemy's
    asyncpg adapter (its emulated DBAPI errors carry the driver's as their cause), or straight
    from asyncpg. The chain of causes is followed a few links down."""
    link: BaseException | None = exc
    for _ in range(6):
        if link is None:
            return False
        if isinstance(
            link, (OSError, ConnectionError, TimeoutError, OperationalError, SAInterfaceError, *_DRIVER_UNAVAILABLE)
        ):
            return True
        if isinstance(link, DBAPIError):
            if link.connection_invalidated:
                return True
            link = getattr(link, "orig", None)
        else:
            link = link.__cause__
    return False


def unstorable_value(exc: BaseException) -> str | None:
    """A value the database cannot hold (SQLSTATE class 22: too long, a NUL character, out of
    range), through SQLAlchemy or straight from asyncpg: the reason, naming the type and never the
    value (statement parameters are hidden); None for any other error."""
    driver: BaseException | None = exc
    if isinstance(exc, DBAPIError):
        driver = getattr(exc.orig, "__cause__", None) or exc.orig
    sqlstate = getattr(driver, "sqlstate", None) or ""
    if isinstance(exc, (DataError, asyncpg_exceptions.DataError)) or sqlstate.startswith("22"):
        return str(getattr(exc, "orig", exc)).splitlines()[0]
    return None


def table_of(model: type) -> Table:
    """The Core table of a SQLModel table class (SQLModel does not declare `__table__` to type checkers)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def keep_newer(model: type, key: dict[str, Any], values: dict[str, Any]):
    """INSERT ... ON CONFLICT of an announced row (a grid, a category, a campaign) that keeps the row
    stored when it is newer: `values` carry the announcement's `version`, and one older than the
    stored row's changes nothing (announcements arrive again, and out of order). A statement, so
    that the caller may add RETURNING."""
    table = table_of(model)
    return (
        pg_insert(table)
        .values(**key, **values)
        .on_conflict_do_update(index_elements=list(key), set_=values, where=table.c.version <= values["version"])
    )


async def rows_changed(session: AsyncSession, statement: Executable) -> int:
    """Run an UPDATE or DELETE in the session: how many rows it changed."""
    result = await session.execute(statement)
    return cast("CursorResult[Any]", result).rowcount
