"""The public REST API under /api/v1/ and the Delighted-compatible API under /delighted/v1/."""

from django.urls import URLResolver, include, path

from promoter.api.api import api as rest_api
from promoter.api.compat import delighted

urlpatterns: list[URLResolver] = [
    path("api/v1/", rest_api.urls),
    path(
        "delighted/v1/",
        include((delighted.urlpatterns(), "delighted"), namespace="delighted"),
    ),
]
