"""A plain asyncpg connection to the PostgreSQL database an SQLAlchemy URL names: for tests
that set a database up, inspect it or break it behind the gateway's back."""

from __future__ import annotations

import asyncpg
from sqlalchemy import make_url


async def connect(url: str, *, connect_timeout: float = 60) -> asyncpg.Connection:
    """A connection to the database of ``url`` (``postgresql+asyncpg://...``)."""
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
        timeout=connect_timeout,
    )
