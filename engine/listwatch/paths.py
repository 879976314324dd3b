"""Where listwatch's own data lives: in the source tree when run from a checkout, else in the
package.

The wheel carries the spec, the features, the conformance step definitions and the examples under
`listwatch/_data/` and `listwatch/_conformance/`; a checkout has them at the top of the tree.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]


def _pick(source: Path, packaged: str) -> Path:
    if source.exists():
        return source
    return Path(str(resources.files("listwatch").joinpath(*packaged.split("/"))))


def spec_dir() -> Path:
    """The shipped spec (its schema.json marks the directory)."""
    return _pick(SOURCE / "spec" / "schema.json", "_data/spec/schema.json").parent


def features_dir() -> Path:
    return _pick(SOURCE / "features", "_data/features")


def examples_dir() -> Path:
    return _pick(SOURCE / "examples", "_data/examples")


def conformance_dir() -> Path:
    """The step definitions and the test module that runs every feature."""
    return _pick(SOURCE / "tests" / "bdd", "_conformance")
