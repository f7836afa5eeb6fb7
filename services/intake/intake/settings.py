from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Environment variables: INTAKE_DATABASE_URL, INTAKE_KAFKA_BOOTSTRAP, INTAKE_BUS, ..."""
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")
