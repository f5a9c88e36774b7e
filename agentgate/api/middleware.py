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
    return web.json_response(error.envelope(), status=error.status)


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


@web.middleware
async def authenticate(request: web.Request, handler) -> web.StreamResponse:
    keys = request.app[SETTINGS].api_keys
    if request.path in _OPEN_PATHS or request.method == "OPTIONS":
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    if keys:
        if not token:
            raise AuthenticationFailed("Missing API key: send it as "
                                       "`Authorization: Bearer <key>`.")
        if not any(hmac.compare_digest(token.encode(), key.encode()) for key in keys):
            raise AuthenticationFailed("Incorrect API key provided.")
        request[API_KEY] = token
    return await handler(request)
