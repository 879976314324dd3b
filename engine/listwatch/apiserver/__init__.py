"""The API server: Kubernetes API semantics (resourceVersion, selectors, watch, binding) over the
store."""
