"""The kubelet: one per node, driving pods through the spec's pod-worker, container and pod-phase
machines.

A `Kubelet` is one object that owns its parts; each part gets what it uses in its constructor and
keeps no state but its own, so the only state they share is the pod and container records:

- `kubelet`: the component. Its watches, the table of its pods, admission and the `pod-worker`
  machine; it builds the parts below and hands each event to the one it concerns.
- `containers`: the `container` machine's guards and actions (pull, start, exit, restart with
  back-off) over the container runtime.
- `probes`: readiness probes, whose verdicts feed the Ready condition.
- `status`: the `pod-phase` machine, the condition rules' guards, and the batched status writes.
- `node`: registering the node and its heartbeats.
- `records`: what the parts keep per pod and container, machine states included.

The engine's registry resolves each machine's callback names on the part that owns the machine
(`listwatch.engine.OWNERS`), and each part fires its machine with itself as the callbacks' owner.
"""

from listwatch.components.kubelet.kubelet import Kubelet
from listwatch.components.kubelet.status import go_duration

__all__ = ["Kubelet", "go_duration"]
