"""How fast is `catalog sync`, against hashlib's own speed and against DVC, in one run?

Generates a tree of small files (1–16 KiB) and a few large files in a temporary folder, a
catalog with one md5 dataset record per file, then measures side by side:

* the limit: hashlib md5 over the same bytes, already in memory, on one thread per core;
* ``catalog sync`` cold (empty stat cache: every file hashed) and warm (nothing changed);
* the large files alone: sync's hashing throughput against the limit;
* DVC (installed with pip into a venv under ~/.cache/catalog-bench) — ``dvc add`` on the same
  tree (cold) and ``dvc status`` (warm);
* warm sync over a second catalog of N unchanged records (default 100,000), to show that the
  time grows linearly with the number of records (and what 1,000,000 would take).

Usage::

    python bench/sync.py                        # 20,000 small files + 2 GiB of large files
    python bench/sync.py --large-mib 256        # a quick run
    python bench/sync.py --big 0 --no-dvc       # skip the 100k catalog and DVC
    python bench/sync.py --json

Targets (2 cores): cold ≥ 80% of the hashlib limit on large files and faster than
``dvc add`` overall; warm ≥ 3× faster than ``dvc status``; 1M unchanged records ≤ 60 s.
Record loading uses the record cache in both the cold and the warm runs (records are
metadata; they were validated already). Files are in the page cache for every contender.
Everything generated is deleted at the end.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

CHUNK = 4 * 1024 * 1024
DVC_VENV = Path.home() / ".cache" / "catalog-bench" / "dvc-venv"
PER_FOLDER = 100

CATALOG_FILES = {
    "catalog.yaml": "name: bench\n",
    "records/formats/bin.yaml": "kind: format\nname: bin\nfile_extension: .bin\n",
    "records/dataset-types/blob.yaml": (
        "kind: dataset-type\nname: blob\nfilename_pattern: '*.bin'\n"
    ),
}


def _repo(name: str, url: str) -> str:
    return f"kind: repository\nname: {name}\ntype: local\nurl: {url}\nhash_algorithm: md5\n"


def _record(i: int, session: str, name: str, repo: str, rel: str, size: int, md5: str) -> str:
    return (
        "kind: dataset\n"
        f"uuid: {i:08x}-0000-4000-8000-{i:012x}\n"
        f"name: {name}\nsession: {session}\n"
        "dataset_type: blob\ndata_format: bin\n"
        f"file_size: {size}\nhash: {md5}\nhash_algorithm: md5\n"
        "file_records:\n"
        f"  - repository: {repo}\n    relative_path: {rel}\n    exists: true\n"
    )


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def make_tree(root: Path, *, small: int, large_mib: int, large_count: int) -> dict[str, Any]:
    """Data files under root/data/{small,large} and one record per file; returns sizes."""
    for rel, text in CATALOG_FILES.items():
        _write(root / rel, text.encode())
    _write(
        root / "records/repositories/bench-small.yaml", _repo("bench-small", "data/small").encode()
    )
    _write(
        root / "records/repositories/bench-large.yaml", _repo("bench-large", "data/large").encode()
    )
    pool = os.urandom(16 * 1024 * 1024 + 16 * 1024)
    sizes = {"small_files": small, "small_bytes": 0, "large_files": large_count, "large_bytes": 0}
    made: set[Path] = set()
    for i in range(small):
        size = 1024 * (1 + i % 16)
        data = pool[(i * 4099) % (16 * 1024 * 1024) :][:size]
        session = f"s{i // PER_FOLDER:05d}"
        rel = f"{session}/f{i:06d}.bin"
        path = root / "data/small" / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(data)
        record = _record(i, session, f"f{i:06d}.bin", "bench-small", rel, size, _md5(data))
        _write(root / f"records/datasets/small/{session}/f{i:06d}.bin.yaml", record.encode())
        sizes["small_bytes"] += size
    per_file = large_mib * 1024 * 1024 // max(large_count, 1)
    (root / "data/large/big").mkdir(parents=True, exist_ok=True)
    for j in range(large_count):
        rel = f"big/l{j}.bin"
        h = hashlib.md5(usedforsecurity=False)  # the algorithm DVC uses
        with (root / "data/large" / rel).open("wb") as fh:
            left, k = per_file, j
            while left:
                piece = pool[(k * 7919) % (16 * 1024) :][: min(left, 16 * 1024 * 1024)]
                fh.write(piece)
                h.update(piece)
                left -= len(piece)
                k += 1
        md5 = h.hexdigest()
        record = _record(10_000_000 + j, "big", f"l{j}.bin", "bench-large", rel, per_file, md5)
        _write(root / f"records/datasets/large/l{j}.bin.yaml", record.encode())
        sizes["large_bytes"] += per_file
    return sizes


def make_many(root: Path, n: int) -> None:
    """A catalog of n tiny files and their records (for warm-run scaling)."""
    for rel, text in CATALOG_FILES.items():
        _write(root / rel, text.encode())
    _write(
        root / "records/repositories/bench-small.yaml", _repo("bench-small", "data/small").encode()
    )
    made: set[Path] = set()
    for i in range(n):
        session = f"s{i // PER_FOLDER:05d}"
        data = b"%064d" % i
        rel = f"{session}/f{i:07d}.bin"
        for path, content in (
            (root / "data/small" / rel, data),
            (
                root / f"records/datasets/{session}/f{i:07d}.bin.yaml",
                _record(
                    i,
                    session,
                    f"f{i:07d}.bin",
                    "bench-small",
                    rel,
                    len(data),
                    _md5(data),
                ).encode(),
            ),
        ):
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            path.write_bytes(content)


# ---------------------------------------------------------------- measurements


def hashlib_limit(paths: list[Path]) -> tuple[int, float]:
    """md5 over the files' bytes held in memory, one thread per core: (bytes, seconds)."""
    blobs = [p.read_bytes() for p in paths]

    def digest(blob: bytes) -> str:
        h = hashlib.md5(usedforsecurity=False)
        view = memoryview(blob)
        for i in range(0, len(view), CHUNK):
            h.update(view[i : i + CHUNK])
        return h.hexdigest()

    workers = os.cpu_count() or 2
    if len(blobs) < workers:  # split big blobs so every core has work, as sync's threads do
        blobs = [
            b[i : i + len(b) // workers + 1]
            for b in blobs
            for i in range(0, len(b), len(b) // workers + 1)
        ]
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(digest, blobs))
    return sum(len(b) for b in blobs), time.perf_counter() - start


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall time of a command; fails loudly if the command fails."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return took


def catalog_sync(root: Path, *extra: str) -> float:
    return timed(
        [sys.executable, "-m", "catalog", "sync", "--root", str(root), "--no-commit", *extra], root
    )


def drop_stat_cache(root: Path) -> None:
    for p in (root / ".catalog").glob("statcache.sqlite*"):
        p.unlink()


def dvc_python() -> Path:
    """The venv with DVC in it (created with pip on first use)."""
    py = DVC_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(DVC_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "dvc"], check=True)
    return py


def measure(args: argparse.Namespace, base: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"cores": os.cpu_count()}
    root = base / "cat"
    t = time.perf_counter()
    out["tree"] = make_tree(
        root, small=args.small, large_mib=args.large_mib, large_count=args.large_count
    )
    out["tree"]["generate_s"] = time.perf_counter() - t
    small = sorted((root / "data/small").rglob("*.bin"))
    large = sorted((root / "data/large").rglob("*.bin"))
    timed([sys.executable, "-m", "catalog", "validate", "--root", str(root)], root)  # record cache

    n, s = hashlib_limit(large)
    out["limit_large"] = {"bytes": n, "s": s}
    n, s = hashlib_limit(small)
    out["limit_small"] = {"bytes": n, "s": s}

    from catalog.sync.run import SyncOptions, sync

    drop_stat_cache(root)
    res = sync(root, SyncOptions(repositories=("bench-large",), commit=False))
    c = res.counters
    out["sync_large"] = {"bytes": c.hashed_bytes, "s": c.hash_seconds}
    drop_stat_cache(root)
    out["sync_cold_s"] = catalog_sync(root)
    out["sync_warm_s"] = min(catalog_sync(root) for _ in range(3))

    if args.dvc:
        py = dvc_python()
        dvc = [str(py), "-m", "dvc"]
        work = root / "data"
        timed([*dvc, "init", "--no-scm", "-q"], work)
        timed([*dvc, "config", "cache.type", "hardlink"], work)
        out["dvc_add_s"] = timed([*dvc, "add", "-q", "small", "large"], work)
        out["dvc_status_s"] = min(timed([*dvc, "status", "-q"], work) for _ in range(3))
        out["dvc_version"] = subprocess.run(
            [*dvc, "--version"], capture_output=True, text=True
        ).stdout.strip()

    if args.big:
        many = base / "many"
        t = time.perf_counter()
        make_many(many, args.big)
        out["big_generate_s"] = time.perf_counter() - t
        timed([sys.executable, "-m", "catalog", "validate", "--root", str(many)], many)
        out["big_cold_s"] = catalog_sync(many)
        out["big_warm_s"] = min(catalog_sync(many) for _ in range(2))
        out["big_records"] = args.big
    return out


# ---------------------------------------------------------------- table


def table(r: dict[str, Any]) -> str:
    gb = 1e9
    tree = r["tree"]
    files = tree["small_files"] + tree["large_files"]
    total = tree["small_bytes"] + tree["large_bytes"]
    lim_l = r["limit_large"]["bytes"] / r["limit_large"]["s"] / gb
    lim_s = r["limit_small"]["bytes"] / r["limit_small"]["s"] / gb
    sync_l = r["sync_large"]["bytes"] / r["sync_large"]["s"] / gb
    rows = [
        (
            "hashlib md5 limit, large files (in memory)",
            f"{tree['large_files']}",
            f"{tree['large_bytes'] / gb:.2f} GB",
            f"{r['limit_large']['s']:.2f}",
            f"{lim_l:.2f} GB/s",
            "1.00",
        ),
        (
            "hashlib md5 limit, small files (in memory)",
            f"{tree['small_files']}",
            f"{tree['small_bytes'] / gb:.2f} GB",
            f"{r['limit_small']['s']:.2f}",
            f"{lim_s:.2f} GB/s",
            "1.00",
        ),
        (
            "catalog sync cold, large files (hashing)",
            f"{tree['large_files']}",
            f"{r['sync_large']['bytes'] / gb:.2f} GB",
            f"{r['sync_large']['s']:.2f}",
            f"{sync_l:.2f} GB/s",
            f"{sync_l / lim_l:.2f} of limit (target ≥ 0.80)",
        ),
        (
            "catalog sync cold, all (CLI)",
            f"{files}",
            f"{total / gb:.2f} GB",
            f"{r['sync_cold_s']:.2f}",
            f"{total / r['sync_cold_s'] / gb:.2f} GB/s",
            "",
        ),
        (
            "catalog sync warm, all (CLI)",
            f"{files}",
            "",
            f"{r['sync_warm_s']:.2f}",
            f"{files / r['sync_warm_s']:,.0f} files/s",
            "",
        ),
    ]
    if "dvc_add_s" in r:
        rows += [
            (
                "dvc add (cold)",
                f"{files}",
                f"{total / gb:.2f} GB",
                f"{r['dvc_add_s']:.2f}",
                f"{total / r['dvc_add_s'] / gb:.2f} GB/s",
                f"sync cold is {r['dvc_add_s'] / r['sync_cold_s']:.1f}× faster (target > 1)",
            ),
            (
                "dvc status (warm)",
                f"{files}",
                "",
                f"{r['dvc_status_s']:.2f}",
                f"{files / r['dvc_status_s']:,.0f} files/s",
                f"sync warm is {r['dvc_status_s'] / r['sync_warm_s']:.1f}× faster (target ≥ 3)",
            ),
        ]
    if "big_warm_s" in r:
        n = r["big_records"]
        # Linear model t = a + b·n through the two warm points.
        b = (r["big_warm_s"] - r["sync_warm_s"]) / (n - files)
        a = r["sync_warm_s"] - b * files
        rows.append(
            (
                f"catalog sync warm, {n:,} records (CLI)",
                f"{n}",
                "",
                f"{r['big_warm_s']:.2f}",
                f"{n / r['big_warm_s']:,.0f} files/s",
                f"{b * 1e6:.1f} µs/record; 1M ≈ {a + b * 1e6:.0f} s (target ≤ 60)",
            )
        )
    head = ("measure", "files", "bytes", "seconds", "throughput", "compared")
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(6)]

    def line(row):
        return "  ".join(
            str(c).ljust(w) if i in (0, 5) else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )  # noqa: E731

    out = [line(head), "  ".join("-" * w for w in widths), *(line(r_) for r_ in rows)]
    out.append(f"({r['cores']} cores; {r.get('dvc_version', 'DVC not run')})")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", type=int, default=20_000, help="small files (1-16 KiB)")
    ap.add_argument("--large-mib", type=int, default=2048, help="total MiB of large files")
    ap.add_argument("--large-count", type=int, default=4, help="number of large files")
    ap.add_argument(
        "--big", type=int, default=100_000, help="records in the scaling catalog (0: skip)"
    )
    ap.add_argument("--no-dvc", dest="dvc", action="store_false", help="do not run DVC")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="catalog-bench-sync-"))
    try:
        result = measure(args, base)
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(base)], check=False)  # DVC makes files read-only
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(result, indent=1) if args.json else table(result))


if __name__ == "__main__":
    main()
