"""What does `catalog run` add per job, over a bare process pool running the same commands?

Builds a git catalog of N trivial blocks (default 1,000: 100 experiments of 10 independent
blocks, each ``sh -c 'echo <id> > out.txt'`` with one output), then measures side by side:

* the floor: ``concurrent.futures.ProcessPoolExecutor`` running the same N commands, each in
  its own folder (what any runner has to do at least);
* ``catalog run`` on the local backend: load and plan the records (inputs verified in their
  repository), launch through the worker entry point (working folder, logs, metrics), hash
  and store every output in the repository, apply every report, commit;
* ``catalog run`` on a Dask LocalCluster (2 workers on 127.0.0.1; start-up timed apart).

Overhead per job = (catalog run − floor) / N. Target: ≤ 20 ms per job at 1,000 jobs, and
one commit per batch (all N blocks are independent: one wave, one commit).

Usage::

    python bench/runner.py                 # 1,000 jobs
    python bench/runner.py --jobs 200      # a quick run
    python bench/runner.py --json
    python bench/runner.py --tmp /dev/shm  # on tmpfs: the runner's own cost, without fsync

Every output is stored durably (fsync of the file and its folder, by sync's storage layer),
so on a disk with slow fsync the local backend's time is mostly waiting for the disk.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

# Scripts in bench/ are named like libraries (git.py): keep them from shadowing the real ones.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

PER_EXPERIMENT = 10
TARGET_MS = 20.0
INPUT = b"bench input\n"


def _files(n: int) -> dict[str, str | bytes]:
    sha = hashlib.sha256(INPUT).hexdigest()
    files: dict[str, str | bytes] = {
        "catalog.yaml": "name: bench\n",
        ".gitignore": ".catalog/\ndata/\n",
        "records/repositories/local.yaml": "kind: repository\nname: local\ntype: local\n"
        "url: data/local\n",
        "records/formats/txt.yaml": "kind: format\nname: txt\nfile_extension: .txt\n",
        "records/dataset-types/seed.yaml": "kind: dataset-type\nname: seed\n"
        "filename_pattern: 'seed*'\n",
        "records/datasets/seed.yaml": (
            "kind: dataset\nuuid: 00000000-0000-4000-8000-000000000001\nname: seed.txt\n"
            f"dataset_type: seed\ndata_format: txt\nfile_size: {len(INPUT)}\nhash: {sha}\n"
            "file_records:\n  - {repository: local, relative_path: seed.txt, exists: true}\n"
        ),
        "data/local/seed.txt": INPUT,
    }
    for e in range((n + PER_EXPERIMENT - 1) // PER_EXPERIMENT):
        blocks = []
        for b in range(min(PER_EXPERIMENT, n - e * PER_EXPERIMENT)):
            blocks.append(
                f"  - name: b{b}\n"
                f"    command: [sh, -c, 'echo e{e}b{b} > out.txt']\n"
                "    inputs: [{name: seed, dataset: 00000000-0000-4000-8000-000000000001}]\n"
                "    outputs: [{name: out, path: out.txt}]\n"
            )
        files[f"records/experiments/e{e // 100}/e{e}.yaml"] = (
            f"kind: experiment\nname: e{e}\nrepository: local\nblocks:\n" + "".join(blocks)
        )
    return files


def make_catalog(root: Path, n: int) -> None:
    """Write the catalog and commit it."""
    for rel, content in _files(n).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "b@localhost",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "b@localhost",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)


def _bare(args: tuple[int, Path]) -> int:
    i, folder = args
    work = folder / str(i)
    work.mkdir()
    return subprocess.run(["sh", "-c", f"echo j{i} > out.txt"], cwd=work, check=False).returncode


def floor(n: int, workers: int, tmp: Path) -> float:
    """Seconds for a bare process pool to run the same N commands."""
    folder = tmp / "floor"
    folder.mkdir()
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        codes = list(pool.map(_bare, [(i, folder) for i in range(n)], chunksize=1))
    assert not any(codes)
    return time.perf_counter() - t0


def catalog_run(root: Path, backend: Any) -> tuple[float, Any]:
    """Seconds for `catalog run` over the catalog at ``root`` (all jobs must succeed)."""
    from catalog.runner.run import run_catalog

    t0 = time.perf_counter()
    summary = run_catalog(root, backend=backend)
    seconds = time.perf_counter() - t0
    bad = [o.report.error_report for o in summary.outcomes if o.report.status != "done"]
    assert not bad, bad[:3]
    return seconds, summary


def main() -> None:
    """Run the benchmark and print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--tmp",
        default=None,
        help="Folder for the catalogs (e.g. /dev/shm to leave out disk latency).",
    )
    args = parser.parse_args()
    n = args.jobs
    workers = os.cpu_count() or 2
    tmp = Path(tempfile.mkdtemp(prefix="catalog-bench-runner-", dir=args.tmp))
    rows: list[dict[str, Any]] = []
    try:
        base = floor(n, workers, tmp)
        rows.append({"contender": "concurrent.futures (floor)", "seconds": base, "commits": 0})
        contenders: list[tuple[str, Any, float]] = [("catalog run --backend local", "local", 0.0)]
        if not args.no_dask:
            from catalog.runner.backends.dask import DaskBackend

            t0 = time.perf_counter()
            dask = DaskBackend(n_workers=workers, threads_per_worker=1)
            contenders.append(("catalog run --backend dask", dask, time.perf_counter() - t0))
        for name, backend, startup in contenders:
            root = tmp / name.split()[-1]
            root.mkdir()
            make_catalog(root, n)
            seconds, summary = catalog_run(root, backend)
            rows.append(
                {
                    "contender": name,
                    "seconds": seconds,
                    "commits": len(summary.commits),
                    "startup_s": startup,
                    "phases": {k: round(v, 3) for k, v in summary.seconds.items()},
                }
            )
            if backend != "local":
                backend.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for row in rows:
        row["ms_per_job"] = row["seconds"] / n * 1000
        row["overhead_ms_per_job"] = (row["seconds"] - base) / n * 1000
    result = {"jobs": n, "workers": workers, "target_overhead_ms": TARGET_MS, "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{n} trivial jobs, {workers} worker processes (target: overhead ≤ {TARGET_MS:g} ms/job,"
        " one commit per batch)\n"
    )
    print(f"{'contender':30} {'wall s':>8} {'ms/job':>8} {'overhead ms/job':>16} {'commits':>8}")
    for row in rows:
        over = "" if row is rows[0] else f"{row['overhead_ms_per_job']:.1f}"
        print(
            f"{row['contender']:30} {row['seconds']:8.2f} {row['ms_per_job']:8.2f} "
            f"{over:>16} {row['commits']:8}"
        )
    for row in rows[1:]:
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in row["phases"].items())
        print(
            f"\n{row['contender']}: {phases}; cluster start-up {row['startup_s']:.2f} s"
            if row["startup_s"]
            else f"\n{row['contender']}: {phases}"
        )
    verdict = all(r["overhead_ms_per_job"] <= TARGET_MS for r in rows[1:])
    print(f"\n{'meets' if verdict else 'misses'} the target", file=sys.stderr)


if __name__ == "__main__":
    main()
