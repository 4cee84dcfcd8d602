"""Input errors that name the field at fault, shared by services, the API and the web forms."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # dotted path, e.g. "questions.1.text.en"; "" for the whole input
    message: str


class InputError(Exception):
    """Raised by services when input is invalid; nothing has been written."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @classmethod
    def single(cls, field: str, message: str) -> "InputError":
        return cls([FieldError(field, message)])

    def by_field(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for error in self.errors:
            grouped.setdefault(error.field, []).append(error.message)
        return grouped
