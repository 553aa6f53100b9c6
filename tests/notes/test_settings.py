"""The [plugins.notes] table is validated at load time, with a fix in every message."""

import pytest

from gateway.config import ConfigError, validate_config
from gateway_plugins.notes.database import resolve_url
from gateway_plugins.notes.settings import NotesSettings


def issues(table: dict, tmp_path) -> list[str]:
    with pytest.raises(ConfigError) as failure:
        validate_config({"plugins": {"notes": table}}, tmp_path / "plugins.toml")
    return [issue.format("plugins.toml") for issue in failure.value.issues]


def test_defaults():
    settings = NotesSettings()
    assert settings.database_url == "sqlite+aiosqlite:///notes.db"
    assert settings.migrate_on_start is True
    assert settings.max_body_size == 1024 * 1024
    assert (settings.default_limit, settings.max_limit) == (50, 500)
    assert settings.sqlite_synchronous == "FULL"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///notes.db", "use sqlite+aiosqlite://"),
        ("postgresql://u@h/db", "use postgresql+asyncpg://"),
        ("mysql+aiomysql://u@h/db", "not supported"),
        ("sqlite+aiosqlite://", "in-memory"),
        ("sqlite+aiosqlite:///:memory:", "in-memory"),
        ("not a url", "not a database URL"),
    ],
)
def test_unsupported_database_urls(tmp_path, url, expected):
    (message,) = issues({"database_url": url}, tmp_path)
    assert "plugins.notes.database_url" in message
    assert expected in message


def test_unknown_setting_and_limits(tmp_path):
    found = issues({"databse_url": "x"}, tmp_path)
    assert any("did you mean 'database_url'" in message for message in found)
    found = issues({"default_limit": 600}, tmp_path)
    assert any(
        "default_limit (600) must not exceed max_limit (500)" in message for message in found
    )


def test_relative_and_absolute_sqlite_paths(tmp_path):
    relative = resolve_url("sqlite+aiosqlite:///data/notes.db", tmp_path)
    assert relative.database == str(tmp_path / "data" / "notes.db")
    absolute = resolve_url("sqlite+aiosqlite:////var/lib/notes.db", tmp_path)
    assert absolute.database == "/var/lib/notes.db"
    postgres = resolve_url("postgresql+asyncpg://u:secret@h:5432/db", tmp_path)
    assert postgres.database == "db"
    assert postgres.password == "secret"
