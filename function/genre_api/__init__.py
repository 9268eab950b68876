"""The HTTP API: a FastAPI app over a GenreClassifier, and its Lambda handler (Mangum)."""
