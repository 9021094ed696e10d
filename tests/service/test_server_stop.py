"""Stopping the waitress server always works, even when its wake-up pipe is already gone."""

from __future__ import annotations

import os
import socket

import pytest
import requests
from flask import Flask

from catalog.service.server import ServerThread
from catalog.service.settings import ServiceSettings


def tiny_app() -> Flask:
    app = Flask("tiny")
    app.add_url_rule("/", "root", lambda: "ok")
    return app


def port_refuses(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.socket() as s:
        return s.connect_ex((host, int(port))) != 0


def test_stop_closes_the_listener() -> None:
    server = ServerThread(tiny_app(), ServiceSettings(port=0))
    with server:
        assert requests.get(server.url, timeout=10).text == "ok"
    assert not server._thread.is_alive()
    assert port_refuses(server.url)


def test_stop_works_when_the_wakeup_pipe_was_closed_under_it() -> None:
    # A stray close elsewhere in the process once took the trigger's pipe away: stopping
    # must still close the listener and end the loop, not raise EBADF at the caller.
    server = ServerThread(tiny_app(), ServiceSettings(port=0))
    with server:
        assert requests.get(server.url, timeout=10).text == "ok"
        # /dev/null read-only over the pipe's write end: writes fail with EBADF as after a
        # close, but the number stays taken, so waitress's own close hits only this copy.
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, server.server.trigger.trigger)
        os.close(null)
    assert not server._thread.is_alive()
    assert port_refuses(server.url)


def test_connections_numbered_past_1024_are_served() -> None:
    # A process holding many files (journal, git, pools) hands new connections high fd
    # numbers; select() cannot watch those and waitress then closes its listener.
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this system allows only {hard} open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held: list[int] = []
    try:
        while not held or held[-1] < 1100:
            held.append(os.open(os.devnull, os.O_RDONLY))
        server = ServerThread(tiny_app(), ServiceSettings(port=0))
        with server:
            assert requests.get(server.url, timeout=10).text == "ok"
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
