"""GitHub's push hook: HMAC-verified, a push to the branch schedules one coalesced cycle."""

from __future__ import annotations

import json

import pytest

from catalog.service.app import service_of
from catalog.service.github import github_signature
from tests.service.conftest import Live, LiveFactory, wait_for

SECRET = "hook-secret"
PUSH = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()


def deliver(live: Live, body: bytes, event: str = "push", secret: str = SECRET) -> int:
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-Hub-Signature-256": github_signature(secret.encode(), body),
    }
    return live.post("/api/v1/hooks/github", body, headers).status_code


@pytest.fixture
def hooked(live_service: LiveFactory, monkeypatch: pytest.MonkeyPatch) -> Live:
    monkeypatch.setenv("CATALOG_GITHUB_SECRET", SECRET)
    return live_service(background=True, cycle_at_start=False, replan_after_commit=False)


def test_hook_is_off_without_a_secret(live_service: LiveFactory) -> None:
    assert deliver(live_service(), PUSH) == 403


@pytest.mark.parametrize(
    ("body", "event", "secret", "status"),
    [
        (PUSH, "push", "wrong-secret", 401),
        (PUSH, "ping", SECRET, 200),
        (b'{"ref": "refs/heads/other"}', "push", SECRET, 200),
        (b'{"ref": 5}', "push", SECRET, 422),
        (PUSH, "push", SECRET, 202),
    ],
)
def test_deliveries(hooked: Live, body: bytes, event: str, secret: str, status: int) -> None:
    assert deliver(hooked, body, event, secret) == status


def test_push_runs_a_cycle(hooked: Live) -> None:
    scheduler = service_of(hooked.app).scheduler
    assert scheduler is not None
    assert deliver(hooked, PUSH) == 202
    wait_for(lambda: scheduler.cycles == 1 and scheduler.running is None)
    cycle = hooked.http.get(hooked.url + "/api/v1/status").json()["cycle"]["last_cycle"]
    assert cycle["reason"] == "GitHub push to main"
    assert list(cycle["steps"]) == ["pull", "sync", "validate", "plan", "build", "tidy"]


def test_pushes_during_a_cycle_are_coalesced(hooked: Live) -> None:
    scheduler = service_of(hooked.app).scheduler
    assert scheduler is not None
    for _ in range(10):
        assert deliver(hooked, PUSH) == 202
    wait_for(lambda: scheduler.running is None and scheduler.summary()["pending_cycle"] is None)
    assert scheduler.cycles + scheduler.coalesced == 10
    assert scheduler.cycles <= 3
