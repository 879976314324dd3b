"""Carrying out a fix's steps on a backend, as the user would carry out its commands."""

from __future__ import annotations

from typing import Any, Protocol

from listwatch.troubleshoot.fixes import Fix


class Fixable(Protocol):
    def label_node(
        self, node: str, key: str, value: str | None, *, overwrite: bool = False
    ) -> Any: ...

    def set_image(
        self, pod: str, container: str, image: str, *, namespace: str = "default"
    ) -> Any: ...

    def delete(
        self,
        kind: str,
        name: str,
        *,
        namespace: str = "default",
        grace_period_seconds: int | None = None,
    ) -> Any: ...

    def apply(self, obj: dict[str, Any], *, actor: str = "kubectl") -> Any: ...

    def patch(
        self, resource: str, name: str, patch: dict[str, Any], *, namespace: str = "default"
    ) -> Any: ...

    def restart_kubelet(self, node: str) -> None: ...


def apply_fix(backend: Fixable, fix: Fix) -> None:
    for step in fix.steps:
        args = step.args
        if step.kind == "label":
            backend.label_node(args["node"], args["key"], args["value"], overwrite=True)
        elif step.kind == "set-image":
            backend.set_image(
                args["pod"], args["container"], args["image"], namespace=args["namespace"]
            )
        elif step.kind == "recreate":
            backend.delete(
                "pods", args["name"], namespace=args["namespace"], grace_period_seconds=0
            )
            backend.apply(dict(args["manifest"]))
        elif step.kind == "patch":
            backend.patch(
                args["resource"], args["name"], dict(args["patch"]), namespace=args["namespace"]
            )
        elif step.kind == "restart-kubelet":
            backend.restart_kubelet(args["node"])
        else:
            raise ValueError(f"a fix step this backend cannot carry out: {step.kind}")
