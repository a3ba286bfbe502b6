#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A real SMTP server on loopback for the integration tests (aiosmtpd, from PyPI).

Usage: smtp_sink.py DIR

Listens on 127.0.0.1 on a free port and prints `listening PORT` once it accepts
connections. Every message received is stored in DIR as NNNN.eml (the raw message) and
NNNN.json (envelope, decoded subject, and the decoded text/plain and text/html parts),
each written to a temporary name first and then renamed, so a reader never sees half a
file. Exits when its standard input closes (the test that started it ended).
"""

import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    def _write(self, name, data):
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.folder, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in msg.walk():
            ctype = part.get_content_type()
            if ctype in ("text/plain", "text/html") and ctype not in parts:
                parts[ctype] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg.get("from", "")),
            "to": str(msg.get("to", "")),
            "subject": str(msg.get("subject", "")),
            "content_type": msg.get_content_type(),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }
        name = "%04d" % self.count
        self._write(name + ".eml", raw)
        self._write(name + ".json", json.dumps(record, ensure_ascii=False).encode("utf-8"))
        return "250 Message accepted for delivery"


async def main(folder):
    os.makedirs(folder, exist_ok=True)
    sink = Sink(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.localhost"), host="127.0.0.1", port=0
    )
    port = server.sockets[0].getsockname()[1]
    print("listening %d" % port, flush=True)
    # Runs until the parent closes our standard input (or dies).
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: smtp_sink.py DIR")
    asyncio.run(main(sys.argv[1]))
