"""Shared kernel of the platform: the event backbone (envelope, contracts, outbox, inbox,
transports), authentication, logging, metrics and the service runtime. Written once, used by
all five services."""
