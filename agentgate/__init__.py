"""agentgate: workflows served as conversational agents behind an OpenAI-compatible API."""

__version__ = "0.1.0"
