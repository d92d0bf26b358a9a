"""The /demo/ page (served in demo mode only)."""

from django.urls import URLPattern, path

from promoter.demo import views as demo

urlpatterns: list[URLPattern] = [
    path("demo/", demo.demo_page, name="demo"),
]
