"""Image references: Docker's normalisation (domain, library/, latest), and what is not one."""

from __future__ import annotations

import pytest

from listwatch.rules import images

DIGEST = "sha256:" + "7" * 64


# Cases: distribution/reference's grammar (reference.go) and ParseNormalizedNamed (normalize.go).
@pytest.mark.parametrize(
    ("image", "full", "short"),
    [
        ("nginx", "docker.io/library/nginx:latest", "nginx"),
        ("nginx:1.15", "docker.io/library/nginx:1.15", "nginx"),
        ("library/nginx:1.15", "docker.io/library/nginx:1.15", "nginx"),
        ("user/app:v1", "docker.io/user/app:v1", "user/app"),
        ("docker.io/user/app", "docker.io/user/app:latest", "user/app"),
        ("index.docker.io/nginx", "docker.io/library/nginx:latest", "nginx"),
        ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10", "registry.k8s.io/pause"),
        ("localhost/app:1", "localhost/app:1", "localhost/app"),
        ("localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app"),
        ("myregistry:5000/team/app:2", "myregistry:5000/team/app:2", "myregistry:5000/team/app"),
        (f"nginx@{DIGEST}", f"docker.io/library/nginx@{DIGEST}", "nginx"),
        (f"nginx:1.25@{DIGEST}", f"docker.io/library/nginx:1.25@{DIGEST}", "nginx"),
    ],
)
def test_a_reference_is_normalised_as_docker_does(image: str, full: str, short: str) -> None:
    reference = images.parse(image)
    assert (reference.full, reference.short) == (full, short)


def test_a_first_component_without_dot_colon_or_localhost_is_a_docker_hub_user() -> None:
    # normalize.go splitDockerDomain: "foo/bar" is docker.io/foo/bar, "foo.com/bar" a registry.
    assert images.parse("foo/bar").domain == "docker.io"
    assert images.parse("foo.com/bar").domain == "foo.com"


def test_latest_is_implied_only_when_neither_tag_nor_digest_is_given() -> None:
    # TagNameOnly: a reference with a digest gets no tag.
    assert images.parse("busybox").tag == "latest"
    assert images.parse(f"busybox@{DIGEST}").tag == ""
    assert images.parse(f"busybox:1.36@{DIGEST}").tag == "1.36"


def test_a_colon_before_the_last_slash_is_a_port_not_a_tag() -> None:
    reference = images.parse("localhost:5000/app")
    assert (reference.domain, reference.path, reference.tag) == ("localhost:5000", "app", "latest")


@pytest.mark.parametrize(
    "image",
    [
        "",
        "Nginx",  # repository names are lower case
        "nginx:",  # an empty tag
        "nginx:-1",  # a tag starts with a word character
        "nginx@sha256:abc",  # a digest has at least 32 hex digits
        "a" * 64,  # a 64-hex identifier is an ID, not a name
        "-nginx",
    ],
)
def test_an_invalid_reference_is_a_value_error(image: str) -> None:
    # reference.go grammar; Kubernetes reports these as InvalidImageName.
    with pytest.raises(ValueError, match="invalid"):
        images.parse(image)


def test_a_digest_pinned_image_is_the_same_image_with_or_without_its_tag() -> None:
    # containerd reports name@digest for name:tag@digest (docker.ParseDockerRef drops the tag).
    spec = images.parse(f"nginx:1.25@{DIGEST}")
    assert spec.same_image(images.parse(f"docker.io/library/nginx@{DIGEST}"))
    assert not spec.same_image(images.parse(f"nginx@sha256:{'8' * 64}"))


def test_tagged_images_are_the_same_image_only_with_the_same_repository_and_tag() -> None:
    assert images.parse("nginx").same_image(images.parse("docker.io/library/nginx:latest"))
    assert not images.parse("nginx:1.25").same_image(images.parse("nginx:1.26"))
    assert not images.parse("nginx:1.25").same_image(images.parse("user/nginx:1.25"))


def test_the_spelled_repository_keeps_the_users_spelling_without_tag_or_digest() -> None:
    assert images.spelled_repository("busybox:1.36") == "busybox"
    assert images.spelled_repository(f"localhost:5000/app:1@{DIGEST}") == "localhost:5000/app"


def test_normalize_keeps_an_invalid_reference_as_spelled() -> None:
    assert images.normalize("nginx:1.15") == ("docker.io/library/nginx:1.15", "nginx", "1.15")
    assert images.normalize("Nginx") == ("Nginx", "Nginx", "")
