"""Images the cluster has: what its nodes report in status.images, read the same way from any
source.

A kubelet lists its node's images in the node's status (`{names: [...], sizeBytes: N}`, digest
names `repo@sha256:...` and tag names `repo:tag`), so a client of any cluster can see which
images of a repository are already on some node: what the fix for an image that cannot be pulled
(TS-22) proposes instead. Tags are compared by the full reference (`busybox:1.36` and
`docker.io/library/busybox:1.36` are one image), digest names are not proposed (a tag is what a
user types), and the proposal keeps the pod's own spelling of the repository.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from listwatch.rules import images


def same_repository(nodes: Iterable[Mapping[str, Any]], image: str) -> list[str]:
    """The other tags of `image`'s repository the nodes have, as the pod would name them: numbered
    tags newest first, then the others in the order the nodes list them (largest image first)."""
    wanted = _parsed(image)
    if wanted is None:
        return []
    tags: list[str] = []
    for node in nodes:
        for entry in (node.get("status") or {}).get("images") or ():
            for name in entry.get("names") or ():
                found = _parsed(name)
                if (
                    found is not None
                    and not found.digest
                    and found.repository == wanted.repository
                    and found.tag != wanted.tag
                    and found.tag not in tags
                ):
                    tags.append(found.tag)
    numbered = sorted((t for t in tags if _version(t)), key=_version, reverse=True)
    ordered = numbered + [t for t in tags if not _version(t)]
    spelled = images.spelled_repository(image)
    return [f"{spelled}:{tag}" for tag in ordered]


def _parsed(image: str) -> images.ImageReference | None:
    try:
        return images.parse(image)
    except ValueError:
        return None


def _version(tag: str) -> tuple[int, ...]:
    """A tag made of dot-separated numbers as numbers (`1.36` -> (1, 36)); () for any other tag."""
    parts = tag.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else ()
