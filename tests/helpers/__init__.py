"""Helpers shared by the tests: data and training, servers, API Gateway events, a fake API."""
