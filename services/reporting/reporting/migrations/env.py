from common.migrations_env import run
from reporting.tables import registry

run(registry.metadata)
