"""How fast is `catalog validate` on a large catalog, against the bare-YAML-parse floor?

Generates a synthetic catalog (repositories, formats, dataset types, tags, revisions, notices
and N datasets filed by session, ~100 files per folder) in a temporary folder, then measures:

* cold validate: no record cache, every file read, parsed, validated and checked;
* floor: reading and parsing the same files with the fastest YAML parser available (PyYAML's
  libyaml CSafeLoader), nothing else;
* warm validate: the record cache is filled, nothing changed;
* re-validate after editing one dataset file.

Usage::

    python bench/validate.py                    # 10,000 datasets
    python bench/validate.py --datasets 100000  # the large target
    python bench/validate.py --json             # one JSON object instead of the table

Targets (2 cores): cold <= 2x floor; 100k datasets cold <= 20 s; re-validate after a
one-file edit <= 1 s at 100k.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from catalog.naming_files import record_path
from catalog.store import iter_record_files
from catalog.validate import validate

FLOOR_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DATASETS_PER_SESSION = 100
N_TYPES = 100
METADATA_SCHEMA = """\
metadata_schema:
  type: object
  required: [channels]
  properties:
    channels: {type: integer, minimum: 1}
    probe: {type: string}
    recorded: {type: string, format: date-time}
"""
SCHEMA_LINE = "# yaml-language-server: $schema=../../../../../../schemas/dataset.schema.json\n"


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _small_records(root: Path, rng: random.Random) -> dict[str, list[str]]:
    """Repositories, formats, types, tags, revisions; returns their names by kind."""
    names: dict[str, list[str]] = {}
    repos = ["local-main", "s3-archive", "flatiron"]
    types_urls = [("local", "data/main"), ("s3", "s3://bucket/lab"), ("http", "https://ex.org/d")]
    for name, (typ, url) in zip(repos, types_urls, strict=True):
        _write(
            root,
            f"records/repositories/{name}.yaml",
            f"kind: repository\nname: {name}\ntype: {typ}\nurl: {url}\n",
        )
    names["repository"] = repos
    formats = {"npy": ".npy", "pqt": ".pqt", "json": ".json"}
    for name, ext in formats.items():
        _write(
            root,
            f"records/formats/{name}.yaml",
            f"kind: format\nname: {name}\nfile_extension: {ext}\n"
            f"description: {name} files\npython_loader_function: load_{name}\n",
        )
    types = [f"obj{i // 4}.attr{i % 4}" for i in range(N_TYPES)]
    for i, t in enumerate(types):
        # One type in ten has a metadata schema with formats, as curated types would.
        schema = METADATA_SCHEMA if i % 10 == 0 else ""
        _write(
            root,
            f"records/dataset-types/{t}.yaml",
            f"kind: dataset-type\nname: {t}\ndescription: synthetic type {t}\n"
            f'filename_pattern: "*{t}*.*"\n{schema}',
        )
    names["dataset-type"] = types
    tags = [f"tag{i}" for i in range(10)]
    for i, t in enumerate(tags):
        _write(
            root,
            f"records/tags/{t}.yaml",
            f"kind: tag\nname: {t}\nprotected: {'true' if i == 0 else 'false'}\n",
        )
    names["tag"] = tags
    revisions = [f"2024-0{m}-01" for m in range(1, 6)]
    for r in revisions:
        _write(root, f"records/revisions/{r}.yaml", f"kind: revision\nname: {r}\ncreated: {r}\n")
    names["revision"] = revisions
    return names


def _dataset_text(
    rng: random.Random, uid: str, name: str, session: str, typ: str, revision: str | None
) -> str:
    tags = rng.sample(range(10), 2)
    digest = hashlib.sha256(uid.encode()).hexdigest()
    lines = [
        SCHEMA_LINE,
        "kind: dataset\n",
        f"uuid: {uid}\n",
        f"name: {name}\n",
        f"session: {session}\n",
        "collection: alf\n",
        "# synthetic dataset for the benchmark\n",
        f"dataset_type: {typ}\n",
        "data_format: npy\n",
    ]
    if revision:
        lines.append(f"revision: {revision}\n")
    lines += [
        f"tags: [tag{tags[0]}, tag{tags[1]}]\n",
        "qc: PASS\n",
        f"file_size: {rng.randrange(1_000, 10**9)}\n",
        f"hash: {digest}\n",
        "hash_algorithm: sha256\n",
        "version: 1.4.2\n",
        "created_by: bench\n",
        "created_datetime: 2024-03-01T14:05:00Z\n",
        "metadata:\n  channels: 384\n  probe: probe00\n  recorded: 2024-03-01T14:05:00Z\n",
        "file_records:\n",
        f"  - repository: local-main\n    relative_path: {session}/alf/{name}\n    exists: true\n",
        f"  - repository: s3-archive\n    relative_path: {session}/alf/{name}\n",
    ]
    return "".join(lines)


def generate(root: Path, n_datasets: int, seed: int = 1) -> int:
    """Write a synthetic catalog of ``n_datasets`` datasets under ``root``; return file count."""
    rng = random.Random(seed)
    (root / "catalog.yaml").write_text("name: bench\nnaming: alf\n", encoding="utf-8")
    names = _small_records(root, rng)
    uuids: list[str] = []
    made_dirs: set[Path] = set()
    for i in range(n_datasets):
        s = i // DATASETS_PER_SESSION
        session = f"SW{s // 300:03d}/2024-{1 + (s // 30) % 12:02d}-{1 + s % 28:02d}/{s % 10:03d}"
        typ = names["dataset-type"][i % DATASETS_PER_SESSION % N_TYPES]
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        uuids.append(uid)
        name = f"{typ}.npy"
        revision = names["revision"][s % 5] if s % 7 == 0 else None
        data = {"name": name, "session": session, "collection": "alf", "revision": revision}
        rel = record_path("dataset", data)
        path = root / rel
        if path.parent not in made_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(path.parent)
        path.write_text(
            _dataset_text(rng, uid, name, session, typ, revision),
            encoding="utf-8",
        )
    for i in range(20):
        importance = ["CRITICAL", "MAJOR", "MINOR", "INSIGNIFICANT"][i % 4]
        affected = "\n".join(f"  - {u}" for u in rng.sample(uuids, min(5, len(uuids))))
        _write(
            root,
            f"records/notices/notice-{i}.yaml",
            f"kind: notice\nname: notice-{i}\nimportance: {importance}\n"
            f"description: |\n  Synthetic notice {i}.\ndatasets:\n{affected}\n"
            f"selector:\n  dataset_types: [{names['dataset-type'][i]}]\n",
        )
    return len(iter_record_files(root))


CPU: dict[str, float] = {}
"""CPU seconds of each measure: on a shared machine, wall time also counts others' work."""


def _timed(fn: Callable[[], Any], name: str = "") -> tuple[float, Any]:
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    if name:
        CPU[name] = time.process_time() - c0
    return wall, out


def floor_parse(root: Path) -> int:
    """Read and parse every record file with the fastest YAML loader; nothing else."""
    n = 0
    for rel in iter_record_files(root):
        yaml.load((root / rel).read_bytes(), Loader=FLOOR_LOADER)  # noqa: S506 - C safe loader
        n += 1
    return n


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _cli_validate(root: Path) -> float:
    """Wall time of `catalog validate` in a fresh interpreter (start-up and imports included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "catalog", "validate", "--root", str(root)],
        check=True,
        capture_output=True,
        env={**os.environ, "CI": "1"},
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["cli_revalidate_s"] = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    return wall


def run(n_datasets: int, workdir: Path | None = None) -> dict[str, Any]:
    """Generate a catalog, then measure the floor and each kind of validate; return figures."""
    tmp = Path(tempfile.mkdtemp(prefix="catalog-bench-", dir=workdir))
    r: dict[str, Any] = {"datasets": n_datasets}
    try:
        r["generate_s"], r["files"] = _timed(lambda: generate(tmp, n_datasets))
        r["floor_s"], _ = _timed(lambda: floor_parse(tmp), "floor_s")
        r["cold_nocache_s"], result = _timed(
            lambda: validate(tmp, use_cache=False), "cold_nocache_s"
        )
        if result.problems:
            raise SystemExit(f"synthetic catalog is invalid: {result.problems[:3]}")
        r["records"] = len(result.records)
        del result
        # The first run of `catalog validate` on a fresh checkout: no cache yet, fills it.
        r["cold_s"], _ = _timed(lambda: validate(tmp), "cold_s")
        r["warm_s"], _ = _timed(lambda: validate(tmp), "warm_s")
        datasets = [x for x in iter_record_files(tmp) if x.startswith("records/datasets/")]
        _edit(tmp / datasets[len(datasets) // 2], "qc: PASS", "qc: WARNING")
        r["revalidate_s"], result = _timed(lambda: validate(tmp), "revalidate_s")
        assert not result.problems, result.problems[:3]
        r["records_after_s"], _ = _timed(lambda: len(result.records), "records_after_s")
        del result
        _edit(tmp / datasets[len(datasets) // 3], "data_format: npy", "data_format: npz")
        r["revalidate_bad_s"], result = _timed(lambda: validate(tmp), "revalidate_bad_s")
        assert [p.code for p in result.problems] == ["unknown-reference"], result.problems
        _edit(tmp / datasets[len(datasets) // 3], "data_format: npz", "data_format: npy")
        validate(tmp)
        _edit(tmp / "records/tags/tag3.yaml", "protected: false", "protected: true")
        r["revalidate_tag_s"], result = _timed(lambda: validate(tmp), "revalidate_tag_s")
        assert not result.problems
        _edit(tmp / datasets[len(datasets) // 4], "qc: PASS", "qc: FAIL")
        r["cli_revalidate_s"] = _cli_validate(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.update({f"{k.removesuffix('_s')}_cpu_s": v for k, v in CPU.items()})
    r.update(
        {
            "floor_loader": FLOOR_LOADER.__name__,
            "cold_vs_floor": r["cold_s"] / r["floor_s"],
            "cold_vs_floor_cpu": CPU["cold_s"] / CPU["floor_s"],
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
        }
    )
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}


def table(r: dict[str, Any]) -> str:
    """The figures as a plain-text table with the targets beside them."""
    big = r["datasets"] >= 100_000
    rows = [
        ("bare YAML parse (floor)", "floor_s", r["floor_loader"]),
        ("cold validate (fills cache)", "cold_s", "<= 2x floor" + ("; <= 20 s" if big else "")),
        ("cold validate, no cache", "cold_nocache_s", "--no-cache"),
        ("warm validate, no change", "warm_s", ""),
        ("re-validate, 1 dataset edited", "revalidate_s", "<= 1 s" if big else ""),
        ("  same, edit adds an error", "revalidate_bad_s", ""),
        ("  then load all records", "records_after_s", "Validation.records"),
        ("re-validate, 1 tag edited", "revalidate_tag_s", "every dataset re-checked"),
        ("CLI re-validate, 1 dataset", "cli_revalidate_s", "fresh process, imports too"),
    ]
    out = [
        f"{r['records']:,} records ({r['datasets']:,} datasets) on {r['cores']} cores, "
        f"Python {r['python']}",
        f"{'measure':<31} {'seconds':>8} {'cpu s':>7} {'records/s':>10}  target / note",
        "-" * 86,
    ]
    for label, key, note in rows:
        secs = r[key]
        cpu = r.get(f"{key.removesuffix('_s')}_cpu_s", float("nan"))
        out.append(f"{label:<31} {secs:>8.2f} {cpu:>7.2f} {r['records'] / secs:>10,.0f}  {note}")
    out.append("-" * 86)
    out.append(
        f"cold / floor = {r['cold_vs_floor']:.2f} wall, {r['cold_vs_floor_cpu']:.2f} cpu "
        "(target <= 2.00)"
    )
    return "\n".join(out)


def main() -> None:
    """Command line: generate, measure, print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", type=int, default=10_000, help="datasets to generate")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--workdir", type=Path, default=None, help="where to make the temp catalog")
    args = ap.parse_args()
    r = run(args.datasets, args.workdir)
    print(json.dumps(r) if args.json else table(r))


if __name__ == "__main__":
    main()
