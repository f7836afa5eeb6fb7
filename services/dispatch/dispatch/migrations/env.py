from common.migrations_env import run
from dispatch.tables import registry

run(registry.metadata)
