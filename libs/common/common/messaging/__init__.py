"""The event backbone: contracts, the CloudEvents envelope, the outbox, the inbox consumer and
the two transports (Apache Kafka, and in memory for the single-process mode and unit tests)."""
