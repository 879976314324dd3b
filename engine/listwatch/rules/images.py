"""Image references as the container runtime reads them: the registry, repository and tag."""

from __future__ import annotations

import re


def normalize(image: str) -> tuple[str, str, str]:
    """`nginx:1.15` -> ("docker.io/library/nginx:1.15", "nginx", "1.15"): the full reference, repository, tag."""
    name, _, tag = (
        image.rpartition(":") if ":" in image.rpartition("/")[2] else (image, "", "latest")
    )
    if not name:
        name = image
    path = name
    if "/" not in path:
        path = f"library/{path}"
    if not re.match(r"^[^/]+[.:][^/]*/", path) and not path.startswith("localhost/"):
        path = f"docker.io/{path}"
    short = (
        name.rpartition("/")[2]
        if name.startswith(("library/", "docker.io/library/")) or "/" not in name
        else name
    )
    return f"{path}:{tag}", short, tag
