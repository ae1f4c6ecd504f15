"""The shape the architecture issue set: small modules, one job each. The import rules (layers,
no circles, views apart) are checked by `make layers` (.importlinter)."""

from pathlib import Path

import studio

MAX_LINES = 450
PACKAGE = Path(studio.__file__).parent


def test_no_module_in_the_package_is_over_450_lines():
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
