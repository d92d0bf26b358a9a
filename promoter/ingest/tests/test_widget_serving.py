"""How the app serves the widget script and the demo page."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client

from promoter.ingest.views import WIDGET_SOURCE, widget_asset, widget_url


def test_the_versioned_script_is_immutable_and_gzipped():
    url = widget_url(versioned=True)
    assert url == f"/w/promoter.{widget_asset().version}.js"
    reply = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert reply.status_code == 200
    assert reply["Content-Type"] == "text/javascript; charset=utf-8"
    assert reply["Content-Encoding"] == "gzip"
    assert reply["Cache-Control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(reply.content) == WIDGET_SOURCE.read_bytes()
    assert len(reply.content) <= 12 * 1024


def test_the_stable_script_is_cached_briefly_and_revalidates():
    client = Client()
    reply = client.get("/w/promoter.js")
    assert reply.content == WIDGET_SOURCE.read_bytes()
    assert reply["Cache-Control"] == "public, max-age=3600"
    again = client.get("/w/promoter.js", HTTP_IF_NONE_MATCH=reply["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_an_old_version_gets_the_current_script_without_the_long_cache():
    reply = Client().get("/w/promoter.000000000000.js")
    assert reply.status_code == 200
    assert "immutable" not in reply["Cache-Control"]


@pytest.mark.django_db
def test_the_demo_page_exists_only_in_demo_mode(world, settings):
    settings.DEMO_MODE = False
    assert Client().get("/demo/").status_code == 404
    settings.DEMO_MODE = True
    reply = Client().get("/demo/?as=chloe")
    assert reply.status_code == 200
    html = reply.content.decode()
    assert world.alpha.public_key in html or world.beta.public_key in html
    assert widget_url(versioned=True) in html
    assert "Chloé Martin" in html


@pytest.mark.django_db
def test_a_new_demo_visitor_gets_a_stable_url(world, settings):
    settings.DEMO_MODE = True
    reply = Client().get("/demo/?as=new&hostile=1")
    assert reply.status_code == 302
    assert reply["Location"].startswith("/demo/?as=visitor-")
    assert "hostile=1" in reply["Location"]
    page = Client().get(reply["Location"]).content.decode()
    assert "New visitor" in page
    assert "all: unset" in page
