"""lastgood: the `lastgood` binary on PATH, and a Python API over its `--json`."""
