"""The static search index: sharded so one query loads a few small files, from disk too.

Browsers refuse ``fetch`` on ``file://``, so every index file is a script that hands its data
to ``catalogSearchLoaded(name, data)``; ``site/static/search.js`` loads them on demand. (That
is why this is not pagefind: its runtime fetches its fragments, and the ``pagefind`` package
on PyPI does not carry the binary.)

``search/meta.js``   the shard keys, filter values, sort fields, document count
``search/t/<n>.js``  a term shard: every term starting with its key, and their postings
``search/f/<n>.js``  the documents with one filter value (e.g. tag=raw)
``search/s/<f>/<k>.js``  segment k of the datasets in the order of sort field f
``search/d/<n>.js``  display rows of 16 documents (results, table rows)

Terms are sharded by prefix: a shard keeps every term under its key until it grows past
``SHARD_LIMIT`` characters, then it splits by the next character and keeps only the key
itself as a term plus the union of all postings below it, so a short prefix still finds
everything in one file. Each term has up to three posting lists, by where it appears: name
(weight 3), type/tags/session (2), description (1).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from catalog.publish.postings import encode, encode_order
from catalog.publish.search_docs import SORTS, Doc

SHARD_LIMIT = 32_000
"""Characters of postings after which a term shard splits."""
CHUNK = 16
"""Documents per display-row file: small, as results are scattered across the catalog."""
SORT_SEGMENT = 4096
"""Datasets per file of a sort order: a sorted page loads the first segments only."""
Lists = tuple[list[int], list[int], list[int]]


def script(name: str, data: Any) -> bytes:
    """One index file: a call handing ``data`` to the page's loader."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"catalogSearchLoaded({json.dumps(name)},{body});\n".encode()


def _trim(enc: list[str]) -> list[str]:
    while enc and not enc[-1]:
        enc.pop()
    return enc


@dataclass(slots=True)
class Shards:
    """Term shards built from an inverted index."""

    index: dict[str, Lists]
    keys: list[str] = field(default_factory=list)
    split: list[bool] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    _enc: dict[str, list[str]] = field(default_factory=dict)

    def encoded(self, term: str) -> list[str]:
        """A term's three posting lists, encoded, trailing empty lists dropped."""
        enc = self._enc.get(term)
        if enc is None:
            enc = _trim([encode(ids) for ids in self.index[term]])
            self._enc[term] = enc
        return enc

    def size(self, term: str) -> int:
        """Characters a term takes in its shard."""
        return len(term) + 8 + sum(len(x) for x in self.encoded(term))

    def build(self) -> None:
        """Split the sorted terms into shards (depth first, so keys come out sorted)."""
        terms = sorted(self.index)
        sizes = [0]
        for t in terms:
            sizes.append(sizes[-1] + self.size(t))
        self._node("", terms, 0, len(terms), sizes)

    def _node(self, key: str, terms: list[str], lo: int, hi: int, sizes: list[int]) -> None:
        depth = len(key)
        small = sizes[hi] - sizes[lo] <= SHARD_LIMIT
        if key and (small or all(len(t) == depth for t in terms[lo:hi])):
            self._add(key, False, {"t": {t: self.encoded(t) for t in terms[lo:hi]}})
            return
        if key:
            own: dict[str, Any] = {}
            if terms[lo] == key:
                own[key] = self.encoded(key)
            self._add(key, True, {"t": own, "p": self._union(terms[lo:hi])})
        i = lo
        while i < hi:
            if len(terms[i]) == depth:
                i += 1
                continue
            ch = terms[i][depth]
            j = i
            while j < hi and len(terms[j]) > depth and terms[j][depth] == ch:
                j += 1
            self._node(key + ch, terms, i, j, sizes)
            i = j

    def _union(self, terms: list[str]) -> list[str]:
        best: list[set[int]] = [set(), set(), set()]
        for t in terms:
            for w, ids in enumerate(self.index[t]):
                best[w].update(ids)
        best[1] -= best[0]
        best[2] -= best[0] | best[1]
        return _trim([encode(sorted(s)) for s in best])

    def _add(self, key: str, split: bool, data: dict[str, Any]) -> None:
        self.keys.append(key)
        self.split.append(split)
        self.files.append(data)


def inverted(terms: list[dict[str, int]]) -> dict[str, Lists]:
    """term → ids of the documents that have it, by weight (3, 2, 1)."""
    index: dict[str, Lists] = {}
    for i, doc in enumerate(terms):
        for t, w in doc.items():
            lists = index.get(t)
            if lists is None:
                lists = index[t] = ([], [], [])
            lists[3 - w].append(i)
    return index


@dataclass(slots=True)
class IndexState:
    """What the next build needs to update the index in place instead of rebuilding it."""

    ids: list[str]
    """Identity of each document, in id order ('kind/key')."""
    fps: list[bytes]
    """Digest of each document's inputs."""
    terms: list[str]
    """Each document's terms as 'term<TAB>weight' lines."""
    facets: list[str]
    """Each document's filter values as 'name<TAB>value' lines."""
    sorts: dict[str, list[Any]]
    """Sort field → value per dataset."""
    meta: dict[str, Any]
    paths: list[str]
    """Every file of the index."""
    build: str = ""
    """The build that wrote these files (must match the site's manifest)."""


def pack_terms(terms: dict[str, int]) -> str:
    """Terms with weights as text lines (tokens never hold tabs or newlines)."""
    return "\n".join(f"{t}\t{w}" for t, w in terms.items())


def unpack_terms(text: str) -> dict[str, int]:
    """The inverse of pack_terms."""
    return {t: int(w) for t, _, w in (line.partition("\t") for line in text.split("\n") if line)}


def pack_facets(facets: list[tuple[str, str]]) -> str:
    """Filter values as text lines (names never hold control characters)."""
    return "\n".join(f"{k}\t{v}" for k, v in facets)


def unpack_facets(text: str) -> set[tuple[str, str]]:
    """The inverse of pack_facets."""
    return {(k, v) for k, _, v in (line.partition("\t") for line in text.split("\n") if line)}


def index_version(files: dict[str, bytes], previous: str = "") -> str:
    """A short digest that changes whenever any index file does (cache-busting)."""
    h = hashlib.blake2b(previous.encode(), digest_size=8)
    for path in sorted(files):
        h.update(path.encode() + files[path])
    return h.hexdigest()


def sort_files(name: str, values: list[Any], digits: int) -> dict[str, bytes]:
    """The order of the datasets by one field (ties in document order), in segments."""
    order = sorted(range(len(values)), key=values.__getitem__)  # stable: ties by id
    return {
        f"search/s/{name}/{k}.js": script(
            f"s/{name}/{k}", encode_order(order[start : start + SORT_SEGMENT], digits)
        )
        for k, start in enumerate(range(0, max(len(order), 1), SORT_SEGMENT))
    }


def segments(datasets: int) -> int:
    """How many segments each sort order has."""
    return max(1, -(-datasets // SORT_SEGMENT))


def build_index(
    docs: list[Doc], ids: list[str], fps: list[bytes]
) -> tuple[dict[str, bytes], IndexState]:
    """Every file of the search index, by site path, and the state to update it later."""
    files: dict[str, bytes] = {}
    terms = [d.terms() for d in docs]
    shards = Shards(inverted(terms))
    shards.build()
    for n, data in enumerate(shards.files):
        files[f"search/t/{n}.js"] = script(f"t/{n}", data)

    facet_ids: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, doc in enumerate(docs):
        for fv in doc.facets:
            facet_ids[fv].append(i)
    facets: dict[str, list[list[Any]]] = defaultdict(list)
    for n, (fv, members) in enumerate(sorted(facet_ids.items())):
        files[f"search/f/{n}.js"] = script(f"f/{n}", encode(members))
        facets[fv[0]].append([fv[1], n, len(members)])

    datasets = sum(1 for d in docs if d.kind == "dataset")
    digits = 3 if len(docs) <= 1 << 18 else 4
    sorts = {name: [d.sort[name] for d in docs[:datasets]] for name in SORTS}
    for name, values in sorts.items():
        files.update(sort_files(name, values, digits))

    for c in range(0, len(docs), CHUNK):
        files[f"search/d/{c // CHUNK}.js"] = script(
            f"d/{c // CHUNK}", [d.row for d in docs[c : c + CHUNK]]
        )

    meta = {
        "v": 1,
        "docs": len(docs),
        "datasets": datasets,
        "chunk": CHUNK,
        "digits": digits,
        "keys": shards.keys,
        "split": "".join("1" if s else "0" for s in shards.split),
        "facets": dict(facets),
        "next_facet": len(facet_ids),
        "sorts": {name: segments(datasets) for name in SORTS},
    }
    meta["version"] = index_version(files)
    files["search/meta.js"] = script("meta", meta)
    state = IndexState(
        ids=ids,
        fps=fps,
        terms=[pack_terms(t) for t in terms],
        facets=[pack_facets(d.facets) for d in docs],
        sorts=sorts,
        meta=meta,
        paths=sorted(files),
    )
    return files, state
