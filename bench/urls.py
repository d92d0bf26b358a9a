"""The URLconf bench/ingest.py serves: the product's routes plus the ceilings under /bench/v1/."""

from django.urls import URLPattern, URLResolver, include, path

import promoter.urls
from bench.ceilings import ceiling_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    *promoter.urls.urlpatterns,
    path("bench/v1/", include((ceiling_urlpatterns(), "ceilings"), namespace="ceilings")),
]
