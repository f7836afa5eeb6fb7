from common.migrations_env import run
from intake.tables import registry

run(registry.metadata)
