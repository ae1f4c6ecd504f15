"""What more than one browser test does with the page: log in, wait for a page to load, drag,
answer the studio's confirmation."""

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
