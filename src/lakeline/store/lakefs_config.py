"""Where the lakeFS backend finds its endpoint and credentials, in one stated order.

Each setting is taken from the first source that has it: explicit arguments, then
``LAKELINE_LAKEFS_*`` environment variables, then lakectl's ``LAKECTL_*`` variables, then the
project's ``.lakeline/config.yaml`` (endpoint only: secrets are never stored there), then
lakectl's own ``~/.lakectl.yaml``. The secret never appears in a repr, message or log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakeline.errors import ConfigError

API_PATH = "/api/v1"

ENV_ENDPOINT = "LAKELINE_LAKEFS_ENDPOINT"
ENV_ACCESS_KEY_ID = "LAKELINE_LAKEFS_ACCESS_KEY_ID"
ENV_SECRET_ACCESS_KEY = "LAKELINE_LAKEFS_SECRET_ACCESS_KEY"
LAKECTL_ENDPOINT = "LAKECTL_SERVER_ENDPOINT_URL"
LAKECTL_ACCESS_KEY_ID = "LAKECTL_CREDENTIALS_ACCESS_KEY_ID"
LAKECTL_SECRET_ACCESS_KEY = "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY"
LAKECTL_FILE = ".lakectl.yaml"


@dataclass(frozen=True)
class LakeFSSettings:
    """A resolved endpoint (always ending in /api/v1) and key pair; ``sources`` says where each
    came from (for messages), never what the secret is."""

    endpoint: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def server_url(self) -> str:
        """The endpoint without /api/v1 (what lakectl and the README call the server URL)."""
        return self.endpoint.removesuffix(API_PATH)


def normalize_endpoint(url: str) -> str:
    """``http://host:8000``, ``http://host:8000/`` and ``http://host:8000/api/v1`` all mean the
    same server; the SDK wants the last form."""
    text = url.strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ConfigError(f"lakeFS endpoint {url!r} is not an http(s) URL: use e.g. http://localhost:8000")
    if "@" in text.split("//", 1)[1].split("/", 1)[0]:
        raise ConfigError(
            "lakeFS endpoint must not embed credentials: set the access key in the environment "
            "or ~/.lakectl.yaml instead"
        )
    return text if text.endswith(API_PATH) else text + API_PATH


def lakectl_file(home: Path | None = None) -> Path:
    return (home if home is not None else Path.home()) / LAKECTL_FILE


def read_lakectl_file(path: Path) -> dict[str, str]:
    """``credentials.access_key_id``, ``credentials.secret_access_key`` and
    ``server.endpoint_url`` from a lakectl config file (missing file: nothing)."""
    import yaml

    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {type(exc).__name__}") from None
    except yaml.YAMLError:
        # The YAML error text quotes the offending line, which may hold the secret.
        raise ConfigError(f"{path} is not valid YAML: fix it or remove it") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping (lakectl's format)")
    found: dict[str, str] = {}
    for section, key, name in (
        ("credentials", "access_key_id", "access_key_id"),
        ("credentials", "secret_access_key", "secret_access_key"),
        ("server", "endpoint_url", "endpoint"),
    ):
        block = raw.get(section)
        if isinstance(block, dict) and isinstance(block.get(key), str) and block[key].strip():
            found[name] = block[key].strip()
    return found


def resolve_settings(
    *,
    endpoint: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    project_endpoint: str | None = None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> LakeFSSettings:
    """Resolve each setting through the order in the module docstring.

    ``endpoint``/``access_key_id``/``secret_access_key`` are explicit arguments;
    ``project_endpoint`` is the project file's endpoint; ``environ`` defaults to os.environ and
    ``home`` to the user's home folder (tests pass both).
    """
    env = os.environ if environ is None else environ
    lakectl_path = lakectl_file(home)
    from_file = read_lakectl_file(lakectl_path)
    chains: dict[str, list[tuple[str, str | None]]] = {
        "endpoint": [
            ("argument", endpoint),
            (ENV_ENDPOINT, env.get(ENV_ENDPOINT)),
            (LAKECTL_ENDPOINT, env.get(LAKECTL_ENDPOINT)),
            ("project config", project_endpoint),
            (str(lakectl_path), from_file.get("endpoint")),
        ],
        "access_key_id": [
            ("argument", access_key_id),
            (ENV_ACCESS_KEY_ID, env.get(ENV_ACCESS_KEY_ID)),
            (LAKECTL_ACCESS_KEY_ID, env.get(LAKECTL_ACCESS_KEY_ID)),
            (str(lakectl_path), from_file.get("access_key_id")),
        ],
        "secret_access_key": [
            ("argument", secret_access_key),
            (ENV_SECRET_ACCESS_KEY, env.get(ENV_SECRET_ACCESS_KEY)),
            (LAKECTL_SECRET_ACCESS_KEY, env.get(LAKECTL_SECRET_ACCESS_KEY)),
            (str(lakectl_path), from_file.get("secret_access_key")),
        ],
    }
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, chain in chains.items():
        for source, value in chain:
            if value is not None and value.strip():
                values[name], sources[name] = value.strip(), source
                break
    if "endpoint" not in values:
        raise ConfigError(
            f"no lakeFS endpoint: pass --lakefs URL, set {ENV_ENDPOINT} (or {LAKECTL_ENDPOINT}), "
            f"or set server.endpoint_url in {lakectl_path}"
        )
    missing = [name for name in ("access_key_id", "secret_access_key") if name not in values]
    if missing:
        raise ConfigError(
            f"no lakeFS {' and '.join(missing)}: set {ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY} "
            f"(or lakectl's {LAKECTL_ACCESS_KEY_ID} / {LAKECTL_SECRET_ACCESS_KEY}), "
            f"or the credentials section of {lakectl_path}"
        )
    return LakeFSSettings(
        endpoint=normalize_endpoint(values["endpoint"]),
        access_key_id=values["access_key_id"],
        secret_access_key=values["secret_access_key"],
        sources=sources,
    )
