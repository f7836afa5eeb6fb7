"""Intake's routes, one module per part: incidents (staff and systems), street (field monitors'
and patrol reports with photos), categories (the 服务目录), public (the citizens' report and
tracking), photos, open311 (GeoReport v2 and its keys), work_orders (12345 and 110 answered back),
subscriptions (webhooks), page (/links, the command centre's view of them), captures (a capture
camera's records: their review, and the party's lookup and answer, 行政处罚法 art. 41)."""

from intake.api import (
    captures,
    categories,
    incidents,
    open311,
    page,
    photos,
    public,
    street,
    subscriptions,
    work_orders,
)

routers = [
    incidents.router,
    street.router,
    work_orders.router,
    captures.router,
    subscriptions.router,
    page.router,
    categories.router,
    open311.router,
    open311.keys_router,
    public.router,
    photos.router,
    public.pages_router,
]
