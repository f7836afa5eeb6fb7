"""Rate limits on intake's public endpoints: the limiter, the client's address behind the gateway
and the throttling key are common (common.ratelimit); intake's windows live in its own schema.
One client's flood of one spot is refused by report_incident (handlers._refuse_flood); the
limiter answers "too many requests, at all"."""
from __future__ import annotations

from common.ratelimit import RateLimiter, client_address, submitter_of

__all__ = ["RateLimiter", "client_address", "submitter_of"]
