"""Volume directories as the kubelet lays them out: the atomic writer's `..data` and links."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from listwatch.runtime.volumes import Projected, Volume, VolumeDirs


def test_a_projected_volume_has_the_atomic_writer_s_layout_and_modes(tmp_path: Path) -> None:
    dirs = VolumeDirs(tmp_path / "root")
    files = {"app.conf": Projected(b"a=1\n"), "nested/key": Projected(b"x", 0o400)}
    paths = dirs.write("uid-1", [Volume("config", "configmap", files, read_only=True)])
    path = Path(paths["config"])
    assert path == tmp_path / "root/uid-1/volumes/kubernetes.io~configmap/config"
    data = os.readlink(path / "..data")
    assert data.startswith("..20") and (path / data).is_dir()
    assert os.readlink(path / "app.conf") == "..data/app.conf"
    assert os.readlink(path / "nested") == "..data/nested"
    assert (path / "app.conf").read_bytes() == b"a=1\n"
    assert (path / "nested/key").read_bytes() == b"x"
    assert stat.S_IMODE((path / data / "app.conf").stat().st_mode) == 0o644
    assert stat.S_IMODE((path / data / "nested/key").stat().st_mode) == 0o400


def test_an_empty_dir_is_empty_and_writable_by_anyone_and_remove_takes_the_pod_s(
    tmp_path: Path,
) -> None:
    dirs = VolumeDirs(tmp_path)
    path = Path(dirs.write("uid-2", [Volume("scratch", "empty-dir")])["scratch"])
    assert path.name == "scratch" and path.parent.name == "kubernetes.io~empty-dir"
    assert list(path.iterdir()) == [] and stat.S_IMODE(path.stat().st_mode) == 0o777
    dirs.remove("uid-2")
    assert not (tmp_path / "uid-2").exists() and tmp_path.exists()
    dirs.close()
    assert not tmp_path.exists()


def test_writing_again_replaces_what_was_there(tmp_path: Path) -> None:
    dirs = VolumeDirs(tmp_path)
    dirs.write("u", [Volume("c", "configmap", {"old": Projected(b"1")})])
    path = Path(dirs.write("u", [Volume("c", "configmap", {"new": Projected(b"2")})])["c"])
    assert sorted(p.name for p in path.iterdir() if not p.name.startswith("..")) == ["new"]
