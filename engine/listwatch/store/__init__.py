"""The etcd layer: an MVCC key-value store and the watchers that follow it.

No Kubernetes objects here: keys are paths, values are opaque.
"""
