"""StatefulSets (apps/v1) on an update: v1.32's statefulSetStrategy.PrepareForUpdate.

The table (spec/api/resources.yaml) gives their defaults, their first status and the pod
template's defaults; what it cannot say is when the generation moves: on a change of the spec,
not of the metadata or the status, and never through the status subresource.
"""

from __future__ import annotations

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj


def prepare_update(old: Obj, new: Obj, body: Obj, *, status: bool) -> Obj:
    """The generation is one more than the old one's when the spec changed."""
    generation = objects.meta(old).get("generation")
    if status or generation is None:
        return new
    changed = new.get("spec") != old.get("spec")
    return objects.replace(new, "metadata.generation", generation + (1 if changed else 0))
