"""SIGTERM during a slow request: it completes, new connections are refused, exit is clean."""

import asyncio
import json
import signal
import socket

import httpx

from tests.support.builders import make_key
from tests.support.servers import start_api


def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


async def test_sigterm_lets_the_slow_request_finish(db, database_url, tmp_path):
    token = await make_key(db, "operator", "roads")
    api, base = start_api(database_url, tmp_path)
    body = json.dumps({"text": "Медленный клиент: яма у дома 7", "category": "roads"}).encode()
    slow = _connect(base)
    head = (
        f"POST /api/v1/tickets HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        slow.sendall(head + body[:10])  # the request is in flight, its body half sent
        await asyncio.sleep(0.5)
        api.signal(signal.SIGTERM)
        await asyncio.sleep(1.0)
        refused = False
        try:
            async with httpx.AsyncClient(timeout=2) as c:
                await c.get(base + "/healthz")
        except httpx.TransportError:
            refused = True
        assert refused, "a new connection was accepted during shutdown"
        slow.sendall(body[10:])
        response = b""
        while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
            chunk = slow.recv(65536)
            if not chunk:
                break
            response += chunk
        status_line = response.split(b"\r\n", 1)[0]
        assert b" 201 " in status_line, response[:500]
        # uvicorn finishes in-flight work, then re-raises SIGTERM so the exit status says why.
        assert api.proc.wait(timeout=20) in (0, -signal.SIGTERM), api.log()
        assert "Traceback" not in api.log() and '"level": "ERROR"' not in api.log()
    finally:
        slow.close()
        api.stop()
