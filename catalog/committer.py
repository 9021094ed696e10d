"""The serialized committer: the one way automated writers change the catalog's repository.

A batch of edits becomes one commit:

1. take the writer lock (threads queue on a mutex, processes on ``.git/catalog.lock``);
2. read the branch tip and the current content of every edited file *from the tip*;
3. apply the edits — new content, a round-trip edit of the current file, or a deletion —
   and validate every changed file; one invalid file refuses the whole batch, nothing is
   written;
4. note the batch's paths in a journal, then write the files into the working tree
   atomically (temp file, fsync, rename, fsync the folder);
5. stage them in the committer's own index, which mirrors the branch tip, so that nothing
   else a person staged in this working tree can slip into the commit;
6. write the tree and the commit, whose message lists the records and ends with the
   trailer ``Catalog-Batch: <batch id>``;
7. move the branch with compare-and-swap (``update-ref <branch> <new> <old>``). If someone
   else committed meanwhile, start again from 2 on top of their commit: nobody's commit is
   ever overwritten;
8. stage the files in git's own index too, so the working tree reads as clean.

Crash safety: the branch moves in one atomic step, so a batch is either wholly in the
history or not at all; a caller that keeps its batch queued until ``apply`` returns replays
it after a crash, and a batch id already in the history is a no-op. ``recover`` (run at
start-up) removes temp files and stale git locks and puts the journal's files back in line
with the branch tip. ``catalog.crashpoints`` names the points the tests kill the process at.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from catalog.batch import (
    TRAILER,
    BatchIds,
    CommitResult,
    Edit,
    apply_edits,
    check_batch_id,
    check_edit,
    commit_message,
)
from catalog.config import load_config
from catalog.crashpoints import crash_point
from catalog.errors import GitError
from catalog.gitcmd import ZERO_SHA, git_dir, git_env, read_object, run_git
from catalog.gitlock import wait_for_git_lock, writer_lock
from catalog.treecache import TreeCache
from catalog.worktree import write_files

log = logging.getLogger(__name__)

DEFAULT_AUTHOR = ("catalog-bot", "catalog-bot@localhost")
INDEX_NAME = "catalog-index"
"""The committer's own index (inside .git); ``catalog-index.tip`` names the commit it mirrors."""
JOURNAL_NAME = "catalog-journal"
"""Paths being written by an unfinished batch or sync; ``recover`` realigns them."""

_MAX_ATTEMPTS = 20


class Committer:
    """Applies batches of record edits as single commits, one writer at a time.

    Thread-safe; one per process is enough. Settings not given come from catalog.yaml's
    ``git`` section (``author: {name, email}``, ``branch``, ``remote``, ``lock_wait``).
    The committer owns the files it writes: an uncommitted edit of the same file in its
    working tree is replaced by the branch's version plus the batch's edit.
    """

    def __init__(
        self,
        root: Path,
        *,
        author: tuple[str, str] | None = None,
        branch: str | None = None,
        remote: str | None = None,
        lock_timeout: float = 60.0,
        lock_wait: float | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.git_dir = git_dir(self.root)
        settings = load_config(self.root).git
        who = settings.get("author") or {}
        self.author = author or (
            str(who.get("name", DEFAULT_AUTHOR[0])),
            str(who.get("email", DEFAULT_AUTHOR[1])),
        )
        self.branch = branch or settings.get("branch") or self._current_branch()
        self.remote: str | None = remote or settings.get("remote") or None
        self.lock_timeout = lock_timeout
        self.lock_wait = float(lock_wait if lock_wait is not None else settings.get("lock_wait", 2))
        """How long a git lock file may sit before it is checked for being stale."""
        self.ref = f"refs/heads/{self.branch}"
        self._batches = BatchIds(self.root)
        self._trees = TreeCache()
        """Round-trip trees of the files edited lately, reused while their content is unchanged."""
        self._closed = False

    # ------------------------------------------------------------ public API

    def apply(
        self, edits: Sequence[Edit], message: str, *, batch_id: str | None = None
    ) -> CommitResult:
        """Commit ``edits`` as one commit; a batch id seen before makes this a no-op."""
        if self._closed:
            raise GitError("this committer is closed")
        check_batch_id(batch_id)
        for e in edits:
            check_edit(e)
        paths = list(dict.fromkeys(e.path for e in edits))
        with self.locked():
            if self.checked_out():
                self.wait_lock("index.lock")  # a person's git at work: wait before writing
                self.finish_journal()
            for attempt in range(_MAX_ATTEMPTS):
                tip, before = self.read(paths)
                if batch_id is not None and batch_id in self._batches.seen(tip):
                    if attempt:
                        self._restore(paths)
                    return CommitResult(None, batch_id, False, [])
                after, entries = apply_edits(before, edits, self._trees)
                changed = [p for p in paths if after[p] != before[p]]
                if not changed:
                    if attempt:
                        self._restore(paths)
                    return CommitResult(None, batch_id, True, [])
                try:
                    sha = self._commit(tip, before, after, changed, message, batch_id)
                except (OSError, GitError):
                    self._restore(changed)
                    raise
                if sha is not None:
                    return CommitResult(sha, batch_id, True, changed, entries)
                log.info("%s moved during the commit; applying the batch again on top", self.ref)
        raise GitError(f"{self.ref} kept moving; gave up after {_MAX_ATTEMPTS} attempts")

    def is_applied(self, batch_id: str) -> bool:
        """Whether a commit with this batch id is in the branch's history."""
        with self.locked():
            tip, _ = self.read([])
            return batch_id in self._batches.seen(tip)

    def push(self) -> None:
        """Push the branch: fetch, rebase onto the remote, retry; never a force push."""
        from catalog.gitpush import push_branch

        if not self.remote:
            raise GitError("no remote to push to; pass remote= or set git.remote in catalog.yaml")
        with self.locked():
            push_branch(self, self.remote)

    def close(self) -> None:
        """Forget cached state; the committer holds no process or file between calls."""
        self._closed = True
        self._batches.forget()
        self._trees.forget()

    def __enter__(self) -> Committer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ shared with push/recover

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The writer lock of this repository, with git's index.lock waited out."""
        with writer_lock(self.git_dir, self.lock_timeout):
            yield

    def checked_out(self) -> bool:
        """Whether the branch is the working tree's HEAD (then files and index follow it)."""
        try:
            head = (self.git_dir / "HEAD").read_text().strip()
        except OSError:
            return False
        return head == f"ref: {self.ref}"

    def git(
        self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> bytes:
        """stdout of a git command in the working tree (GitError on failure)."""
        return run_git(self.root, *args, stdin=stdin, env=env).stdout

    def wait_lock(self, name: str) -> None:
        """Wait out (and, once stale, remove) git's lock file ``name`` in .git."""
        wait_for_git_lock(
            self.git_dir / name,
            self.root,
            self.git_dir,
            interval=self.lock_wait,
            timeout=self.lock_timeout,
        )

    def stage(self, paths: Sequence[str], *, own_index: bool) -> None:
        """Stage the working tree's state of ``paths`` (added, changed or gone)."""
        name = INDEX_NAME if own_index else "index"
        env = {"GIT_INDEX_FILE": str(self.git_dir / name)}
        self.wait_lock(f"{name}.lock")
        data = b"".join(p.encode() + b"\0" for p in paths)
        self.git("update-index", "--add", "--remove", "-z", "--stdin", stdin=data, env=env)

    def write_journal(self, paths: Sequence[str]) -> None:
        """Note the paths about to change (renamed into place; not fsynced: it only
        matters for a crash of this process, and the branch decides what is true)."""
        tmp = self.git_dir / f"{JOURNAL_NAME}.tmp"
        tmp.write_text("\n".join([self.ref, *paths]) + "\n", encoding="utf-8")
        os.replace(tmp, self.git_dir / JOURNAL_NAME)

    def finish_journal(self) -> None:
        """Realign the files a crashed write left in its journal (``recover`` does this too)."""
        journal = self.git_dir / JOURNAL_NAME
        try:
            ref, *paths = [ln for ln in journal.read_text("utf-8").splitlines() if ln]
        except (FileNotFoundError, ValueError):
            return
        if ref == self.ref:
            self.sync_paths(paths)
            self.clear_journal()

    def clear_journal(self) -> None:
        """The journal's paths are in line with the branch."""
        (self.git_dir / JOURNAL_NAME).unlink(missing_ok=True)

    def sync_paths(self, paths: Sequence[str]) -> None:
        """Make the working tree and index hold the branch tip's version of ``paths``."""
        if not paths or not self.checked_out():
            return
        tip, content = self.read(list(paths))
        writes = {}
        for p in paths:
            target = self.root / p
            want = content[p]
            try:
                have: bytes | None = target.read_bytes()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                have = None
            if have != want:
                writes[p] = want
        if writes:
            write_files(self.root, writes)
            self._apply_modes(tip, [p for p, c in writes.items() if c is not None])
        self.stage(list(paths), own_index=False)

    def _apply_modes(self, tip: str | None, paths: list[str]) -> None:
        """Executable bits and symbolic links, for files other than records (a push brings
        in whatever the remote changed)."""
        if tip is None or not paths:
            return
        raw = self.git("ls-tree", "-z", "--full-tree", tip, "--", *paths).decode()
        for item in filter(None, raw.split("\0")):
            meta, _, path = item.partition("\t")
            mode = meta.split()[0]
            target = self.root / path
            if mode == "100755":
                target.chmod(0o755)
            elif mode == "120000":
                link = target.read_text()
                target.unlink()
                os.symlink(link, target)

    def commit_env(self) -> dict[str, str]:
        """Author and committer identity for commit objects."""
        name, email = self.author
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }

    def move_branch(self, new: str, old: str | None) -> bool:
        """Compare-and-swap the branch from ``old`` to ``new``; False if it was not at ``old``."""
        for _ in range(3):
            proc = run_git(
                self.root,
                "update-ref",
                "-m",
                "catalog: commit",
                self.ref,
                new,
                old or ZERO_SHA,
                check=False,
            )
            if proc.returncode == 0:
                return True
            current, _ = self.read([])
            if current != old:
                return False
            # The branch did not move, so something else stopped git: a stale ref lock?
            self.wait_lock(f"{self.ref}.lock")
        raise GitError(f"cannot move {self.ref}: git update-ref keeps failing")

    # ------------------------------------------------------------ internals

    def _current_branch(self) -> str:
        proc = run_git(self.root, "symbolic-ref", "--short", "-q", "HEAD", check=False)
        name = proc.stdout.decode().strip()
        if proc.returncode != 0 or not name:
            raise GitError(
                f"{self.root} has no branch checked out (detached HEAD); "
                "check out a branch or pass branch= (or set git.branch in catalog.yaml)"
            )
        return name

    def read(self, paths: list[str]) -> tuple[str | None, dict[str, bytes | None]]:
        """The branch tip and the content of ``paths`` there (None: no such file).

        The same ``git cat-file`` also reads the commits others added since the last look,
        to learn their batch ids without another process.
        """
        proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=self.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env(),
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        out: dict[str, bytes | None] = dict.fromkeys(paths)
        try:
            proc.stdin.write(f"{self.ref}\n".encode())
            proc.stdin.flush()
            tip, body = read_object(proc.stdout)
            if tip is not None and body is not None:
                self._batches.learn(proc.stdin, proc.stdout, tip, body)
                proc.stdin.write(b"".join(f"{tip}:{p}\n".encode() for p in paths))
            proc.stdin.close()
            if tip is not None:
                for p in paths:
                    out[p] = read_object(proc.stdout)[1]
        finally:
            proc.stdout.close()
            if not proc.stdin.closed:
                proc.stdin.close()
            proc.wait()
        return tip, out

    def _commit(
        self,
        tip: str | None,
        before: dict[str, bytes | None],
        after: dict[str, bytes | None],
        changed: list[str],
        message: str,
        batch_id: str | None,
    ) -> str | None:
        """Write, stage, commit and move the branch; None if the branch moved meanwhile."""
        crash_point("before-temp-write")
        in_tree = self.checked_out()
        if in_tree:
            self.write_journal(changed)
            write_files(self.root, {p: after[p] for p in changed})
        self._prepare_index(tip)
        if in_tree:
            self.stage(changed, own_index=True)
        else:
            self._stage_blobs({p: after[p] for p in changed})
        crash_point("after-index-write")
        env = {"GIT_INDEX_FILE": str(self.git_dir / INDEX_NAME)}
        tree = self.git("write-tree", env=env).decode().strip()
        text = commit_message(message, before, after, changed, batch_id)
        parents = ["-p", tip] if tip else []
        sha = (
            self.git(
                "commit-tree", tree, *parents, "-F", "-", stdin=text.encode(), env=self.commit_env()
            )
            .decode()
            .strip()
        )
        crash_point("after-commit-object")
        if not self.move_branch(sha, tip):
            return None
        # The committer's index now holds exactly the new commit's tree.
        (self.git_dir / f"{INDEX_NAME}.tip").write_text(sha)
        crash_point("after-update-ref")
        self._batches.committed(tip, sha, batch_id)
        if in_tree:
            self._follow(changed)
        return sha

    def _follow(self, paths: list[str]) -> None:
        """Stage the committed files in git's own index, so ``git status`` stays clean.

        Only after the branch moved: a person committing in this working tree meanwhile
        never picks up half a batch. If git's index is busy, ``recover`` finishes this.
        """
        try:
            self.stage(paths, own_index=False)
        except GitError as exc:
            log.warning("committed, but could not update git's index: %s", exc)
            return
        self.clear_journal()

    def _restore(self, paths: list[str]) -> None:
        """After a failed commit, put the working tree back in line with the branch."""
        try:
            self.sync_paths(paths)
            self.clear_journal()
        except (OSError, GitError) as exc:
            log.warning("could not restore %s after a failed commit: %s", ", ".join(paths), exc)

    def _prepare_index(self, tip: str | None) -> None:
        """Make the committer's index mirror ``tip`` (reusing it when it already does)."""
        marker = self.git_dir / f"{INDEX_NAME}.tip"
        index = self.git_dir / INDEX_NAME
        try:
            mirrored = marker.read_text().strip()
        except OSError:
            mirrored = ""
        fresh = index.exists() and tip is not None and mirrored == tip
        # The marker goes before the index changes: a crash in between must not leave a
        # half-staged index that claims to mirror the tip.
        self._invalidate_index_tip()
        if not fresh:
            self.wait_lock(f"{INDEX_NAME}.lock")
            env = {"GIT_INDEX_FILE": str(index)}
            if tip is None:
                self.git("read-tree", "--empty", env=env)
            else:
                self.git("read-tree", tip, env=env)

    def _invalidate_index_tip(self) -> None:
        (self.git_dir / f"{INDEX_NAME}.tip").unlink(missing_ok=True)

    def _stage_blobs(self, files: dict[str, bytes | None]) -> None:
        """Stage content without a working tree (the branch is not checked out)."""
        lines = []
        with tempfile.TemporaryDirectory(prefix="catalog-blobs-") as tmp:
            for i, (path, content) in enumerate(files.items()):
                if content is None:
                    lines.append(f"0 {ZERO_SHA}\t{path}")
                    continue
                blob = Path(tmp) / str(i)
                blob.write_bytes(content)
                sha = self.git("hash-object", "-w", "--no-filters", str(blob)).decode().strip()
                lines.append(f"100644 {sha}\t{path}")
        env = {"GIT_INDEX_FILE": str(self.git_dir / INDEX_NAME)}
        self.wait_lock(f"{INDEX_NAME}.lock")
        self.git("update-index", "--index-info", stdin="\n".join(lines).encode() + b"\n", env=env)


__all__ = ["TRAILER", "CommitResult", "Committer", "Edit"]
