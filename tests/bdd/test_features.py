"""Every scenario of features/, on the backend chosen with `pytest --backend
memory|docker|cluster`."""

from __future__ import annotations

from pytest_bdd import scenarios

from listwatch import paths

scenarios(str(paths.features_dir()))
