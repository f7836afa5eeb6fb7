from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Environment variables: REPORTING_DATABASE_URL, REPORTING_KAFKA_BOOTSTRAP, REPORTING_BUS, ..."""
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")
    consumer_gather_s: float = Field(0.25, description="a read model off the complaint's way: it may trail by a "
                                     "quarter of a second to apply fewer, larger batches")
