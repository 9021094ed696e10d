"""Names, uuids, file locations, filename patterns and default datasets are unique."""

from __future__ import annotations

from collections import defaultdict

from catalog.checks.finding import problem
from catalog.models import Dataset, DatasetType, Experiment
from catalog.problems import Problem
from catalog.records import Entry, Records


def check_uniqueness(records: Records) -> list[Problem]:
    """Report every clash, naming both files."""
    out: list[Problem] = []

    def clash(
        first: Entry,
        second: Entry,
        where: tuple[str | int, ...],
        what: str,
        hint: str = "",
    ) -> None:
        out.append(
            problem(
                second,
                where,
                f"{what} is already used by {first.path}",
                code="duplicate",
                hint=hint or "Each must be unique; rename one of them.",
            )
        )

    for kind, entries in records.by_kind.items():
        if kind == "dataset":
            continue
        first_by_name: dict[str, Entry] = {}
        for e in entries:
            name = str(getattr(e.model, "name", ""))
            prev = first_by_name.setdefault(name, e)
            if prev is not e:
                clash(prev, e, ("name",), f"{kind} name '{name}'")

    first_by_uuid: dict[str, Entry] = {}
    for e in records.entries:
        uid = getattr(e.model, "uuid", None)
        if isinstance(uid, str):
            prev = first_by_uuid.setdefault(uid, e)
            if prev is not e:
                clash(prev, e, ("uuid",), f"uuid '{uid}'", "A uuid identifies one record forever.")

    first_by_file: dict[tuple[str, str], Entry] = {}
    first_by_key: dict[str, Entry] = {}
    defaults: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    for e in records.by_kind["dataset"]:
        d = e.model
        assert isinstance(d, Dataset)
        for i, fr in enumerate(d.file_records):
            loc = (fr.repository, fr.relative_path)
            prev = first_by_file.setdefault(loc, e)
            if prev is not e:
                clash(
                    prev,
                    e,
                    ("file_records", i, "relative_path"),
                    f"file '{fr.relative_path}' in repository '{fr.repository}'",
                    "One file belongs to one dataset.",
                )
        key = d.key()
        prev = first_by_key.setdefault(key, e)
        if prev is not e:
            clash(
                prev,
                e,
                ("name",),
                f"dataset '{key}' (session, collection, revision and name)",
                "Give one of them another revision or collection.",
            )
        if d.default_dataset:
            defaults[(d.session, d.collection, d.name)].append(e)
    for (session, collection, name), group in defaults.items():
        for e in group[1:]:
            out.append(
                problem(
                    e,
                    ("default_dataset",),
                    f"'{'/'.join(p for p in (session, collection, name) if p)}' has more than "
                    f"one default dataset (also {group[0].path})",
                    code="duplicate-default",
                    hint="Set 'default_dataset: false' on all but the latest revision.",
                )
            )

    first_by_pattern: dict[str, Entry] = {}
    for e in records.by_kind["dataset-type"]:
        t = e.model
        assert isinstance(t, DatasetType)
        pattern = t.filename_pattern.strip().lower()
        if not pattern:
            continue
        prev = first_by_pattern.setdefault(pattern, e)
        if prev is not e:
            clash(
                prev,
                e,
                ("filename_pattern",),
                f"filename_pattern '{t.filename_pattern}' (case-insensitive)",
                "Each file name must map to one dataset type.",
            )

    for e in records.by_kind["experiment"]:
        x = e.model
        assert isinstance(x, Experiment)
        seen: dict[str, int] = {}
        for bi, b in enumerate(x.blocks):
            if b.name in seen:
                out.append(
                    problem(
                        e,
                        ("blocks", bi, "name"),
                        f"block name '{b.name}' is used twice (also blocks[{seen[b.name]}])",
                        code="duplicate",
                    )
                )
            seen.setdefault(b.name, bi)
            outputs: set[str] = set()
            for oi, o in enumerate(b.outputs):
                if o.name in outputs:
                    out.append(
                        problem(
                            e,
                            ("blocks", bi, "outputs", oi, "name"),
                            f"output name '{o.name}' is used twice in block '{b.name}'",
                            code="duplicate",
                        )
                    )
                outputs.add(o.name)
        results: set[str] = set()
        for ri, r in enumerate(x.results):
            if r.name in results:
                out.append(
                    problem(
                        e,
                        ("results", ri, "name"),
                        f"result name '{r.name}' is used twice",
                        code="duplicate",
                    )
                )
            results.add(r.name)
    return out
