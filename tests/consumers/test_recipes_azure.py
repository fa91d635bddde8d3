"""The consumer recipes on Azure: lastgood writes to Azurite, pyarrow and DuckDB read it back.

Runs the real CLI on an ``az://`` root in the Azurite that tests/run.sh starts (env:
LASTGOOD_TEST_AZURE, AZURITE_BLOB_STORAGE_URL, AZURE_STORAGE_USE_EMULATOR), through a publish, a
second publish, a failed gate and a revert, and after every step reads the dataset through both
recipes in examples/recipes/:

- pyarrow: ``read_pyarrow.read_current("CONTAINER/PREFIX", ds, filesystem=pyarrow.fs.AzureFileSystem(...))``,
  pyarrow's own Azure filesystem pointed at Azurite (account devstoreaccount1, plain HTTP).
- DuckDB: its Azure extension cannot be downloaded here, so the same pyarrow filesystem is handed to
  DuckDB through fsspec (``con.register_filesystem``) under the protocol ``lgaz://``, with extension
  autoloading off (nothing is fetched at run time); ``read_duckdb.read_current("lgaz://CONTAINER/PREFIX", …)``
  then reads pointer.json, checks sizes and row counts, and reads the files, as it does on S3.

Each read must return exactly the rows of the version the pointer names. Plain Python, no pytest.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from fsspec.implementations.arrow import ArrowFSWrapper

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "recipes"))

import read_duckdb  # noqa: E402
import read_pyarrow  # noqa: E402

BIN = os.environ.get("LASTGOOD_BIN") or str(REPO / "target" / "debug" / "lastgood")
DATASET = "churn_scores"
# Azurite's published development account (not a secret).
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

failures: list[str] = []
passed = 0


def check(cond: bool, what: str, detail: str = "") -> None:
    global passed
    if cond:
        passed += 1
    else:
        failures.append(f"{what}: {detail[:500]}")
        print(f"FAIL {what}: {detail[:500]}", flush=True)


class AzuriteFS(ArrowFSWrapper):
    """pyarrow's Azure filesystem as an fsspec one, for DuckDB, under the protocol ``lgaz://``."""

    protocol = "lgaz"

    @classmethod
    def _strip_protocol(cls, path):
        path = path[len("lgaz://"):] if path.startswith("lgaz://") else path
        return path.rstrip("/")


def make_night(folder: Path, seed: int, shift: bool = False) -> list:
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    ids = list(range(1, 5001))
    scores = [rng.betavariate(2, 5) ** (0.2 if shift else 1.0) for _ in ids]
    pq.write_table(pa.table({"customer_id": pa.array(ids, pa.int64()), "score": scores}),
                   folder / "part-00000.parquet")
    return sorted(zip(ids, scores))


def lastgood(cwd: Path, root: str, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTGOOD_")}
    env["LASTGOOD_ACTOR"] = "consumers-test"
    p = subprocess.run([BIN, "--root", root, "--json", *args], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    doc = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, doc, p.stderr.strip()


def main() -> int:
    root = os.environ.get("LASTGOOD_TEST_AZURE")
    endpoint = os.environ.get("AZURITE_BLOB_STORAGE_URL")
    if not root or not endpoint:
        print("FAIL LASTGOOD_TEST_AZURE / AZURITE_BLOB_STORAGE_URL not set: run tests/run.sh, which starts Azurite")
        return 1
    authority = endpoint.split("://", 1)[1].rstrip("/")
    fs = pafs.AzureFileSystem(account_name=ACCOUNT, account_key=KEY,
                              blob_storage_authority=authority, dfs_storage_authority=authority,
                              blob_storage_scheme="http", dfs_storage_scheme="http")
    con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})
    con.register_filesystem(AzuriteFS(fs))

    prefix = f"consumers-{time.time_ns()}"
    az_root = f"{root.rstrip('/')}/{prefix}"
    container = az_root.split("://", 1)[1].split("/", 1)[0]
    path_root = f"{container}/{prefix}"  # for pyarrow's filesystem
    duck_root = f"lgaz://{path_root}"
    tmp = Path(tempfile.mkdtemp(prefix="lastgood-consumers-azure-"))

    def reads(step: str, version: str, expected: list) -> None:
        table = read_pyarrow.read_current(path_root, DATASET, filesystem=fs)
        got = sorted(zip(table["customer_id"].to_pylist(), table["score"].to_pylist()))
        check(table.schema.metadata[b"lastgood.version"].decode() == version,
              f"{step}: pyarrow on Azurite reads version {version}")
        check(got == expected, f"{step}: pyarrow on Azurite reads exactly {version}'s rows", f"{len(got)} rows")
        pointer = read_duckdb.load_pointer(duck_root, DATASET, con)
        check(pointer["version"] == version, f"{step}: DuckDB on Azurite loads pointer {version}", pointer["version"])
        rel = read_duckdb.read_current(duck_root, DATASET, con=con, verify=True)
        got = sorted(rel.project("customer_id, score").fetchall())
        check(got == expected, f"{step}: DuckDB on Azurite reads exactly {version}'s rows", f"{len(got)} rows")

    nights = {n: make_night(tmp / f"n{n}", seed=n, shift=(n == 3)) for n in (1, 2, 3)}
    rc, p1, err = lastgood(tmp, az_root, "publish", DATASET, str(tmp / "n1"))
    check(rc == 0, "night 1 published on Azurite", err)
    if rc != 0:
        return report()
    reads("night 1", p1["version"], nights[1])
    rc, p2, err = lastgood(tmp, az_root, "publish", DATASET, str(tmp / "n2"))
    check(rc == 0 and p2["promoted"], "night 2 promoted", err)
    reads("night 2", p2["version"], nights[2])
    rc, p3, err = lastgood(tmp, az_root, "publish", DATASET, str(tmp / "n3"))
    check(rc == 3 and not p3["promoted"], "night 3 (shifted) fails its gates: exit 3", f"exit {rc} {err}")
    reads("night 3 refused", p2["version"], nights[2])
    rc, r, err = lastgood(tmp, az_root, "pointer", "revert", DATASET, "--reason", "azure consumers test")
    check(rc == 0 and r.get("to") == p1["version"], "revert to night 1", err)
    reads("after revert", p1["version"], nights[1])
    # A reader that verifies notices a file whose size differs from pointer.json.
    pointer = read_duckdb.load_pointer(duck_root, DATASET, con)
    victim = f"{path_root}/{DATASET}/{pointer['files'][0]['path']}"
    with fs.open_input_stream(victim) as f:
        saved = f.read()
    with fs.open_output_stream(victim) as f:
        f.write(saved + b"garbage")
    for name, read in (("pyarrow", lambda: read_pyarrow.read_current(path_root, DATASET, filesystem=fs)),
                       ("DuckDB", lambda: read_duckdb.read_current(duck_root, DATASET, con=con, verify=True))):
        try:
            read()
            check(False, f"{name} on Azurite refuses a file whose size differs from pointer.json")
        except ValueError as e:
            check("bytes" in str(e), f"{name} on Azurite refuses a file whose size differs", str(e))
    return report()


def report() -> int:
    print(f"consumers on Azure (Azurite): {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip interpreter teardown (DuckDB's bindings print leak noise at exit)
