"""Serving the app with waitress (a production WSGI server), never Flask's development server."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask
from waitress import create_server

from catalog.service.settings import ServiceSettings

log = logging.getLogger(__name__)

BODY_SLACK = 64 << 10
"""waitress's own body limit sits this far above the app's, so that the app, not the
transport, answers most oversized bodies (in the JSON error shape); beyond it waitress
refuses on its own, still with 413."""


def make_server(app: Flask, settings: ServiceSettings, *, port: int | None = None) -> Any:
    """A waitress server for ``app`` with every limit set explicitly."""
    return create_server(
        app,
        host=settings.host,
        port=settings.port if port is None else port,
        threads=settings.threads,
        max_request_body_size=settings.max_body_bytes + BODY_SLACK,
        max_request_header_size=settings.max_header_bytes,
        channel_timeout=settings.channel_timeout_s,
        connection_limit=max(100, settings.threads * 16),
        # poll(), not select(): select() cannot watch a descriptor numbered 1024 or more, and
        # a long-running service holding many files would see waitress close its listener.
        asyncore_use_poll=True,
        # Tracebacks go to the log, never to clients.
        expose_tracebacks=False,
        clear_untrusted_proxy_headers=True,
        ident="catalog",
    )


def server_url(server: Any) -> str:
    """``http://host:port`` where ``server`` listens."""
    return f"http://{server.effective_host}:{server.effective_port}"


def stop_server(server: Any) -> None:
    """Close the listening socket and every open connection; the run loop then returns."""
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def close_all() -> None:
        for channel in list(server._map.values()):
            try:
                channel.close()
            except OSError:
                pass

    # Run the closing in the loop's own thread (woken by its trigger), so that it stops at
    # once instead of at the next poll timeout.
    try:
        server.trigger.pull_trigger(close_all)
    except OSError as exc:
        # The trigger's pipe is gone (the loop closed it after a poll error): close from
        # here; the loop sees its map empty within one poll timeout and returns.
        log.warning("waitress trigger unusable (%s); closing connections directly", exc)
        close_all()
        # The trigger's own close stopped at its dead pipe; release the loop's copy of it.
        leftover = getattr(server.trigger, "socket", None)  # None once fully closed
        if leftover is not None:
            try:
                leftover.close()
            except OSError:
                pass


class ServerThread:
    """A waitress server running in a background thread (tests, --once runs)."""

    def __init__(self, app: Flask, settings: ServiceSettings, *, port: int | None = None) -> None:
        self.server = make_server(app, settings, port=port)
        self.url = server_url(self.server)
        self._thread = threading.Thread(target=self.server.run, name="waitress", daemon=True)

    def __enter__(self) -> ServerThread:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and wait for the server's loop to end."""
        stop_server(self.server)
        self._thread.join(timeout=10)
