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
    python bench/sync.py --keep /tmp/sync-tree  # generate once, reuse the tree on later runs

Targets (2 cores): cold ≥ 80% of the hashlib limit on large files and faster than
``dvc add`` overall; warm ≥ 3× faster than ``dvc status``; 1M unchanged records ≤ 60 s.
Record loading uses the record cache in both the cold and the warm runs (records are
metadata; they were validated already). Files are in the page cache for every contender.
Python code is byte-compiled once for every contender: pip compiled DVC's when it installed
it, and catalog's (an editable install) is compiled on the first run into a cache under the
benchmark's folder, also when PYTHONDONTWRITEBYTECODE is set. Everything generated is
deleted at the end, unless ``--keep DIR`` is given.
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
        # Quoted: an md5 of digits only (or digits and one 'e') would read as a number.
        f"file_size: {size}\nhash: '{md5}'\nhash_algorithm: md5\n"
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


def make_many(root: Path, n: int) -> dict[str, Any]:
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
    return {"records": n}


# ---------------------------------------------------------------- measurements


def hashlib_limit(paths: list[Path]) -> tuple[int, float]:
    """md5 over the files' bytes held in memory, one thread per core: (bytes, seconds)."""
    blobs = [p.read_bytes() for p in paths]

    def digest(view: memoryview) -> str:
        h = hashlib.md5(usedforsecurity=False)
        for i in range(0, len(view), CHUNK):
            h.update(view[i : i + CHUNK])
        return h.hexdigest()

    workers = os.cpu_count() or 2
    views = [memoryview(b) for b in blobs]
    if len(views) < workers:  # split big blobs so every core has work, as sync's threads do
        step = max(len(v) for v in views) // workers + 1
        views = [v[i : i + step] for v in views for i in range(0, len(v), step)]
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(digest, views))
    return sum(len(v) for v in views), time.perf_counter() - start


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


CATALOG_ENV: dict[str, str] | None = None
"""Environment of the catalog commands (see catalog_env)."""


def catalog_env(base: Path) -> dict[str, str]:
    """This environment, with catalog's bytecode cached under ``base`` (as an installed
    package has it: pip compiles at install), whatever PYTHONDONTWRITEBYTECODE says."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
    return env


def catalog(*args: str, root: Path) -> float:
    """Wall time of one `catalog` command on the catalog at ``root``."""
    return timed([sys.executable, "-m", "catalog", *args, "--root", str(root)], root, CATALOG_ENV)


def catalog_sync(root: Path, *extra: str) -> float:
    return catalog("sync", "--no-commit", *extra, root=root)


def drop_state(root: Path) -> None:
    """Forget everything sync knows: the stat cache and the last run's snapshot."""
    for p in (root / ".catalog").glob("statcache.sqlite*"):
        p.unlink()
    (root / ".catalog" / "sync-snapshot.marshal").unlink(missing_ok=True)


def dvc_python() -> Path:
    """The venv with DVC in it (created with pip on first use)."""
    py = DVC_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(DVC_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "dvc"], check=True)
    return py


def touch_a_record(root: Path) -> None:
    """Edit nothing but one record's mtime: the last findings can no longer be reused."""
    record = next((root / "records/datasets").rglob("*.yaml"))
    os.utime(record, ns=(time.time_ns(), time.time_ns()))


def drop_dvc(work: Path) -> None:
    """Undo an earlier run's `dvc init` and `dvc add` in a kept tree."""
    subprocess.run(["chmod", "-R", "u+w", str(work)], check=False)  # DVC makes files read-only
    shutil.rmtree(work / ".dvc", ignore_errors=True)
    for name in (".dvcignore", ".gitignore", "small.dvc", "large.dvc"):
        (work / name).unlink(missing_ok=True)


def generated(
    root: Path, params: dict[str, Any], make: Any, keep: bool
) -> tuple[dict[str, Any], float]:
    """The tree made by ``make()`` at ``root`` (reused when kept with the same parameters),
    and the seconds it took to generate."""
    stamp = root / ".bench-params.json"
    if keep and stamp.exists():
        kept = json.loads(stamp.read_text())
        if kept["params"] == params:
            return kept["result"], 0.0
    shutil.rmtree(root, ignore_errors=True)
    t = time.perf_counter()
    result = make()
    took = time.perf_counter() - t
    stamp.write_text(json.dumps({"params": params, "result": result}))
    return result, took


def measure(args: argparse.Namespace, base: Path) -> dict[str, Any]:
    from catalog.sync.run import SyncOptions, sync

    global CATALOG_ENV
    CATALOG_ENV = catalog_env(base)
    out: dict[str, Any] = {"cores": os.cpu_count(), "repeat": args.repeat}
    root = base / "cat"
    params = {"small": args.small, "large_mib": args.large_mib, "large_count": args.large_count}
    out["tree"], took = generated(
        root, params, lambda: make_tree(root, **params), args.keep is not None
    )
    out["tree"]["generate_s"] = took
    small = sorted((root / "data/small").rglob("*.bin"))
    large = sorted((root / "data/large").rglob("*.bin"))
    drop_dvc(root / "data")
    catalog("validate", root=root)  # fills the record cache (and catalog's bytecode cache)

    # The machine is shared: contenders alternate and the best of each counts.
    limit, hashing, nbytes = [], [], 0
    for _ in range(args.repeat):
        nbytes, took = hashlib_limit(large)
        limit.append(took)
        drop_state(root)
        c = sync(root, SyncOptions(repositories=("bench-large",), commit=False)).counters
        hashing.append(c.hash_seconds)
    out["limit_large"] = {"bytes": nbytes, "s": min(limit)}
    out["sync_large"] = {"bytes": c.hashed_bytes, "s": min(hashing)}
    n, took = hashlib_limit(small)
    out["limit_small"] = {"bytes": n, "s": took}

    drop_state(root)
    out["sync_cold_s"] = catalog_sync(root)
    catalog_sync(root)
    if args.dvc:
        py = dvc_python()
        dvc = [str(py), "-m", "dvc"]
        work = root / "data"
        timed([*dvc, "init", "--no-scm", "-q"], work)
        timed([*dvc, "config", "cache.type", "hardlink"], work)
        out["dvc_add_s"] = timed([*dvc, "add", "-q", "small", "large"], work)
        out["dvc_version"] = subprocess.run(
            [*dvc, "--version"], capture_output=True, text=True
        ).stdout.strip()
    warm, edited, status = [], [], []
    catalog_sync(root)
    for _ in range(args.repeat):
        warm.append(catalog_sync(root))
        touch_a_record(root)
        edited.append(catalog_sync(root))
        if args.dvc:
            status.append(timed([*dvc, "status", "-q"], work))
    out["sync_warm_s"], out["sync_edited_s"] = min(warm), min(edited)
    if status:
        out["dvc_status_s"] = min(status)

    if args.big:
        many = base / "many"
        _, out["big_generate_s"] = generated(
            many, {"big": args.big}, lambda: make_many(many, args.big), args.keep is not None
        )
        catalog("validate", root=many)
        drop_state(many)
        out["big_cold_s"] = catalog_sync(many)
        catalog_sync(many)
        warm, edited = [], []
        for _ in range(args.repeat):
            warm.append(catalog_sync(many))
            touch_a_record(many)
            edited.append(catalog_sync(many))
        out["big_warm_s"], out["big_edited_s"] = min(warm), min(edited)
        out["big_records"] = args.big
    return out


# ---------------------------------------------------------------- table


Row = tuple[str, str, str, str, str, str]


def _row(what: str, files: int, nbytes: float | None, secs: float, note: str = "") -> Row:
    gb = 1e9
    size = f"{nbytes / gb:.2f} GB" if nbytes else ""
    rate = f"{nbytes / secs / gb:.2f} GB/s" if nbytes else f"{files / secs:,.0f} files/s"
    return (what, f"{files:,}", size, f"{secs:.2f}", rate, note)


def _linear(n1: int, t1: float, n2: int, t2: float) -> tuple[float, float]:
    """t = a + b·n through two points: (a, b)."""
    b = (t2 - t1) / (n2 - n1)
    return t1 - b * n1, b


def table(r: dict[str, Any]) -> str:
    """The measurements as a table with each comparison spelled out."""
    tree = r["tree"]
    files = tree["small_files"] + tree["large_files"]
    total = tree["small_bytes"] + tree["large_bytes"]
    lim, syn = r["limit_large"], r["sync_large"]
    ratio = (syn["bytes"] / syn["s"]) / (lim["bytes"] / lim["s"])
    rows = [
        _row(
            "hashlib md5 limit, large files, in memory", tree["large_files"], lim["bytes"], lim["s"]
        ),
        _row(
            "sync cold, large files (hashing phase)",
            tree["large_files"],
            syn["bytes"],
            syn["s"],
            f"{ratio:.2f} of the limit (target ≥ 0.80)",
        ),
        _row(
            "hashlib md5 limit, small files, in memory",
            tree["small_files"],
            r["limit_small"]["bytes"],
            r["limit_small"]["s"],
        ),
        _row("catalog sync cold, all files (CLI)", files, total, r["sync_cold_s"]),
    ]
    if "dvc_add_s" in r:
        rows.append(
            _row(
                "dvc add, all files (cold)",
                files,
                total,
                r["dvc_add_s"],
                f"sync is {r['dvc_add_s'] / r['sync_cold_s']:.1f}× faster (target > 1)",
            )
        )
    rows.append(_row("catalog sync warm, nothing changed (CLI)", files, None, r["sync_warm_s"]))
    rows.append(_row("catalog sync warm, one record edited (CLI)", files, None, r["sync_edited_s"]))
    if "dvc_status_s" in r:
        st = r["dvc_status_s"]
        rows.append(
            _row(
                "dvc status (warm)",
                files,
                None,
                st,
                f"sync is {st / r['sync_warm_s']:.1f}× faster unchanged, "
                f"{st / r['sync_edited_s']:.1f}× after an edit (target ≥ 3)",
            )
        )
    if "big_warm_s" in r:
        n = r["big_records"]
        for key, what, small_key in (
            ("big_warm_s", "nothing changed", "sync_warm_s"),
            ("big_edited_s", "one record edited", "sync_edited_s"),
        ):
            a, b = _linear(files, r[small_key], n, r[key])
            rows.append(
                _row(
                    f"catalog sync warm, {what}, {n:,} records",
                    n,
                    None,
                    r[key],
                    f"{r[key] / r[small_key]:.1f}× the {files:,} time for "
                    f"{n / files:.1f}× the records; 1M ≈ {a + b * 1e6:.0f} s "
                    "(target ≤ 60)",
                )
            )
    head: Row = ("measure", "files", "bytes", "seconds", "throughput", "compared")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(6)]

    def line(row: Row) -> str:
        cells = (
            c.ljust(w) if i in (0, 5) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    out = [line(head), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]
    out.append(
        f"({r['cores']} cores, shared; best of {r['repeat']} for the warm and hashing rows; "
        f"{r.get('dvc_version') and 'DVC ' + r['dvc_version'] or 'DVC not run'})"
    )
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
    ap.add_argument("--repeat", type=int, default=3, help="runs of each warm measure (best)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="generate the trees in DIR and keep them; a later run with the same sizes reuses them",
    )
    args = ap.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    base = args.keep or Path(tempfile.mkdtemp(prefix="catalog-bench-sync-"))
    try:
        result = measure(args, base)
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(base)], check=False)  # DVC makes files read-only
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(result, indent=1) if args.json else table(result))


if __name__ == "__main__":
    main()
