"""How the features' names meet a real cluster's: their `default` namespace, and their nodes
`node01`, `node02` ...

The features speak of the namespace `default` and of nodes named `node01`, `node02` and so on. On
a cluster the backend works in a namespace of its own, and the cluster's nodes have names of
their own, so every name crosses a `NameMap` on its way in (`namespace`, `node`) and every object
on its way out (`view`), which shows it as the feature expects it:

    NameMap("listwatch-3f9a1c", {"node01": "kind-worker", "node02": "kind-worker2"})
    .node("node02")                                     -> "kind-worker2"
    .view(a Scheduled Event whose message is
          "Successfully assigned listwatch-3f9a1c/web to kind-worker2")
        -> the same Event in namespace "default", message
           "Successfully assigned default/web to node02", source.host "node02"

Node names the map does not know (a feature's `node09`, which no cluster has) pass unchanged.
`view` rewrites the places Kubernetes puts these names (metadata.namespace, a pod's spec.nodeName,
an Event's involvedObject, source.host and message, a Node's name and hostname) and nothing else;
it returns a new object and leaves the one given untouched.

How nodes are chosen (`choose_nodes`): when the cluster has every node a scenario names, the names
are the cluster's own (`listwatch serve --nodes node01,node02`); otherwise the scenario's nodes, in
order, take the cluster's schedulable nodes (Ready, not cordoned, no NoSchedule or NoExecute
taint) sorted by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from listwatch import errors

Obj = dict[str, Any]
#: The namespace the features name.
FEATURE_NAMESPACE = "default"


class NameMap:
    """The features' names on one cluster: a namespace of the backend's own, and a node map."""

    def __init__(self, namespace: str, nodes: Mapping[str, str]) -> None:
        self.namespace = namespace
        self.nodes = dict(nodes)
        self._back = {real: feature for feature, real in self.nodes.items()}
        renamed = sorted(
            (real for real, feature in self._back.items() if real != feature), key=len, reverse=True
        )
        #: A renamed node as a whole word in a message ("to kind-worker2.", not
        #: "kind-worker.example").
        self._words = (
            re.compile(r"(?<![\w.-])(" + "|".join(map(re.escape, renamed)) + r")(?![\w-]|\.\w)")
            if renamed
            else None
        )

    def node(self, name: str) -> str:
        """The cluster's name for a node a feature names."""
        return self.nodes.get(name, name)

    def feature_node(self, name: str) -> str:
        """The feature's name for a cluster's node."""
        return self._back.get(name, name)

    def actor(self, feature_actor: str) -> str:
        """A component as the cluster names it: `kubelet/node01` is the kubelet of the cluster's
        node01."""
        name, slash, node = feature_actor.partition("/")
        return f"kubelet/{self.node(node)}" if slash and name == "kubelet" else feature_actor

    def feature_actor(self, actor: str) -> str:
        """A component as the feature names it (the kubelet of the cluster's kind-worker is
        `kubelet/node01`)."""
        name, slash, node = actor.partition("/")
        return f"kubelet/{self.feature_node(node)}" if slash and name == "kubelet" else actor

    def feature_selector(self, selector: str) -> str:
        """A field selector as the feature writes it: the node a requirement on `spec.nodeName` or a
        Node's `metadata.name` pins, by its feature name."""
        requirements = []
        for requirement in (r for r in selector.split(",") if r):
            op = "!=" if "!=" in requirement else "="
            field, _, value = requirement.partition(op)
            if field in ("spec.nodeName", "metadata.name") and value:
                requirement = f"{field}{op}{self.feature_node(value)}"
            requirements.append(requirement)
        return ",".join(requirements)

    def namespace_of(self, feature_namespace: str) -> str:
        """The cluster's namespace for a feature's (`default` is the backend's own)."""
        return self.namespace if feature_namespace in ("", FEATURE_NAMESPACE) else feature_namespace

    def described(self) -> str:
        """`node01 -> kind-worker, node02 -> kind-worker2` (or `node01, node02 (the cluster's own
        names)`)."""
        if all(f == r for f, r in self.nodes.items()):
            return f"{', '.join(self.nodes)} (the cluster's own names)"
        return ", ".join(f"{f} -> {r}" for f, r in self.nodes.items())

    # -- objects coming out ------------------------------------------------------------------------

    def message(self, text: str) -> str:
        """A message as the feature reads it: `<namespace>/` is `default/`, nodes by the feature's
        names."""
        text = text.replace(f"{self.namespace}/", f"{FEATURE_NAMESPACE}/")
        return (
            self._words.sub(lambda m: self._back[m.group(1)], text)
            if self._words is not None
            else text
        )

    def view(self, obj: Mapping[str, Any], *, kind: str = "") -> Obj:
        """The object as the features see it (see the module docstring). `kind` is for the items of
        a list, which carry none; the object gets it, as a watch or a GET would give it."""
        out: Obj = dict(obj)
        kind = str(out.get("kind") or kind)
        if kind and "kind" not in out:
            out["kind"] = kind
        meta = dict(out.get("metadata") or {})
        if meta.get("namespace") == self.namespace:
            meta["namespace"] = FEATURE_NAMESPACE
        if kind == "Node" and "name" in meta:
            meta["name"] = self.feature_node(str(meta["name"]))
        out["metadata"] = meta
        if kind == "Pod":
            spec = dict(out.get("spec") or {})
            if spec.get("nodeName"):
                spec["nodeName"] = self.feature_node(str(spec["nodeName"]))
            out["spec"] = spec
        if kind == "Event":
            for key in ("involvedObject", "regarding"):
                if isinstance(out.get(key), dict):
                    ref = dict(out[key])
                    if ref.get("namespace") == self.namespace:
                        ref["namespace"] = FEATURE_NAMESPACE
                    if ref.get("kind") == "Node" and ref.get("name"):
                        ref["name"] = self.feature_node(str(ref["name"]))
                    out[key] = ref
            if isinstance(out.get("source"), dict) and out["source"].get("host"):
                out["source"] = {
                    **out["source"],
                    "host": self.feature_node(str(out["source"]["host"])),
                }
            for key in ("message", "note"):
                if isinstance(out.get(key), str):
                    out[key] = self.message(out[key])
        return out


def schedulable(node: Mapping[str, Any]) -> bool:
    """Whether pods may land on the node: Ready, not cordoned, no NoSchedule or NoExecute taint."""
    spec = node.get("spec") or {}
    if spec.get("unschedulable"):
        return False
    if any(t.get("effect") in ("NoSchedule", "NoExecute") for t in spec.get("taints") or ()):
        return False
    conditions = (node.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def choose_nodes(
    wanted: Sequence[str], cluster_nodes: Sequence[Mapping[str, Any]]
) -> dict[str, str]:
    """The cluster's node for each node a scenario names (see the module docstring for the rule).

    Raises `BackendUnavailable` when the cluster has fewer schedulable nodes than the scenario
    names.
    """
    names = {str((n.get("metadata") or {}).get("name", "")) for n in cluster_nodes}
    if all(w in names for w in wanted):
        return {w: w for w in wanted}
    usable = sorted(
        str((n.get("metadata") or {}).get("name", "")) for n in cluster_nodes if schedulable(n)
    )
    if len(usable) < len(wanted):
        raise errors.BackendUnavailable(
            f"the scenario needs {len(wanted)} nodes ({', '.join(wanted)}) and the cluster has "
            f"{len(usable)} schedulable "
            f"({', '.join(usable) or 'none'}): a node is schedulable when Ready, not cordoned, "
            "without NoSchedule or NoExecute taints"
        )
    return dict(zip(wanted, usable, strict=False))
