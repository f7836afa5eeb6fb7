from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Environment variables: REPORTING_DATABASE_URL, REPORTING_KAFKA_BOOTSTRAP, REPORTING_BUS, ..."""
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")
