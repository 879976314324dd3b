"""A pod's volumes on the node: what the kubelet projects, and the directories that hold it.

The kubelet resolves each volume of a pod (components/kubelet/volumes.py) into a `Volume`: the
files a configMap or a secret projects, or none for an emptyDir. A runtime whose containers are
real (Docker) writes them as the kubelet writes `/var/lib/kubelet/pods/<uid>/volumes/
kubernetes.io~<plugin>/<name>` and bind-mounts them where the containers' volumeMounts say. The
files of a configMap or secret are laid out by the atomic writer: a timestamped directory,
`..data` linking to it, each top-level entry a link into `..data`, so that a program (or `ls -la`)
sees what it sees on a real node.
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Projected:
    """One file of a projected volume: its bytes and its mode."""

    data: bytes
    mode: int = 0o644


@dataclass(frozen=True, slots=True)
class Volume:
    """One volume of a pod, resolved: `plugin` names the kubelet's volume plugin directory
    (`configmap`, `secret`, `empty-dir`); `files` is what it projects, by relative path."""

    name: str
    plugin: str
    files: Mapping[str, Projected] = field(default_factory=dict)
    #: configMap and secret volumes are mounted read-only whatever the volumeMount says.
    read_only: bool = False


class VolumeDirs:
    """The volume directories of a runtime's pods, under a root of its own (removed on close)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="listwatch-kubelet-"))
        self.root.mkdir(parents=True, exist_ok=True)
        # The root is bind-mounted from by the engine, which runs as root; its containers may not.
        self.root.chmod(0o755)

    def write(self, pod_uid: str, volumes: Sequence[Volume]) -> dict[str, str]:
        """Write the pod's volumes; return each volume's host directory by name."""
        paths = {}
        for volume in volumes:
            path = self.root / pod_uid / "volumes" / f"kubernetes.io~{volume.plugin}" / volume.name
            if path.exists():
                shutil.rmtree(path)
            path.mkdir(parents=True, mode=0o755)
            if volume.plugin == "empty-dir":
                path.chmod(0o777)  # the kubelet's emptyDir is world-writable
            elif volume.files:
                _atomic_layout(path, volume.files)
            paths[volume.name] = str(path)
        return paths

    def remove(self, pod_uid: str) -> None:
        shutil.rmtree(self.root / pod_uid, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _atomic_layout(path: Path, files: Mapping[str, Projected]) -> None:
    stamp = datetime.datetime.now(datetime.UTC).strftime("..%Y_%m_%d_%H_%M_%S.%f000")
    data = path / stamp
    data.mkdir(mode=0o755)
    for relative, projected in files.items():
        target = data / relative
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        target.write_bytes(projected.data)
        target.chmod(projected.mode)
    os.symlink(stamp, path / "..data")
    for top in sorted({relative.split("/", 1)[0] for relative in files}):
        os.symlink(f"..data/{top}", path / top)
