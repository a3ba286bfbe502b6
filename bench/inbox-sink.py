# SPDX-License-Identifier: AGPL-3.0-or-later
"""Loopback fediverse inboxes for bench/fanout.sh: listens on PORTS ports of 127.0.0.1,
answers every POST with 202 (keep-alive HTTP/1.1), and counts them. `GET /count` on any port
answers {"count": N, "first": t, "last": t, "paths": distinct paths} (unix seconds).

    python3 bench/inbox-sink.py PORTS PORT_FILE

writes the ports it listens on, one a line, to PORT_FILE once all are listening.
"""

import asyncio
import json
import sys
import time

STATE = {"count": 0, "first": None, "last": None, "paths": set()}


async def handle(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            method, path, _ = line.decode("latin-1").split(" ", 2)
            length = 0
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            if method == "GET" and path.startswith("/count"):
                body = json.dumps(
                    {
                        "count": STATE["count"],
                        "first": STATE["first"],
                        "last": STATE["last"],
                        "paths": len(STATE["paths"]),
                    }
                ).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
            else:
                now = time.time()
                STATE["count"] += 1
                STATE["first"] = STATE["first"] or now
                STATE["last"] = now
                STATE["paths"].add(path)
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def main():
    ports, port_file = int(sys.argv[1]), sys.argv[2]
    servers = [await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024) for _ in range(ports)]
    with open(port_file, "w") as f:
        for s in servers:
            f.write(f"{s.sockets[0].getsockname()[1]}\n")
    await asyncio.gather(*(s.serve_forever() for s in servers))


asyncio.run(main())
