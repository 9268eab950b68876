from genre_api.observability import readable_line


def test_a_request_is_one_readable_line() -> None:
    line = {
        "route": "/genres",
        "method": "POST",
        "status": 200,
        "latency_ms": 1.234,
        "model_version": "v1",
        "movies": 3,
    }
    assert readable_line(line) == "POST /genres 200 1.234 ms model_version=v1 movies=3"
    batch = {"route": "catalogue", "method": None, "status": 500, "latency_ms": 9.0}
    assert readable_line(batch) == "- catalogue 500 9.0 ms"
