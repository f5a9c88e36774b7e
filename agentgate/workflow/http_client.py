"""One pool of HTTP connections for every `http` step the server runs.

A session per step would open a new connection pool (and its memory) for each request; a
shared one keeps connections alive between runs. It keeps no cookies, so nothing one run
receives reaches another run's request. The pool itself is not capped: the number of
turns at once is (AGENTGATE_MAX_TURNS), and each step keeps its own time and size limits.
"""

from __future__ import annotations

import aiohttp


class HttpClient:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The shared session, opened on first use (inside the running event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
