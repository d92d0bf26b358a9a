"""The demo's login and project, shared by `promoter demo`, the /demo/ page and the tests."""

DEMO_EMAIL = "demo@promoter.local"
DEMO_PASSWORD = "promoter-demo"  # noqa: S105  (printed for the person running the demo)
DEMO_PROJECT_SLUG = "acme"
DEMO_PROJECT_NAME = "Acme Cloud"
