"""What every bench shares: the reference CPU loop (`ref_s`) and a throwaway bench database."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def ref_seconds(runs: int = 3) -> float:
    """Median of the fixed reference loop (bench/reference.py), so figures compare across machines."""
    from reference import ref_s

    times = sorted(ref_s() for _ in range(runs))
    return times[len(times) // 2]


def django_setup() -> None:
    """Django with the test settings on our own database: test_<database of DATABASE_URL>."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "xianyang_portal.settings.test"
    url_db = urlparse(os.environ.get("DATABASE_URL", "")).path.lstrip("/") or "xianyang_bench"
    os.environ["TEST_DB_NAME"] = f"test_{url_db}"
    import django

    django.setup()


@contextlib.contextmanager
def bench_database():
    """Create, migrate and finally drop the bench database (never the test suite's)."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        teardown_test_environment()
