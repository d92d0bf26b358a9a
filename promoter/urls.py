"""The root URLconf: each app's own ``urls.py``, and the health check.

Every app's routes keep their full paths in its own file (no prefix added here), so a path is
found by searching for it. Names are global (``reverse("project-overview")``): an app's
``urls.py`` sets no ``app_name``, which would namespace every name in it. Only the ingest API
(``ingest:``), the REST API (``api:``) and the Delighted-compatible API (``delighted:``) carry
a namespace.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, include, path


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", healthz, name="healthz"),
    path("", include("promoter.ingest.urls")),
    path("", include("promoter.api.urls")),
    path("", include("promoter.demo.urls")),
    path("", include("promoter.channels.urls")),
    path("", include("promoter.accounts.urls")),
    path("", include("promoter.dashboard.urls")),
]
