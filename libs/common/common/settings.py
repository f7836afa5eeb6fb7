"""Settings shared by every service. Each service subclasses `ServiceSettings` with its own
environment prefix (INTAKE_, DISPATCH_, ...), so one process can hold all five side by side."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"
MIN_SECRET_LENGTH = 32
KNOWN_SECRETS = frozenset(
    {
        DEV_JWT_SECRET,
        "secret",
        "changeme",
        "change-me",
        "password",
        "cgzf",
        "your-256-bit-secret",
        "please-change-me",
        "jwt-secret",
        "supersecret",
        "dev-only-photo-links-change-me-0123456789",
    }
)
"""Secrets that appear in this repository, in examples or in tutorials: anyone can sign with them."""


def refuse_weak_secret(name: str, value: str | None) -> None:
    """Outside development a signing secret must be the operator's own: given, long, and not one
    anybody could know. Raises ValueError naming the setting and what is wrong with it."""
    if not value:
        raise ValueError(f"{name} must be set outside development")
    if value in KNOWN_SECRETS or value.lower() in KNOWN_SECRETS or value.startswith("dev-only"):
        raise ValueError(
            f"{name} is a published development or example secret; set a secret of your own "
            f"(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"{name} is {len(value)} characters; outside development it needs at least {MIN_SECRET_LENGTH}"
        )


class AuthSettings(BaseSettings):
    """Bearer-token verification. HS256 with a shared secret for development, or the city
    identity provider's RS256 keys fetched from its JWKS URL."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    jwt_secret: str = Field(DEV_JWT_SECRET, description="HS256 secret of the platform's own development tokens")
    jwks_url: str | None = Field(None, description="JWKS URL of the identity provider: its RS256 tokens are accepted")
    issuer: str = Field("cgzf-dev", description="expected `iss` claim of the provider's tokens")
    audience: str = Field("cgzf", description="expected `aud` claim")
    dev_tokens: bool = Field(
        True,
        description="also accept the platform's own HS256 tokens (make token); only in "
        "development, and beside the provider's",
    )
    dev_issuer: str = Field("cgzf-dev", description="`iss` of the development tokens")
    # staff sign-in (common.web_session): the platform as an OpenID Connect relying party
    oidc_issuer: str | None = Field(
        None,
        description="the identity provider's issuer URL (its discovery document "
        "is read from it); unset: no single sign-on",
    )
    oidc_client_id: str = Field("cgzf-web", description="the staff pages' client at the provider")
    oidc_client_secret: str | None = Field(None, description="that client's secret")
    public_base_url: str | None = Field(
        None,
        description="where staff reach the pages (behind the gateway), for "
        "the provider's redirects; default: the request's own address",
    )
    session_ttl_s: int = Field(8 * 3600, description="a signed-in session ends after this, whatever happens")
    session_idle_s: int = Field(1800, description="... or after this long unused")
    street_session_idle_s: int = Field(
        8 * 3600,
        description="... but for the people who work in the street (squads, field monitors: 城管通) a session "
        "lasts the shift: a phone in a pocket between two tasks is not a desk left open",
    )
    session_recheck_s: int = Field(
        60,
        ge=1,
        description="a session in use asks the provider this often whether "
        "the person may still be signed in (a disabled account is out at the next request)",
    )
    demo_sign_in: bool = Field(False, description="make run's built-in demo sign-in (development only)")
    # the claim mapping (common.claims)
    subject_claim: str = Field("sub", description="the claim with the person's id as the directory knows it")
    role_claim: str = Field("role", description="the claim with the role: a string or a list (dotted path)")
    role_prefix: str = Field("", description="stripped from each role value")
    squad_claim: str = Field("squad_id", description="the claim with the squad: a string or a list (dotted path)")
    squad_prefix: str = Field("", description="a list value names a squad when it starts with this (/squads/)")
    office_prefix: str = Field(
        "",
        description="for 办事处 staff: a value of the squad claim names their office when it starts with this",
    )
    name_claim: str = Field("name", description="the claim with the name to show")


class ServiceSettings(BaseSettings):
    """What every service needs. Environment variables carry the service's prefix."""

    model_config = SettingsConfigDict(extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "production",
        description="production refuses unsafe defaults; make run, make up and the tests say "
        "development, so a deployment made by hand is never left on the development secrets",
    )
    database_url: str = Field(
        "postgresql+asyncpg://postgres@127.0.0.1:5432/cgzf",
        description="SQLAlchemy URL of the service's PostgreSQL database",
    )
    db_pool_size: int = Field(20, description="connections kept open to the database")
    db_max_overflow: int = Field(5, description="extra connections allowed at peaks")
    bus: Literal["kafka", "memory"] = Field("kafka", description="event transport")
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers")
    kafka_namespace: str = Field(
        "",
        description="prefix of every topic and consumer group, so several districts or test runs can share one cluster",
    )
    topic_partitions: int = Field(6, description="partitions for topics this service creates")
    relay_batch_size: int = Field(500, description="events the outbox relay publishes in one send")
    relay_poll_interval_s: float = Field(0.5, description="outbox poll when no NOTIFY arrives")
    relay_linger_s: float = Field(
        0.0,
        description="wait after a wake-up so one publish carries several commits; "
        "0: under load the commits made while a publish is on its way go in the next one "
        "anyway, and at a low rate a wait is only latency, on every hop",
    )
    consumer_batch_size: int = Field(500, description="records applied in one transaction")
    consumer_max_attempts: int = Field(4, description="tries of a failing handler before DLQ")
    consumer_backoff_s: float = Field(0.2, description="first retry delay, doubled each try")
    consumer_gather_s: float = Field(
        0.0,
        description="how long the consumer may wait for a larger batch: 0 for "
        "the services on a complaint's way; a read model trails by this much and "
        "applies fewer, larger batches",
    )
    consumer_members: int = Field(
        1,
        ge=1,
        le=16,
        description="consumers of the service's group in one process "
        "(on Kafka): while one waits for PostgreSQL another decodes; for a read model whose "
        "events of different keys do not interact",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")

    @model_validator(mode="after")
    def _refuse_weak_secrets_outside_development(self) -> ServiceSettings:
        if self.environment != "development":
            auth = AuthSettings()
            if not auth.jwks_url:  # with the identity provider's keys, no shared secret signs anything
                refuse_weak_secret("AUTH_JWT_SECRET", auth.jwt_secret)
            if auth.demo_sign_in:
                raise ValueError(
                    "AUTH_DEMO_SIGN_IN is for make run in development: staff sign in through the "
                    "identity provider (AUTH_OIDC_ISSUER)"
                )
            if auth.oidc_issuer and not auth.public_base_url:  # never the redirect a request's Host header names
                raise ValueError(
                    "AUTH_PUBLIC_BASE_URL must be set outside development when staff sign in through "
                    "AUTH_OIDC_ISSUER: where staff reach the pages, for the provider's redirects"
                )
        return self
