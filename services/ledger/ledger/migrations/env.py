from common.migrations_env import run
from ledger.tables import registry

run(registry.metadata)
