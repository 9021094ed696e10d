"""Page contexts of the records about running work: experiments, trainings, workers."""

from __future__ import annotations

from catalog.models import Block, Experiment, Training, Worker
from catalog.publish import paths
from catalog.publish.gather import Site
from catalog.publish.graph import layout
from catalog.publish.linkeddata import dumps
from catalog.publish.markdown import plain_text, render_markdown
from catalog.publish.pages import (
    Badge,
    Bar,
    BlockView,
    ExperimentPage,
    Field,
    Link,
    ResultRow,
    RoundRow,
    TrainingPage,
    WorkerPage,
)
from catalog.publish.svg import block_anchor, render_graph
from catalog.publish.views import (
    badge,
    dataset_link,
    fields,
    human_size,
    record_link,
    seconds,
    text_field,
)
from catalog.records import Entry

EXCERPT = 4000
"""Characters of stdout/stderr shown per block (the record may hold more)."""


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else "…" + text[-EXCERPT:]


def _block_view(site: Site, x: Experiment, b: Block) -> BlockView:
    inputs = []
    for i in b.inputs:
        if i.dataset is not None:
            e = site.dataset(i.dataset)
            target = dataset_link(e) if e else Link(i.dataset, "")
            inputs.append(Field(i.name, links=(target,) if target.path else (), text=i.dataset))
        else:
            anchor = "#" + block_anchor(str(i.block))
            inputs.append(Field(i.name, links=(Link(f"{i.block} → {i.output}", anchor),)))
    outputs = [
        Field(
            o.name,
            text=" · ".join(
                p
                for p in (
                    o.path,
                    o.repository or x.repository or "",
                    o.relative_path or "",
                    human_size(o.file_size),
                    f"{o.hash_algorithm.value}:{o.hash[:16]}…" if o.hash else "not stored yet",
                )
                if p
            ),
            code=True,
        )
        for o in b.outputs
    ]
    t = b.timings
    return BlockView(
        name=b.name,
        anchor=block_anchor(b.name),
        status=badge(b.status.value, "status"),
        fields=fields(
            text_field("Command", " ".join(b.command) if b.command else None, code=True),
            text_field("Algorithm", b.algorithm, code=True),
            text_field("Algorithm version", b.algorithm_version),
            text_field("Environment", b.environment, code=True),
            text_field("Parameters", b.parameters),
            text_field("Queue", b.queue),
            text_field("Slots", b.slots),
            text_field("Memory", f"{b.memory_mb} MiB" if b.memory_mb else None),
            text_field("Time limit", seconds(b.timeout_s)),
            text_field("Cache key", b.cache_key, code=True),
            text_field("Reused from cache", b.from_cache or None),
            text_field("Started", t.started if t else None),
            text_field("Finished", t.finished if t else None),
            text_field("Wall time", seconds(t.linear_execution_s) if t else None),
            text_field("CPU time", seconds(t.cpu_s) if t else None),
            text_field("Queued for", seconds(t.queuing_s) if t else None),
            text_field("Peak memory", human_size(t.max_memory_bytes) if t else None),
            text_field("Data read", human_size(t.data_read_bytes) if t else None),
            text_field("Data written", human_size(t.data_written_bytes) if t else None),
        ),
        inputs=inputs,
        outputs=outputs,
        stdout=_excerpt(b.stdout),
        stderr=_excerpt(b.stderr),
        error_report=b.error_report,
    )


def _value(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict | list):
        return dumps(v)
    return str(v)


def experiment_page(site: Site, e: Entry) -> ExperimentPage:
    """An experiment with its block graph, blocks, results (primary first) and timings."""
    x = e.model
    assert isinstance(x, Experiment)
    times = [(b.name, b.timings.linear_execution_s) for b in x.blocks if b.timings]
    longest = max((s for _, s in times if s), default=0.0)
    results = sorted(x.results, key=lambda r: not r.primary)
    return ExperimentPage(
        path=paths.record_page("experiment", x.name),
        title=x.name,
        summary=plain_text(x.description) or f"Experiment {x.name}",
        section="experiment",
        crumbs=(Link("Experiments", paths.kind_index("experiment")),),
        status=badge(x.status.value, "status"),
        description=render_markdown(x.description),
        fields=fields(
            text_field("Author", x.author),
            text_field("Blocks", len(x.blocks)),
            Field("Output repository", links=(record_link("repository", x.repository),))
            if x.repository
            else None,
        ),
        graph=render_graph(layout(x), f"Block graph of {x.name}"),
        blocks=[_block_view(site, x, b) for b in x.blocks],
        results=[
            ResultRow(r.name, r.type, _value(r.value), r.primary, r.block or "") for r in results
        ],
        timings=[
            Bar(name, s, seconds(s), longest) for name, s in times if s is not None and longest
        ],
        datasets=[dataset_link(d) for d in site.produced.get(x.name, [])],
        api=paths.record_api("experiment", x.name),
    )


def training_page(site: Site, e: Entry) -> TrainingPage:
    """A training: state, methods, options, participants and progress over rounds."""
    t = e.model
    assert isinstance(t, Training)
    workers = site.records.by_name["worker"]
    return TrainingPage(
        path=paths.record_page("training", t.name),
        title=t.name,
        summary=plain_text(t.description) or f"Training of {t.model}",
        section="training",
        crumbs=(Link("Trainings", paths.kind_index("training")),),
        state=badge(t.state.value, "state"),
        description=render_markdown(t.description),
        fields=fields(
            text_field("UUID", t.uuid, code=True),
            text_field("Model", t.model),
            text_field("Actor", t.actor),
            text_field("Aggregation", t.aggregation_method.value),
            text_field("Uncertainty", t.uncertainty_method.value),
            text_field("Updates requested", t.num_updates),
            text_field("Target updates", t.target_num_updates),
            text_field("Locked", t.locked),
            text_field("Last update", t.last_update),
            Field("Repository", links=(record_link("repository", t.repository),))
            if t.repository
            else None,
        ),
        options=fields(*(text_field(k, v) for k, v in sorted(t.options.items()))),
        participants=[
            record_link("worker", p) if p in workers else Link(p, "") for p in t.participants
        ],
        received=sum(len(r.updates) for r in t.rounds),
        target=t.target_num_updates,
        rounds=[
            RoundRow(r.number, len(r.updates), r.finished or "", r.aggregated_hash or "")
            for r in t.rounds
        ],
        datasets=[dataset_link(d) for u in t.datasets if (d := site.dataset(u))],
        api=paths.record_api("training", t.name),
    )


def worker_page(site: Site, e: Entry) -> WorkerPage:
    """A worker: enabled, queues, slots, capabilities, and when its keys were added."""
    w = e.model
    assert isinstance(w, Worker)
    keys = [
        f"{k.key[:20]}… ({k.comment or 'no comment'}, {k.added or 'undated'})"
        for k in w.public_keys
    ]
    return WorkerPage(
        path=paths.record_page("worker", w.name),
        title=w.name,
        summary=plain_text(w.description) or f"Worker {w.name}",
        section="worker",
        crumbs=(Link("Workers", paths.kind_index("worker")),),
        enabled=Badge("enabled", "ok") if w.enabled else Badge("disabled", "muted"),
        description=render_markdown(w.description),
        fields=fields(
            text_field("Queues", ", ".join(w.queues)),
            text_field("Slots", w.slots),
            text_field("Capabilities", ", ".join(w.capabilities)),
            text_field("Public keys", "; ".join(keys)),
        ),
        api=paths.record_api("worker", w.name),
    )
