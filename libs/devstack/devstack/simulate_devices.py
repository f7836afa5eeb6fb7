"""`make simulate-devices [TAGS=3000] [MONITORS=1000] [MINUTES=180] [URL=http://127.0.0.1:8000]`: realistic
readings of smart dog tags and online fume monitors driven into the running platform (`make run` or
`make up`), through the vendors' door (`POST /v1/telemetry`), as their platforms would send them.

It registers what it needs once (catering merchants with their monitors, dog licences with their
tags, five no-dog zones round the district's schools; run again, it finds them), then replays the
last MINUTES minutes of the day up to now, a minute at a time:

- dogs are walked along the district's streets (a grid of roads every ~500 m) from their homes, small
  dogs at the morning (07:00–09:00) and evening (18:00–21:00) peaks, large dogs early and late (their
  hours are 19:00–07:00); a few cut through a school's zone, a few large dogs are walked at noon;
- restaurants cook at lunch (10:30–13:30) and dinner (16:30–20:30), the fan on and the purifier
  with it; a few exceed the limit at their peaks, and one runs its fan with the purifier off.

A tag reports every 30 s while walked, a monitor every minute. Alarms become cases in the console."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from common.auth import Role, issue_token
from common.clock import BEIJING
from common.settings import AuthSettings

SCHOOLS = [
    ("sim-zone-ruhe", "汝河路小学", 113.61, 34.735),
    ("sim-zone-linshanzhai", "林山寨中学", 113.64, 34.765),
    ("sim-zone-jianshe", "建设路第一小学", 113.6345, 34.7538),
    ("sim-zone-mianfang", "棉纺路小学", 113.6152, 34.7621),
    ("sim-zone-tongbai", "桐柏路中学", 113.5981, 34.7489),
]
AREA = (113.572, 113.655, 34.725, 34.775)
STREETS = 0.005
"""The roads, every 0.005° (~450 m east–west, ~550 m north–south): dogs walk along them."""
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(n: int) -> str:
    """A well-formed 居民身份证号码 (GB 11643-1999 check digit) of a made-up person."""
    body = f"410102{1960 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def licence_of(n: int, size: str, home: tuple[float, float]) -> dict:
    return {
        "owner": {
            "name": "模拟犬主",
            "id_number": id_number(n),
            "phone": f"139{n:08d}",
            "address": f"模拟小区{n}号院",
            "location": {"lon": home[0], "lat": home[1]},
        },
        "dog": {
            "name": f"模拟犬{n}",
            "breed": "拉布拉多犬" if size == "large" else "柯基犬",
            "size": size,
            "sex": "female",
            "birth_date": "2024-03-01",
            "chip": f"15610{n:010d}",
        },
        "rabies": {"certificate": f"SIM-{n:06d}", "vaccinated_on": "2026-10-01"},
    }


def square(lon: float, lat: float, half: float = 0.0012) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@dataclass
class Dog:
    device_id: str
    size: str
    home: tuple[float, float]
    walks: list[tuple[datetime, list[tuple[float, float]]]]


@dataclass
class Kitchen:
    device_id: str
    exceeds: bool
    purifier_broken: bool


class Platform:
    def __init__(self, url: str) -> None:
        auth = AuthSettings()

        def bearer(role: Role, subject: str, scopes: tuple[str, ...] = ()) -> dict[str, str]:
            return {"Authorization": f"Bearer {issue_token(auth, role, subject=subject, scopes=scopes)}"}

        self.client = httpx.AsyncClient(base_url=url, timeout=120)
        self.admin = bearer(Role.admin, "simulator-admin")
        self.clerk = bearer(Role.ledger_clerk, "simulator-clerk")
        self.vendor = bearer(Role.external_system, "simulator-vendor", ("device-vendor",))

    async def device(self, device_id: str) -> dict | None:
        r = await self.client.get(f"/v1/devices/{device_id}", headers=self.clerk)
        return r.json() if r.status_code == 200 else None

    async def put(self, path: str, body: dict, headers: dict) -> dict:
        r = await self.client.put(path, json=body, headers=headers)
        if r.status_code >= 300:
            raise SystemExit(f"PUT {path}: {r.status_code} {r.text[:300]}")
        return r.json()

    async def post(self, path: str, body: dict, headers: dict) -> dict:
        r = await self.client.post(path, json=body, headers=headers)
        if r.status_code >= 300:
            raise SystemExit(f"POST {path}: {r.status_code} {r.text[:300]}")
        return r.json()


async def register(platform: Platform, tags: int, monitors: int, rng: random.Random) -> tuple[list, list]:
    for zone_id, name, lon, lat in SCHOOLS:
        await platform.put(
            f"/v1/dog-zones/{zone_id}", {"name": name, "kind": "school", "polygon": square(lon, lat)}, platform.admin
        )
    gate = asyncio.Semaphore(8)

    async def kitchen(n: int) -> Kitchen:
        device_id = f"sim-fume-{n:05d}"
        async with gate:
            if await platform.device(device_id) is None:
                lon, lat = rng.uniform(*AREA[:2]), rng.uniform(*AREA[2:])
                shop = await platform.post(
                    "/v1/merchants",
                    {
                        "name": f"模拟餐馆{n:05d}",
                        "operator": "模拟经营者",
                        "address": f"模拟路{n}号",
                        "business_nature": "餐饮",
                        "location": {"lon": lon, "lat": lat},
                    },
                    platform.clerk,
                )
                body = {"kind": "fume_monitor", "merchant_id": shop["id"], "serial_number": f"HJ212-{n:05d}"}
                await platform.put(f"/v1/devices/{device_id}", {**body, "vendor": "模拟厂商"}, platform.clerk)
        return Kitchen(device_id, exceeds=rng.random() < 0.02, purifier_broken=n == 0)

    async def dog(n: int) -> tuple[str, str, tuple[float, float]]:
        device_id = f"sim-tag-{n:05d}"
        size = "large" if n % 5 == 0 else "small"
        home = (round(rng.uniform(*AREA[:2]), 5), round(rng.uniform(*AREA[2:]), 5))
        async with gate:
            if await platform.device(device_id) is None:
                for _ in range(20):  # a large dog may not live in a key management zone (重点管理区): move house
                    r = await platform.client.post(
                        "/v1/dog-licences", json=licence_of(n, size, home), headers=platform.clerk
                    )
                    if r.status_code != 422:
                        break
                    home = (round(rng.uniform(*AREA[:2]), 5), round(rng.uniform(*AREA[2:]), 5))
                if r.status_code == 409:  # issued by a run that stopped before its tag was registered
                    found = await platform.client.get(f"/v1/dog-licences?chip=15610{n:010d}", headers=platform.clerk)
                    licence_id = found.json()[0]["id"]
                elif r.status_code == 201:
                    licence_id = r.json()["id"]
                else:
                    raise SystemExit(f"POST /v1/dog-licences: {r.status_code} {r.text[:300]}")
                await platform.put(
                    f"/v1/devices/{device_id}", {"kind": "dog_tag", "licence_id": licence_id}, platform.clerk
                )
        return device_id, size, home

    kitchens = await asyncio.gather(*(kitchen(n) for n in range(monitors)))
    dogs = await asyncio.gather(*(dog(n) for n in range(tags)))
    return list(kitchens), list(dogs)


def street_walk(home: tuple[float, float], via: tuple[float, float] | None, rng: random.Random, points: int) -> list:
    """A walk along the streets: to the nearest road, round a block or two (or to `via`), and home."""
    lon, lat = round(home[0] / STREETS) * STREETS, home[1]
    path = [home, (lon, lat)]
    target = via or (lon + rng.choice((-2, -1, 1, 2)) * STREETS, lat + rng.choice((-1, 1)) * STREETS)
    path += [(target[0], lat), target, (lon, target[1]), (lon, lat), home]
    # resample along the path, evenly
    legs = [(a, b, abs(b[0] - a[0]) + abs(b[1] - a[1])) for a, b in zip(path, path[1:], strict=False)]
    total = sum(d for _, _, d in legs) or 1e-9
    out = []
    for i in range(points):
        at, walked = total * i / max(points - 1, 1), 0.0
        for a, b, d in legs:
            if walked + d >= at or (a, b, d) == legs[-1]:
                f = 0 if d == 0 else min((at - walked) / d, 1)
                out.append((round(a[0] + (b[0] - a[0]) * f, 6), round(a[1] + (b[1] - a[1]) * f, 6)))
                break
            walked += d
    return out


def plan_walks(dogs, start: datetime, end: datetime, rng: random.Random) -> list[Dog]:
    day = start.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    planned = []
    for device_id, size, home in dogs:
        slots = [(5, 45), (19, 30)] if size == "large" else [(7, 0), (18, 30)]
        if size == "large" and rng.random() < 0.05:
            slots.append((12, 0))  # walked at noon: outside a large dog's hours
        if size == "small" and rng.random() < 0.03:
            slots.append((23, 0))  # too late for any dog
        walks = []
        for days in (0, 1):
            for hour, minute in slots:
                begin = day + timedelta(days=days, hours=hour, minutes=minute + rng.randint(0, 35))
                if not (start <= begin and begin + timedelta(minutes=40) <= end):
                    continue
                via = None
                if rng.random() < 0.03:  # cuts through a school's zone
                    _, _, lon, lat = rng.choice(SCHOOLS)
                    via = (lon, lat)
                length = rng.randint(40, 70)  # readings, 30 s apart: 20–35 minutes
                walks.append((begin, street_walk(home, via, rng, length)))
        planned.append(Dog(device_id, size, home, walks))
    return planned


def fume_reading(k: Kitchen, at: datetime, rng: random.Random) -> dict:
    local = at.astimezone(BEIJING)
    minutes = local.hour * 60 + local.minute
    cooking = 630 <= minutes < 810 or 990 <= minutes < 1230
    peak = 690 <= minutes < 750 or 1080 <= minutes < 1170
    fume = rng.uniform(0.05, 0.2)
    if cooking:
        fume = rng.uniform(0.5, 1.4)
        if k.exceeds and peak:
            fume = rng.uniform(2.4, 4.0)
    purifier = cooking and not (k.purifier_broken and minutes >= 990)
    return {
        "device_id": k.device_id,
        "time": at.isoformat(),
        "fume_mg_m3": round(fume, 2),
        "pm_mg_m3": round(fume * 1.8, 2),
        "nmhc_mg_m3": round(fume * 4.5, 2),
        "fan_on": cooking,
        "purifier_on": purifier,
    }


async def replay(platform: Platform, kitchens, dogs: list[Dog], start: datetime, end: datetime, rng) -> dict:
    sent = accepted = refused = alarms = 0
    began = time.monotonic()
    queue: list[dict] = []
    inflight: set[asyncio.Task] = set()
    gate = asyncio.Semaphore(4)

    async def send(batch: list[dict]) -> None:
        nonlocal accepted, refused, alarms
        async with gate:
            answer = await platform.post("/v1/telemetry", {"readings": batch}, platform.vendor)
        accepted += answer["accepted"]
        refused += len(answer["refused"])
        alarms += answer.get("alarms") or 0

    def flush() -> None:
        nonlocal queue, sent
        while len(queue) >= 1000:
            sent += 1000
            batch, queue = queue[:1000], queue[1000:]
            task = asyncio.create_task(send(batch))
            inflight.add(task)
            task.add_done_callback(inflight.discard)

    walks = {(d.device_id, n): w for d in dogs for n, w in enumerate(d.walks)}
    minute = start
    while minute < end:
        for k in kitchens:
            queue.append(fume_reading(k, minute + timedelta(seconds=rng.randint(0, 59)), rng))
        for second in (0, 30):
            at = minute + timedelta(seconds=second)
            for (device_id, _), (begin, points) in walks.items():
                step = int((at - begin).total_seconds() // 30)
                if 0 <= step < len(points):
                    lon, lat = points[step]
                    queue.append(
                        {"device_id": device_id, "time": at.isoformat(), "lon": lon, "lat": lat, "battery": 80}
                    )
        flush()
        if len(inflight) > 8:
            await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
        minute += timedelta(minutes=1)
    if queue:
        sent += len(queue)
        await send(queue)
    if inflight:
        await asyncio.gather(*inflight)
    elapsed = time.monotonic() - began
    return {"sent": sent, "accepted": accepted, "refused": refused, "alarms": alarms, "seconds": round(elapsed, 1)}


async def run(url: str, tags: int, monitors: int, minutes: int, seed: int) -> int:
    rng = random.Random(seed)
    platform = Platform(url)
    try:
        print(f"registering {monitors} fume monitors and {tags} dog tags at {url} (once; found again after)")
        kitchens, dogs = await register(platform, tags, monitors, rng)
        end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
        start = end - timedelta(minutes=minutes)
        walked = plan_walks(dogs, start, end, rng)
        print(
            f"replaying {start.astimezone(BEIJING):%m-%d %H:%M} – {end.astimezone(BEIJING):%H:%M} (Beijing): "
            f"{sum(len(d.walks) for d in walked)} walks, {monitors} kitchens"
        )
        result = await replay(platform, kitchens, walked, start, end, rng)
    finally:
        await platform.client.aclose()
    rate = result["accepted"] / result["seconds"] if result["seconds"] else 0
    print(
        f"{result['sent']:,} readings sent in {result['seconds']} s ({rate:,.0f}/s taken): {result['accepted']:,} "
        f"accepted, {result['refused']:,} refused"
        + (
            f", {result['alarms']} alarms raised at once (make run)"
            if result["alarms"]
            else "; the judge raises the alarms"
        )
    )
    print("the alarms become cases of the iot channel: see the dispatch console (/console)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.simulate_devices", description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--tags", type=int, default=3000)
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=180, help="replay the last minutes, up to now (max 10080)")
    parser.add_argument("--seed", type=int, default=27)
    args = parser.parse_args(argv)
    if not 1 <= args.minutes <= 7 * 24 * 60 - 60:
        parser.error("--minutes: between 1 and 10020 (readings older than 7 days are refused)")
    return asyncio.run(run(args.url.rstrip("/"), args.tags, args.monitors, args.minutes, args.seed))


if __name__ == "__main__":
    sys.exit(main())
