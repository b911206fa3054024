"""lakeline recomputes DVC's hashes itself; DVC's own code is the oracle."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lakeline.pipeline.dvcproject import flatten
from lakeline.pipeline.hashing import DirEntry, dir_hash, hash_directory, md5_file

_part = st.text(alphabet="abcXYZ019_-. é", min_size=1, max_size=8).filter(lambda p: p not in (".", ".."))
_relpath = st.lists(_part, min_size=1, max_size=3).map("/".join)
_md5 = st.binary(min_size=16, max_size=16).map(bytes.hex)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_relpath, _md5, min_size=1, max_size=12))
def test_dir_hash_equals_dvcs_own_tree_digest(listing: dict[str, str]) -> None:
    from dvc_data.hashfile.hash_info import HashInfo
    from dvc_data.hashfile.meta import Meta
    from dvc_data.hashfile.tree import Tree

    tree = Tree()
    for relpath, digest in listing.items():
        tree.add(tuple(relpath.split("/")), Meta(), HashInfo("md5", digest))
    tree.digest()
    ours = dir_hash(DirEntry(relpath=p, md5=m) for p, m in listing.items())
    assert ours == tree.hash_info.value


def test_hash_directory_lists_nested_files_with_their_md5(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "a.txt").write_bytes(b"a")
    (tmp_path / "b" / "c" / "d.bin").write_bytes(b"\x00" * 3000000)
    entries = hash_directory(tmp_path)
    assert [e.relpath for e in entries] == ["a.txt", "b/c/d.bin"]
    assert entries[1].md5 == hashlib.md5(b"\x00" * 3000000).hexdigest() == md5_file(tmp_path / "b/c/d.bin")
    assert entries[1].size == 3000000


@given(
    st.recursive(
        st.integers() | st.text(max_size=3),
        lambda c: st.dictionaries(st.text("ab", min_size=1, max_size=2), c, max_size=3),
        max_leaves=8,
    )
)
def test_flatten_keeps_every_leaf_once_under_its_dotted_path(value: object) -> None:
    nested = {"root": value}
    flat = flatten(nested)

    def leaves(node: object, prefix: str) -> dict[str, object]:
        if isinstance(node, dict) and node:
            out: dict[str, object] = {}
            for key, item in node.items():
                out.update(leaves(item, f"{prefix}.{key}"))
            return out
        return {prefix: node}

    assert flat == leaves(value, "root")
