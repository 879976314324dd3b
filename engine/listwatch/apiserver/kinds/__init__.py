"""What the API server does with each kind on a write: its defaults and its validation, one module
per kind, as kube-apiserver's registry has a strategy per kind."""
