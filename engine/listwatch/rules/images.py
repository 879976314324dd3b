"""Image references, read as Docker's distribution/reference `ParseNormalizedNamed` reads them.

`[domain/]path[:tag][@digest]`: the domain is the first `/`-separated component when it contains
`.` or `:`, is `localhost`, or has an upper-case letter; otherwise it is `docker.io`, and a
single-component path on `docker.io` gets `library/`. A reference with neither tag nor digest is
tagged `latest` (`TagNameOnly`, what Kubernetes and containerd do); `name:tag@digest` keeps both.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DOMAIN = "index.docker.io"
_OFFICIAL = "library/"
_NAME_MAX = 255

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?")
_PATH = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")
#: distribution/reference's ErrReferenceInvalidFormat.
_INVALID = "invalid reference format"


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A parsed, normalised image reference: `nginx:1.15` is domain `docker.io`, path
    `library/nginx`, tag `1.15`, no digest."""

    domain: str
    path: str
    #: The tag; `latest` when the reference names neither tag nor digest, "" for `name@digest`.
    tag: str
    #: `algorithm:hex` (`sha256:...`), or "".
    digest: str = ""

    @property
    def repository(self) -> str:
        """The fully qualified repository: `docker.io/library/nginx`."""
        return f"{self.domain}/{self.path}"

    @property
    def full(self) -> str:
        """The normalised reference: `docker.io/library/nginx:1.15`, `...nginx:1.15@sha256:...`."""
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.repository}{tag}{digest}"

    @property
    def short(self) -> str:
        """The familiar repository name (reference.FamiliarName): `nginx`, `user/app`, and any
        other registry's repository in full (`registry.k8s.io/pause`)."""
        if self.domain != DEFAULT_DOMAIN:
            return self.repository
        rest = self.path.removeprefix(_OFFICIAL)
        return rest if "/" not in rest else self.path

    def same_image(self, other: ImageReference) -> bool:
        """Whether both name one image: the same repository and digest when both are pinned by
        digest (a runtime reports `name@digest` for `name:tag@digest`), else the same tag."""
        if self.repository != other.repository:
            return False
        if self.digest and other.digest:
            return self.digest == other.digest
        return self.tag == other.tag and self.digest == other.digest


@functools.lru_cache(maxsize=4096)
def parse(image: str) -> ImageReference:
    """The normalised reference of `image`; ValueError (with the reference package's words) when
    it is not a valid reference (Kubernetes' `InvalidImageName`)."""
    if _IDENTIFIER.fullmatch(image):
        raise ValueError(
            f"invalid repository name ({image}), cannot specify 64-byte hexadecimal strings"
        )
    # ParseNormalizedNamed checks case first, on the repository up to the first `:` after the
    # domain (`Nginx:::bad` -> `library/Nginx`), then the grammar (ErrReferenceInvalidFormat).
    remote = _split_domain(image)[1].partition(":")[0]
    if remote.lower() != remote:
        raise ValueError(f"invalid reference format: repository name ({remote}) must be lowercase")
    name, at, digest = image.partition("@")
    if at and not _DIGEST.fullmatch(digest):
        raise ValueError(_INVALID)
    name, tag = _split_tag(name)
    if tag is not None and not _TAG.fullmatch(tag):
        raise ValueError(_INVALID)
    domain, path = _split_domain(name)
    if not _DOMAIN.fullmatch(domain) or not _PATH.fullmatch(path) or len(name) > _NAME_MAX:
        raise ValueError(_INVALID)
    return ImageReference(
        domain, path, "latest" if tag is None and not digest else tag or "", digest
    )


def spelled_repository(image: str) -> str:
    """The repository as `image` spells it, without tag or digest: `busybox:1.36` -> `busybox`
    (what a proposal to the user keeps, rather than the normalised `docker.io/library/busybox`)."""
    return _split_tag(image.partition("@")[0])[0]


def _split_tag(name: str) -> tuple[str, str | None]:
    """`repo:tag` -> (repo, tag), None when untagged; a `:` before the last `/` is a port."""
    head, colon, tag = name.rpartition(":")
    if not colon or "/" in tag:
        return name, None
    return head, tag


def _split_domain(name: str) -> tuple[str, str]:
    """splitDockerDomain: the registry, and the path on it (`library/` added on Docker Hub)."""
    first, slash, rest = name.partition("/")
    if slash and (any(c in first for c in ".:") or first == "localhost" or first.lower() != first):
        domain, path = first, rest
    else:
        domain, path = DEFAULT_DOMAIN, name
    if domain == _LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = _OFFICIAL + path
    return domain, path


def normalize(image: str) -> tuple[str, str, str]:
    """(full reference, familiar repository, tag): `nginx:1.15` -> ("docker.io/library/nginx:1.15",
    "nginx", "1.15"); an invalid reference is kept as spelled, with no tag. Kept for callers not
    yet on `parse` (the kubelet's container statuses, which must never raise)."""
    try:
        reference = parse(image)
    except ValueError:
        return image, image, ""
    return reference.full, reference.short, reference.tag
