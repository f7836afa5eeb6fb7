"""A fake of a province's unified seal platform, speaking the API services/cases/README.md assumes
("Sealing": POST /v1/seal and /v1/verify, a bearer token, documents in base64). It seals with a
certificate of its own through pyHanko, where the real one seals with the bureau's SM2 seal: what
the tests prove is the adapter's side (the call, the token, the answer kept and checked, the step
refused whole when the platform fails), not the platform's cryptography."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from fastapi import FastAPI, Header, HTTPException

from cases.adapters.sealing import DevelopmentSealer, development_certificate

PLATFORM_SIGNER = "郑州市中原区城市管理综合执法局 (电子印章 410102-0001)"


def seal_platform(token: str) -> FastAPI:
    key_pem, cert_pem = development_certificate("河南省统一电子印章平台 (测试替身)", datetime.now(UTC))
    sealer = DevelopmentSealer(key_pem, cert_pem)
    app = FastAPI()
    app.state.calls = []
    app.state.positions = []
    app.state.down = False

    def admit(authorization: str | None) -> None:
        if app.state.down:
            raise HTTPException(503, "platform under maintenance")
        if authorization != f"Bearer {token}":
            raise HTTPException(401, "bad token")

    @app.post("/v1/seal")
    async def seal(body: dict, authorization: str | None = Header(None)) -> dict:
        admit(authorization)
        app.state.calls.append(("seal", body["seal_id"], body["reason"]))
        app.state.positions.append(body["position"])
        sealed = await sealer.seal(base64.b64decode(body["document"]), body["reason"])
        return {
            "document": base64.b64encode(sealed.pdf).decode(),
            "signer": PLATFORM_SIGNER,
            "signed_at": datetime.now(UTC).isoformat(),
        }

    @app.post("/v1/verify")
    async def verify(body: dict, authorization: str | None = Header(None)) -> dict:
        admit(authorization)
        app.state.calls.append(("verify", None, None))
        v = await sealer.verify(base64.b64decode(body["document"]))
        return {
            "valid": v.intact,
            "signer": PLATFORM_SIGNER if v.intact else None,
            "signed_at": v.signed_at.isoformat() if v.signed_at else None,
            "reason": v.reason,
        }

    return app
