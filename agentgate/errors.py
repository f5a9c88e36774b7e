"""Every error agentgate raises on purpose, in one tree. `ApiError`s reach clients, each
mapped to OpenAI's error envelope in one middleware; the others are caught where they are
understood (a problem of a workflow file, a value a user cannot give, a failed step).

    AgentgateError
     ├── ApiError                     500 server_error
     │    ├── InvalidRequest          400 invalid_request_error
     │    ├── AuthenticationFailed    401 invalid_api_key
     │    ├── ModelNotFound           404 model_not_found
     │    ├── RouteNotFound           404 not_found
     │    ├── ResponseNotFound        404 response_not_found / previous_response_not_found
     │    ├── MethodNotAllowed        405 method_not_allowed
     │    ├── RequestTimeout          408 request_timeout
     │    ├── ConversationBusy        409 conversation_busy (with Retry-After)
     │    ├── ConversationConflict    409 conversation_conflict
     │    ├── PayloadTooLarge         413 payload_too_large
     │    ├── TooManyRequests         429 rate_limit_exceeded (with Retry-After)
     │    ├── ServerError             500 server_error
     │    ├── Overloaded              503 overloaded (with Retry-After)
     │    └── StoreUnavailable        503 store_unavailable (with Retry-After)
     ├── SettingsError                an AGENTGATE_* variable holds a bad value
     ├── PromptsMissing               the prompts folder lacks a template
     ├── WorkflowInvalid              a workflow file does not load (lists its problems)
     ├── PatternError                 an author's `pattern` RE2 cannot run
     ├── InvalidValue                 a value an input cannot take (the reason is for users)
     ├── PathError                    a JSON path that does not parse
     ├── NodeFailure                  a step failed by design (its message is for users)
     ├── NodeError / RunFailed        a step failed, as the runner reports it
     ├── LLMUnavailable               the internal LLM gave no usable answer in time
     └── CorpusError                  a conversation corpus that cannot be played

Messages are written for the person reading them and never carry secrets.
"""

from __future__ import annotations

from typing import Any

from agentgate.events import Usage


class AgentgateError(Exception):
    """Base of every error agentgate raises on purpose."""


class ApiError(AgentgateError):
    """Base: an error with an HTTP status and OpenAI's `{"error": {...}}` body."""

    status = 500
    type = "server_error"
    code: str | None = "server_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def envelope(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type,
                          "param": self.param, "code": self.code}}


class InvalidRequest(ApiError):
    """The request is malformed or asks for something unsupported."""

    status = 400
    type = "invalid_request_error"
    code = None


class AuthenticationFailed(ApiError):
    """No API key, or one the server does not know."""

    status = 401
    type = "invalid_request_error"
    code = "invalid_api_key"


class ModelNotFound(ApiError):
    """The requested model names no loaded workflow."""

    status = 404
    type = "invalid_request_error"
    code = "model_not_found"

    def __init__(self, model: str):
        shown = model if len(model) <= 80 else model[:77] + "…"
        super().__init__(f"The model `{shown}` does not exist. "
                         "GET /v1/models lists the workflows this server offers.",
                         param="model")


class RouteNotFound(ApiError):
    """No route matches the path."""

    status = 404
    type = "invalid_request_error"
    code = "not_found"


class ResponseNotFound(ApiError):
    """No stored response has this id for this API key (a foreign one is not told apart
    from a missing one)."""

    status = 404
    type = "invalid_request_error"
    code = "response_not_found"

    def __init__(self, response_id: str, *, previous: bool = False):
        shown = response_id if len(response_id) <= 80 else response_id[:77] + "…"
        if previous:
            super().__init__(f"Previous response with id '{shown}' not found.",
                             param="previous_response_id", code="previous_response_not_found")
        else:
            super().__init__(f"Response with id '{shown}' not found.")


class MethodNotAllowed(ApiError):
    """The path exists but not for this HTTP method."""

    status = 405
    type = "invalid_request_error"
    code = "method_not_allowed"


class RequestTimeout(ApiError):
    """The request body was not sent in time."""

    status = 408
    type = "invalid_request_error"
    code = "request_timeout"


class TooManyRequests(ApiError):
    """This API key has too many turns running; `retry_after` seconds is a fair wait."""

    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"
    retry_after = 1


class Overloaded(ApiError):
    """The server has as many turns running as it takes; asking again soon may work."""

    status = 503
    type = "server_error"
    code = "overloaded"
    retry_after = 1


class ConversationBusy(ApiError):
    """Another turn of the conversation held it for longer than a turn waits."""

    status = 409
    type = "invalid_request_error"
    code = "conversation_busy"
    retry_after = 1


class ConversationConflict(ApiError):
    """A turn's lock was taken over (it outlived its lease) and a newer turn was saved:
    this turn's state is not stored."""

    status = 409
    type = "invalid_request_error"
    code = "conversation_conflict"


class StoreUnavailable(ApiError):
    """The shared store (Redis) cannot be reached; nothing is served from local state."""

    status = 503
    type = "server_error"
    code = "store_unavailable"
    retry_after = 2


class PayloadTooLarge(ApiError):
    """The request body is over the configured limit."""

    status = 413
    type = "invalid_request_error"
    code = "payload_too_large"


class ServerError(ApiError):
    """Something failed on our side; details go to the log, not the client."""


class NodeFailure(AgentgateError):
    """A step failed by design ("the service answered HTTP 404"): its message, which must
    not hold secrets, is what the user sees. Any other exception from a node is treated as
    a bug: logged, and shown to the user as an unexpected failure. Node plugins import it
    from `agentgate.workflow.nodes`."""


class LLMUnavailable(AgentgateError):
    """The internal LLM gave no usable answer in time; `reason` is safe to show users."""

    def __init__(self, reason: str, usage: Usage | None = None):
        super().__init__(reason)
        self.reason = reason
        self.usage = usage or Usage()
