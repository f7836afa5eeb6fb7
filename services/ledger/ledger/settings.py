from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    """Environment variables: LEDGER_DATABASE_URL, LEDGER_KAFKA_BOOTSTRAP, LEDGER_BUS, ..."""
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")
