"""Pushing the committer's branch: fetch, rebase onto the remote, retry — never force.

When the remote moved on, each local commit is replayed on top of it file by file: a file
only one side changed takes that side's version; a file both sides changed is merged with
``git merge-file``, and the merged record must still validate. A true conflict stops the
push with its reason; the local commits stay where they are, nothing is dropped. All of
it happens in objects and a private index: the working tree follows only once the branch
has moved (through the journal, so a crash in between is repaired by ``recover``).
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.crashpoints import crash_point
from catalog.errors import GitError
from catalog.gitcmd import ZERO_SHA, describe_failure, run_git
from catalog.store import RECORDS_DIR, check_bytes

if TYPE_CHECKING:
    from catalog.committer import Committer

log = logging.getLogger(__name__)

REBASE_INDEX = "catalog-rebase-index"
_MIN_ATTEMPTS = 5
_RETRY_REASONS = (
    "non-fast-forward",
    "fetch first",
    "stale info",
    "failed to lock",
    "cannot lock",
    "remote contains work that you do",
)


def push_branch(c: Committer, remote: str) -> None:
    """Bring the remote up to date with the local branch (caller holds the writer lock).

    Rejections are retried, after a random pause that grows with each try, until
    ``c.lock_timeout`` has passed: two writers pushing in lockstep would otherwise keep
    beating the same one.
    """
    remote_ref = f"refs/remotes/{remote}/{c.branch}"
    deadline = time.monotonic() + c.lock_timeout
    reason = ""
    attempt = 0
    while True:
        attempt += 1
        if attempt > _MIN_ATTEMPTS and time.monotonic() > deadline:
            raise GitError(
                f"pushing {c.branch} to {remote} was rejected {attempt - 1} times in "
                f"{c.lock_timeout:.0f}s; giving up. Last answer: {reason}"
            )
        upstream = _fetch(c, remote, remote_ref)
        local, _ = c.read([])
        if local is None or local == upstream:
            return
        if upstream is not None and not _is_ancestor(c, upstream, local):
            if _is_ancestor(c, local, upstream):
                _advance(c, local, upstream)
                return
            rebased = _rebase(c, local, upstream, f"{remote}/{c.branch}")
            if not _advance(c, local, rebased):
                reason = f"{c.ref} moved during the rebase"
                continue
            local = rebased
        ok, reason = _push(c, remote, local)
        if ok:
            crash_point("after-push")
            return
        log.info("push to %s rejected (%s); fetching and trying again", remote, reason)
        pause = min(1.0, 0.01 * 2 ** min(attempt, 7))
        time.sleep(random.uniform(0, pause))  # noqa: S311 - jitter, not a secret


def _fetch(c: Committer, remote: str, remote_ref: str) -> str | None:
    proc = run_git(
        c.root,
        "fetch",
        "--quiet",
        "--no-tags",
        remote,
        f"+refs/heads/{c.branch}:{remote_ref}",
        check=False,
    )
    if proc.returncode != 0:
        why = describe_failure(proc)
        if "couldn't find remote ref" in why:
            return None
        raise GitError(f"cannot fetch {c.branch} from {remote}: {why}")
    return c.git("rev-parse", "--verify", remote_ref).decode().strip()


def _is_ancestor(c: Committer, a: str, b: str) -> bool:
    return run_git(c.root, "merge-base", "--is-ancestor", a, b, check=False).returncode == 0


def _advance(c: Committer, old: str, new: str) -> bool:
    """Move the branch from ``old`` to ``new`` and make the working tree follow."""
    paths = c.git("diff-tree", "-r", "-z", "--name-only", "--no-renames", old, new).decode()
    changed = [p for p in paths.split("\0") if p]
    in_tree = c.checked_out()
    if in_tree:
        c.write_journal(changed)
    if not c.move_branch(new, old):
        return False
    crash_point("during-push")
    if in_tree:
        c.sync_paths(changed)
        c.clear_journal()
    return True


def _push(c: Committer, remote: str, sha: str) -> tuple[bool, str]:
    proc = run_git(
        c.root,
        "push",
        "--porcelain",
        "--quiet",
        remote,
        f"{sha}:refs/heads/{c.branch}",
        check=False,
    )
    if proc.returncode == 0:
        return True, ""
    # --porcelain puts the verdict on stdout ("!  <ref>  [rejected] (fetch first)").
    verdict = " ".join(proc.stdout.decode("utf-8", "replace").split())
    why = f"{verdict} {describe_failure(proc)}".strip()
    if any(r in why for r in _RETRY_REASONS):
        return False, why
    raise GitError(f"cannot push {c.branch} to {remote}: {why}")


def _rebase(c: Committer, local: str, upstream: str, label: str) -> str:
    """Replay the commits of ``local`` that ``upstream`` lacks on top of it."""
    lines = c.git("rev-list", "--reverse", "--parents", local, f"^{upstream}").decode().split("\n")
    onto = upstream
    for line in filter(None, lines):
        sha, *parents = line.split()
        if len(parents) != 1:
            raise GitError(
                f"cannot rebase merge commit {sha[:10]} onto {label}; merge by hand and push"
            )
        onto = _replay(c, sha, parents[0], onto, label)
    return onto


def _replay(c: Committer, sha: str, parent: str, onto: str, label: str) -> str:
    raw = c.git("diff-tree", "-r", "-z", "--no-renames", parent, sha).decode()
    tokens = raw.split("\0")
    changes = [(tokens[i], tokens[i + 1]) for i in range(0, len(tokens) - 1, 2) if tokens[i]]
    paths = [p for _meta, p in changes]
    theirs = _blob_ids(c, onto, paths)
    subject = c.git("log", "-1", "--format=%s", sha).decode().strip()
    index_lines = []
    for meta, path in changes:
        _old_mode, new_mode, old, new, _status = meta.lstrip(":").split()
        old_id = None if old == ZERO_SHA else old
        new_id = None if new == ZERO_SHA else new
        other = theirs.get(path)
        if other == old_id:
            result = new_id
        elif other == new_id:
            continue
        elif old_id and new_id and other:
            result = _merge_file(c, path, other, old_id, new_id, subject, label)
        else:
            side = "deleted on one side and changed on the other" if old_id else "added twice"
            raise GitError(
                f"cannot rebase '{subject}' onto {label}: {path} was {side}. "
                "Resolve it by hand in a clone and push; the local commit is kept."
            )
        if result is None:
            index_lines.append(f"0 {ZERO_SHA}\t{path}")
        else:
            index_lines.append(f"{new_mode} {result}\t{path}")
    env = {"GIT_INDEX_FILE": str(c.git_dir / REBASE_INDEX)}
    try:
        c.git("read-tree", onto, env=env)
        if index_lines:
            c.git(
                "update-index",
                "--index-info",
                stdin=("\n".join(index_lines) + "\n").encode(),
                env=env,
            )
        tree = c.git("write-tree", env=env).decode().strip()
    finally:
        (c.git_dir / REBASE_INDEX).unlink(missing_ok=True)
    info = c.git("log", "-1", "--format=%an%x00%ae%x00%aI%x00%B", sha).decode()
    name, email, date, message = info.split("\0", 3)
    env = c.commit_env() | {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": date,
    }
    return (
        c.git("commit-tree", tree, "-p", onto, "-F", "-", stdin=message.encode(), env=env)
        .decode()
        .strip()
    )


def _blob_ids(c: Committer, rev: str, paths: list[str]) -> dict[str, str]:
    if not paths:
        return {}
    raw = c.git("ls-tree", "-z", "--full-tree", rev, "--", *paths).decode()
    out = {}
    for item in filter(None, raw.split("\0")):
        meta, _, path = item.partition("\t")
        out[path] = meta.split()[2]
    return out


def _merge_file(
    c: Committer, path: str, theirs: str, base: str, ours: str, subject: str, label: str
) -> str:
    """Three-way merge of one file; the merged blob's id, or GitError on a conflict."""
    with tempfile.TemporaryDirectory(prefix="catalog-merge-") as tmp:
        files = []
        for name, blob in (("theirs", theirs), ("base", base), ("ours", ours)):
            f = Path(tmp) / name
            f.write_bytes(c.git("cat-file", "blob", blob))
            files.append(str(f))
        proc = run_git(
            c.root,
            "merge-file",
            "-p",
            "-L",
            label,
            "-L",
            "base",
            "-L",
            "local",
            *files,
            check=False,
        )
    if proc.returncode != 0:
        raise GitError(
            f"cannot rebase '{subject}' onto {label}: {path} was changed on both sides "
            f"in the same lines ({proc.returncode} conflict(s)). Resolve it by hand in a clone "
            "and push; the local commit is kept."
        )
    merged = proc.stdout
    if path.startswith(f"{RECORDS_DIR}/"):
        result = check_bytes(path, merged)
        if result.entry is None:
            p = result.problems[0]
            raise GitError(
                f"cannot rebase '{subject}' onto {label}: merging both sides' changes to "
                f"{path} gives an invalid record (line {p.line}: {p.message}). "
                "Resolve it by hand; the local commit is kept."
            )
    return c.git("hash-object", "-w", "--stdin", stdin=merged).decode().strip()
