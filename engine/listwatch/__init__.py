"""listwatch: the Kubernetes pod lifecycle as an executable specification.

One YAML spec (the 13 List-Watch steps, their variants, and a state machine per component) is
loaded, checked and executed by an engine over pluggable backends.
"""

from listwatch.cluster import Cluster
from listwatch.engine import Engine, load
from listwatch.errors import ListwatchError, ManifestError, SpecError

__all__ = ["Cluster", "Engine", "ListwatchError", "ManifestError", "SpecError", "load"]
__version__ = "0.1.0"
