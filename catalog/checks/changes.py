"""Rules for a change between two revisions (a pull request): what may not be edited.

Pure: takes the records matched across the change (``old``, ``new``; None where a record
is absent) and the catalogs around them, returns Problems. Problems about a record that
is gone carry the old file's path, all others the new file's.

- A dataset tagged with a protected tag (at BASE) is frozen: it may not be deleted, and
  its identity and data (name, session, collection, revision, type, format, hash, size,
  uuid) may not change; its existing file copies stay. New copies, ``exists`` flips, notes
  and quality flags are fine.
- A protected tag may not be removed from a dataset, deleted or renamed, nor unprotected
  in the same change that edits its datasets.
- A record's uuid and kind never change.
- A revision or tag that records still reference may not be deleted.
- Deleting a notice that still affects datasets is a warning: readers lose it.
"""

from __future__ import annotations

from collections.abc import Sequence

from catalog.checks.finding import problem
from catalog.models import Dataset, DatasetSelector, Notice, Tag
from catalog.problems import Problem
from catalog.records import Entry, Records

Pair = tuple[Entry | None, Entry | None]

FROZEN_FIELDS = (
    "name",
    "session",
    "collection",
    "revision",
    "dataset_type",
    "data_format",
    "hash",
    "hash_algorithm",
    "file_size",
)
"""Fields of a frozen dataset that may not change (uuid has its own rule)."""


def check_changes(pairs: Sequence[Pair], base: Records, head: Records) -> list[Problem]:
    """Every change rule; ``base`` holds at least BASE's tags, ``head`` whatever HEAD
    records may reference a deleted tag, revision or notice target."""
    protected = {t.name for t in base.models(Tag) if t.protected}
    out: list[Problem] = []
    edited: dict[str, int] = {}  # protected tag → frozen datasets this change edits
    for old, new in pairs:
        if old is not None and new is not None:
            out += _identity(old, new)
        if old is not None and isinstance(old.model, Dataset):
            found = _frozen(old, new, protected)
            for tag in {t for t in old.model.tags if t in protected} if found else ():
                edited[tag] = edited.get(tag, 0) + 1
            out += found
        if old is not None and isinstance(old.model, Tag) and old.model.protected:
            out += _protected_tag(old, new, edited)
        if old is not None and old.kind in ("tag", "revision"):
            out += _still_referenced(old, new, head)
        if old is not None and new is None and isinstance(old.model, Notice):
            out += _notice_deleted(old, head)
    # A tag unprotected while its datasets are edited: reported once all pairs are seen.
    for old, new in pairs:
        if (
            old is not None
            and new is not None
            and isinstance(old.model, Tag)
            and isinstance(new.model, Tag)
            and old.model.protected
            and not new.model.protected
            and edited.get(old.model.name)
        ):
            n = edited[old.model.name]
            out.append(
                problem(
                    new,
                    ("protected",),
                    f"tag '{old.model.name}' is unprotected in the same change that edits "
                    f"{n} of its frozen dataset(s)",
                    code="protected-tag",
                    hint="Unprotect the tag in a change of its own; edit the datasets after.",
                )
            )
    return out


def _identity(old: Entry, new: Entry) -> list[Problem]:
    out = []
    if old.kind != new.kind:
        out.append(
            problem(
                new,
                ("kind",),
                f"a record's kind never changes (was '{old.kind}', now '{new.kind}')",
                code="kind-changed",
                hint=f"Keep the {old.kind}; create a new {new.kind} record beside it.",
            )
        )
    was, now = getattr(old.model, "uuid", None), getattr(new.model, "uuid", None)
    if was is not None and now is not None and was != now:
        out.append(
            problem(
                new,
                ("uuid",),
                f"a record's uuid never changes (was {was})",
                code="uuid-changed",
                hint=f"Put 'uuid: {was}' back; new data gets a new record with a new uuid.",
            )
        )
    return out


def _frozen(old: Entry, new: Entry | None, protected: set[str]) -> list[Problem]:
    """Problems with a dataset that a protected tag froze at BASE."""
    d = old.model
    assert isinstance(d, Dataset)
    tags = [t for t in d.tags if t in protected]
    if not tags:
        return []
    why = f"frozen by protected tag '{tags[0]}'"
    if new is None:
        return [
            problem(
                old,
                ("tags", d.tags.index(tags[0])),
                f"dataset is {why} and may not be deleted",
                code="frozen-dataset",
                hint="Keep the record; add a notice if the data is wrong.",
            )
        ]
    n = new.model
    if not isinstance(n, Dataset):
        return []  # a kind change, reported on its own
    out = []
    for name in FROZEN_FIELDS:
        was, now = getattr(d, name), getattr(n, name)
        if was != now:
            out.append(
                problem(
                    new,
                    (name,),
                    f"'{name}' of a dataset {why} may not change ({was} → {now})",
                    code="frozen-dataset",
                    hint="Register changed data as a new dataset (e.g. in a new revision).",
                )
            )
    copies = {(f.repository, f.relative_path) for f in n.file_records}
    for i, fr in enumerate(d.file_records):
        if (fr.repository, fr.relative_path) not in copies:
            out.append(
                problem(
                    new,
                    ("file_records",),
                    f"file record {i} (on '{fr.repository}', {fr.relative_path}) of a dataset "
                    f"{why} may not be removed or moved",
                    code="frozen-dataset",
                    hint="Only new copies and 'exists' updates are allowed on frozen data.",
                )
            )
    for t in tags:
        if t not in n.tags:
            out.append(
                problem(
                    new,
                    ("tags",),
                    f"protected tag '{t}' may not be removed from a dataset",
                    code="protected-tag",
                    hint=f"Put '{t}' back in tags; unprotect the tag first if it must go.",
                )
            )
    return out


def _protected_tag(old: Entry, new: Entry | None, edited: dict[str, int]) -> list[Problem]:
    t = old.model
    assert isinstance(t, Tag)
    if new is None:
        return [
            problem(
                old,
                ("protected",),
                f"protected tag '{t.name}' may not be deleted",
                code="protected-tag",
                hint="Unprotect it in a reviewed change first; delete it in a later one.",
            )
        ]
    if isinstance(new.model, Tag) and new.model.name != t.name:
        return [
            problem(
                new,
                ("name",),
                f"protected tag '{t.name}' may not be renamed (to '{new.model.name}')",
                code="protected-tag",
                hint="Keep the name; create a new tag for the new name.",
            )
        ]
    return []


def _still_referenced(old: Entry, new: Entry | None, head: Records) -> list[Problem]:
    name = getattr(old.model, "name", "")
    if new is not None and getattr(new.model, "name", None) == name:
        return []
    users = []
    for e in head.by_kind["dataset"]:
        d = e.model
        assert isinstance(d, Dataset)
        if (old.kind == "tag" and name in d.tags) or (
            old.kind == "revision" and d.revision == name
        ):
            users.append(e)
    for e in head.by_kind["notice"]:
        s = e.model.selector if isinstance(e.model, Notice) else None
        if s is not None and name in (s.tags if old.kind == "tag" else s.revisions):
            users.append(e)
    if not users:
        return []
    shown = ", ".join(u.path for u in users[:3])
    more = f" and {len(users) - 3} more" if len(users) > 3 else ""
    verb = "deleted" if new is None else "renamed"
    return [
        problem(
            new if new is not None else old,
            ("name",) if new is not None else (),
            f"{old.kind} '{name}' is {verb} but {len(users)} record(s) still use it: {shown}{more}",
            code="still-referenced",
            hint=f"Change those records in the same change, or keep the {old.kind}.",
        )
    ]


def selects(selector: DatasetSelector, d: Dataset) -> bool:
    """Whether a notice's selector picks dataset ``d`` (every given condition holds)."""
    day = (d.created_datetime or "")[:10]
    return (
        (not selector.dataset_types or d.dataset_type in selector.dataset_types)
        and (not selector.revisions or d.revision in selector.revisions)
        and (not selector.tags or bool(set(d.tags) & set(selector.tags)))
        and (not selector.collections or d.collection in selector.collections)
        and (not selector.created_from or (bool(day) and day >= selector.created_from))
        and (not selector.created_to or (bool(day) and day <= selector.created_to))
    )


def _notice_deleted(old: Entry, head: Records) -> list[Problem]:
    n = old.model
    assert isinstance(n, Notice)
    ids = set(n.datasets)
    hit = 0
    for e in head.by_kind["dataset"]:
        d = e.model
        assert isinstance(d, Dataset)
        if d.uuid in ids or (n.selector is not None and selects(n.selector, d)):
            hit += 1
    if not hit:
        return []
    return [
        problem(
            old,
            (),
            f"notice '{n.name}' is deleted while it still affects {hit} dataset(s)",
            code="notice-deleted",
            severity="warning",
            hint="Readers lose the warning; edit the notice instead (e.g. lower its importance).",
        )
    ]
