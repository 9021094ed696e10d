"""How problems are shown: text lines, GitHub annotations (escaped), JSON objects."""

from __future__ import annotations

import json

from catalog.problems import Problem, field_label, render_github, render_json, render_text

P = Problem(
    path="records/tags/a,b.yaml",
    line=3,
    col=7,
    message="100% wrong:\nsecond line",
    record="tag 'a'",
    field="protected",
    code="schema",
    hint="Fix it.",
)
W = Problem("records/tags/z.yaml", 1, 1, "odd", severity="warning")


def test_text_is_one_line_per_problem_in_file_order() -> None:
    assert render_text([W, P]).splitlines() == [
        "records/tags/a,b.yaml:3:7: tag 'a': protected: 100% wrong:",
        "second line Fix it.",
        "records/tags/z.yaml:1:1: warning: odd",
    ]


def test_github_annotations_escape_properties_and_messages() -> None:
    assert render_github([P, W]).splitlines() == [
        "::error file=records/tags/a%2Cb.yaml,line=3,col=7,title=tag 'a'%3A protected::"
        "100%25 wrong:%0Asecond line Fix it.",
        "::warning file=records/tags/z.yaml,line=1,col=1,title=invalid::odd",
    ]


def test_json_objects_carry_every_field() -> None:
    assert json.loads(render_json([P])) == [
        {
            "file": "records/tags/a,b.yaml",
            "line": 3,
            "column": 7,
            "record": "tag 'a'",
            "field": "protected",
            "code": "schema",
            "message": "100% wrong:\nsecond line",
            "hint": "Fix it.",
            "severity": "error",
        }
    ]


def test_field_labels() -> None:
    assert field_label(("file_records", 0, "relative_path")) == "file_records[0].relative_path"
    assert field_label(()) == ""
