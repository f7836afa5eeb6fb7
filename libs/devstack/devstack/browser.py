"""Debian's Chromium (installed by `make browser`), driven by Playwright for the browser tests
and the console bench; never a browser Playwright downloads."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


async def launch(playwright):
    """Headless Debian Chromium, as this machine and CI can run it (no sandbox, no GPU)."""
    return await playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
    )
