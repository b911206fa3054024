"""Where the lakeFS backend finds its endpoint and keys: the stated order, one level at a time.

Order (lakectl's conventions): explicit arguments, LAKELINE_LAKEFS_* env, LAKECTL_* env, the
project config (endpoint only), ~/.lakectl.yaml. HOME and every variable are isolated.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lakeline.errors import ConfigError
from lakeline.store.lakefs_config import LakeFSSettings, normalize_endpoint, resolve_settings

ENV_NAMES = (
    "LAKELINE_LAKEFS_ENDPOINT",
    "LAKELINE_LAKEFS_ACCESS_KEY_ID",
    "LAKELINE_LAKEFS_SECRET_ACCESS_KEY",
    "LAKECTL_SERVER_ENDPOINT_URL",
    "LAKECTL_CREDENTIALS_ACCESS_KEY_ID",
    "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return home


def write_lakectl(home: Path, endpoint: str, key: str, secret: str) -> None:
    config = {
        "credentials": {"access_key_id": key, "secret_access_key": secret},
        "server": {"endpoint_url": endpoint},
    }
    (home / ".lakectl.yaml").write_text(yaml.safe_dump(config))


def set_level(level: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Configure one source with values naming it; returns the explicit arguments (if any)."""
    if level == "file":
        write_lakectl(home, "http://file:8000", "key-file", "secret-file")
    elif level == "lakectl-env":
        monkeypatch.setenv("LAKECTL_SERVER_ENDPOINT_URL", "http://lakectl-env:8000")
        monkeypatch.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", "key-lakectl-env")
        monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", "secret-lakectl-env")
    elif level == "lakeline-env":
        monkeypatch.setenv("LAKELINE_LAKEFS_ENDPOINT", "http://lakeline-env:8000")
        monkeypatch.setenv("LAKELINE_LAKEFS_ACCESS_KEY_ID", "key-lakeline-env")
        monkeypatch.setenv("LAKELINE_LAKEFS_SECRET_ACCESS_KEY", "secret-lakeline-env")
    elif level == "argument":
        return {
            "endpoint": "http://argument:8000",
            "access_key_id": "key-argument",
            "secret_access_key": "secret-argument",
        }
    return {}


LEVELS = ["file", "lakectl-env", "lakeline-env", "argument"]  # lowest first


@pytest.mark.parametrize("winner", LEVELS)
def test_each_source_beats_every_lower_one(
    winner: str, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arguments: dict[str, str] = {}
    for level in LEVELS[: LEVELS.index(winner) + 1]:
        arguments.update(set_level(level, isolated_home, monkeypatch))
    settings = resolve_settings(
        **arguments, project_endpoint="http://project:8000" if winner == "file" else None
    )
    expected_endpoint = "http://project:8000/api/v1" if winner == "file" else f"http://{winner}:8000/api/v1"
    assert settings.endpoint == expected_endpoint
    assert settings.access_key_id == f"key-{winner}"
    assert settings.secret_access_key == f"secret-{winner}"


def test_project_endpoint_ranks_below_environment_and_above_lakectl_file(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_lakectl(isolated_home, "http://file:8000", "key-file", "secret-file")
    assert resolve_settings(project_endpoint="http://project:8000").endpoint == "http://project:8000/api/v1"
    monkeypatch.setenv("LAKECTL_SERVER_ENDPOINT_URL", "http://lakectl-env:8000")
    assert (
        resolve_settings(project_endpoint="http://project:8000").endpoint == "http://lakectl-env:8000/api/v1"
    )


def test_project_config_never_supplies_credentials(isolated_home: Path) -> None:
    with pytest.raises(ConfigError, match="access_key_id and secret_access_key"):
        resolve_settings(project_endpoint="http://project:8000")


def test_each_setting_resolves_independently(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_lakectl(isolated_home, "http://file:8000", "key-file", "secret-file")
    monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", "secret-lakectl-env")
    settings = resolve_settings(endpoint="http://argument:8000")
    assert (settings.endpoint, settings.access_key_id, settings.secret_access_key) == (
        "http://argument:8000/api/v1",
        "key-file",
        "secret-lakectl-env",
    )
    assert settings.sources == {
        "endpoint": "argument",
        "access_key_id": str(isolated_home / ".lakectl.yaml"),
        "secret_access_key": "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY",
    }


def test_missing_endpoint_says_where_to_set_it(isolated_home: Path) -> None:
    with pytest.raises(ConfigError, match="LAKELINE_LAKEFS_ENDPOINT") as caught:
        resolve_settings(access_key_id="k", secret_access_key="s")
    assert "--lakefs" in str(caught.value) and ".lakectl.yaml" in str(caught.value)


def test_broken_lakectl_file_is_a_config_error_that_never_quotes_it(isolated_home: Path) -> None:
    (isolated_home / ".lakectl.yaml").write_text("credentials:\n  secret_access_key: [SENTINEL-SECRET-9\n")
    with pytest.raises(ConfigError, match="not valid YAML") as caught:
        resolve_settings(endpoint="http://x:8000")
    assert "SENTINEL" not in str(caught.value)


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("http://localhost:8000", "http://localhost:8000/api/v1"),
        ("http://localhost:8000/", "http://localhost:8000/api/v1"),
        ("https://lakefs.example.com/api/v1/", "https://lakefs.example.com/api/v1"),
    ],
)
def test_endpoint_with_or_without_api_path_means_the_same_server(given: str, normal: str) -> None:
    assert normalize_endpoint(given) == normal


@pytest.mark.parametrize("bad", ["localhost:8000", "ftp://host", "http://user:pw@host:8000"])
def test_endpoint_must_be_plain_http_url_without_credentials(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        normalize_endpoint(bad)
    assert "pw" not in str(caught.value)


def test_settings_repr_hides_the_secret() -> None:
    settings = LakeFSSettings("http://x/api/v1", "AKIAKEY", "SENTINEL-SECRET")
    assert "SENTINEL" not in repr(settings)
    assert settings.server_url == "http://x"


def test_store_opened_by_a_project_lets_the_environment_override_its_endpoint(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lakeline.store.lakefs import LakeFSStore

    monkeypatch.setenv("LAKELINE_LAKEFS_ENDPOINT", "http://from-env:8000")
    monkeypatch.setenv("LAKELINE_LAKEFS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("LAKELINE_LAKEFS_SECRET_ACCESS_KEY", "s")
    with LakeFSStore(endpoint="http://from-project:8000", project_root=tmp_path) as opened:
        assert opened.endpoint == "http://from-env:8000"
    with LakeFSStore(endpoint="http://explicit:8000") as explicit:
        assert explicit.endpoint == "http://explicit:8000"
