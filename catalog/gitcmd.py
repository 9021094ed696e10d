"""Talking to git: plumbing commands as subprocesses, reads through GitPython.

Writes go through plain ``git`` commands (``update-index``, ``write-tree``, ``commit-tree``,
``update-ref``): they are an order of magnitude faster than GitPython's index and each one
is atomic on its own. Reads of trees and blobs go through a GitPython ``Repo`` that is
always closed (``open_repo``), because an unclosed ``Repo`` leaves ``git cat-file`` helper
processes running.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import git

from catalog.errors import GitError

ZERO_SHA = "0" * 40
"""What update-ref takes as the old value of a branch that must not exist yet."""

_BASE_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
# LC_ALL=C keeps messages parseable; GIT_OPTIONAL_LOCKS=0 stops read commands (status)
# from taking index.lock behind the committer's back.


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every git command of the catalog runs with."""
    return {**os.environ, **_BASE_ENV, **(extra or {})}


def run_git(
    cwd: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git args`` in ``cwd``; raise GitError with git's message when it fails."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=git_env(env),
            check=False,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}. Install git and retry.") from None
    if check and proc.returncode != 0:
        raise GitError(f"git {args[0]} failed in {cwd}: {describe_failure(proc)}")
    return proc


def describe_failure(proc: subprocess.CompletedProcess[bytes]) -> str:
    """git's own message of a failed command, on one line."""
    text = (proc.stderr or proc.stdout or b"").decode("utf-8", "replace").strip()
    return " ".join(text.split()) or f"exit status {proc.returncode}"


def git_text(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """stdout of ``git args``, stripped."""
    return run_git(cwd, *args, env=env).stdout.decode("utf-8", "replace").strip()


def git_dir(root: Path) -> Path:
    """The absolute .git folder of the repository at ``root``."""
    proc = run_git(root, "rev-parse", "--absolute-git-dir", check=False)
    if proc.returncode != 0:
        raise GitError(
            f"{root} is not a git repository ({describe_failure(proc)}). "
            "Run 'catalog init' or 'git init' there."
        )
    return Path(proc.stdout.decode().strip())


@contextmanager
def open_repo(root: Path) -> Iterator[git.Repo]:
    """A GitPython ``Repo`` for reading, closed on exit so no helper process outlives it."""
    try:
        repo = git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(
            f"{root} is not a git repository. Run 'catalog init' or 'git init' there."
        ) from None
    try:
        yield repo
    finally:
        repo.close()


def resolve(repo: git.Repo, rev: str) -> str:
    """The commit id that ``rev`` names (a branch, tag, sha, HEAD~2, ...)."""
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")).strip()
    except git.GitCommandError:
        raise GitError(
            f"unknown revision '{rev}' in {repo.working_dir}. "
            "Use a branch, tag or commit id (fetch it first in a shallow clone)."
        ) from None


def merge_base(repo: git.Repo, a: str, b: str) -> str:
    """The best common ancestor of two commits (``a`` itself when there is none)."""
    try:
        return str(repo.git.merge_base(a, b)).strip() or a
    except git.GitCommandError:
        return a


def list_tree(repo: git.Repo, rev: str, prefix: str) -> dict[str, str]:
    """path → blob id of every file under ``prefix`` at ``rev``."""
    out: dict[str, str] = {}
    raw = repo.git.ls_tree("-r", "-z", "--full-tree", rev, "--", prefix)
    for item in raw.split("\0"):
        if not item:
            continue
        meta, _, path = item.partition("\t")
        _mode, typ, sha = meta.split()
        if typ == "blob":
            out[path] = sha
    return out


def read_blobs(repo: git.Repo, shas: Iterable[str]) -> dict[str, bytes]:
    """Content of each blob (one ``cat-file --batch`` helper serves them all)."""
    out: dict[str, bytes] = {}
    for sha in shas:
        if sha not in out:
            out[sha] = repo.odb.stream(bytes.fromhex(sha)).read()
    return out


def changed_files(repo: git.Repo, base: str, head: str, prefix: str) -> list[tuple[str, str, str]]:
    """(status, old path, new path) of files that differ under ``prefix``, renames detected.

    Status is A (added; old path ""), D (deleted; new path ""), M (modified) or R (renamed).
    """
    raw = repo.git.diff_tree("-r", "-z", "-M", "--name-status", base, head, "--", prefix)
    tokens = raw.split("\0")
    out: list[tuple[str, str, str]] = []
    i = 0
    while i < len(tokens) and tokens[i]:
        status = tokens[i][0]
        if status in "RC":
            old, new = tokens[i + 1], tokens[i + 2]
            out.append(("R" if status == "R" else "A", old if status == "R" else "", new))
            i += 3
            continue
        path = tokens[i + 1]
        i += 2
        if status == "A":
            out.append(("A", "", path))
        elif status == "D":
            out.append(("D", path, ""))
        else:
            out.append(("M", path, path))
    return out


def read_object(stream: IO[bytes]) -> tuple[str | None, bytes | None]:
    """One answer of ``git cat-file --batch``: (object id, content) or (None, None)."""
    header = stream.readline()
    if not header or header.endswith(b" missing\n") or header.endswith(b" ambiguous\n"):
        return None, None
    sha, _typ, size = header.split()
    data = stream.read(int(size) + 1)
    return sha.decode(), data[:-1]
