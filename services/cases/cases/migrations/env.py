from cases.tables import registry
from common.migrations_env import run

run(registry.metadata)
