"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, with a handler that can be told to
answer 4xx or 5xx, to be slow, or to go down and come back on the same port."""

import asyncio
import contextlib
import email
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SinkHandler:
    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[email.message.Message] = []
        self.peers: set = set()  # one (host, port) per SMTP session that delivered a message
        self.answers: list[str] = []  # queued error replies, used before accepting again
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
            self.received.append(email.message_from_bytes(envelope.original_content))
            self.peers.add(session.peer)
        return "250 OK"


class SmtpSink:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = SinkHandler()
        self.controller = None

    def start(self) -> "SmtpSink":
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def answer(self, reply: str, times: int = 1) -> None:
        """Refuse the next `times` messages with `reply`, e.g. "451 4.7.1 Try later"."""
        with self.handler.lock:
            self.handler.answers += [reply] * times

    def slow_down(self, seconds: float) -> None:
        self.handler.delay = seconds

    @property
    def messages(self) -> list[email.message.Message]:
        with self.handler.lock:
            return list(self.handler.received)

    def peers(self) -> set:
        with self.handler.lock:
            return set(self.handler.peers)

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.messages]

    def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the sink got {len(self.messages)} of {count} messages")
            time.sleep(0.02)


@contextlib.contextmanager
def running_sink(settings=None):
    """Start a sink; with pytest-django's `settings`, point Django's SMTP backend at it."""
    sink = SmtpSink().start()
    if settings is not None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
    try:
        yield sink
    finally:
        sink.stop()
