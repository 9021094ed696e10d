"""Reports into records: round-trip edits of the record a job came from.

A block report edits its experiment (and derives the experiment's status), a round report
its training, a replication report flips its dataset copy to ``exists: true`` (a failed
copy changes nothing).

``report_edits`` checks a report against the records as they are now (raising
``StaleReportError`` when it no longer applies) and returns edits that the committer
applies under its lock. ``batch_edits`` folds many reports into one edit per record file,
so a batch is one commit and each file is parsed and written once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ruamel.yaml.scalarstring import LiteralScalarString

from catalog.errors import CatalogError
from catalog.gitrepo import Edit
from catalog.models import Dataset, Experiment, Training
from catalog.records import Entry, Records
from catalog.runner.jobs import trust_records
from catalog.runner.plan import block_inputs, block_key, dataset_input
from catalog.runner.report import Report
from catalog.runner.status import downstream, experiment_status
from catalog.runner.trainplan import ACTIVE, open_round
from catalog.sync.changes import DatasetEdit

Tree = Any
"""A record file's round-trip YAML tree (ruamel CommentedMap)."""

BLOCK_STATUS = {"done": "done", "failed": "failed", "timed_out": "failed", "cancelled": "cancelled"}


class StaleReportError(CatalogError):
    """A report that no longer applies to the records (unknown job, settled, or changed)."""

    def __init__(self, job_id: str, reason: str) -> None:
        self.job_id = job_id
        self.reason = reason
        super().__init__(f"report for {job_id} not applied: {reason}")


def text(value: str) -> str:
    """A string as it should be written: multi-line text as a literal block (``|``)."""
    if "\n" in value and not value[0].isspace() and not any(c in value for c in "\x85\u2028\u2029"):
        literal: str = LiteralScalarString(value)
        return literal
    return value


def _put(node: Tree, key: str, value: Any) -> None:
    """Set ``key``, or remove it when the value is empty (the model's default)."""
    if value is None or value == "" or value is False or value == {}:
        if key in node:
            del node[key]
    else:
        node[key] = text(value) if isinstance(value, str) else value


def report_edits(records: Records, report: Report, *, rerun: bool = False) -> list[Edit]:
    """The edits that record ``report``; StaleReportError if it no longer applies.

    ``rerun`` accepts a report for a block that is already done with the same cache key
    (a forced re-run); otherwise only pending or processing blocks take reports, or done
    blocks whose definition changed since (a different cache key).
    """
    found = _edit_of(records, report, rerun)
    return [] if found is None else [Edit(found[0].path, fn=found[1])]


def batch_edits(
    records: Records, reports: Sequence[Report], *, rerun: bool = False
) -> tuple[list[Edit], list[StaleReportError]]:
    """One edit per record file for all ``reports``, and the reports that were stale."""
    fns: dict[str, list[Callable[[Tree], None]]] = {}
    stale: list[StaleReportError] = []
    for report in reports:
        try:
            found = _edit_of(records, report, rerun)
        except StaleReportError as exc:
            stale.append(exc)
            continue
        if found is not None:
            fns.setdefault(found[0].path, []).append(found[1])

    def chain(steps: list[Callable[[Tree], None]]) -> Callable[[Tree], None]:
        def run(tree: Tree) -> None:
            for step in steps:
                step(tree)

        return run

    return [Edit(path, fn=chain(steps)) for path, steps in fns.items()], stale


def _edit_of(
    records: Records, report: Report, rerun: bool
) -> tuple[Entry, Callable[[Tree], None]] | None:
    """The record to edit and how; None when the report changes nothing."""
    if report.kind == "block":
        return _block(records, report, rerun)
    if report.kind == "training-round":
        return _training(records, report)
    return _replication(records, report)


# ---------------------------------------------------------------- blocks


def _block(records: Records, report: Report, rerun: bool) -> tuple[Entry, Callable[[Tree], None]]:
    job = report.job_id
    entry = records.get("experiment", report.experiment or "")
    if entry is None:
        raise StaleReportError(job, f"unknown job: there is no experiment '{report.experiment}'")
    x = entry.model
    assert isinstance(x, Experiment)
    block = next((b for b in x.blocks if b.name == report.block), None)
    if block is None:
        raise StaleReportError(job, f"unknown job: '{x.name}' has no block '{report.block}'")
    changed_key = report.cache_key is not None and report.cache_key != block.cache_key
    if block.status not in ("pending", "processing") and not (
        block.status == "done" and (rerun or changed_key)
    ):
        raise StaleReportError(
            job, f"block '{block.name}' is {block.status.value}, not pending or processing any more"
        )
    if report.cache_key is not None:
        inputs, _ = block_inputs(records, x, block, lambda ref: True)
        current = block_key(block, inputs) if inputs is not None else None
        if current is not None and current != report.cache_key:
            raise StaleReportError(
                job,
                "the record changed: the block's command, parameters or inputs are not "
                "what the job ran with",
            )

    def there(uuid: str) -> bool:
        return dataset_input(records, uuid, trust_records)[0] is not None

    return entry, lambda tree: _record_block(tree, report, there)


def _record_block(tree: Tree, report: Report, there: Callable[[str], bool]) -> None:
    blocks = tree.get("blocks") or []
    node = next((b for b in blocks if b.get("name") == report.block), None)
    if node is None:
        return  # removed from the file meanwhile: nothing to record
    status = BLOCK_STATUS[report.status]
    node["status"] = status
    if report.cache_key is not None:
        node["cache_key"] = report.cache_key
    _put(node, "from_cache", report.from_cache)
    timings = report.metrics.model_dump(exclude_none=True)
    _put(node, "timings", timings or None)
    _put(node, "stdout", report.stdout)
    _put(node, "stderr", report.stderr)
    _put(node, "error_report", report.error_report)
    produced = {o.name: o for o in report.outputs}
    default_repo = tree.get("repository")
    for out in node.get("outputs") or []:
        o = produced.get(out.get("name"))
        if o is not None and o.repository != (out.get("repository") or default_repo):
            out["repository"] = o.repository
        _put(out, "relative_path", o.relative_path if o else None)
        _put(out, "hash", o.hash if o else None)
        _put(out, "hash_algorithm", o.hash_algorithm.value if o else None)
        _put(out, "file_size", o.file_size if o else None)
    for result in tree.get("results") or []:
        if result.get("block") not in (None, report.block):
            continue
        if result.get("name") in report.results:
            result["value"] = report.results[result["name"]]
        elif result.get("block") == report.block and status != "done":
            _put(result, "value", None)  # the last run produced no value
    if status != "done":
        _cancel_downstream(tree, str(report.block))
    statuses = [str(b.get("status", "pending")) for b in blocks]
    current = str(tree.get("status", "pending"))
    tree["status"] = experiment_status(current, statuses, ready=_ready(blocks, there))


def _ready(blocks: list[Tree], there: Callable[[str], bool]) -> bool:
    """Whether a pending block can run now by the records' word: upstream done, data there."""
    status = {str(b.get("name")): str(b.get("status", "pending")) for b in blocks}

    def available(inp: Tree) -> bool:
        if inp.get("block"):
            return status.get(str(inp["block"])) == "done"
        return there(str(inp.get("dataset")))

    return any(
        status[str(b.get("name"))] == "pending" and all(map(available, b.get("inputs") or []))
        for b in blocks
    )


def _cancel_downstream(tree: Tree, failed: str) -> None:
    """Pending blocks that depend on ``failed`` are cancelled: they can never run."""
    blocks = tree.get("blocks") or []
    graph = {
        str(b.get("name")): {str(i["block"]) for i in b.get("inputs") or [] if i.get("block")}
        for b in blocks
    }
    reached = set(downstream(graph, failed))
    for b in blocks:
        if b.get("name") in reached and b.get("status", "pending") == "pending":
            b["status"] = "cancelled"
            b["error_report"] = f"not run: block '{failed}' did not complete"


# ---------------------------------------------------------------- trainings


def _training(records: Records, report: Report) -> tuple[Entry, Callable[[Tree], None]]:
    job = report.job_id
    entry = records.get("training", report.training or "")
    if entry is None:
        raise StaleReportError(job, f"unknown job: there is no training '{report.training}'")
    t = entry.model
    assert isinstance(t, Training)
    if t.state not in ACTIVE or t.locked:
        why = "locked" if t.locked else t.state.value
        raise StaleReportError(job, f"training '{t.name}' is {why}; it takes no more reports")
    current = open_round(t)
    number = current.number if current is not None else len(t.rounds)
    if report.round != number:
        raise StaleReportError(job, f"round {report.round} is not the open round ({number})")
    if report.update is not None:
        who = report.update.participant
        if t.participants and who not in t.participants:
            raise StaleReportError(job, f"'{who}' is not a participant of '{t.name}'")
        if current is not None and any(u.participant == who for u in current.updates):
            raise StaleReportError(job, f"round {number} already has an update from '{who}'")
        return entry, lambda tree: _record_update(tree, report, number)
    if current is None:
        raise StaleReportError(job, f"round {number} has no updates to aggregate")
    return entry, lambda tree: _record_round(tree, report, number)


def _round_node(tree: Tree, number: int) -> Tree:
    rounds = tree.setdefault("rounds", [])
    node = next((r for r in rounds if r.get("number") == number), None)
    if node is None:
        node = {"number": number, "updates": []}
        rounds.append(node)
        node = rounds[-1]
    return node


def _record_update(tree: Tree, report: Report, number: int) -> None:
    assert report.update is not None
    when = report.metrics.finished or report.metrics.started
    update: dict[str, Any] = {"participant": report.update.participant}
    for key, value in (
        ("received", when),
        ("num_samples", report.update.num_samples),
        ("hash", report.update.hash),
        ("path", report.update.path),
    ):
        if value is not None:
            update[key] = value
    node = _round_node(tree, number)
    node.setdefault("updates", []).append(update)
    if when:
        tree["last_update"] = when
    if tree.get("state", "initial") == "initial":
        tree["state"] = "ongoing"


def _record_round(tree: Tree, report: Report, number: int) -> None:
    when = report.metrics.finished or report.metrics.started
    if report.status != "done":
        tree["state"] = "error"
        if when:
            tree["last_update"] = when
        return
    node = _round_node(tree, number)
    model = report.outputs[0]
    node["aggregated_hash"] = model.hash
    node["aggregated_path"] = model.relative_path
    if when:
        node["finished"] = when
        tree["last_update"] = when
    done = sum(len(r.get("updates") or []) for r in tree["rounds"] if r.get("finished"))
    if done >= int(tree["target_num_updates"]):
        tree["state"] = "completed"
    else:
        tree["state"] = "ongoing"
        tree["rounds"].append({"number": number + 1, "updates": []})


# ---------------------------------------------------------------- replication


def _replication(records: Records, report: Report) -> tuple[Entry, Callable[[Tree], None]] | None:
    """A done copy flips its file record to ``exists: true``; a failed one changes nothing."""
    job = report.job_id
    entry = records.get("dataset", report.dataset or "")
    if entry is None:  # even a failed copy: a report about no job is parked, not taken
        raise StaleReportError(job, f"unknown job: there is no dataset '{report.dataset}'")
    if report.status != "done":
        return None
    d = entry.model
    assert isinstance(d, Dataset)
    if len(report.outputs) != 1:
        raise StaleReportError(job, "a replication report lists the one copy it made")
    made = report.outputs[0]
    where = (made.repository, made.relative_path)
    fr = next((f for f in d.file_records if (f.repository, f.relative_path) == where), None)
    if fr is None:
        raise StaleReportError(
            job, f"dataset '{d.key()}' has no copy {made.repository}:{made.relative_path} any more"
        )
    if (d.hash, d.hash_algorithm) != (made.hash, made.hash_algorithm):
        raise StaleReportError(job, f"the checksum of dataset '{d.key()}' changed since the copy")
    if fr.exists:
        return None  # found meanwhile (by sync): nothing to record
    flip = DatasetEdit(entry.path, entry.label, flips={(fr.repository, fr.relative_path): True})
    return entry, flip.apply
