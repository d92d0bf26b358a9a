from promoter.integrations.tests.conftest import receiver  # noqa: F401  (a local HTTP server)
