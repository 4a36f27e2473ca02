"""Reading untrusted JSON `data` field by field, collecting every problem instead of the first."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from app.errors import InvalidInput, Problem
from app.security.urls import url_problem

# Problem codes shared by the payload builders; clients match on these.
REQUIRED = "REQUIRED"
TOO_LONG = "TOO_LONG"
INVALID_DATA = "INVALID_DATA"  # wrong JSON type, unknown key, malformed value
INVALID_URL = "INVALID_URL"
INVALID_EMAIL = "INVALID_EMAIL"
INVALID_PHONE = "INVALID_PHONE"
OUT_OF_RANGE = "OUT_OF_RANGE"
UNKNOWN_FIELD = "UNKNOWN_FIELD"

MAX_URL = 2048  # what browsers and the big shorteners accept
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# Digits with the usual visual separators; E.164 allows at most 15 digits.
PHONE_RE = re.compile(r"^\+?[0-9 ().\-/]{3,32}$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


class Fields:
    """One `data` object: typed getters that record problems and return None on failure."""

    def __init__(self, data: Any, allowed: tuple[str, ...], root: tuple[str, ...] = ("data",)):
        self.root = root
        self.problems: list[Problem] = []
        self.data: Mapping[str, Any] = {}
        self.is_object = isinstance(data, Mapping)
        if not self.is_object:
            self.add(INVALID_DATA, f"must be an object, not {json_type(data)}")
            return
        self.data = data
        for key in data:
            if not isinstance(key, str) or key not in allowed:
                self.add(
                    UNKNOWN_FIELD,
                    f"unknown field {key!r}; expected one of {', '.join(allowed)}",
                    str(key),
                )

    def add(self, code: str, message: str, *path: str) -> None:
        if not self.is_object and self.problems:
            return  # a non-object is one problem, not one per missing field
        self.problems.append(Problem(code, message, (*self.root, *path)))

    def problem_fields(self) -> set[str]:
        """Fields that already have a problem, so a follow-up check does not pile on."""
        return {p.field[len(self.root)] for p in self.problems if len(p.field) > len(self.root)}

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidInput(list(self.problems))

    def _present(self, name: str) -> Any:
        value = self.data.get(name)
        return None if value is None else value

    def string(
        self, name: str, *, required: bool = False, max_len: int = 255, multiline: bool = True
    ) -> str | None:
        value = self._present(name)
        if value is None or value == "":
            if required:
                self.add(REQUIRED, f"{name} is required", name)
            return None
        if not isinstance(value, str):
            self.add(INVALID_DATA, f"{name} must be a string, not {json_type(value)}", name)
            return None
        if len(value) > max_len:
            self.add(TOO_LONG, f"{name} is {len(value)} characters, at most {max_len}", name)
            return None
        if CONTROL_RE.search(value) or (not multiline and ("\n" in value or "\r" in value)):
            self.add(INVALID_DATA, f"{name} contains control characters", name)
            return None
        if not value.strip():
            if required:
                self.add(REQUIRED, f"{name} is required", name)
            return None
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._present(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(INVALID_DATA, f"{name} must be true or false, not {json_type(value)}", name)
            return default
        return value

    def number(self, name: str, *, required: bool = False) -> float | None:
        value = self._present(name)
        if value is None:
            if required:
                self.add(REQUIRED, f"{name} is required", name)
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(INVALID_DATA, f"{name} must be a number, not {json_type(value)}", name)
            return None
        if not math.isfinite(value):
            self.add(INVALID_DATA, f"{name} must be a finite number", name)
            return None
        return float(value)

    def decimal(self, name: str) -> Decimal | None:
        """A number or a decimal string ("0.001"), exactly: amounts must not go through float."""
        value = self._present(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.add(INVALID_DATA, f"{name} must be a number, not {json_type(value)}", name)
            return None
        try:
            # str() of a float is its shortest repr, so 0.1 stays 0.1.
            amount = Decimal(str(value).strip()) if len(str(value)) <= 40 else Decimal("nan")
        except InvalidOperation:
            amount = Decimal("nan")
        if not amount.is_finite():
            self.add(INVALID_DATA, f"{name} must be a decimal number", name)
            return None
        return amount

    def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
        value = self._present(name)
        if value is None or value == "":
            return default
        if isinstance(value, str):
            for option in options:
                if value.lower() == option.lower():
                    return option
        self.add(INVALID_DATA, f"{name} must be one of {', '.join(options)}", name)
        return default

    def url(self, name: str, *, required: bool = False) -> str | None:
        value = self.string(name, required=required, max_len=MAX_URL, multiline=False)
        if value is not None and (problem := url_problem(value)):
            self.add(INVALID_URL, f"{name}: {problem}", name)
            return None
        return value

    def email(self, name: str, *, required: bool = False) -> str | None:
        value = self.string(name, required=required, max_len=254, multiline=False)
        if value is not None and not EMAIL_RE.match(value):
            self.add(INVALID_EMAIL, f"{name} is not an email address like name@example.com", name)
            return None
        return value

    def phone(self, name: str, *, required: bool = False) -> str | None:
        """The number as a dialer wants it: an optional + and digits only."""
        value = self.string(name, required=required, max_len=32, multiline=False)
        if value is None:
            return None
        digits = re.sub(r"\D", "", value)
        if not PHONE_RE.match(value) or not 3 <= len(digits) <= 15 or "+" in value[1:]:
            self.add(
                INVALID_PHONE,
                f"{name} is not a phone number (digits, optional leading +, 3 to 15 digits)",
                name,
            )
            return None
        return ("+" if value.startswith("+") else "") + digits
