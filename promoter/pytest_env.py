"""Test-wide environment, loaded as a pytest plugin (-p) so it runs before Django reads settings."""

import os
import tempfile

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("PROMOTER_DATA_DIR", tempfile.mkdtemp(prefix="promoter-test-"))
os.environ.setdefault("EMAIL_URL", "memory://")
os.environ.setdefault("LOG_LEVEL", "WARNING")
