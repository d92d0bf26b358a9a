"""The settings bench/ingest.py serves with: the product's, and bench/urls.py as the URLconf.

Importable when the repository root is on the path (bench/ingest.py puts it on PYTHONPATH).
"""

from promoter.settings import *  # noqa: F403  (the product's settings, every one of them)

ROOT_URLCONF = "bench.urls"
