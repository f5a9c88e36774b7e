"""Typed keys for what the application holds (aiohttp `AppKey`)."""

from aiohttp import web

from agentgate.api.limits import TurnLimits
from agentgate.api.response_store import ResponseStore
from agentgate.conversation.dialogue import Deps
from agentgate.metrics import Metrics
from agentgate.settings import Settings
from agentgate.workflow.loader import Catalog

SETTINGS = web.AppKey("settings", Settings)
CATALOG = web.AppKey("catalog", Catalog)
DEPS = web.AppKey("deps", Deps)
LIMITS = web.AppKey("limits", TurnLimits)
METRICS = web.AppKey("metrics", Metrics)
RESPONSES = web.AppKey("responses", ResponseStore)
API_KEY = web.RequestKey("api_key", str)
