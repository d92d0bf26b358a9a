"""How the app serves the widget's two scripts (the demo page: promoter/demo/tests)."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client

from promoter.ingest.widget import (
    QUESTIONS_PATH,
    WIDGET_PATH,
    questions_asset,
    questions_url,
    widget_asset,
    widget_url,
)

SCRIPTS = {
    "promoter": (widget_asset, widget_url),
    "questions": (questions_asset, questions_url),
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_versioned_script_is_immutable_and_gzipped(name):
    asset, url_of = SCRIPTS[name]
    url = url_of(versioned=True)
    assert url == f"/w/{name}.{asset().version}.js"
    reply = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert reply.status_code == 200
    assert reply["Content-Type"] == "text/javascript; charset=utf-8"
    assert reply["Content-Encoding"] == "gzip"
    assert reply["Cache-Control"] == "public, max-age=31536000, immutable"
    assert reply["Access-Control-Allow-Origin"] == "*"
    assert reply["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert gzip.decompress(reply.content) == asset().body
    assert len(reply.content) <= 12 * 1024


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_stable_script_is_cached_briefly_and_revalidates(name):
    asset, url_of = SCRIPTS[name]
    client = Client()
    reply = client.get(url_of(versioned=False))
    assert reply.content == asset().body
    assert reply["Cache-Control"] == "public, max-age=3600"
    again = client.get(url_of(versioned=False), HTTP_IF_NONE_MATCH=reply["ETag"])
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("name", SCRIPTS)
def test_an_old_version_gets_the_current_script_without_the_long_cache(name):
    asset, _url = SCRIPTS[name]
    reply = Client().get(f"/w/{name}.000000000000.js")
    assert reply.status_code == 200
    assert reply.content == asset().body
    assert "immutable" not in reply["Cache-Control"]


def test_questions_js_is_served_as_it_is_written():
    assert questions_asset().body == QUESTIONS_PATH.read_bytes()


def test_promoter_js_names_the_version_of_questions_js_it_loads():
    """promoter.js is its source with the version of questions.js written in, so a release's
    promoter.js loads that release's questions.js; its own version follows from both."""
    source = WIDGET_PATH.read_bytes()
    version = questions_asset().version.encode()
    assert widget_asset().body == source.replace(b"@questions-version@", version)
    script = Client().get(widget_url(versioned=True)).content
    assert f'const QV = "{questions_asset().version}";'.encode() in script
    assert Client().get(f"/w/questions.{version.decode()}.js").status_code == 200
