"""Which failures are the database's (retry until it is back) and which are the data's (refuse,
or dead-letter): the same answer whether the error came through SQLAlchemy or straight from
asyncpg, as the hot path's prepared statements raise it."""

from __future__ import annotations

from asyncpg import exceptions as pg
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from common.db import database_unavailable, unstorable_value
from common.messaging.inbox import _is_infrastructure_failure


def test_a_restart_or_a_dropped_connection_is_the_databases_fault():
    for exc in (
        pg.AdminShutdownError("terminating connection due to administrator command"),
        pg.CannotConnectNowError("the database system is starting up"),
        pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        pg.InterfaceError("connection is closed"),
        ConnectionResetError(),
        OSError("refused"),
    ):
        assert database_unavailable(exc) and _is_infrastructure_failure(exc), exc
    wrapped = DBAPIError("INSERT ...", {}, pg.AdminShutdownError("terminating"))
    assert database_unavailable(wrapped)


def test_the_asyncpg_adapters_own_error_is_the_databases_fault_by_its_cause():
    """SQLAlchemy's asyncpg adapter raises an emulated DBAPI InterfaceError with the driver's as its
    cause (seen in the fault suite: a PostgreSQL restart dead-lettered an event as bad data)."""
    adapted = AsyncAdapt_asyncpg_dbapi.InterfaceError("connection is closed")
    adapted.__cause__ = pg.InterfaceError("connection is closed")
    assert database_unavailable(adapted) and _is_infrastructure_failure(adapted)
    refused = AsyncAdapt_asyncpg_dbapi.InterfaceError("a mistake of ours")
    refused.__cause__ = ValueError("not the database")
    assert not database_unavailable(refused)


def test_bad_data_is_not_the_databases_fault():
    nul = pg.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00')
    too_long = pg.StringDataRightTruncationError("value too long for type character varying(3)")
    for exc in (nul, too_long):
        assert not database_unavailable(exc) and unstorable_value(exc), exc
    assert unstorable_value(pg.UniqueViolationError("duplicate key")) is None
    assert not database_unavailable(ValueError("a handler's own refusal"))
