"""The widget's public API under /i/v1/ (namespace ``ingest``) and the widget's scripts."""

from django.urls import URLPattern, URLResolver, include, path

from promoter.ingest import views as ingest
from promoter.ingest.api import urlpatterns as api_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    path("i/v1/", include((api_urlpatterns(), "ingest"), namespace="ingest")),
    path("w/promoter.js", ingest.widget_js, name="widget-js"),
    path("w/promoter.<str:version>.js", ingest.widget_js_versioned, name="widget-js-versioned"),
    path("w/questions.js", ingest.questions_js, name="questions-js"),
    path(
        "w/questions.<str:version>.js",
        ingest.questions_js_versioned,
        name="questions-js-versioned",
    ),
]
