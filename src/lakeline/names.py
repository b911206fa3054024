"""Every naming rule in one place: repositories, branches, tags, object paths, models, versions.

The store rules are lakeFS's own (so a name valid here is valid on a lakeFS server); the model
rules are DVC's artifact-name convention. Version tags map ``model@vX.Y.Z`` (what users type)
to the stored tag ``model-vX.Y.Z``: lakeFS treats ``@`` in a ref as a modifier, and model names
cannot contain ``.``, so the mapping is unambiguous in both directions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lakeline.errors import InvalidNameError, InvalidPathError

REPOSITORY_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")
BRANCH_NAME = re.compile(r"^\w[-\w]*$")
COMMIT_ID = re.compile(r"^[0-9a-f]{64}$")
COMMIT_ID_PREFIX = re.compile(r"^[0-9a-f]{4,63}$")
# git check-ref-format, as lakeFS applies it to tag names (one path component).
_TAG_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\/]|\.\.|@\{")
MAX_PATH_LENGTH = 1024

DEFAULT_BRANCH = "main"
EXPERIMENT_PREFIX = "exp-"
REGISTRY_BRANCH = "lakeline-registry"
# Objects lakeline itself keeps inside commits; never materialised into a workspace.
RESERVED_PREFIX = "_lakeline/"
PROVENANCE_PATH = "_lakeline/provenance.json"

MODEL_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ALIAS_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
SEMVER = re.compile(r"^v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)$")
VERSION_TAG = re.compile(
    r"^(?P<model>[a-z0-9]+(?:-[a-z0-9]+)*)-v(?P<version>(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*))$"
)


def check_repository_name(name: str) -> str:
    if not REPOSITORY_NAME.fullmatch(name):
        raise InvalidNameError(
            f"invalid repository name {name!r}: use 3-63 lowercase letters, digits and '-', "
            "starting with a letter or digit"
        )
    return name


def check_branch_name(name: str) -> str:
    if COMMIT_ID.fullmatch(name):
        raise InvalidNameError(f"invalid branch name {name!r}: it would read as a commit id")
    if not BRANCH_NAME.fullmatch(name):
        raise InvalidNameError(
            f"invalid branch name {name!r}: use letters, digits, '_' and '-' "
            "(no '/', '.' or spaces), not starting with '-'"
        )
    return name


def check_tag_name(name: str) -> str:
    bad = (
        not name
        or name == "@"
        or _TAG_FORBIDDEN.search(name) is not None
        or name.startswith((".", "-"))
        or name.endswith((".", ".lock"))
    )
    if bad:
        raise InvalidNameError(
            f"invalid tag name {name!r}: no '/', '..', '@{{', whitespace or any of ~^:?*[\\, "
            "and no leading '.'/'-' or trailing '.'/'.lock'"
        )
    return name


def check_object_path(path: str) -> str:
    """An object path inside the store: relative, '/'-separated, no empty, '.' or '..' parts."""
    if not path or len(path) > MAX_PATH_LENGTH:
        raise InvalidPathError(f"invalid path {path!r}: must be 1-{MAX_PATH_LENGTH} characters")
    if "\x00" in path or "\\" in path:
        raise InvalidPathError(f"invalid path {path!r}: NUL and backslash are not allowed")
    if path.startswith("/"):
        raise InvalidPathError(f"invalid path {path!r}: must be relative (no leading '/')")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidPathError(f"invalid path {path!r}: empty, '.' and '..' parts are not allowed")
    return path


def check_model_name(name: str) -> str:
    if not MODEL_NAME.fullmatch(name):
        raise InvalidNameError(
            f"invalid model name {name!r}: use lowercase letters and digits separated by single '-'"
        )
    return name


def check_alias_name(name: str) -> str:
    if not ALIAS_NAME.fullmatch(name):
        raise InvalidNameError(
            f"invalid alias {name!r}: start with a lowercase letter; then letters, digits, '_', '-'"
        )
    return name


def experiment_branch(name: str) -> str:
    """``lr-small`` -> ``exp-lr-small`` (an existing ``exp-`` prefix is kept, not doubled)."""
    branch = name if name.startswith(EXPERIMENT_PREFIX) else EXPERIMENT_PREFIX + name
    return check_branch_name(branch)


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        match = SEMVER.fullmatch(text.strip())
        if not match:
            raise InvalidNameError(f"invalid version {text!r}: expected MAJOR.MINOR.PATCH, e.g. v1.2.0")
        return cls(int(match["major"]), int(match["minor"]), int(match["patch"]))

    def bump(self, part: str) -> Version:
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        raise InvalidNameError(f"invalid bump {part!r}: expected major, minor or patch")

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"


def version_tag(model: str, version: Version) -> str:
    """The stored tag name of a model version: ``classifier`` + v1.2.0 -> ``classifier-v1.2.0``."""
    return f"{check_model_name(model)}-{version}"


def parse_version_tag(tag: str) -> tuple[str, Version] | None:
    """The inverse of `version_tag`; None for tags that are not model versions."""
    match = VERSION_TAG.fullmatch(tag)
    if not match:
        return None
    return match["model"], Version.parse(match["version"])


def parse_model_ref(text: str) -> tuple[str, Version | None]:
    """``classifier@v1.2.0`` -> (classifier, 1.2.0); ``classifier`` -> (classifier, None)."""
    model, sep, version = text.partition("@")
    check_model_name(model)
    if not sep:
        return model, None
    return model, Version.parse(version)
