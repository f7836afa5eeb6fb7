"""Every service has the one shape README "Where things are" describes (the import-linter
contracts of `make lint` hold its layers): a new reader finds each service's domain, handlers,
queries, tables, routes and entry point in the same place, and a rule changes in one place."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "dispatch", "cases", "ledger", "reporting")
LAYERS = ("domain", "handlers", "queries", "tables", "api", "service", "settings")
LONGEST = 500
"""Lines (as ruff formats them) a module may reach before it must become a package; the README asks
for a package from about 450."""


def _package(service: str) -> Path:
    return REPO / "services" / service / service


def _sources() -> list[Path]:
    services = [p for p in (REPO / "services").rglob("*.py") if "migrations" not in p.parts]
    return services + list((REPO / "libs" / "common").rglob("*.py"))


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_every_layer_as_a_module_or_a_package(service):
    root = _package(service)
    missing = [
        layer for layer in LAYERS if not ((root / f"{layer}.py").exists() or (root / layer / "__init__.py").exists())
    ]
    assert not missing, f"{service} has no {missing}"
    assert (root / "api" / "deps.py").exists(), f"{service}'s api package has no deps.py"


def test_the_readme_names_the_layers_the_services_have():
    where = (REPO / "README.md").read_text(encoding="utf-8").split("## Where things are", 1)[1].split("\n## ", 1)[0]
    assert all(re.search(rf"^  {layer}\b", where, re.M) for layer in LAYERS + ("adapters",)), where


def test_no_module_has_outgrown_a_package():
    long = {
        str(p.relative_to(REPO)): n
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > LONGEST
    }
    assert not long, f"split these into a package: {long}"


def test_each_service_is_reached_through_its_one_typed_dependency():
    defined = [p for p in _sources() if re.search(r"^def get_service\(", p.read_text(encoding="utf-8"), re.M)]
    assert sorted(p.relative_to(REPO).as_posix() for p in defined) == sorted(
        f"services/{s}/{s}/api/deps.py" for s in SERVICES
    )
    untyped = [p for p in _sources() if "Depends(get_service)" in p.read_text(encoding="utf-8") and p.name != "deps.py"]
    assert not untyped, untyped


def test_refusals_are_raised_not_translated_route_by_route():
    """One exception handler answers every refusal: no route catches a domain error to turn it
    into an HTTP answer of its own."""
    translated = [
        f"{p.relative_to(REPO)}:{n}"
        for p in _sources()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"with \w*refusals\(\)|raise HTTPException\(", line)
    ]
    assert not translated, translated
