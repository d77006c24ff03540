"""moto's DynamoDB-API server, processing one request at a time.

moto checks a write's condition and then applies the write in separate Python steps. Its
own server (`moto_server`) handles requests on several threads at once, so two
concurrent conditional writes to one item can both pass their condition; we measured it
with items holding a 200-entry map. Real DynamoDB never allows that, and the nubes
runtime's optimistic concurrency relies on it. This server keeps moto's threaded
connection handling but runs the application under one lock, so every request is atomic,
as DynamoDB's are.

Usage: moto_serial_server.py HOST PORT
"""

import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


class OneAtATime:
    """A WSGI wrapper that runs the wrapped application, body included, under a lock."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return list(self.app(environ, start_response))


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = OneAtATime(DomainDispatcherApplication(create_backend_app))
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
