"""HTML answers go out gzipped to a browser that accepts it; media, partial and streamed
answers never do."""

import gzip
import io

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.urls import reverse

from studio.middleware import CompressHtml

PAGE = "<!doctype html><title>Board</title>" + "<li class='frame card'>Shot</li>" * 200


def answer(response, accept="gzip, deflate, br"):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=accept)
    return CompressHtml(lambda request: response)(request)


def test_html_is_gzipped_with_vary():
    response = answer(HttpResponse(PAGE))
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content).decode() == PAGE
    assert int(response["Content-Length"]) == len(response.content) < len(PAGE) / 10


def test_the_same_page_differs_in_length_between_answers():
    # BREACH: random bytes in the gzip header, as Django's GZipMiddleware adds.
    lengths = {len(answer(HttpResponse(PAGE)).content) for _ in range(20)}
    assert len(lengths) > 1


def test_html_stays_plain_for_a_client_that_does_not_accept_gzip():
    response = answer(HttpResponse(PAGE), accept="identity")
    assert not response.has_header("Content-Encoding")
    assert response.content.decode() == PAGE


def test_media_partial_and_streamed_answers_are_never_gzipped():
    video = HttpResponse(b"\0" * 5000, content_type="video/mp4")
    partial = HttpResponse(PAGE, status=206)
    streamed = StreamingHttpResponse(iter([PAGE]))
    file = FileResponse(io.BytesIO(PAGE.encode()), content_type="text/html")
    for response in (video, partial, streamed, file):
        assert not answer(response).has_header("Content-Encoding")


def test_the_storyboard_page_is_served_gzipped(client, studio):
    client.force_login(studio.bob)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert b"Hero spot" in gzip.decompress(response.content)
