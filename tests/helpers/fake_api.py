"""A fake movie-genre API on loopback whose answers a test scripts, one per request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    """One scripted answer. body None: a /genres answer for the movies sent; a str goes as
    text/plain and anything else as JSON, unless headers name another Content-Type. hang: no
    answer until the fake API closes (a server slower than any timeout, with no real wait).
    refuse_title: a rule of this server's alone: a /genres request with a movie whose title
    holds this text is refused whole (422, FastAPI's detail naming that movie)."""

    status: int = 200
    body: object = None
    hang: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    refuse_title: str | None = None


def refusal(body: dict, marker: str) -> dict | None:
    """FastAPI's 422 detail for the movies of body whose title holds marker, if any."""
    refused = [
        {"type": "value_error", "loc": ["body", "movies", i, "title"], "msg": f"no {marker}"}
        for i, movie in enumerate(body.get("movies", []))
        if marker in movie["title"]
    ]
    return {"detail": refused} if refused else None


def genres_body(count: int, genre: str = "Drama") -> dict:
    scores = {"Comedy": 0.2, "Drama": 0.7} if genre == "Drama" else {"Comedy": 0.8, "Drama": 0.1}
    return {
        "model_version": "fake-1",
        "results": [{"scores": scores, "genres": [genre], "genre": genre}] * count,
    }


@contextmanager
def fake_api(
    answers: list[Answer], headers_seen: list[dict[str, str]] | None = None
) -> Iterator[tuple[str, list[dict]]]:
    """Serve answers in order (the last one repeats); yield the URL and the bodies received.

    headers_seen, when given, collects each request's headers (and its path, as ":path").
    """
    received: list[dict] = []
    lock = threading.Lock()
    closing = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            body = json.loads(raw)
            with lock:
                received.append(body)
                if headers_seen is not None:
                    headers_seen.append(
                        {**dict(self.headers.items()), ":path": self.path, ":body": raw.decode()}
                    )
                answer = answers[min(len(received), len(answers)) - 1]
            if answer.hang:
                closing.wait()
                return
            payload, status = answer.body, answer.status
            refused = refusal(body, answer.refuse_title) if answer.refuse_title else None
            if refused:
                payload, status = refused, 422
            elif payload is None:
                payload = genres_body(len(body["movies"]))
            text = isinstance(payload, str)
            data = payload.encode() if text else json.dumps(payload).encode()
            headers = {"Content-Type": "text/plain" if text else "application/json"}
            headers |= answer.headers
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # Join the request threads on close, so that no answer (a slow one, to a client that
        # gave up) is still writing when the next test runs.
        daemon_threads = False
        block_on_close = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a client that timed out and hung up: expected, not worth a traceback

    server = Server(("127.0.0.1", 0), Handler)
    # A short poll: shutdown() waits up to one poll for the serving loop to notice.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        closing.set()
        server.shutdown()
        server.server_close()
