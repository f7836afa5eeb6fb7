"""What the documentation says of the code is what the code does: the settings page is written
from the settings classes, every setting says what it is for, and the README's links lead
somewhere."""

import re
from pathlib import Path

from common.settings import AuthSettings, ServiceSettings
from devstack import settings_doc

REPO = Path(__file__).resolve().parents[2]


def test_the_settings_page_is_what_the_settings_classes_say():
    page = settings_doc.PAGE.read_text(encoding="utf-8")
    assert settings_doc.rendered(page) == page, "run `make docs`: docs/settings.md is out of date"


def test_every_setting_says_what_it_is_for():
    classes = [AuthSettings, ServiceSettings, *(settings_doc._settings_class(s) for s in settings_doc.SERVICES)]
    silent = [f"{c.__name__}.{n}" for c in classes for n, f in c.model_fields.items() if not f.description]
    assert not silent, f"settings without a description: {silent}"


def test_a_changed_default_shows_on_the_page():
    rows = settings_doc.tables()
    assert "| `<SERVICE>_RELAY_LINGER_S` | `0.0` |" in rows
    assert "| `REPORTING_CONSUMER_MEMBERS` | `2` |" in rows  # reporting's own default, beside the common one


def test_every_file_the_readmes_link_to_exists():
    pages = [REPO / "README.md", *REPO.glob("docs/*.md"), *REPO.glob("services/*/README.md"), REPO / "bench/README.md"]
    missing = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not (page.parent / target).exists():
                missing.append(f"{page.relative_to(REPO)} → {target}")
    assert not missing, missing
