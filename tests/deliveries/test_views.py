"""The delivery's one progress view, its downloads, and Export all from the ad's page: who may
see them, what they cost in queries, and when the polling stops."""

import csv
import io
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.urls import reverse

from studio.deliveries.models import Delivery, DeliveryStatus
from studio.playlists.models import Export
from studio.review.models import ReviewState
from studio.review.services import Guest, review_decide
from tests.deliveries.conftest import exports_of, fail_export, finish_export, packed
from tests.factories import make_link

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
DELIVERY_URLS = ["delivery_detail", "delivery_package", "delivery_sheet", "delivery_sheet_csv"]


def test_outsider_gets_404_and_starts_nothing(client, studio, ad, deliverables, ready):
    client.force_login(studio.oscar)
    for name in DELIVERY_URLS:
        assert client.get(reverse(name, args=[ready.uuid])).status_code == 404, name
    assert client.post(reverse("delivery_retry", args=[ready.uuid])).status_code == 404
    assert client.post(reverse("delivery_start", args=[ad.uuid])).status_code == 404
    assert Delivery.objects.count() == 1


def test_export_all_opens_the_deliverys_progress(client, studio, ad, deliverables):
    client.force_login(studio.bob)
    response = client.post(reverse("delivery_start", args=[ad.uuid]))
    delivery = Delivery.objects.get()
    assert response.url == reverse("delivery_detail", args=[delivery.uuid])
    assert Export.objects.count() == 2


def test_export_all_with_nothing_to_deliver_explains_on_the_ads_page(client, studio, ad):
    client.force_login(studio.bob)
    response = client.post(reverse("delivery_start", args=[ad.uuid]))
    assert response.url == reverse("playlist_detail", args=[ad.uuid])
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "has no deliverables yet" in message
    htmx = client.post(reverse("delivery_start", args=[ad.uuid]), **HTMX)
    assert htmx["HX-Retarget"] == "#playlist-alert" and "has no deliverables yet" in htmx.text
    assert not Delivery.objects.exists()


def test_viewer_may_follow_but_not_start_or_run_again(client, studio, ad, deliverables, started):
    for export in exports_of(started):
        fail_export(export)
    packed(started)
    client.force_login(studio.vera)
    page = client.get(reverse("delivery_detail", args=[started.uuid]))
    assert page.status_code == 200 and "Run again" not in page.text
    assert client.post(reverse("delivery_retry", args=[started.uuid])).status_code == 403
    assert client.post(reverse("delivery_start", args=[ad.uuid])).status_code == 403
    client.force_login(studio.bob)
    page = client.get(reverse("delivery_detail", args=[started.uuid]))
    assert "Run again" in page.text
    assert "Renders the 2 failed files again and keeps the 0 finished" in page.text


def test_progress_page_query_count(client, studio, started, django_assert_num_queries):
    client.force_login(studio.bob)
    # user, delivery (+ad, project, team, its starter), files (+exports,
    # deliverables), the user's memberships (may edit, and the team switcher), the pause banner
    with django_assert_num_queries(5):
        page = client.get(reverse("delivery_detail", args=[started.uuid]))
    assert 'hx-trigger="every 2s"' in page.text
    assert page.text.count("<progress") == 3  # the whole and each file
    assert "HX-Request" in page["Vary"]


def test_progress_fragment_query_count_and_accessible_bars(
    client, studio, started, django_assert_num_queries
):
    vertical, _square = exports_of(started)
    Export.objects.filter(pk=vertical.pk).update(status="running", progress=40)
    client.force_login(studio.bob)
    # user, delivery (+ad, project, team, its starter), files (+exports,
    # deliverables), the user's memberships (may edit: Run again once it fails)
    with django_assert_num_queries(4):
        fragment = client.get(reverse("delivery_detail", args=[started.uuid]), **HTMX)
    assert fragment.text.lstrip().startswith('<section id="delivery-progress"')
    assert f'aria-label="{vertical.file_name}: 40%"' in fragment.text
    assert "Rendering: 0 of 2 files done" in fragment.text
    assert 'value="20"' in fragment.text  # the whole: (40 + 0) / 2


def test_polling_stops_when_the_delivery_is_ready(client, studio, ready):
    client.force_login(studio.bob)
    fragment = client.get(reverse("delivery_detail", args=[ready.uuid]), **HTMX)
    assert "hx-trigger" not in fragment.text
    assert reverse("delivery_package", args=[ready.uuid]) in fragment.text
    assert reverse("delivery_sheet", args=[ready.uuid]) in fragment.text


def test_downloads_wait_until_ready(client, studio, started):
    client.force_login(studio.bob)
    for name in ["delivery_package", "delivery_sheet", "delivery_sheet_csv"]:
        assert client.get(reverse(name, args=[started.uuid])).status_code == 404, name


def test_zip_download_answers_range_requests_and_names_the_file(client, studio, ready):
    client.force_login(studio.bob)
    url = reverse("delivery_package", args=[ready.uuid])
    whole = client.get(url)
    body = b"".join(whole.streaming_content)
    assert whole["Content-Type"] == "application/zip"
    assert whole["Content-Disposition"].startswith('attachment; filename="summer-launch_hero-15')
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    part = client.get(url, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and b"".join(part.streaming_content) == body[:4]


def test_sheet_page_is_printable_and_names_the_approver(client, studio, started, deliverables):
    review_decide(target=deliverables[0], state=ReviewState.APPROVED, user=studio.alice)
    for export in exports_of(started):
        finish_export(export)
    delivery = packed(started)
    assert delivery.status == DeliveryStatus.READY
    client.force_login(studio.vera)
    page = client.get(reverse("delivery_sheet", args=[delivery.uuid]))
    assert "css/delivery-sheet" in page.text and "<style>" not in page.text  # the CSP's way
    assert "<td>Approved</td>" in page.text and "<td>alice" in page.text
    csv_response = client.get(reverse("delivery_sheet_csv", args=[delivery.uuid]))
    assert csv_response["Content-Disposition"] == 'attachment; filename="delivery-sheet.csv"'
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert [row["Approved by"] for row in rows] == ["alice", "—"]


def test_the_sheet_csv_opens_in_a_spreadsheet_as_utf8(client, studio, started, deliverables):
    guest = Guest(name="Clara\u2019s agency", link=make_link(deliverables[0], studio.alice))
    review_decide(target=deliverables[0], state=ReviewState.APPROVED, guest=guest)
    for export in exports_of(started):
        finish_export(export)
    delivery = packed(started)
    client.force_login(studio.vera)
    response = client.get(reverse("delivery_sheet_csv", args=[delivery.uuid]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    # Excel reads a CSV as the machine's code page unless it starts with the byte order mark.
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Approved by"] for row in rows] == ["Clara\u2019s agency (guest)", "—"]


def test_export_all_partial_offers_the_button_to_editors_only(studio, ad, ready):
    context = {"ad": ad, "can_edit": True, "deliveries": [ready]}
    html = render_to_string("deliveries/export_all.html", context)
    assert reverse("delivery_start", args=[ad.uuid]) in html and "Export all" in html
    assert reverse("delivery_detail", args=[ready.uuid]) in html
    viewer = render_to_string("deliveries/export_all.html", {"ad": ad, "can_edit": False})
    assert "Export all" not in viewer


def test_the_polled_fragment_offers_run_again_once_the_delivery_fails(
    client, studio, started, django_assert_num_queries
):
    for export in exports_of(started):
        fail_export(export)
    client.force_login(studio.bob)
    url = reverse("delivery_detail", args=[started.uuid])
    assert "Run again" not in client.get(url, **HTMX).text  # still rendering
    packed(started)
    # user, delivery (+ad, project, team, its starter), files (+exports,
    # deliverables), the user's memberships (may edit)
    with django_assert_num_queries(4):
        fragment = client.get(url, **HTMX)
    assert "Run again" in fragment.text
    client.force_login(studio.vera)
    assert "Run again" not in client.get(url, **HTMX).text


def test_a_deleted_deliverable_asks_for_export_all_not_run_again(
    client, studio, ad, started, deliverables
):
    for export in exports_of(started):
        finish_export(export)
    deliverables[1].delete()
    packed(started)
    client.force_login(studio.bob)
    page = client.get(reverse("delivery_detail", args=[started.uuid]))
    assert "was deleted before it was packed; run Export all again." in page.text
    assert "Run again" not in page.text
    assert reverse("playlist_detail", args=[ad.uuid]) in page.text


def test_run_again_promises_to_render_a_file_that_could_not_be_packed(client, studio, started):
    vertical, square = exports_of(started)
    finish_export(vertical)
    finish_export(square)
    square.video.storage.delete(square.video.name)
    packed(started)
    client.force_login(studio.bob)
    page = client.get(reverse("delivery_detail", args=[started.uuid]))
    assert "Renders the 1 failed file again and keeps the 1 finished" in page.text


def test_the_admin_shows_a_delivery_but_does_not_edit_it(admin_client, ready):
    url = reverse("admin:deliveries_delivery_change", args=[ready.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="status"' not in page.text and 'name="files-0-export"' not in page.text
    posted = admin_client.post(url, {"status": "rendering", "ad": ready.ad_id})
    assert posted.status_code == 403
    ready.refresh_from_db()
    assert ready.status == DeliveryStatus.READY
    assert admin_client.get(reverse("admin:deliveries_delivery_add")).status_code == 403
    delete = reverse("admin:deliveries_delivery_delete", args=[ready.pk])
    assert admin_client.get(delete).status_code == 200
