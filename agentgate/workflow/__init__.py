"""Workflow files: the format (model), loading and checking (loader), execution (runner)."""
