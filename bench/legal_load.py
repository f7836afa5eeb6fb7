"""The legal dossier on the stack: what an officer waits for when a penalty step produces its
documents, and what a docking station and a reviewer wait for with video evidence.

Figures, each beside a baseline of the same run:
- 立案 (`open`: the 立案审批表 rendered, not sealed) is the baseline step; the 当场处罚决定 (`on_the_spot`:
  the decision rendered, converted to OFD and sealed with the SM2 seal by the ofdrw sidecar) is
  timed beside it, so the ratio is what sealing adds to a step;
- the public check of a served OFD (文书核验), and the 卷宗 of a case (its documents bound into one PDF);
- a 64 MB body-camera video sent with the tus protocol in 8 MB pieces over the loopback, beside
  writing the same bytes to this machine's disk (the upload's ceiling here), and a 1 MB range of it
  read back for playback."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import percentile
from common.auth import Role, issue_token
from common.settings import AuthSettings
from devstack.media import MB, body_camera_video
from devstack.stack import Stack

IN_RUHE = {"lon": 113.61, "lat": 34.74}  # 汝河路网格: 汝河中队
CASES = 20
VIDEO_MB = 64


def _bearer(role: Role, subject: str, squad: str | None = None) -> dict:
    return {"Authorization": f"Bearer {issue_token(AuthSettings(), role, subject, squad)}"}


OFFICER = _bearer(Role.squad_officer, "sq-ruhe-o1", "sq-ruhe")
LEGAL = _bearer(Role.legal_officer, "legal-0001")


async def _dispatched(intake: httpx.AsyncClient, n: int) -> list[str]:
    """n hotline reports in 汝河路网格, each once its case is dispatched: the cases' ids."""
    hotline, dispatcher = _bearer(Role.hotline_operator, "bench-hotline"), _bearer(Role.dispatcher, "bench-disp")
    ids = []
    for i in range(n):
        body = {
            "category": "littering",
            "location": {"lon": IN_RUHE["lon"] + i * 0.0004, "lat": IN_RUHE["lat"]},
            "description": f"乱扔垃圾 {i}",
            "caller": {"name": "张先生", "phone": "13812345678"},
        }
        r = await intake.post("/v1/incidents", json=body, headers=hotline)
        r.raise_for_status()
        ids.append(r.json()["id"])
    cases = []
    for incident in ids:
        for _ in range(300):
            seen = (await intake.get(f"/v1/incidents/{incident}", headers=dispatcher)).json()
            if seen.get("status") == "dispatched":
                cases.append(seen["case_id"])
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"incident {incident} never dispatched")
    return cases


async def _timed(call) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    r = await call()
    return (time.perf_counter() - started) * 1000, r


async def measure(stack: Stack, progress) -> dict:
    intake_url = f"http://127.0.0.1:{stack.config.service_port('intake')}"
    cases_url = f"http://127.0.0.1:{stack.config.service_port('cases')}"
    out: dict = {}
    async with (
        httpx.AsyncClient(base_url=intake_url, timeout=60) as intake,
        httpx.AsyncClient(base_url=cases_url, timeout=120) as cases,
    ):
        opened_cases = await _dispatched(intake, CASES)
        decided_cases = await _dispatched(intake, CASES)
        spot = {
            "party": "李某",
            "power_code": "SR-34-1",
            "band": "ordinary",
            "amount_fen": 5_000,
            "officers": ["sq-ruhe-o1", "sq-ruhe-o3"],
        }
        for _ in range(300):  # the officers' 执法证 reach cases from the directory's events
            r = await cases.post(
                f"/v1/cases/{decided_cases[0]}/enforcement/on_the_spot",
                json={**spot, "decision_number": "中城管当罚字〔2026〕第0号"},
                headers=OFFICER,
            )
            if r.status_code == 200:
                break
            await asyncio.sleep(0.2)
        else:
            raise RuntimeError(f"on_the_spot never accepted: {r.status_code} {r.text[:300]}")

        progress(f"  {CASES} 立案 (unsealed) beside {CASES - 1} 当场处罚决定 (OFD, SM2 seal through the sidecar)")
        opens, seals = [], []
        for case_id in opened_cases:
            ms, r = await _timed(
                lambda c=case_id: cases.post(f"/v1/cases/{c}/enforcement/open", json={"party": "赵某"}, headers=OFFICER)
            )
            r.raise_for_status()
            opens.append(ms)
        decided = None
        for n, case_id in enumerate(decided_cases[1:], 1):
            body = {**spot, "decision_number": f"中城管当罚字〔2026〕第{n}号"}
            ms, r = await _timed(
                lambda c=case_id, b=body: cases.post(f"/v1/cases/{c}/enforcement/on_the_spot", json=b, headers=OFFICER)
            )
            r.raise_for_status()
            seals.append(ms)
            decided = r.json()
        out["legal_open_p50_ms"] = round(percentile(opens, 50), 1)
        out["legal_seal_p50_ms"] = round(percentile(seals, 50), 1)
        out["legal_seal_p99_ms"] = round(percentile(seals, 99), 1)
        out["legal_ratio_seal_to_open"] = round(out["legal_seal_p50_ms"] / out["legal_open_p50_ms"], 2)

        assert decided is not None
        doc = decided["documents"][0]
        ofd = (await cases.get(doc["url"], params={"format": "ofd"}, headers=LEGAL)).content
        checks = []
        for _ in range(CASES):
            ms, r = await _timed(
                lambda: cases.post("/documents/verify", content=ofd, headers={"Content-Type": "application/ofd"})
            )
            assert r.status_code == 200 and r.json()["intact"], r.text
            checks.append(ms)
        out["legal_verify_p50_ms"] = round(percentile(checks, 50), 1)
        case_id = decided_cases[-1]
        bound = []
        for _ in range(5):
            ms, r = await _timed(lambda: cases.get(f"/v1/cases/{case_id}/dossier.pdf", headers=LEGAL))
            r.raise_for_status()
            bound.append(ms)
        out["legal_dossier_p50_ms"] = round(percentile(bound, 50), 1)
        progress(
            f"  立案 p50 {out['legal_open_p50_ms']} ms, sealed decision p50 {out['legal_seal_p50_ms']} ms "
            f"(x{out['legal_ratio_seal_to_open']}), OFD check p50 {out['legal_verify_p50_ms']} ms"
        )

        progress(f"  a {VIDEO_MB} MB body-camera video over tus in 8 MB pieces, beside the disk")
        out.update(await _video(cases_url, opened_cases[0]))
        progress(
            f"  upload {out['evidence_upload_mb_s']} MB/s (disk {out['evidence_disk_mb_s']} MB/s), "
            f"1 MB range p50 {out['evidence_range_p50_ms']} ms"
        )
    return out


async def _video(cases_url: str, case_id: str) -> dict:
    from tusclient import client as tus

    with tempfile.TemporaryDirectory(prefix="bench-video-") as tmp:
        video = Path(tmp) / "DSJ_bench.mp4"
        body_camera_video(video, VIDEO_MB * MB)
        started = time.perf_counter()  # the ceiling: the same bytes written to this disk, synced
        with video.open("rb") as src, (Path(tmp) / "copy").open("wb") as dst:
            while block := src.read(8 * MB):
                dst.write(block)
            dst.flush()
            os.fsync(dst.fileno())
        disk_s = time.perf_counter() - started

        uploads = tus.TusClient(f"{cases_url}/v1/evidence-uploads", headers=OFFICER)
        meta = {"case_id": case_id, "filename": video.name, "filetype": "video/mp4"}
        started = time.perf_counter()
        await uploads.async_uploader(file_path=str(video), chunk_size=8 * MB, metadata=meta).upload()
        async with httpx.AsyncClient(base_url=cases_url, timeout=120) as cases:
            for _ in range(600):  # accepted once the last piece is in and the file is read and kept
                listed = (await cases.get(f"/v1/cases/{case_id}/evidence", headers=OFFICER)).json()
                if listed:
                    break
                await asyncio.sleep(0.1)
            upload_s = time.perf_counter() - started
            url = listed[0]["url"]
            ranges = []
            for i in range(20):
                first = i * 3 * MB
                ms, r = await _timed(
                    lambda f=first: cases.get(url, headers={**LEGAL, "Range": f"bytes={f}-{f + MB - 1}"})
                )
                assert r.status_code == 206 and len(r.content) == MB
                ranges.append(ms)
    return {
        "evidence_upload_mb_s": round(VIDEO_MB / upload_s, 1),
        "evidence_disk_mb_s": round(VIDEO_MB / disk_s, 1),
        "evidence_ratio_upload_to_disk": round(disk_s / upload_s, 3),
        "evidence_range_p50_ms": round(percentile(ranges, 50), 1),
    }
