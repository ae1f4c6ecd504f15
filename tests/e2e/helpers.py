"""What more than one browser test does with the page: log in, wait for a page to load, drag,
answer the studio's confirmation, check what axe-core finds."""

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def loaded(page: Page) -> None:
    """After a click that opens another page, once something of that page shows: wait until its
    scripts have run. htmx binds its triggers when the document has loaded (its script is
    deferred), and what is typed before then sends nothing: under load, the estimate kept the
    form's first "5 s, $2.00"."""
    page.wait_for_load_state("load")


def drag(page: Page, source, target) -> None:
    """Press, move in small steps, release: the way a hand drags (once the list is draggable:
    its script marks it when SortableJS is attached; a playlist's page has two such lists)."""
    expect(page.locator("[data-sortable=on]")).not_to_have_count(0)
    target.scroll_into_view_if_needed()
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 4, steps=20)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 2, steps=5)
    page.mouse.up()


def confirm(page: Page, label: str) -> str:
    """Press the studio's confirmation button named `label` (static/js/dialog.js) once it asks,
    and give back its question, for the test to check what was asked."""
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    question = dialog.locator("[data-confirm-question]").inner_text()
    dialog.get_by_role("button", name=label, exact=True).click()
    expect(dialog).to_be_hidden()
    return question


AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"


def axe_violations(page: Page) -> list[str]:
    """What axe-core finds on the page as it is now, of impact serious or critical, one line
    per rule with the elements it names. axe is evaluated as the page's script through the
    DevTools protocol: an injected <script> would be refused by the page's CSP, as it should."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length} elements: `
                    + v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(", ") + ")");
        }"""
    )
    return [f"{page.url}: {line}" for line in found]


def assert_accessible(page: Page) -> None:
    """No violation of impact serious or critical on the page, or fail listing them."""
    violations = axe_violations(page)
    assert not violations, "axe-core found:\n" + "\n".join(violations)
