from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from promoter.core.ids import new_project_secret, new_public_key


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A teammate who signs in to the dashboard; identified by e-mail."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Project(models.Model):
    """The product being surveyed: the tenant that owns every other row."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    public_key = models.CharField(max_length=40, unique=True, default=new_public_key)
    secret = models.CharField(max_length=60, default=new_project_secret)
    timezone = models.CharField(max_length=64, default="UTC")
    allowed_origins = models.JSONField(default=list, blank=True)
    require_identity_verification = models.BooleanField(default=False)
    # Survey-fatigue guard: no person is asked any survey (any kind, any channel) more often.
    fatigue_days = models.PositiveIntegerField(default=30)
    look = models.JSONField(default=dict, blank=True)
    # The project's own mail server for surveys and replies (smtp://, smtp+tls://, smtps://);
    # blank: the installation's EMAIL_URL. A secret: written, never shown again.
    smtp_url = models.CharField(max_length=500, blank=True)
    email_from = models.CharField(max_length=254, blank=True)  # "Acme <support@acme.com>"
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# What each role may do, most powerful first; a role includes every right of those after it.
ROLE_RANK = {Role.OWNER: 4, Role.ADMIN: 3, Role.MEMBER: 2, Role.VIEWER: 1}


class Membership(models.Model):
    user = models.ForeignKey(User, models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="membership_user_project"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"

    def has_role(self, minimum: str) -> bool:
        """Return whether this membership's role is ``minimum`` or more powerful."""
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(minimum)]


class Invitation(models.Model):
    """An e-mailed link that makes its recipient a member of a project with a role."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # Off, only the account with ``email`` (case-insensitive) may accept; on, whoever holds the
    # link may (a shared inbox, an address that differs from the teammate's login).
    anyone_with_link = models.BooleanField(default=False)
    invited_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(Lower("email"), "project", name="invitation_project_email")]

    def __str__(self) -> str:
        return f"{self.email} to {self.project}"

    def may_be_accepted_by(self, user: User) -> bool:
        """Return whether ``user`` may accept: the invited address, or anyone if so chosen."""
        return self.anyone_with_link or user.email.strip().lower() == self.email.strip().lower()


class ApiKey(models.Model):
    """A secret key for the REST API: ``sk_<lookup>_<secret>``, stored as lookup + hash."""

    PREFIX = "sk_"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    lookup = models.CharField(max_length=16, unique=True)
    hashed = models.CharField(max_length=64)
    read_only = models.BooleanField(default=False)
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}{self.lookup}_…)"
