from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Environment variables: INTAKE_DATABASE_URL, INTAKE_KAFKA_BOOTSTRAP, INTAKE_BUS, ..."""
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")
    public_base_url: str | None = Field(None, description="the address the public reaches intake at, for the "
                                        "Open311 discovery document; default: the request's own")
    max_description: int = Field(2000, description="longest description accepted from any channel")
    open311_jurisdiction_id: str = Field("zhongyuan.zhengzhou.cgzf.cn", description="Open311 jurisdiction_id")
    open311_changeset: str = Field("2026-11-22T00:00:00Z", description="when this endpoint last changed")
    open311_contact: str = Field("郑州市中原区城市管理综合执法局 12319", description="discovery contact")
    open311_key_service: str = Field("向区城市管理综合执法局信息科申请 api_key (POST /v1/open311/keys)",
                                     description="discovery: how an app gets a key")
    open311_service_notice: str | None = Field("工作日内受理, 可凭 token 或 service_request_id 查询进度",
                                               description="service_notice returned with a new request")
