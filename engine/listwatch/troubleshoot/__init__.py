"""Troubleshooting: the spec's decision tree (spec/troubleshooting.yaml) walked over a live cluster.

Modules: `facts` (what the tree reads: the pod, its events, nodes, services, logs, ports, from
any source), `checks`, `evidence` and `fixes` (the names the tree uses, resolved when the spec
loads), `diagnose` (the walk and its report), `apply` (a fix carried out on a backend).
"""
