"""The use cases of projects: create one, ready to survey."""

from __future__ import annotations

from django.utils.text import slugify

from promoter.accounts.models import Membership, Project, Role, User
from promoter.accounts.services import unique_slug
from promoter.core.errors import ApplicationError
from promoter.surveys.services import survey_create_defaults


def project_create(
    *, owner: User, name: str, slug: str = "", timezone_name: str = "UTC"
) -> Project:
    """Create a project with ``owner`` as its owner, and the default NPS survey."""
    name = name.strip()
    if not name:
        raise ApplicationError(
            code="required", detail="Name the project.", fields={"name": "required"}
        )
    slug = slugify(slug) if slug else unique_slug(name)
    if Project.objects.filter(slug=slug).exists():
        raise ApplicationError(
            code="slug_taken", detail=f"The slug {slug!r} is taken.", fields={"slug": "taken"}
        )
    project = Project.objects.create(name=name, slug=slug, timezone=timezone_name)
    Membership.objects.create(user=owner, project=project, role=Role.OWNER)
    survey_create_defaults(project=project)
    return project
