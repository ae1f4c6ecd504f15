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


def test_no_template_comment_runs_over_a_line():
    """Django's {# #} comment ends on its own line; one that runs on is shown on the page as
    text (a storyboard's Variants panel showed its own note). Longer notes use {% comment %}."""
    templates = PACKAGE.parent / "templates"
    shown = [
        f"{path.relative_to(templates)}:{number}"
        for path in templates.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]
    assert shown == []
