"""An e-mail backend whose failures a test scripts, message by message."""

from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend


class ScriptedBackend(EmailBackend):
    """Like locmem (messages land in mail.outbox), but raises what `failures` holds first:
    one entry per message handed over, None for "accept this one"."""

    failures: ClassVar[list[BaseException | None]] = []
    open_failure: ClassVar[BaseException | None] = None
    connections: ClassVar[int] = 0

    def open(self) -> bool:
        if ScriptedBackend.open_failure is not None:
            raise ScriptedBackend.open_failure
        ScriptedBackend.connections += 1
        return True

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for _message in messages:
            if ScriptedBackend.failures:
                failure = ScriptedBackend.failures.pop(0)
                if failure is not None:
                    raise failure
        return int(super().send_messages(messages))

    @classmethod
    def reset(cls, *failures: BaseException | None, open_failure: Any = None) -> None:
        cls.failures = list(failures)
        cls.open_failure = open_failure
        cls.connections = 0
