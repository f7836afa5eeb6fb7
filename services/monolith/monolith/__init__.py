"""The whole product in one process (`make run`): the five services, unchanged, on one port,
sharing an in-memory bus and an embedded PostgreSQL in .data/run."""
