"""Step definitions for the scheduler's explanation ("why this node"): computed with the spec's
filters and scores from what the backend shows (its nodes and pods), so any backend will do."""

from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then

from listwatch.components.scheduler import explain

from .world import World


def _explanation(world: World, name: str) -> dict[str, Any]:
    return explain.of_cluster(
        world.engine.spec.component("scheduler").settings,
        world.backend.pod(name),
        world.backend.list("nodes", namespace=None),
        world.backend.pods(None),
    )


@then(
    parsers.parse(
        'the explanation for the pod "{name}" shows {node} rejected by {plugin}: "{reason}"'
    )
)
def rejected_by(world: World, name: str, node: str, plugin: str, reason: str) -> None:
    record = _explanation(world, name)
    entry = next((n for n in record["nodes"] if n["node"] == node), None)
    assert entry is not None, f"{node} was not evaluated: {record['nodes']}"
    verdicts = {f["plugin"]: (f["verdict"], f["reason"]) for f in entry["filters"]}
    assert verdicts[plugin] == (explain.REJECTED, reason), verdicts


@then(parsers.parse('the explanation for the pod "{name}" chooses {node}'))
def chooses(world: World, name: str, node: str) -> None:
    record = _explanation(world, name)
    assert record["chosen"] == node, explain.table(record)
