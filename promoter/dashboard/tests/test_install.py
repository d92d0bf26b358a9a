"""The Install page: the snippet, origins and identity-verification code."""

from __future__ import annotations

from django.urls import reverse

from promoter.core.ids import user_hash_for


def page(world, role: str) -> str:
    return world.client_for(role).get(reverse("project-install", args=["alpha"])).content.decode()


def test_the_snippet_carries_the_key_and_the_script_url(world):
    html = page(world, "viewer")
    assert world.alpha.public_key in html
    assert "/w/promoter.js" in html
    assert "Promoter.init(" in html
    for language in ("Python", "Node.js", "Ruby", "PHP"):
        assert f"<h3>{language}</h3>" in html
    assert "No allowed origins are set" in html


def test_the_secret_is_shown_to_admins_only(world):
    assert world.alpha.secret not in page(world, "viewer")
    assert world.alpha.secret not in page(world, "member")
    owner = page(world, "owner")
    assert world.alpha.secret in owner
    assert user_hash_for(secret=world.alpha.secret, identifier="USER_ID") in owner


def test_required_verification_adds_user_hash_to_the_snippet(world):
    world.alpha.require_identity_verification = True
    world.alpha.allowed_origins = ["https://app.alpha.test"]
    world.alpha.save()
    html = page(world, "admin")
    assert "user_hash: &quot;USER_HASH&quot;" in html
    assert "https://app.alpha.test" in html


def test_the_snippet_is_the_queue_stub_and_the_calls_are_explained(world, settings):
    settings.SITE_URL = "https://feedback.example.com"
    html = page(world, "member")
    assert (
        "window.Promoter=window.Promoter||{q:[]};"
        "[&quot;init&quot;,&quot;identify&quot;,&quot;show&quot;,&quot;reset&quot;,&quot;track&quot;]"
        ".forEach(function(m){Promoter[m]=Promoter[m]||function(){Promoter.q.push([m,arguments])}});"
    ) in html
    assert f"key: &quot;{world.alpha.public_key}&quot;" in html
    assert "&lt;script async src=&quot;https://feedback.example.com/w/promoter.js&quot;" in html
    assert "user_hash" not in html.split('id="snippet"')[1].split("</pre>")[0]  # not required
    for call in ('Promoter.track("checkout_completed")', "Promoter.show()", "Promoter.reset()"):
        assert f"<code>{call}</code>" in html.replace("&quot;", '"')
    assert "docs/ingest-api.md" in html


def test_others_see_a_placeholder_in_the_snippets(world):
    html = page(world, "viewer")
    assert "An admin or owner can see the project secret" in html
    assert html.count("YOUR_PROJECT_SECRET") == 4  # one per language
    assert user_hash_for(secret=world.alpha.secret, identifier="USER_ID") not in html
    owner = page(world, "owner")
    assert "YOUR_PROJECT_SECRET" not in owner
    assert owner.count(world.alpha.secret) == 5  # shown once, then in the four snippets


def test_the_page_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    client = world.client_for("viewer")
    with django_assert_max_num_queries(4):
        assert client.get(reverse("project-install", args=["alpha"])).status_code == 200
