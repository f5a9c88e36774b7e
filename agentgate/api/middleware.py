"""The one place where failures become OpenAI error envelopes, and where API keys are checked."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from agentgate.appkeys import API_KEY, SETTINGS
from agentgate.errors import (ApiError, AuthenticationFailed, InvalidRequest, MethodNotAllowed,
                              PayloadTooLarge, RouteNotFound, ServerError)

log = logging.getLogger(__name__)
_OPEN_PATHS = ("/", "/health")


def error_response(error: ApiError) -> web.Response:
    # Our 5xx come from faults that asking again will not heal: stop SDKs retrying them
    # (and re-running a workflow's side effects). A full server says when to come back.
    headers = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    elif error.status >= 500:
        headers["x-should-retry"] = "false"
    return web.json_response(error.envelope(), status=error.status, headers=headers or None)


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error)
    except web.HTTPException as exc:
        return error_response(_from_http(exc, request))
    except ConnectionResetError:
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(ServerError("The server hit an unexpected error. It was logged; "
                                          "please retry."))


def _from_http(exc: web.HTTPException, request: web.Request) -> ApiError:
    if exc.status == 404:
        return RouteNotFound(f"No route for {request.method} {request.path}. The API lives "
                             "under /v1 (for example GET /v1/models).")
    if exc.status == 405:
        return MethodNotAllowed(f"{request.method} is not allowed on {request.path}.")
    if exc.status == 413:
        return PayloadTooLarge(f"The request body is larger than the server accepts "
                               f"({request.app[SETTINGS].max_body_bytes} bytes).")
    if exc.status < 500:
        error = InvalidRequest(exc.reason or "Bad request.")
        error.status = exc.status
        return error
    return ServerError(exc.reason or "Server error.")


_CORS_HEADERS = {"Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
                 "Access-Control-Max-Age": "600"}


def _allowed_origin(request: web.Request) -> str | None:
    origin = request.headers.get("Origin")
    allowed = request.app[SETTINGS].cors_origins
    if not origin or not allowed:
        return None
    return origin if "*" in allowed or origin in allowed else None


@web.middleware
async def cors_preflight(request: web.Request, handler) -> web.StreamResponse:
    """Answers browsers' CORS preflight requests for allowed origins."""
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        if _allowed_origin(request) is None:
            raise web.HTTPForbidden(reason="This origin may not call the API "
                                    "(see AGENTGATE_CORS_ORIGINS).")
        asked = request.headers.get("Access-Control-Request-Headers",
                                    "Authorization, Content-Type")
        return web.Response(status=204, headers={**_CORS_HEADERS,
                                                 "Access-Control-Allow-Headers": asked})
    return await handler(request)


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: also streamed responses get their CORS headers in time."""
    if not request.app[SETTINGS].cors_origins:
        return
    response.headers["Vary"] = "Origin"  # the answer depends on the origin: caches must know
    origin = _allowed_origin(request)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin


@web.middleware
async def authenticate(request: web.Request, handler) -> web.StreamResponse:
    keys = request.app[SETTINGS].api_keys
    if request.path in _OPEN_PATHS or request.method == "OPTIONS":
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    token = token or request.headers.get("x-api-key", "").strip()
    if keys:
        if not token:
            raise AuthenticationFailed("Missing API key: send it as "
                                       "`Authorization: Bearer <key>` or `x-api-key: <key>`.")
        if not any(hmac.compare_digest(token.encode(), key.encode()) for key in keys):
            raise AuthenticationFailed("Incorrect API key provided.")
        request[API_KEY] = token
    return await handler(request)
