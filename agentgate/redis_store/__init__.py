"""Shared state in Redis, so several replicas serve one set of conversations."""
