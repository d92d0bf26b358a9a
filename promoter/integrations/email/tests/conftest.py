from promoter.integrations.tests.conftest import smtp  # noqa: F401  (a real SMTP server)
