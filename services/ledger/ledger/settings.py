from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    """Environment variables: LEDGER_DATABASE_URL, LEDGER_KAFKA_BOOTSTRAP, LEDGER_BUS, ..."""
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")
    consumer_gather_s: float = Field(0.25, description="a read model off the complaint's way: it may trail by a "
                                     "quarter of a second to apply fewer, larger batches")
