"""The specification: YAML documents validated against `spec/schema.json`, loaded into a frozen
model.

No Kubernetes objects and no I/O beyond reading the spec's own files.
"""
