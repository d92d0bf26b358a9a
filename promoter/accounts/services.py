"""Writes for users, projects, memberships, invitations and API keys."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from promoter.accounts.models import ApiKey, Invitation, Membership, Project, Role, User
from promoter.core.errors import ApplicationError
from promoter.core.ids import hash_secret, random_token, secret_matches

INVITATION_MAX_AGE = 7 * 24 * 3600
_INVITATION_SALT = "promoter.invitation"


def user_create(*, email: str, password: str, name: str = "", is_staff: bool = False) -> User:
    """Create a dashboard user, validating the e-mail's uniqueness and the password's strength."""
    email = User.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise ApplicationError(
            code="invalid_email",
            detail="Enter a valid e-mail address.",
            fields={"email": "invalid"},
        )
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            code="email_taken",
            detail=f"A user with the e-mail {email} already exists.",
            fields={"email": "taken"},
        )
    candidate = User(email=email, first_name=name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ApplicationError(
            code="weak_password", detail=" ".join(exc.messages), fields={"password": "weak"}
        ) from None
    return User.objects.create_user(
        email, password, first_name=name, is_staff=is_staff, is_superuser=is_staff
    )


def unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "project"
    slug, n = base, 2
    while Project.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def project_update(*, project: Project, **changes: Any) -> Project:
    """Apply validated setting ``changes`` to ``project``."""
    for field, value in changes.items():
        setattr(project, field, value)
    project.save(update_fields=list(changes))
    return project


# -- memberships and invitations -------------------------------------------------------------


def _can_grant(actor: Membership, role: str) -> bool:
    # Admins manage members and viewers; only owners make or unmake admins and owners.
    if actor.role == Role.OWNER:
        return True
    return actor.has_role(Role.ADMIN) and role in (Role.MEMBER, Role.VIEWER)


def invitation_create(
    *, actor: Membership, email: str, role: str, anyone_with_link: bool = False
) -> Invitation:
    """Invite ``email`` to ``actor``'s project with ``role`` and e-mail them a signed link.

    Only the account with that address may accept, unless ``anyone_with_link``.
    """
    if role not in Role.values:
        raise ApplicationError(
            code="invalid_role", detail="Unknown role.", fields={"role": "invalid"}
        )
    if not _can_grant(actor, role):
        raise ApplicationError(
            code="forbidden",
            detail="Only an owner can invite owners or admins.",
            fields={"role": "forbidden"},
            status=403,
        )
    email = email.strip().lower()
    if Membership.objects.filter(project=actor.project, user__email__iexact=email).exists():
        raise ApplicationError(
            code="already_member",
            detail=f"{email} is already a member of this project.",
            fields={"email": "already_member"},
        )
    invitation = Invitation.objects.create(
        project=actor.project,
        email=email,
        role=role,
        anyone_with_link=anyone_with_link,
        invited_by=actor.user,
    )
    link = invitation_link(invitation=invitation)
    context = {"invitation": invitation, "link": link, "inviter": actor.user}
    send_mail(
        subject=f"{actor.user} invited you to {actor.project.name} on Promoter",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[email],
    )
    return invitation


def invitation_link(*, invitation: Invitation) -> str:
    from django.conf import settings
    from django.urls import reverse

    token = signing.dumps(str(invitation.public_id), salt=_INVITATION_SALT)
    return settings.SITE_URL + reverse("invitation-accept", args=[token])


def invitation_from_token(*, token: str) -> Invitation:
    """Return the pending invitation a link's token names; ApplicationError if bad or stale."""
    try:
        public_id = signing.loads(token, salt=_INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ApplicationError(
            code="expired", detail="This invitation has expired: ask for a new one.", status=404
        ) from None
    except signing.BadSignature:
        raise ApplicationError(
            code="invalid", detail="This invitation link is not valid.", status=404
        ) from None
    invitation = Invitation.objects.select_related("project").filter(public_id=public_id).first()
    if invitation is None or invitation.accepted_at is not None:
        raise ApplicationError(
            code="used", detail="This invitation has been used or withdrawn.", status=404
        )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Make ``user`` a member of the invitation's project; accepting twice is refused, and so
    is an account other than the invited address unless the invitation is for anyone."""
    if not invitation.may_be_accepted_by(user):
        raise ApplicationError(
            code="wrong_account",
            detail=f"This invitation is for {invitation.email}: log in as that address.",
            status=403,
        )
    changed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now(), accepted_by=user
    )
    if changed != 1:
        raise ApplicationError(
            code="used", detail="This invitation has already been used.", status=404
        )
    membership, _ = Membership.objects.get_or_create(
        user=user, project=invitation.project, defaults={"role": invitation.role}
    )
    return membership


def membership_set_role(*, actor: Membership, membership: Membership, role: str) -> Membership:
    """Change ``membership``'s role; a project always keeps at least one owner."""
    if role not in Role.values:
        raise ApplicationError(
            code="invalid_role", detail="Unknown role.", fields={"role": "invalid"}
        )
    if not (_can_grant(actor, role) and _can_grant(actor, membership.role)):
        raise ApplicationError(
            code="forbidden", detail="Only an owner can change owners or admins.", status=403
        )
    with transaction.atomic():
        if membership.role == Role.OWNER and role != Role.OWNER:
            _ensure_another_owner(membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, actor: Membership, membership: Membership) -> None:
    """Remove ``membership`` from its project (a member may leave; the last owner may not)."""
    if membership.pk != actor.pk and not _can_grant(actor, membership.role):
        raise ApplicationError(
            code="forbidden", detail="Only an owner can remove owners or admins.", status=403
        )
    with transaction.atomic():
        if membership.role == Role.OWNER:
            _ensure_another_owner(membership)
        membership.delete()


def _ensure_another_owner(membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(
        project_id=membership.project_id, role=Role.OWNER
    )
    if not owners.exclude(pk=membership.pk).exists():
        raise ApplicationError(
            code="last_owner", detail="A project needs at least one owner.", status=400
        )


# -- API keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    secret: str  # shown once, never stored


def api_key_create(
    *, project: Project, name: str, read_only: bool = False, created_by: User | None = None
) -> NewApiKey:
    """Create an API key; the returned ``secret`` is the only time the full key exists."""
    for _ in range(5):
        lookup, secret = random_token(12), random_token(32)
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    project=project,
                    name=name.strip() or "API key",
                    lookup=lookup,
                    hashed=hash_secret(secret),
                    read_only=read_only,
                    created_by=created_by,
                )
        except IntegrityError:  # lookup collision: astronomically rare, try again
            continue
        return NewApiKey(api_key=api_key, secret=f"{ApiKey.PREFIX}{lookup}_{secret}")
    raise RuntimeError("could not allocate a unique API key lookup")


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """Return the live ApiKey that ``key`` is, or None; compares hashes in constant time."""
    if not key.startswith(ApiKey.PREFIX):
        return None
    lookup, sep, secret = key.removeprefix(ApiKey.PREFIX).partition("_")
    if not sep or len(lookup) != 12 or not secret:
        return None
    api_key = (
        ApiKey.objects.select_related("project")
        .filter(lookup=lookup, revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not secret_matches(secret, api_key.hashed):
        return None
    return api_key


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def invitation_revoke(*, invitation: Invitation) -> None:
    """Withdraw a pending invitation; its link stops working."""
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()


# Records at most this often that a key was used, so busy clients do not write each call.
API_KEY_LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def api_key_touch(*, api_key: ApiKey, now: datetime.datetime) -> None:
    """Record that ``api_key`` was used ``now``, at most once a minute (a conditional
    UPDATE, so concurrent requests write the row once)."""
    stale = now - API_KEY_LAST_USED_RESOLUTION
    if api_key.last_used_at is None or api_key.last_used_at < stale:
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)
