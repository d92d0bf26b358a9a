import pytest


@pytest.fixture
def site_url(settings) -> None:
    """The dashboard's address in the payloads of each kind's end-to-end test."""
    settings.SITE_URL = "https://promoter.example.com"
