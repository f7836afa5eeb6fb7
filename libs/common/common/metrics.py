"""Prometheus metrics of the backbone, labelled by service so one process can hold all five."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter("cgzf_outbox_published_total", "events the relay published", ["service", "topic"])
OUTBOX_PUBLISH_FAILURES = Counter("cgzf_outbox_publish_failures_total", "relay batches that failed", ["service"])
OUTBOX_BACKLOG = Gauge("cgzf_outbox_backlog", "events written but not yet published", ["service"])
EVENTS_HANDLED = Counter("cgzf_events_handled_total", "events applied by a handler", ["service", "type"])
EVENTS_DUPLICATE = Counter(
    "cgzf_events_duplicate_total", "redelivered events skipped by the inbox", ["service", "type"]
)
EVENTS_IGNORED = Counter(
    "cgzf_events_ignored_total", "known events this service has no handler for", ["service", "type"]
)
HANDLER_RETRIES = Counter(
    "cgzf_handler_retries_total", "handler attempts that failed and were retried", ["service", "type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "cgzf_events_dead_lettered_total", "events sent to the dead-letter topic", ["service", "reason"]
)
CONSUMER_RESTARTS = Counter("cgzf_consumer_restarts_total", "consumers started anew after an error", ["service"])
HANDLE_SECONDS = Histogram("cgzf_event_handle_seconds", "time to apply one event", ["service"])
READINGS = Counter(
    "cgzf_device_readings_total",
    "devices' readings taken (by POST /v1/telemetry) or judged (by the stream processor), or refused by name",
    ["stage", "outcome"],
)
