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
