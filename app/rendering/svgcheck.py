"""SVG logos read as plain XML before cairosvg ever sees them.

cairosvg draws whatever it is given, so its cost is the attacker's choice: nested `<use>`
elements multiply (ten `<use>` of ten `<use>` of ... is 10^n elements from a kilobyte),
an embedded `data:` PNG skips the pixel cap raster logos get, and an `href` or CSS `@import`
names something outside the file. This module parses the bytes with expat (streaming, no
DTD, no entities), counts the elements as they would be drawn with every `<use>` expanded,
checks every embedded raster's header against the same pixel cap, and refuses external
references. What passes draws in bounded time and memory.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Callable
from dataclasses import dataclass, field

# cairosvg draws about 2,500 elements a second, so this bounds a draw near a second; a
# detailed logo from a design tool has a few hundred.
MAX_DRAWN = 2_000  # with every <use> expanded: what cairosvg actually walks
MAX_ELEMENTS = 5_000  # in the file, <defs> included: parsing stops past it
MAX_DEPTH = 100  # cairosvg walks the tree recursively; deeper than this is not a logo
MAX_IMAGES = 16  # embedded rasters, counted as drawn
LOCAL_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px|pt|mm|cm|in|pc)?\s*$")


class SvgRefused(ValueError):
    """Why an SVG logo cannot be drawn safely (a person's sentence)."""


@dataclass
class _Node:
    tag: str
    href: str | None = None
    children: list[int] = field(default_factory=list)
    pixels: int = 0  # of an embedded raster


def _local(name: str) -> str:
    return name.rpartition(" ")[2]  # expat spells namespaced names "uri local"


def check_svg(data: bytes, raster_pixels: Callable[[bytes], int]) -> tuple[float, float]:
    """Refuse an SVG that is not safe to draw (`SvgRefused`); return its aspect (w, h).

    `raster_pixels(data_uri_payload)` checks an embedded image like a raster logo (raising
    `SvgRefused` when it is too big or not an image) and returns its pixel count.
    """
    nodes: list[_Node] = []
    ids: dict[str, int] = {}
    stack: list[int] = []
    root_attrs: dict[str, str] = {}
    style_text: list[str] = []
    in_style = [False]

    def refuse(message: str) -> None:
        raise SvgRefused(message)

    def check_css(text: str) -> None:
        if "@import" in text.lower():
            refuse("the SVG logo imports a style sheet")
        for target in LOCAL_URL.findall(text):
            if not target.startswith("#"):
                refuse("the SVG logo refers to something outside itself")

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(nodes) >= MAX_ELEMENTS:
            refuse(f"the SVG logo has more than {MAX_ELEMENTS:,} elements")
        if len(stack) >= MAX_DEPTH:
            refuse(f"the SVG logo nests elements more than {MAX_DEPTH} deep")
        node = _Node(_local(name))
        index = len(nodes)
        if not nodes:
            if node.tag != "svg":
                refuse("the SVG logo's root element is not <svg>")
            root_attrs.update({_local(k): v for k, v in attrs.items()})
        for key, value in attrs.items():
            local = _local(key)
            if local == "id":
                ids.setdefault(value.strip(), index)
            elif local == "href":
                node.href = value.strip()
            else:
                check_css(value)
        if node.href is not None and node.tag != "a":
            _check_href(node, raster_pixels)
        nodes.append(node)
        if stack:
            nodes[stack[-1]].children.append(index)
        stack.append(index)
        in_style[0] = node.tag == "style"

    def end(name: str) -> None:
        stack.pop()
        if in_style[0]:
            check_css("".join(style_text))  # expat hands text over in pieces
            style_text.clear()
        in_style[0] = False

    def text(chars: str) -> None:
        if in_style[0]:
            style_text.append(chars)

    def instruction(target: str, data: str) -> None:
        if target.lower() == "xml-stylesheet":
            refuse("the SVG logo imports a style sheet")

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: int) -> None:
        if internal:
            refuse("the SVG logo declares XML entities")

    def entity(*args: object) -> None:
        refuse("the SVG logo declares XML entities")

    def external(*args: object) -> int:
        raise SvgRefused("the SVG logo refers to a DTD")

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ProcessingInstructionHandler = instruction
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as error:
        raise SvgRefused(f"the SVG logo is not well-formed XML ({error})") from None
    if not nodes:
        refuse("the SVG logo is empty")
    _check_drawn(nodes, ids)
    return _aspect(root_attrs)


def _check_href(node: _Node, raster_pixels: Callable[[bytes], int]) -> None:
    href = node.href or ""
    if href.startswith("#"):
        if node.tag == "image":
            raise SvgRefused("an <image> in the SVG logo must embed a data: image")
        return
    if href.startswith("data:") and node.tag in ("image", "feImage"):
        node.pixels = raster_pixels(href.encode())
        return
    raise SvgRefused("the SVG logo refers to something outside itself")


def _check_drawn(nodes: list[_Node], ids: dict[str, int]) -> None:
    """Count elements and embedded images as drawn, every <use> expanded, without expanding
    anything: each node's totals once, from its children's and its target's (post-order)."""
    elements = [0] * len(nodes)
    images = [0] * len(nodes)
    state = [0] * len(nodes)  # 0 unseen, 1 on the stack, 2 counted
    todo = [0]
    while todo:
        index = todo[-1]
        node = nodes[index]
        # What is in <defs> is drawn only through the <use> elements that name it.
        deps = list(node.children) if node.tag != "defs" else []
        if node.tag == "use" and node.href:
            target = ids.get(node.href[1:])
            if target is not None:
                deps.append(target)
        if state[index] == 0:
            state[index] = 1
            for dep in deps:
                if state[dep] == 1:
                    raise SvgRefused("the SVG logo's <use> elements refer to themselves")
                if state[dep] == 0:
                    todo.append(dep)
            continue
        todo.pop()
        if state[index] == 2:
            continue
        # Capped just past the limit, so repeated multiplication keeps the numbers small.
        elements[index] = min(1 + sum(elements[d] for d in deps), MAX_DRAWN + 1)
        images[index] = min((node.tag in ("image", "feImage")) + sum(images[d] for d in deps),
                            MAX_IMAGES + 1)  # fmt: skip
        state[index] = 2
    if elements[0] > MAX_DRAWN:
        raise SvgRefused(f"the SVG logo draws more than {MAX_DRAWN:,} elements (<use> counted)")
    if images[0] > MAX_IMAGES:
        raise SvgRefused(f"the SVG logo draws more than {MAX_IMAGES} embedded images")


def _aspect(attrs: dict[str, str]) -> tuple[float, float]:
    width, height = _length(attrs.get("width")), _length(attrs.get("height"))
    if width and height:
        return width, height
    box = (attrs.get("viewBox") or "").replace(",", " ").split()
    try:
        w, h = float(box[2]), float(box[3])
    except (IndexError, ValueError):
        return 1.0, 1.0
    if w > 0 and h > 0 and w != float("inf") and h != float("inf"):
        return w, h
    return 1.0, 1.0


def _length(value: str | None) -> float | None:
    match = NUMBER.match(value or "")
    if match is None:
        return None
    number = float(match.group(1))
    return number if 0 < number < float("inf") else None
