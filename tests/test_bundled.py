"""Every bundled workflow runs: the http one against a local stand-in for its services, the
llm one against FakeLLM."""

from __future__ import annotations

import pytest
from aiohttp import web

from agentgate.testing import FakeLLM, Text, Values
from conftest import Chat

PLACES = {"lisbon": {"name": "Lisbon", "latitude": 38.72, "longitude": -9.13,
                     "country": "Portugal", "admin1": "Lisbon"}}


@pytest.fixture
async def open_meteo(aiohttp_server, monkeypatch):
    """Answers like the three Open-Meteo services the city-weather workflow calls."""
    calls: list[tuple[str, dict]] = []

    async def search(request: web.Request) -> web.Response:
        calls.append((request.path, dict(request.query)))
        place = PLACES.get(request.query["name"].lower())
        return web.json_response({"results": [place]} if place else {"generationtime_ms": 0.2})

    async def forecast(request: web.Request) -> web.Response:
        calls.append((request.path, dict(request.query)))
        days = int(request.query["forecast_days"])
        unit = "°F" if request.query["temperature_unit"] == "fahrenheit" else "°C"
        return web.json_response({
            "daily_units": {"time": "iso8601", "temperature_2m_max": unit},
            "daily": {"time": [f"2026-11-{22 + i}" for i in range(days)],
                      "temperature_2m_max": [18.5 + i for i in range(days)],
                      "temperature_2m_min": [11.0 + i for i in range(days)],
                      "precipitation_sum": [0.4 * i for i in range(days)]}})

    async def air(request: web.Request) -> web.Response:
        calls.append((request.path, dict(request.query)))
        return web.json_response({"current": {"time": "2026-11-22T10:00", "european_aqi": 27,
                                              "pm2_5": 6.3}})

    app = web.Application()
    app.router.add_get("/v1/search", search)
    app.router.add_get("/v1/forecast", forecast)
    app.router.add_get("/v1/air-quality", air)
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    for name in ("WEATHER_GEOCODING_URL", "WEATHER_FORECAST_URL", "WEATHER_AIR_QUALITY_URL"):
        monkeypatch.setenv(name, base)
    return calls


async def test_city_weather_fetches_in_parallel_and_reports(open_meteo, client):
    chat = Chat(client, "city-weather")
    assert "Which city?" in await chat.say("hello")
    reply = await chat.say("Lisbon")
    assert "**Lisbon**, Lisbon, Portugal" in reply
    assert "| 2026-11-24 | 13.0 °C | 20.5 °C | 0.8 mm |" in reply
    assert "European AQI **27** (fair)" in reply
    assert "✓ Fetching the forecast" in reply and "— 3 days" in reply
    thinking = reply[reply.index("<thinking>"):reply.index("</thinking>")]
    assert thinking.index("▸ Fetching the air quality") < thinking.index("✓ Fetching the forecast")
    assert "Saying the city was not found (skipped)" in thinking
    assert [path for path, _ in open_meteo][0] == "/v1/search"
    reply = await chat.say("units: fahrenheit, days: 2")
    assert "°F" in reply and "2026-11-24" not in reply


async def test_city_weather_unknown_city(open_meteo, client):
    reply = await Chat(client, "city-weather").say("city: Atlantis")
    assert "couldn't find a place called “Atlantis”" in reply
    assert "Fetching the forecast (skipped)" in reply
    assert [path for path, _ in open_meteo] == ["/v1/search"]


async def test_trip_planner_drafts_with_the_llm(make_client, settings):
    extraction = Values({"values": {"destination": "Kyoto", "days": 3, "budget": 1500,
                                    "style": "budget"}, "reply": None, "action": "none"})
    async with FakeLLM([extraction, Text("## Day 1\nTemples.", prompt_tokens=300,
                                         completion_tokens=90)]) as fake:
        client = await make_client(settings.replace(llm_base_url=fake.url, llm_model="m1"))
        response = await client.post("/v1/chat/completions", json={
            "model": "trip-planner", "messages": [
                {"role": "user", "content": "3 days in Kyoto on a shoestring, $1500"}]})
        body = await response.json()
    content = body["choices"][0]["message"]["content"]
    assert "## Day 1\nTemples." in content and "▸ Drafting the itinerary" in content
    assert fake.requests[1].body["model"] == "m1"
    assert "about $500 a day" in fake.requests[1].messages[-1]["content"]
    assert body["usage"]["completion_tokens"] >= 90 + 5
