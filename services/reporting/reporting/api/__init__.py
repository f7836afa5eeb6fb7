"""Reporting's routes: the indicators, the ranking, the street's 劝导, the hotline centres' figures,
campaigns, the assessments (考评), the circular, the exports, the dashboard, and the monthly
counters and the rebuild kept from before."""

from reporting.api import (
    assessment,
    campaigns,
    circular,
    dashboard,
    exports,
    hotline,
    indicators,
    legacy,
    ranking,
    street,
)

routers = [
    indicators.router,
    ranking.router,
    street.router,
    hotline.router,
    campaigns.router,
    assessment.router,
    circular.router,
    exports.router,
    dashboard.router,
    legacy.router,
]
