"""Kubernetes' value rules, one implementation each: image references, selectors, node affinity,
taints and tolerations, quantities and resource fit.

Pure functions over API objects (plain JSON), no I/O and no state: the scheduler, the kubelet, the
troubleshooter and the checker all decide with these, so that the checker (the oracle for other
implementations) and the simulator cannot disagree on what Kubernetes means.
"""
