"""The cluster backend: the features and the CLI against any Kubernetes API, through a kubeconfig.

A shell above the checker: it drives the user's side of a real cluster (its own namespace, node
labels put back, out-of-band control where `listwatch serve` offers it) and judges the watch
streams it records with the checker. It never runs a component itself.
"""
