"""What `catalog sync` prints: a progress display while hashing, then a summary table
(text) or one JSON object."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

from catalog.sync.report import FILE_STATUSES
from catalog.sync.run import SyncOutcome
from catalog.sync.work import Progress

SHOWN_PROBLEMS = 50
HEADERS = {
    "verified": "verified",
    "unverified": "unverified",
    "missing": "missing",
    "size_mismatch": "wrong size",
    "hash_mismatch": "wrong hash",
    "unreachable": "unreachable",
}


@contextmanager
def progress_display(enabled: bool) -> Iterator[Progress | None]:
    """Files and bytes hashed, with ETA, on a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn("{task.description:<13}"),
        BarColumn(),
        TextColumn("{task.fields[amount]:>22}"),
        TimeRemainingColumn(),
        transient=True,
        console=Console(stderr=True),  # stdout carries the table or the JSON
    ) as bar:
        f = bar.add_task("files hashed", total=None, amount="")
        b = bar.add_task("bytes hashed", total=None, amount="")

        def update(done: int, total: int, done_bytes: int, total_bytes: int) -> None:
            bar.update(f, completed=done, total=total, amount=f"{done}/{total}")
            amount = f"{_size(done_bytes)}/{_size(total_bytes)}"
            bar.update(b, completed=done_bytes, total=total_bytes, amount=amount)

        yield update


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


def _changed(outcome: SyncOutcome) -> list[str]:
    """Every change as a line (none without importing the record layer, when there are none)."""
    if not (outcome.changes or outcome.new):
        return []
    from catalog.sync.changes import describe

    return describe(outcome.changes, outcome.new)


def summary_text(outcome: SyncOutcome) -> str:
    """The summary table, the problems, and what was written."""
    report = outcome.report
    names = sorted(report.repositories)
    width = max([len("repository"), *(len(n) for n in names)])
    head = f"{'repository':<{width}}  {'status':<13}" + "".join(
        f"{HEADERS[s]:>12}" for s in FILE_STATUSES
    )
    lines = [head, "-" * len(head)]
    for name in names:
        r = report.repositories[name]
        row = f"{name:<{width}}  {r.status:<13}" + "".join(
            f"{r.counts.get(s, 0):>12}" for s in FILE_STATUSES
        )
        lines.append(row + (f"  {r.message}" if r.message else ""))
    problems = [f for f in report.files if f.status not in ("verified",)]
    if problems:
        lines.append("")
        for f in problems[:SHOWN_PROBLEMS]:
            lines.append(f"{f.status:<13} {f.repository}:{f.relative_path}  {f.detail}".rstrip())
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"… and {len(problems) - SHOWN_PROBLEMS} more (see the report)")
    c = outcome.counters
    if outcome.reused:
        lines += [
            "",
            "nothing changed since the last run (records, settings, file stats): "
            "its findings stand",
        ]
    lines += [
        "",
        f"hashed {c.hashed_files} file(s) ({_size(c.hashed_bytes)}); {c.from_cache} unchanged "
        f"(stat cache); {c.from_etag} by S3 ETag; {c.resumed} from a checkpoint",
    ]
    if report.orphans:
        lines.append(f"{len(report.orphans)} file(s) in no record (orphans), e.g.:")
        lines += [
            f"  {o.repository}:{o.relative_path}" + (f"  ({o.detail})" if o.detail else "")
            for o in report.orphans[:10]
        ]
    if outcome.replication is not None:
        rep = outcome.replication
        for dest, src in rep.planned:
            lines.append(f"would copy {src} → {dest.repository}:{dest.relative_path}")
        lines.append(f"replicated {len(rep.copied)} file(s); {len(rep.failed)} failed")
        lines += [f"  copy failed {d.repository}:{d.relative_path}: {why}" for d, why in rep.failed]
    changed = _changed(outcome)
    if outcome.dry_run:
        lines.append(f"dry run: {len(changed)} change(s) would be made" + (":" if changed else ""))
        lines += [f"  {line}" for line in changed]
    elif outcome.commit:
        lines.append(f"committed {outcome.commit[:12]} ({len(changed)} change(s))")
    elif changed:
        lines.append(f"edited records without committing ({len(changed)} change(s))")
    else:
        lines.append("records unchanged")
    if outcome.report_path is not None:
        lines.append(f"report: {outcome.report_path}")
    return "\n".join(lines)


def summary_json(outcome: SyncOutcome) -> str:
    """The report plus what the run did, as one JSON object."""
    return json.dumps(
        {
            "report": outcome.report.to_json(),
            "counters": asdict(outcome.counters),
            "changes": _changed(outcome),
            "commit": outcome.commit,
            "dry_run": outcome.dry_run,
            "report_path": str(outcome.report_path) if outcome.report_path else None,
            "replicated": [
                {"repository": d.repository, "relative_path": d.relative_path, "from": s}
                for d, s in (outcome.replication.copied if outcome.replication else [])
            ],
        },
        indent=1,
    )
