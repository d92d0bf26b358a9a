"""The /demo/ page: the widget inside a fake SaaS app, in demo mode only."""

from __future__ import annotations

import pytest
from django.test import Client

from promoter.ingest.widget import widget_url


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
