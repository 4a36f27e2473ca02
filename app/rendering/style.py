"""The look of a QR code: a frozen value that validates from JSON and round-trips to it.

`to_dict()` is what gets stored and hashed into the image cache key, so it is canonical:
every field present, colours upper-case, gradient stops sorted.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.errors import InvalidInput, Problem
from app.rendering import colors
from app.rendering.fields import json_type
from app.security.urls import url_problem

INVALID_STYLE = "INVALID_STYLE"

MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 64, 4096, 512
MAX_MARGIN = 20
ERROR_LEVELS = ("L", "M", "Q", "H")
GRADIENT_TYPES = ("LINEAR", "RADIAL")
MODULE_SHAPES = ("SQUARE", "ROUNDED", "DOTS", "CLASSY")
FINDER_SHAPES = ("SQUARE", "ROUNDED", "DOT")
SHAPES = ("SQUARE", "CIRCLE")  # the outline the modules fill
FRAME_STYLES = ("BOX", "ROUNDED", "BANNER_TOP", "BUBBLE")
MAX_FRAME_TEXT = 30  # characters: a call to action, read at a glance
DEFAULT_FRAME_TEXT = "SCAN ME"
DEFAULT_LOGO_MARGIN = 0.5  # modules of clear space between a logo and the nearest module
MAX_LOGO_MARGIN = 4.0
MAX_LOGO_FRACTION = 0.3  # of the code's width; beyond this no error correction level copes
DEFAULT_LOGO_FRACTION = 0.2


@dataclass(frozen=True)
class GradientStop:
    offset: float
    color: str


@dataclass(frozen=True)
class Gradient:
    type: str
    rotation: float
    stops: tuple[GradientStop, ...]


@dataclass(frozen=True)
class Logo:
    """`size` is a fraction of the code's width, quiet zone excluded."""

    data: str | None = None
    url: str | None = None
    size: float = DEFAULT_LOGO_FRACTION
    hide_background_modules: bool = True
    margin: float = DEFAULT_LOGO_MARGIN  # clear space around the logo, in modules
    remove_background: bool = False  # make the logo's own flat background transparent


@dataclass(frozen=True)
class Frame:
    """A border around the code with a call to action in a band."""

    style: str = "BOX"
    text: str = DEFAULT_FRAME_TEXT
    text_color: str = "#FFFFFF"
    color: str = "#000000"


@dataclass(frozen=True)
class Style:
    size: int = DEFAULT_SIZE
    margin: int = 4
    error_correction: str = "M"
    foreground: str = "#000000"
    background: str = "#FFFFFF"
    gradient: Gradient | None = None
    module_shape: str = "SQUARE"
    finder_shape: str = "SQUARE"
    finder_color: str | None = None
    logo: Logo | None = field(default=None)
    shape: str = "SQUARE"
    inner_finder_shape: str | None = None  # the finders' 3x3 centre; None: as finder_shape
    inner_finder_color: str | None = None  # None: as finder_color
    background_gradient: Gradient | None = None
    frame: Frame | None = None

    @property
    def is_plain(self) -> bool:
        """Square modules and eyes in flat colours: eligible for the fast raster path."""
        return (
            self.module_shape == "SQUARE"
            and self.finder_shape == "SQUARE"
            and self.inner_finder_shape in (None, "SQUARE")
            and self.gradient is None
            and self.logo is None
            and self.finder_color in (None, self.foreground)
            and self.inner_finder_color in (None, self.finder_color or self.foreground)
            and self.shape == "SQUARE"
            and self.background_gradient is None
            and self.frame is None
        )

    @property
    def pupil_shape(self) -> str:
        return self.inner_finder_shape or self.finder_shape

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Style:
        """Untrusted input: every field checked, a logo's image read."""
        return _Reader(("style",)).style(d)

    @classmethod
    def from_stored(cls, d: Mapping[str, Any] | None) -> Style:
        """A style this code stored (`to_dict()` of a checked style): rebuilt as it is, its
        logo not decoded again, so serving a stored code costs no image work."""
        if d is None:
            return Style()
        return _Reader(("style",), trusted=True).style(d)

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "margin": self.margin,
            "error_correction": self.error_correction,
            "foreground": self.foreground,
            "background": self.background,
            "gradient": _gradient_dict(self.gradient),
            "module_shape": self.module_shape,
            "finder_shape": self.finder_shape,
            "finder_color": self.finder_color,
            "logo": None
            if self.logo is None
            else {
                "data": self.logo.data,
                "url": self.logo.url,
                "size": self.logo.size,
                "hide_background_modules": self.logo.hide_background_modules,
                "margin": self.logo.margin,
                "remove_background": self.logo.remove_background,
            },
            "shape": self.shape,
            "inner_finder_shape": self.inner_finder_shape,
            "inner_finder_color": self.inner_finder_color,
            "background_gradient": _gradient_dict(self.background_gradient),
            "frame": None
            if self.frame is None
            else {
                "style": self.frame.style,
                "text": self.frame.text,
                "text_color": self.frame.text_color,
                "color": self.frame.color,
            },
        }


def _gradient_dict(gradient: Gradient | None) -> dict[str, Any] | None:
    if gradient is None:
        return None
    return {
        "type": gradient.type,
        "rotation": gradient.rotation,
        "stops": [{"offset": s.offset, "color": s.color} for s in gradient.stops],
    }


STYLE_KEYS = tuple(Style().to_dict())
GRADIENT_KEYS = ("type", "rotation", "stops")
LOGO_KEYS = ("data", "url", "size", "hide_background_modules", "margin", "remove_background")
FRAME_KEYS = ("style", "text", "text_color", "color")


def _raw_base64_uri(data: str) -> str | None:
    """Raw base64 of an image as the data: URI it is stored as, its type read from its
    bytes; None when it is not base64 of an image we read."""
    from app.rendering.logo import MAX_LOGO_BYTES, MIME, sniff

    if len(data) > MAX_LOGO_BYTES * 4 // 3 + 8:
        return None
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    kind = sniff(raw)
    if kind is None:
        return None
    return f"data:{MIME[kind]};base64,{base64.b64encode(raw).decode()}"


def api_name(name: str) -> str:
    """A field as the API spells it (errorCorrection, not error_correction): messages speak
    to the person who wrote the request."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class _Reader:
    """Collects every problem of a style dict, each under its field path."""

    def __init__(self, root: tuple[str, ...], *, trusted: bool = False):
        self.root = root
        self.trusted = trusted  # a stored style: its logo image was checked when stored
        self.problems: list[Problem] = []

    def add(self, path: tuple[str, ...], message: str) -> None:
        self.problems.append(Problem(INVALID_STYLE, message, (*self.root, *path)))

    def obj(self, value: Any, path: tuple[str, ...], keys: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.add(path, f"must be an object, not {json_type(value)}")
            return {}
        for key in value:
            if key not in keys:
                expected = ", ".join(api_name(k) for k in keys)
                self.add((*path, str(key)), f"unknown field {key!r}; expected one of {expected}")
        return value

    def number(
        self, d: Mapping[str, Any], key: str, path: tuple[str, ...], lo: float, hi: float,
        default: float, *, integer: bool = False, open_low: bool = False,
    ) -> float:  # fmt: skip
        value = d.get(key)
        if value is None:
            return default
        name = api_name(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add((*path, key), f"{name} must be a number, not {json_type(value)}")
            return default
        if not math.isfinite(value) or (integer and value != int(value)):
            self.add((*path, key), f"{name} must be a{'n integer' if integer else ' number'}")
            return default
        if value < lo or value > hi or (open_low and value == lo):
            bounds = f"{'more than' if open_low else 'from'} {lo:g} {'up ' if open_low else ''}"
            self.add((*path, key), f"{name} must be {bounds}to {hi:g}")
            return default
        return int(value) if integer else float(value)

    def choice(
        self, d: Mapping[str, Any], key: str, path: tuple[str, ...], options: tuple[str, ...],
        default: str,
    ) -> str:  # fmt: skip
        value = d.get(key)
        if value is None:
            return default
        if isinstance(value, str) and value.upper() in options:
            return value.upper()
        self.add((*path, key), f"{api_name(key)} must be one of {', '.join(options)}")
        return default

    def color(self, d: Mapping[str, Any], key: str, path: tuple[str, ...]) -> str | None:
        value = d.get(key)
        if value is None:
            return None
        normal = colors.normalize(value) if isinstance(value, str) else None
        if normal is None:
            self.add(
                (*path, key), f"{api_name(key)} must be a hex colour like #1A2B3C or #1A2B3C80"
            )
        return normal

    def boolean(self, d: Mapping[str, Any], key: str, path: tuple[str, ...], default: bool) -> bool:
        value = d.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add((*path, key), f"{api_name(key)} must be true or false, not {json_type(value)}")
            return default
        return value

    def style(self, d: Mapping[str, Any] | None) -> Style:
        if d is None:
            return Style()
        d = self.obj(d, (), STYLE_KEYS)
        base = Style()
        style = Style(
            size=int(self.number(d, "size", (), MIN_SIZE, MAX_SIZE, base.size, integer=True)),
            margin=int(self.number(d, "margin", (), 0, MAX_MARGIN, base.margin, integer=True)),
            error_correction=self.choice(d, "error_correction", (), ERROR_LEVELS, "M"),
            foreground=self.color(d, "foreground", ()) or base.foreground,
            background=self.color(d, "background", ()) or base.background,
            gradient=self.gradient(d.get("gradient")),
            module_shape=self.choice(d, "module_shape", (), MODULE_SHAPES, "SQUARE"),
            finder_shape=self.choice(d, "finder_shape", (), FINDER_SHAPES, "SQUARE"),
            finder_color=self.color(d, "finder_color", ()),
            logo=self.logo(d.get("logo")),
            shape=self.choice(d, "shape", (), SHAPES, "SQUARE"),
            inner_finder_shape=self.choice(d, "inner_finder_shape", (), FINDER_SHAPES, "") or None,
            inner_finder_color=self.color(d, "inner_finder_color", ()),
            background_gradient=self.gradient(d.get("background_gradient"), "background_gradient"),
            frame=self.frame(d.get("frame")),
        )
        if self.problems:
            raise InvalidInput(self.problems)
        return style

    def gradient(self, value: Any, name: str = "gradient") -> Gradient | None:
        if value is None:
            return None
        path = (name,)
        d = self.obj(value, path, GRADIENT_KEYS)
        kind = self.choice(d, "type", path, GRADIENT_TYPES, "LINEAR")
        rotation = self.number(d, "rotation", path, -360, 360, 0.0) % 360
        raw = d.get("stops")
        if not isinstance(raw, list) or not 2 <= len(raw) <= 10:
            self.add((*path, "stops"), "stops must be a list of 2 to 10 {offset, color}")
            return None
        stops = []
        for i, item in enumerate(raw):
            spath = (*path, "stops", str(i))
            s = self.obj(item, spath, ("offset", "color"))
            if s.get("color") is None and isinstance(item, Mapping):
                self.add((*spath, "color"), "color is required")
            offset = self.number(s, "offset", spath, 0, 1, i / (len(raw) - 1))
            stops.append(GradientStop(offset, self.color(s, "color", spath) or "#000000"))
        stops.sort(key=lambda s: s.offset)
        return Gradient(kind, rotation, tuple(stops))

    def logo_data(self, uri: str, path: tuple[str, ...]) -> str | None:
        """The cheap checks only (size, kind): decoding the image is for the render processes,
        never for the request reading a style (see `check_logo` in the services that store
        one)."""
        from app.rendering.logo import parse_data_uri, sniff_logo

        if self.trusted:
            return uri

        try:
            sniff_logo(parse_data_uri(uri))
        except InvalidInput as exc:
            for problem in exc.problems:
                self.problems.append(Problem(problem.code, problem.message, (*self.root, *path)))
            return None
        return uri

    def logo(self, value: Any) -> Logo | None:
        if value is None:
            return None
        path = ("logo",)
        d = self.obj(value, path, LOGO_KEYS)
        data, url = d.get("data"), d.get("url")
        if (data is None) == (url is None):
            self.add(path, "logo needs exactly one of data (a data: URI) or url (https)")
        if isinstance(data, str) and not data.startswith("data:"):
            data = _raw_base64_uri(data) or 0  # 0: not an image, refused just below
        if data is not None and (
            not isinstance(data, str) or not data.startswith("data:") or "," not in data
        ):
            self.add((*path, "data"), "data must be a data: URI (data:image/png;base64,...) "
                     "or the image's bytes in base64")  # fmt: skip
            data = None
        elif data is not None:
            data = self.logo_data(data, (*path, "data"))
        if url is not None:
            problem = "url must be a string." if not isinstance(url, str) else url_problem(url)
            if problem is None and not url.lower().startswith("https://"):
                problem = "A logo URL must be https://."
            if problem:
                self.add((*path, "url"), problem)
                url = None
        size = self.number(d, "size", path, 0, MAX_LOGO_FRACTION, DEFAULT_LOGO_FRACTION,
                           open_low=True)  # fmt: skip
        hide = self.boolean(d, "hide_background_modules", path, True)
        margin = self.number(d, "margin", path, 0, MAX_LOGO_MARGIN, DEFAULT_LOGO_MARGIN)
        remove = self.boolean(d, "remove_background", path, False)
        return Logo(data=data, url=url, size=size, hide_background_modules=hide, margin=margin,
                    remove_background=remove)  # fmt: skip

    def frame(self, value: Any) -> Frame | None:
        if value is None:
            return None
        path = ("frame",)
        d = self.obj(value, path, FRAME_KEYS)
        style = self.choice(d, "style", path, FRAME_STYLES, "BOX")
        text = d.get("text", DEFAULT_FRAME_TEXT)
        if text is None:
            text = DEFAULT_FRAME_TEXT
        if not isinstance(text, str):
            self.add((*path, "text"), f"text must be a string, not {json_type(text)}")
            text = DEFAULT_FRAME_TEXT
        elif len(text) > MAX_FRAME_TEXT:
            self.add((*path, "text"), f"text is {len(text)} characters, at most {MAX_FRAME_TEXT}")
        elif re.search(r"[\x00-\x1f\x7f]", text):
            self.add((*path, "text"), "text contains control characters or line breaks")
        elif not self.trusted:
            from app.rendering.text import missing_characters

            if missing := missing_characters(text):
                self.add((*path, "text"), f"the frame font has no {' '.join(missing)}; use "
                         "Latin, Greek or Cyrillic letters")  # fmt: skip
        base = Frame()
        return Frame(
            style=style,
            text=text.strip(),
            text_color=self.color(d, "text_color", path) or base.text_color,
            color=self.color(d, "color", path) or base.color,
        )
