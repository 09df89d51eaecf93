"""For tests that run several threads against one database (each thread its own connection)."""

import pytest
from django.db import connection


def require_shared_database() -> None:
    """Skip the test on in-memory SQLite, where each connection has a database of its own; it runs
    on file SQLite and on PostgreSQL."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("in-memory SQLite cannot be shared by threads; runs on file SQLite and PostgreSQL")
