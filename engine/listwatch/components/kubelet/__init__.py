"""The kubelet: one per node, driving pods through the spec's pod-worker, container and pod-phase machines.

Modules: `kubelet` (the component: its watches, admission, the pod worker), `containers` (the
container machine's guards and actions), `status` (phase, conditions and status writes),
`records` (what it keeps per pod and container).
"""

from listwatch.components.kubelet.kubelet import Kubelet
from listwatch.components.kubelet.status import go_duration

__all__ = ["Kubelet", "go_duration"]
