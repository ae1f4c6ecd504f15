"""The first walk of a new user, as a person does it: log in, make a project, a storyboard and a
shot, generate it, watch it render and play it; and see a failed take's reason with a Retry."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import confirm, loaded, log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def add_shot(page: Page, prompt: str, duration: str) -> None:
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_label("Duration (seconds)").fill(duration)
    page.get_by_label("Aspect ratio").select_option("16:9")
    page.get_by_role("button", name="Add shot").click()


def test_new_user_generates_and_plays_a_take(
    page, live_server, studio_services, veo, django_user_model
):
    django_user_model.objects.create_user("dana", password=PASSWORD)
    base = live_server.url
    log_in(page, base, "dana")
    expect(page.get_by_text("Simulated gateway: nothing is charged")).to_be_visible()

    page.get_by_role("link", name="New project").first.click()
    page.get_by_label("Name").fill("Summer launch")
    page.get_by_label("Client").fill("Lemonade Co")
    page.get_by_label("Budget (USD)").fill("50")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Summer launch", exact=True)).to_be_visible()

    page.get_by_role("link", name="New storyboard").click()
    page.get_by_label("Title").fill("Hero spot")
    page.get_by_role("button", name="Create storyboard").click()
    expect(page.get_by_role("heading", name="Hero spot", exact=True)).to_be_visible()
    # The storyboard opens on the board; the walk works in the list of cards.
    page.get_by_role("navigation", name="Show the shots as").get_by_role(
        "link", name="List"
    ).click()
    expect(page.locator("#shot-list")).to_be_attached()
    loaded(page)

    page.get_by_label("Duration (seconds)").fill("4")
    expect(page.locator("#estimate")).to_have_text("4 s, $1.60")
    page.get_by_label("Duration (seconds)").fill("75")
    expect(page.locator("#estimate")).to_contain_text("1 to 60 seconds")
    add_shot(page, "A drone shot of a mountain lake at golden hour", "4")
    shot = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Shot 1", exact=True)
    )
    expect(shot).to_contain_text("A drone shot of a mountain lake")
    expect(page.get_by_label("Prompt")).to_have_value("")

    shot.get_by_role("button", name="Generate").click()
    assert confirm(page, "Generate") == "Generate a 4 s take of shot 1 for $1.60?"
    take = shot.get_by_role("listitem", name=re.compile("^Take 1"))
    expect(take).to_be_visible()
    expect(take.locator(".take-status")).to_have_text(
        re.compile("Queued|Waiting to submit|Submitting")
    )
    expect(take.locator(".take-status")).to_have_text("Running", timeout=20_000)
    expect(take.get_by_role("progressbar")).to_be_visible()
    expect(take).to_contain_text("elapsed")
    expect(take.locator(".take-status")).to_have_text("Completed", timeout=30_000)

    video = take.locator("video")
    expect(video).to_have_attribute("poster", re.compile(r"/poster\.jpg$"))
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.5", arg=video.element_handle())
    assert abs(video.evaluate("v => v.duration") - 4) < 0.2

    add_shot(page, "A city at night [blocked]", "2")
    failing = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Shot 2", exact=True)
    )
    failing.get_by_role("button", name="Generate").click()
    confirm(page, "Generate")
    failed = failing.get_by_role("listitem", name=re.compile("^Take 1"))
    expect(failed.locator(".take-status")).to_have_text("Failed", timeout=30_000)
    expect(failed).to_contain_text("The prompt was blocked by the provider's safety filter.")
    failed.get_by_text("Actions").click()  # a take's actions are in its menu
    failed.get_by_role("button", name="Retry").click()
    confirm(page, "Retry")
    expect(failing.get_by_role("listitem", name=re.compile("^Take 2"))).to_be_visible()
    expect(page.locator("#live-status")).to_contain_text("in progress")

    shot.get_by_label("Select shot 1").check()
    page.get_by_role("button", name="Generate selected").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Generate 1 shot, 4 s, $1.60?")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("1 take queued.")).to_be_visible()
    expect(shot.get_by_role("listitem", name=re.compile("^Take 2"))).to_be_visible()
    # The confirmation steps out of the way instead of outliving its news.
    expect(page.get_by_text("1 take queued.")).to_be_hidden(timeout=10_000)
    assert page.problems == []
