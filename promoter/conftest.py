"""The one fixture world every permission test reuses.

Project A ("alpha") has an owner, an admin, a member and a viewer; project B ("beta") belongs
to the outsider, who must never see anything of A.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from promoter.accounts.models import Membership, Project, Role, User
from promoter.actions.projects import project_create
from promoter.integrations.tests.receiver import receiver  # noqa: F401  (a fixture)
from promoter.tests.browser import browser  # noqa: F401  (the browser tests' fixture)

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    alpha: Project
    beta: Project
    owner: User
    admin: User
    member: User
    viewer: User
    outsider: User

    def user(self, name: str) -> User:
        return getattr(self, name)

    def client_for(self, name: str) -> Client:
        client = Client()
        if name != "anonymous":
            client.force_login(self.user(name))
        return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    users = {
        name: User.objects.create_user(f"{name}@example.com", PASSWORD, first_name=name.title())
        for name in ("owner", "admin", "member", "viewer", "outsider")
    }
    alpha = project_create(owner=users["owner"], name="Alpha", slug="alpha")
    beta = project_create(owner=users["outsider"], name="Beta", slug="beta")
    for name, role in (("admin", Role.ADMIN), ("member", Role.MEMBER), ("viewer", Role.VIEWER)):
        Membership.objects.create(user=users[name], project=alpha, role=role)
    return World(alpha=alpha, beta=beta, **users)
