"""Pinned comments in Chromium: a pin seeks the take's video (or the playlist's preview) and
plays it from there, by mouse and by keyboard; a reviewer draws a box on a paused frame that
comes back over the video at that moment after a reload, and a guest draws through a link."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from studio.playlists.models import Playlist
from studio.playlists.services import playlist_add_takes
from studio.review import services
from studio.review.models import Comment
from tests.e2e.helpers import loaded, log_in
from tests.e2e.rendered import rendered_takes
from tests.factories import make_link, make_shot, make_take

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def take(studio, tmp_path):
    (take,) = rendered_takes([studio.shot], tmp_path)
    return take


def open_storyboard(page, live_server, studio, take):
    log_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    loaded(page)
    card = page.locator(f"#take-{take.uuid}")
    card.locator("details.review-fold > summary").click()  # the review, fetched when opened
    card.locator("details.comments summary").click()
    return card


def wait_until(page, video, condition: str) -> None:
    page.wait_for_function(f"v => {condition}", arg=video.element_handle())


def test_a_pin_seeks_and_plays_by_mouse_and_by_keyboard(page, live_server, studio, take):
    card = open_storyboard(page, live_server, studio, take)
    card.get_by_label("Comment on take 1").fill("The lake, a beat longer")
    card.get_by_label("At (s, optional)").fill("2.5")
    card.get_by_role("button", name="Add comment").click()
    pin = card.get_by_role("button", name="Play take 1 from 2.5 s")
    video = card.locator("video")

    pin.click()
    wait_until(page, video, "!v.paused && v.currentTime >= 2.5")
    video.evaluate("v => { v.pause(); v.currentTime = 0; }")
    wait_until(page, video, "v.paused && v.currentTime < 0.5")

    pin.focus()
    page.keyboard.press("Enter")
    wait_until(page, video, "!v.paused && v.currentTime >= 2.5")
    video.evaluate("v => { v.pause(); v.currentTime = 0; }")
    pin.focus()
    page.keyboard.press("Space")
    wait_until(page, video, "!v.paused && v.currentTime >= 2.5")
    assert page.problems == []


def test_a_box_drawn_on_a_paused_frame_shows_over_the_video_at_its_moment(
    page, live_server, studio, take
):
    card = open_storyboard(page, live_server, studio, take)
    video = card.locator("video")
    video.evaluate("v => { v.preload = 'auto'; v.load(); }")
    wait_until(page, video, "v.readyState >= 1")
    video.evaluate("v => { v.currentTime = 1.04; }")
    wait_until(page, video, "Math.abs(v.currentTime - 1.04) < 0.01")

    tools = card.get_by_role("group", name="Draw on the paused frame of take 1")
    box_tool = tools.get_by_role("button", name="Box")
    expect(box_tool).to_have_attribute("aria-pressed", "false")
    box_tool.click()
    expect(box_tool).to_have_attribute("aria-pressed", "true")
    expect(card.get_by_label("At (s, optional)")).to_have_value("1.0")

    # Escape drops a drawing; Clear empties it and keeps the tool.
    frame = video.bounding_box()

    def drag(left: float, top: float, right: float, bottom: float) -> None:
        page.mouse.move(frame["x"] + frame["width"] * left, frame["y"] + frame["height"] * top)
        page.mouse.down()
        page.mouse.move(
            frame["x"] + frame["width"] * right, frame["y"] + frame["height"] * bottom, steps=8
        )
        page.mouse.up()

    drag(0.1, 0.1, 0.3, 0.3)
    expect(card.locator("svg.annotation-layer rect")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(box_tool).to_have_attribute("aria-pressed", "false")
    expect(card.locator("svg.annotation-layer rect")).to_have_count(0)
    box_tool.click()
    drag(0.1, 0.1, 0.3, 0.3)
    tools.get_by_role("button", name="Clear").click()
    expect(card.locator("svg.annotation-layer rect")).to_have_count(0)

    drag(0.25, 0.25, 0.75, 0.6)
    expect(tools).to_contain_text("1 shape drawn")
    card.get_by_label("Comment on take 1").fill("Put the logo in this box")
    card.get_by_role("button", name="Add comment").click()
    expect(
        card.get_by_role("button", name="Play take 1 from 1.0 s, with a drawing")
    ).to_be_visible()
    shape = Comment.objects.get().annotation
    assert [s["kind"] for s in shape] == ["box"]
    (x1, y1), (x2, y2) = shape[0]["points"]
    assert abs(x1 - 0.25) < 0.02 and abs(y1 - 0.25) < 0.02
    assert abs(x2 - 0.75) < 0.02 and abs(y2 - 0.6) < 0.02

    page.reload()
    loaded(page)
    card = page.locator(f"#take-{take.uuid}")
    # The drawings come with the comments, when the review is opened.
    card.locator("details.review-fold > summary").click()
    video = card.locator("video")
    video.evaluate("v => { v.preload = 'auto'; v.load(); }")
    wait_until(page, video, "v.readyState >= 1")
    drawing = card.get_by_role("img", name="Drawing of the comment at 1.0 s")
    video.evaluate("v => { v.currentTime = 3; }")
    wait_until(page, video, "Math.abs(v.currentTime - 3) < 0.01")
    expect(drawing).to_have_count(0)
    video.evaluate("v => { v.currentTime = 1.2; }")
    expect(drawing).to_be_visible()
    rect = drawing.locator("rect")
    expect(rect).to_have_attribute("x", str(x1))
    layer, picture = drawing.bounding_box(), video.bounding_box()
    assert all(abs(layer[key] - picture[key]) < 0.5 for key in picture)  # over the video
    assert page.problems == []


def test_a_guest_draws_an_arrow_on_a_shared_take(page, live_server, studio, take):
    link = make_link(studio.storyboard, studio.alice)
    page.goto(f"{live_server.url}/s/{link.token}/")
    page.get_by_label("Your name").fill("Clara")
    page.get_by_role("button", name="Continue").click()
    loaded(page)
    card = page.locator(f"#take-{take.uuid}")
    card.locator("details.comments summary").click()
    video = card.locator("video")
    video.evaluate("v => { v.preload = 'auto'; v.load(); }")
    wait_until(page, video, "v.readyState >= 1")
    video.evaluate("v => { v.currentTime = 2; }")
    wait_until(page, video, "Math.abs(v.currentTime - 2) < 0.01")
    tools = card.get_by_role("group", name="Draw on the paused frame of take 1")
    tools.get_by_role("button", name="Arrow").click()
    frame = video.bounding_box()
    page.mouse.move(frame["x"] + frame["width"] * 0.8, frame["y"] + frame["height"] * 0.8)
    page.mouse.down()
    page.mouse.move(frame["x"] + frame["width"] * 0.5, frame["y"] + frame["height"] * 0.5, steps=8)
    page.mouse.up()
    card.get_by_label("Comment on take 1").fill("The logo, here")
    card.get_by_role("button", name="Add comment").click()
    pin = card.get_by_role("button", name="Play take 1 from 2.0 s, with a drawing")
    expect(pin).to_be_visible()
    expect(card.get_by_role("img", name="Drawing of the comment at 2.0 s")).to_be_visible()
    comment = Comment.objects.get()
    assert comment.guest_name == "Clara"
    assert [shape["kind"] for shape in comment.annotation] == ["arrow"]
    assert page.problems == []


def test_a_pin_on_a_playlist_plays_the_preview_from_there(page, live_server, studio, take):
    second = make_take(make_shot(studio.storyboard, 2, video_model=studio.veo), length=4)
    second.video.save("take.mp4", take.video.file)
    playlist = Playlist.objects.create(project=studio.project, name="Hero 8", target_seconds=8)
    playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take, second])
    services.comment_add(
        target=playlist, body="The cut is late", at_seconds=Decimal("5"), user=studio.rita
    )
    log_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/playlists/{playlist.uuid}/")
    loaded(page)
    now_playing = page.locator("[data-now-playing]")
    expect(now_playing).to_contain_text("Shot 1, take 1")
    page.get_by_role("button", name="Play the preview from 5.0 s, Shot 2, take 1").click()
    expect(now_playing).to_contain_text("Shot 2, take 1")
    preview = page.get_by_label("Playlist preview")
    wait_until(page, preview, "!v.paused && v.currentTime > 1")
    assert page.problems == []


def test_escape_while_drawing_in_the_drawer_cancels_the_drawing_not_the_drawer(
    page, live_server, studio, take
):
    log_in(page, live_server.url, "rita")
    board = f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=board"
    page.goto(f"{board}&shot={studio.shot.uuid}")
    loaded(page)
    drawer = page.locator("#shot-drawer")
    card = drawer.locator(f"#take-{take.uuid}")
    card.locator("details.review-fold > summary").click()
    card.locator("details.comments summary").click()
    video = card.locator("video")
    video.evaluate("v => { v.preload = 'auto'; v.load(); }")
    wait_until(page, video, "v.readyState >= 1")
    card.get_by_label("Comment on take 1").fill("The logo goes here")
    box_tool = card.get_by_role("button", name="Box")
    box_tool.click()
    frame = video.bounding_box()
    page.mouse.move(frame["x"] + frame["width"] * 0.2, frame["y"] + frame["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(frame["x"] + frame["width"] * 0.5, frame["y"] + frame["height"] * 0.5, steps=5)
    page.mouse.up()
    expect(card.locator("svg.annotation-layer rect")).to_have_count(1)

    page.keyboard.press("Escape")

    expect(box_tool).to_have_attribute("aria-pressed", "false")
    expect(card.locator("svg.annotation-layer rect")).to_have_count(0)
    expect(drawer).to_be_visible()
    expect(card.get_by_label("Comment on take 1")).to_have_value("The logo goes here")
    page.keyboard.press("Escape")  # nothing is being drawn now: the drawer closes
    expect(drawer).to_be_hidden()
