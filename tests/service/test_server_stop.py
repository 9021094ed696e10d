"""Stopping the waitress server always works, even when its wake-up pipe is already gone."""

from __future__ import annotations

import os
import socket

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
        os.close(server.server.trigger.trigger)
    assert not server._thread.is_alive()
    assert port_refuses(server.url)
