"""Confirmations ask in the studio's own dialog (static/js/dialog.js), not the browser's: it names
the action, Escape and Cancel send nothing, and focus goes back to the button that asked."""

import re

import pytest
from playwright.sync_api import expect

from studio.brands.models import BrandKit
from studio.generation.models import Take, TakeStatus
from tests.e2e.helpers import confirm, loaded, log_in
from tests.factories import make_brand_kit, make_take

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def focus_is_in(page, selector: str) -> bool:
    return page.evaluate(f"() => !!document.activeElement.closest({selector!r})")


def test_generate_asks_in_the_studios_dialog(page, live_server, studio):
    browser_dialogs: list[str] = []
    page.on("dialog", lambda dialog: (browser_dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    loaded(page)
    card = page.locator(f"#shot-{studio.shot.uuid}")
    generate = card.get_by_role("button", name="Generate", exact=True)

    generate.click()
    dialog = page.get_by_role("dialog", name="Are you sure?")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_description(
        re.compile("^Generate a 4 s take of shot 1 for \\$1.60\\?")
    )
    expect(dialog.get_by_role("button", name="Generate")).to_be_focused()
    # What the budget keeps, asked for as the dialog opened ($100 budget, nothing spent yet).
    expect(dialog.locator("#confirm-detail")).to_have_text(
        "$98.40 of the budget remains afterwards."
    )
    # Modal: Tab cycles through the dialog's own buttons, never the page behind it.
    for _ in range(3):
        page.keyboard.press("Tab")
        assert focus_is_in(page, "#confirm-dialog") or page.evaluate(
            "() => document.activeElement === document.body"
        )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(generate).to_be_focused()

    generate.click()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(generate).to_be_focused()
    assert not Take.objects.exists()

    generate.click()
    assert confirm(page, "Generate") == "Generate a 4 s take of shot 1 for $1.60?"
    expect(card.get_by_role("listitem", name=re.compile("^Take 1"))).to_be_visible()
    assert Take.objects.count() == 1
    assert browser_dialogs == []
    assert page.problems == [], page.problems


def test_a_plain_forms_delete_waits_for_the_dialog(page, live_server, studio):
    make_brand_kit(studio.project, name="Lemonade")
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/teams/{studio.team.uuid}/brand-kits/")
    loaded(page)
    delete = page.get_by_role("button", name="Delete", exact=True)

    delete.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete the brand kit Lemonade?")
    # What cannot be undone starts on Cancel: Enter alone does not delete.
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(delete).to_be_focused()
    assert BrandKit.objects.count() == 1

    delete.click()
    confirm(page, "Delete")
    expect(page.get_by_text("Brand kit Lemonade deleted.")).to_be_visible()
    assert not BrandKit.objects.exists()
    assert page.problems == [], page.problems


def test_cancelling_a_take_asks_with_words_that_cannot_be_mistaken(page, live_server, studio):
    take = make_take(studio.shot, status=TakeStatus.RUNNING)
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    loaded(page)
    card = page.locator(f"#take-{take.uuid}")
    card.get_by_text("Actions").click()
    card.get_by_role("button", name="Cancel", exact=True).click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Cancel take 1? A cancelled take is not charged.")
    # "Cancel" would read as the action itself: the dialog's buttons say what each does, and
    # the one that stops a render is not where Enter lands.
    keep = dialog.get_by_role("button", name="Keep it")
    expect(keep).to_be_focused()
    expect(dialog.get_by_role("button", name="Cancel take")).to_be_visible()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    take.refresh_from_db()
    assert take.status == TakeStatus.RUNNING
    assert page.problems == [], page.problems
