"""A local SMTP server (aiosmtpd) that accepts everything: for the send benchmark and the
end-to-end tests. It keeps, per message, the recipients and the Message-ID (and the whole
message when asked), and can answer chosen recipients with scripted SMTP errors.
"""

import asyncio
import logging
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Received:
    recipients: tuple[str, ...]
    message_id: str
    content: bytes  # empty unless the sink keeps contents


@dataclass
class SinkHandler:
    keep_content: bool = True
    # recipient → SMTP answers to give to its next RCPT commands, e.g. ["451 4.3.0 busy"]
    rcpt_answers: dict[str, list[str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    # Seconds each accepted message takes: slows a run down so a test can act in the middle.
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        answers = self.rcpt_answers.get(address)
        if answers:
            return answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        content: bytes = envelope.original_content or envelope.content
        header_end = content.find(b"\r\n\r\n")
        found = MESSAGE_ID.search(content[: header_end if header_end > 0 else None])
        item = Received(
            recipients=tuple(envelope.rcpt_tos),
            message_id=found.group(1).decode() if found else "",
            content=content if self.keep_content else b"",
        )
        with self.lock:
            self.received.append(item)
        return "250 OK"

    @property
    def count(self) -> int:
        return len(self.received)


@contextmanager
def smtp_sink(*, keep_content: bool = True) -> Iterator[tuple[SinkHandler, int]]:
    """An SMTP server on 127.0.0.1 in a thread of this process: (handler, port)."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # every SMTP command at INFO
    handler = SinkHandler(keep_content=keep_content)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
