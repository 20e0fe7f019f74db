"""Harvest rate and the cost of a second run, against a loopback portal.

The portal (tests/portal_server.py) serves the corpus's 366 real udata records
20 times under new ids (7,320 datasets, 100 a page) through the real command:

    python benchmarks/harvest.py            # needs ../shared/corpus (or SEARCHKIT_CORPUS)

Prints the full run with the default politeness (4 requests a second) and
without a rate limit, then a second run with nothing changed and with 10
datasets changed (an update: one page asked, sorted by last update).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from portal_server import Portal, serve  # noqa: E402

CORPUS = Path(os.environ.get("SEARCHKIT_CORPUS", REPO.parent / "shared" / "corpus"))


def run(args: list[str], env: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "searchkit.cli", "harvest", *args, "--format", "json"],
                          capture_output=True, text=True, env={**os.environ, **env}, check=False)
    return time.perf_counter() - start, json.loads(done.stdout)["portals"][0]


def main() -> None:
    base = [json.loads(p.read_text("utf-8")) for p in sorted((CORPUS / "datasets" / "udata_json").glob("*.json"))]
    records = []
    for n in range(20):
        for record in base:
            record = copy.copy(record)
            record["id"] = f"{n:02d}{record['id'][2:]}"
            records.append(record)
    out = Path(tempfile.mkdtemp(prefix="harvest-bench-"))
    try:
        with serve(Portal("udata", records)) as portal:
            url = portal.url("/api/1/datasets/")
            for label, env in (("default politeness (4 requests/s)", {}), ("no rate limit", {"SEARCHKIT_HARVEST_RATE": "0"})):
                shutil.rmtree(out / "c", ignore_errors=True)
                wall, report = run([url, "--into", str(out / "c")], env)
                print(f"full, {label}: {report['datasets']} datasets, {report['pages']} pages, "
                      f"{report['requests']} requests, {wall:.2f} s = {report['datasets'] / wall:.0f} datasets/s")
            for changed in (0, 10):
                for i in range(changed):
                    portal.records[i * 500] = dict(portal.records[i * 500], title=f"Changed {i}",
                                                   last_update="2099-01-01T00:00:00")
                wall, report = run([url, "--into", str(out / "c")], {"SEARCHKIT_HARVEST_RATE": "0"})
                print(f"second run, {changed} changed: {report['mode']}, {report['pages']} page(s), "
                      f"{report['requests']} request(s), {wall:.2f} s")
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
