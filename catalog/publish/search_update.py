"""Updating the search index in place after a few records changed.

Rebuilding the index of 100,000 datasets takes seconds; an edit of one record touches a
handful of its files. With the state the last build saved (each document's terms, filter
values and sort values), the files that mention the changed documents are read back from
the published site, patched and written again: the term shards of the terms that came or
went (and the prefix unions of the split shards above them), the filter files, the sort
orders, the display rows and the meta file.

Documents added, removed or reordered, or many changes, answer None: the caller then
rebuilds the index from scratch. A term under a prefix no shard covers gets a new shard.
"""

from __future__ import annotations

import json
import marshal
from collections import defaultdict
from pathlib import Path
from typing import Any

from catalog.atomic import atomic_write
from catalog.publish.postings import decode, encode
from catalog.publish.search import (
    CHUNK,
    IndexState,
    index_version,
    pack_facets,
    pack_terms,
    script,
    sort_files,
    unpack_facets,
    unpack_terms,
)
from catalog.publish.search_docs import SORTS, Doc

MAX_CHANGED = 2000
"""More changed documents than this: rebuilding is as quick and simpler."""


def state_path(manifest: Path) -> Path:
    """Where the index state of a site is kept (beside its manifest)."""
    return manifest.with_name(manifest.name.replace("manifest-", "search-"))


_STATE_FIELDS = ("ids", "fps", "terms", "facets", "sorts", "meta", "paths", "build")


def load_state(path: Path, build: str) -> IndexState | None:
    """The saved state, if it belongs to the build now published."""
    try:
        # marshal: plain lists and strings, read several times faster than pickle. The
        # file is our own, in the catalog's gitignored state folder.
        raw = marshal.loads(path.read_bytes())  # noqa: S302
        state = IndexState(**dict(zip(_STATE_FIELDS, raw, strict=True)))
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if state.build != build:
        return None
    return state


def save_state(path: Path, state: IndexState) -> None:
    """Save the state for the next build."""
    atomic_write(path, marshal.dumps(tuple(getattr(state, f) for f in _STATE_FIELDS)))


def _read(out: Path, rel: str) -> Any:
    """The data of a published index file (the JSON argument of its loader call)."""
    text = (out / rel).read_text("utf-8")
    start = text.index(",") + 1
    end = text.rindex(");")
    return json.loads(text[start:end])


class _Trie:
    """Which shard holds a term, and which split shards' unions cover it."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.number = {k: n for n, k in enumerate(meta["keys"])}
        self.split = {k for k, s in zip(meta["keys"], meta["split"], strict=True) if s == "1"}

    def locate(self, term: str) -> tuple[str, list[str]]:
        """(key of the shard that holds or would hold ``term``, split shards above it)."""
        above: list[str] = []
        key = term[:1]
        while key in self.split and len(key) < len(term):
            above.append(key)
            key = term[: len(key) + 1]
        if key in self.split:  # the term is a split key itself: its own shard holds it
            above.append(key)
        return key, above

    def add(self, key: str, meta: dict[str, Any]) -> int:
        """A new, empty leaf shard for terms under ``key`` (a prefix no shard covers yet)."""
        n = len(meta["keys"])
        meta["keys"].append(key)
        meta["split"] += "0"
        self.number[key] = n
        return n


def _patch_lists(lists: list[str], changes: dict[int, int]) -> list[str]:
    """Posting lists (weights 3, 2, 1) with documents moved to their new weight (0: gone)."""
    sets = [set(decode(x)) for x in [*lists, "", "", ""][:3]]
    for doc, weight in changes.items():
        for s in sets:
            s.discard(doc)
        if weight:
            sets[3 - weight].add(doc)
    out = [encode(sorted(s)) for s in sets]
    while out and not out[-1]:
        out.pop()
    return out


def update_index(
    state: IndexState, out: Path, ids: list[str], fps: list[bytes], make: Any
) -> tuple[dict[str, bytes], IndexState] | None:
    """The index files that change, and the new state; None when a rebuild is needed.

    ``make(i)`` gives the new document ``i``.
    """
    if ids != state.ids:
        return None
    changed = [i for i, fp in enumerate(fps) if fp != state.fps[i]]
    if len(changed) > MAX_CHANGED:
        return None
    if not changed:
        return {}, state
    docs: dict[int, Doc] = {i: make(i) for i in changed}
    meta = state.meta
    trie = _Trie(meta)
    terms: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    unions: dict[str, dict[int, int]] = defaultdict(dict)
    for i, doc in docs.items():
        old, new = unpack_terms(state.terms[i]), doc.terms()
        for t in old.keys() | new.keys():
            if old.get(t) == new.get(t):
                continue
            key, above = trie.locate(t)
            terms[key][t][i] = new.get(t, 0)
            for prefix in above:
                best = max((w for x, w in new.items() if x.startswith(prefix)), default=0)
                unions[prefix][i] = best
        state.terms[i] = pack_terms(new)

    files: dict[str, bytes] = {}
    for key in terms.keys() | unions.keys():
        if key in trie.number:
            n = trie.number[key]
            data = _read(out, f"search/t/{n}.js")
        else:  # the first term under a new prefix (e.g. a new first letter)
            n, data = trie.add(key, meta), {"t": {}}
        own: dict[str, list[str]] = data.setdefault("t", {})
        for t, changes in terms.get(key, {}).items():
            lists = _patch_lists(own.get(t, []), changes)
            if lists:
                own[t] = lists
            else:
                own.pop(t, None)
        if key in unions:
            data["p"] = _patch_lists(data.get("p", []), unions[key])
        files[f"search/t/{n}.js"] = script(f"t/{n}", data)

    _update_facets(state, docs, out, files)
    _update_sorts(state, docs, files)
    for c in sorted({i // CHUNK for i in docs}):
        rows = _read(out, f"search/d/{c}.js")
        for i in docs:
            if i // CHUNK == c:
                rows[i % CHUNK] = docs[i].row
        files[f"search/d/{c}.js"] = script(f"d/{c}", rows)

    meta["version"] = index_version(files, meta["version"])
    files["search/meta.js"] = script("meta", meta)
    for i in changed:
        state.fps[i] = fps[i]
    state.paths = sorted(set(state.paths) | set(files))
    return files, state


def _update_facets(
    state: IndexState, docs: dict[int, Doc], out: Path, files: dict[str, bytes]
) -> None:
    """Patch the filter files of values that gained or lost documents."""
    moves: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for i, doc in docs.items():
        old, new = unpack_facets(state.facets[i]), set(doc.facets)
        for fv in old - new:
            moves[fv][i] = 0
        for fv in new - old:
            moves[fv][i] = 1
        state.facets[i] = pack_facets(doc.facets)
    facets: dict[str, list[list[Any]]] = state.meta["facets"]
    for (name, value), change in moves.items():
        entry = next((e for e in facets.get(name, []) if e[0] == value), None)
        if entry is None:
            entry = [value, state.meta["next_facet"], 0]
            state.meta["next_facet"] += 1
            facets.setdefault(name, []).append(entry)
            facets[name].sort(key=lambda e: e[0])
            members: set[int] = set()
        else:
            members = set(decode(_read(out, f"search/f/{entry[1]}.js")))
        for i, inside in change.items():
            (members.add if inside else members.discard)(i)
        entry[2] = len(members)
        files[f"search/f/{entry[1]}.js"] = script(f"f/{entry[1]}", encode(sorted(members)))


def _update_sorts(state: IndexState, docs: dict[int, Doc], files: dict[str, bytes]) -> None:
    """Rewrite the sort orders whose values changed."""
    for name in SORTS:
        values = state.sorts[name]
        touched = False
        for i, doc in docs.items():
            if doc.kind == "dataset" and values[i] != doc.sort[name]:
                values[i] = doc.sort[name]
                touched = True
        if touched:
            files.update(sort_files(name, values, state.meta["digits"]))
