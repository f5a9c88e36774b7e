"""The wire layer: OpenAI-compatible HTTP routes rendering dialogue events."""
