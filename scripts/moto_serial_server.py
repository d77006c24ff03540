"""moto's DynamoDB-API server, processing one request at a time.

moto checks a write's condition and then applies the write in separate Python steps. Its
own server (`moto_server`) handles requests on several threads at once, so two
concurrent conditional writes to one item can both pass their condition; we measured it
with items holding a 200-entry map. Real DynamoDB never allows that, and the nubes
runtime's optimistic concurrency relies on it. This server keeps moto's threaded
connection handling but runs the application under one lock, so every request is atomic,
as DynamoDB's are.

moto also backs up every table a transaction touches with a deep copy, to roll back a
canceled transaction: each transaction costs time in proportion to everything stored in
those tables, so a table that holds thousands of items slows every transaction on it to a
crawl. This server backs up only the items a transaction names (at most 100) and rolls
those back instead, with the same outcome.

Usage: moto_serial_server.py HOST PORT
"""

import copy
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app


class DynamoDbOnly:
    """Sends `/moto-api/...` to moto's own API (reset) and every other request to the
    DynamoDB backend. moto's `DomainDispatcherApplication` works out the service of each
    request from its host and headers, listing moto's package directory every time; that
    was a tenth of the server's time, and this server only speaks DynamoDB."""

    def __init__(self):
        self.dynamodb = create_backend_app("dynamodb")
        self.moto_api = create_backend_app("moto_api")

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.moto_api(environ, start_response)
        return self.dynamodb(environ, start_response)


class QuietRequestHandler(MotoRequestHandler):
    """Logs failures only: a line per request cost time and grew the log by megabytes
    per test run."""

    def log_request(self, code="-", size="-"):
        if str(code).startswith(("4", "5")):
            super().log_request(code, size)


class OneAtATime:
    """A WSGI wrapper that runs the wrapped application, body included, under a lock."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return list(self.app(environ, start_response))


class _TablesNotCopied:
    """moto's `copy` module, except that a table's deep copy is the table itself: the
    transaction's own item backups below replace moto's copy of whole tables."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def _named_items(backend, transact_items):
    """(table, hash key, range key) of every item a transaction names."""
    named = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        key = op.get("Key") or op.get("Item") or {}
        if table.hash_key_attr not in key:
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in key:
                continue
            range_key = DynamoType(key[table.range_key_attr])
        named.append((table, hash_key, range_key))
    return named


def _restore(table, hash_key, range_key, item):
    """Puts back one item as it was before a canceled transaction."""
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    partition = table.items[hash_key]
    if item is None:
        partition.pop(range_key, None)
    else:
        partition[range_key] = item


_moto_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items(self, transact_items):
    named = _named_items(self, transact_items)
    backups = [
        (table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key)))
        for table, hash_key, range_key in named
    ]
    try:
        return _moto_transact_write_items(self, transact_items)
    except Exception:
        for table, hash_key, range_key, item in reversed(backups):
            _restore(table, hash_key, range_key, item)
        raise


def main() -> None:
    dynamodb_models.copy = _TablesNotCopied()
    DynamoDBBackend.transact_write_items = _transact_write_items
    host, port = sys.argv[1], int(sys.argv[2])
    app = OneAtATime(DynamoDbOnly())
    run_simple(host, port, app, threaded=True, request_handler=QuietRequestHandler)


if __name__ == "__main__":
    main()
