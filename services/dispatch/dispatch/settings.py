from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    """Environment variables: DISPATCH_DATABASE_URL, DISPATCH_KAFKA_BOOTSTRAP, DISPATCH_BUS, ..."""
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")
    seed_file: str | None = Field(None, description="grids and squads to seed; default: 中原区")
