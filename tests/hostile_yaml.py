"""Hostile record files: each must be refused with the place and reason given here."""

from __future__ import annotations

BILLION_LAUGHS = (
    "kind: tag\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
).encode()
"""Nine levels of nine aliases each: 387 million strings if a loader expanded it."""

HOSTILE: dict[str, tuple[bytes, int, int, str]] = {
    # name: (content, line, column, message)
    "alias-bomb": (BILLION_LAUGHS, 2, 4, "anchor '&a' is not allowed in records"),
    "anchor": (b"kind: tag\nname: &n raw\n", 2, 7, "anchor '&n' is not allowed in records"),
    "alias": (b"kind: tag\nname: *n\n", 2, 7, "alias '*n' is not allowed in records"),
    "merge-key": (b"base: &b {x: 1}\nkind: tag\n<<: *b\n", 1, 7, "anchor '&b' is not allowed"),
    "python-apply": (
        b"kind: tag\nname: !!python/object/apply:os.system ['echo pwned']\n",
        2,
        7,
        "tag '!!python/object/apply:os.system' is not allowed in records",
    ),
    "python-name": (
        b"kind: tag\nname: !!python/name:os.system\n",
        2,
        7,
        "tag '!!python/name:os.system' is not allowed in records",
    ),
    "custom-tag": (b"kind: tag\nname: !secret raw\n", 2, 7, "tag '!secret' is not allowed"),
    "standard-tag": (b"kind: tag\nname: !!str raw\n", 2, 7, "tag '!!str' is not allowed"),
    "binary-tag": (b"kind: tag\nname: !!binary aGk=\n", 2, 7, "tag '!!binary' is not allowed"),
    "yaml-1.1": (b"%YAML 1.1\n---\nkind: tag\n", 1, 1, "the %YAML directive is not allowed"),
    "tag-directive": (
        b"%TAG !e! tag:example.com,2000:\n---\nkind: tag\n",
        1,
        1,
        "the %TAG directive is not allowed",
    ),
    "two-documents": (
        b"kind: tag\nname: raw\n---\nkind: tag\nname: other\n",
        3,
        1,
        "a record file must hold one document, found a second",
    ),
    "after-end-marker": (
        b"kind: tag\nname: raw\n...\nkind: tag\n",
        4,
        1,
        "YAML syntax error: did not find expected <document start>",
    ),
    "duplicate-key": (
        b"kind: tag\nname: raw\nname: other\n",
        3,
        1,
        "duplicate key 'name' (first at line 2)",
    ),
    "nested-duplicate": (
        b"kind: dataset\nprovenance:\n  block:\n    block: a\n    block: b\n",
        5,
        5,
        "duplicate key 'block' (first at line 4)",
    ),
    "deep-flow-sequence": (
        b"kind: tag\nname: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
        2,
        70,
        "nesting deeper than 64 levels",
    ),
    "deep-flow-mapping": (
        b"kind: tag\nname: " + b"{a: " * 10_000 + b"}" * 10_000 + b"\n",
        2,
        259,
        "nesting deeper than 64 levels",
    ),
    "deep-block-sequence": (
        b"kind: tag\nname:\n" + b"- " * 10_000 + b"x\n",
        3,
        127,
        "nesting deeper than 64 levels",
    ),
    "oversized": (
        b"kind: tag\nname: raw\ndescription: " + b"x" * (1024 * 1024) + b"\n",
        1,
        1,
        "file is 1,048,610 bytes, over the 1,048,576-byte limit for a record",
    ),
    "utf16-le-bom": ("kind: tag\n".encode("utf-16"), 1, 1, "file is UTF-16 (byte order mark"),
    "utf16-be-bom": (
        b"\xfe\xff" + "kind: tag\n".encode("utf-16-be"),
        1,
        1,
        "file is UTF-16 (byte order mark",
    ),
    "latin-1": (
        "kind: tag\nname: caf\xe9\n".encode("latin-1"),
        2,
        10,
        "not valid UTF-8 (byte 0xe9)",
    ),
    "nul-byte": (b"kind: tag\nname: r\x00w\n", 2, 8, "file contains a NUL byte"),
    "empty": (b"", 1, 1, "file holds no record (it is empty or only comments)"),
    "comments-only": (
        b"# yaml-language-server: $schema=../../schemas/tag.schema.json\n# nothing yet\n",
        1,
        1,
        "file holds no record (it is empty or only comments)",
    ),
    "list-at-top": (b"- kind: tag\n", 1, 1, "a record file must hold one mapping"),
    "scalar-at-top": (b"just text\n", 1, 1, "a record file must hold one mapping"),
    "complex-key": (b"kind: tag\n? [a, b]\n: raw\n", 2, 3, "mapping keys must be plain strings"),
    "unclosed-bracket": (
        b"kind: tag\nname: [raw\ndescription: x\n",
        3,
        12,
        "YAML syntax error: did not find expected ',' or ']'",
    ),
    "tab-indent": (
        b"kind: tag\nname:\n\t- raw\n",
        3,
        1,
        "YAML syntax error: found character that cannot start any token",
    ),
}
