"""How the app serves the widget script (the demo page: promoter/demo/tests)."""

from __future__ import annotations

import gzip

from django.test import Client

from promoter.ingest.widget import WIDGET_PATH as WIDGET_SOURCE
from promoter.ingest.widget import widget_asset, widget_url


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
