from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    """Environment variables: CASES_DATABASE_URL, CASES_KAFKA_BOOTSTRAP, CASES_BUS, ..."""
    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore")
    district_code: str = Field("410102", description="administrative code in case numbers (中原区)")
