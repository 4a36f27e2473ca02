"""The QR code lifecycle: validate, create, update, delete, find, list.

A STATIC code encodes its data (`build_payload`). A DYNAMIC code (URL data only) creates and
owns a Link and encodes `{shortUrl}?qr=1`, fixed at creation: changing its destination
changes the link, never the printed pattern. A code's look is its own style, else its
design's, else the defaults; a link's design does not restyle its code (one source of look
per code keeps "which style is this?" answerable).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from app.domain.codes.logos import LogoCheck, LogoSource, check_logo_in_thread
from app.domain.codes.models import QrCode
from app.domain.designs.models import Design
from app.domain.designs.services import clean_style, name_problem, public_problems
from app.domain.links import services as links
from app.domain.links import slugs
from app.domain.links.resolve import CODE_MARKER_LENGTH
from app.domain.owned import owned
from app.domain.workspaces import quotas
from app.errors import InvalidInput, NotFound, Problem
from app.events import EventSink
from app.jobs import Jobs
from app.rendering.payloads import DATA_TYPES, build_payload
from app.rendering.render import Rendered, RenderTask, encode, render
from app.rendering.scannability import logo_level
from app.rendering.style import Style

KINDS = ("STATIC", "DYNAMIC")
MAX_NAME = 200
QR_MARKER = "qr=1"  # tells the redirect a scan came from the printed code, not a click
# A link's further codes (createQrCode with linkId) print `?qr=<marker>` instead, a marker of
# their own, so the scan says which of the link's codes was scanned.
MARKER_LENGTH = CODE_MARKER_LENGTH


# The image of a task; raises InvalidInput when the renderer refuses it.
RenderOne = Callable[[RenderTask], Awaitable[Rendered]]


async def render_in_thread(task: RenderTask) -> Rendered:
    """In asyncio's default threads, which share the GIL with the event loop: a process that
    serves requests passes its process pool's `render_one` instead (the API does)."""
    text, style, fmt, size, logo = task
    return await asyncio.to_thread(render, text, Style.from_dict(style), fmt, size=size, logo=logo)


@dataclass(frozen=True)
class CodeDeps:
    """What the code services need from outside, handed in by the adapter.

    `jobs` is None for callers that render images themselves (bulk); `logos` None means a
    logo URL is checked for its syntax only, not fetched.
    """

    events: EventSink
    public_url: str
    jobs: Jobs | None = None
    logos: LogoSource | None = None
    # False for callers that render every new code right away themselves (bulk).
    check_render: bool = True
    # False for callers that checked the quotas for a whole batch (bulk).
    check_quotas: bool = True
    # How the render check renders: the API passes its process pool's render_one.
    render_one: RenderOne = render_in_thread
    # How a style's logo is decoded: the API and workers pass their process pool's check_logo.
    check_logo: LogoCheck = check_logo_in_thread


@dataclass(frozen=True)
class CodeFilter:
    kind: str | None = None
    data_type: str | None = None
    search: str | None = None  # in the name
    design_id: int | None = None


def codes_query(workspace_id: int, filter: CodeFilter | None = None) -> QuerySet[QrCode]:
    qs = QrCode.filter(workspace_id=workspace_id)
    if filter is None:
        return qs
    if filter.kind:
        qs = qs.filter(kind=filter.kind)
    if filter.data_type:
        qs = qs.filter(data_type=filter.data_type)
    if filter.search:
        qs = qs.filter(Q(name__icontains=filter.search))
    if filter.design_id is not None:
        qs = qs.filter(design_id=filter.design_id)
    return qs


async def get_code(workspace_id: int, code_id: int) -> QrCode:
    return await owned(QrCode, "QR code", id=code_id, workspace_id=workspace_id)


def short_url(public_url: str, slug: str, hostname: str | None = None) -> str:
    return slugs.short_url(public_url, slug, hostname)


def style_of(code: QrCode, design: Design | None) -> Style:
    """The style a code is drawn with. Stored styles were checked when stored; a stored
    style the current rules refuse falls back to the defaults rather than failing."""
    for raw in (code.style, design.style if design is not None else None):
        if raw is not None:
            try:
                return Style.from_stored(raw)  # checked when stored: no logo decode
            except InvalidInput:
                continue
    return Style()


async def create_code(
    workspace_id: int, fields: Mapping[str, Any], deps: CodeDeps, *, dry_run: bool = False
) -> QrCode:
    """Create a code from `fields` (Python names of CreateQrCodeInput: name, data_type, data,
    kind, design_id, style (Style.from_dict spelling), link (create_link fields)).

    A dynamic code's link is reachable as `code.link` on the returned object, also on a dry
    run (unsaved, with the slug it would get). With `link_id` the code is a further, tracked
    code of that existing link."""
    if fields.get("link_id") is not None:
        return await _create_for_link(workspace_id, fields, deps, dry_run=dry_run)
    kind = fields.get("kind") or "STATIC"
    problems: list[Problem] = []
    if problem := name_problem(fields.get("name"), MAX_NAME):
        problems.append(problem)
    if kind not in KINDS:
        problems.append(Problem("INVALID_KIND", f"kind is one of {', '.join(KINDS)}.", ("kind",)))
    data_type = fields.get("data_type")
    if kind == "DYNAMIC" and data_type != "URL":
        problems.append(
            Problem("INVALID_KIND", "A DYNAMIC code needs dataType URL.", ("dataType",))
        )
    text = _payload(data_type, fields.get("data"), problems)
    design = await _design(workspace_id, fields.get("design_id"), problems)
    style = await _style(fields, deps, problems)
    link_fields = _link_fields(fields, text, problems) if kind == "DYNAMIC" else None
    if problems:
        raise InvalidInput(problems)
    assert text is not None

    code = QrCode(
        workspace_id=workspace_id,
        name=fields["name"].strip(),
        kind=kind,
        data_type=data_type,
        data=dict(fields["data"]),
        encoded_text=text,
        design_id=design.id if design else None,
        style=style.to_dict() if style else None,
    )
    effective = style or style_of(code, design)
    if not dry_run and deps.check_quotas:
        await quotas.ensure_room_for_codes(workspace_id)
    if link_fields is None:
        await _check_renders(text, effective, deps)
        if not dry_run:
            await code.save()
            await _warm(code, deps)
        return code

    try:
        link = await links.prepare_link(workspace_id, link_fields)
    except InvalidInput as error:
        own = (fields.get("link") or {}).get("destination") is not None
        raise InvalidInput([_link_problem(p, own) for p in error.problems]) from None
    # A generated slug is not known before the link is saved, but its length is: the render
    # check (before anything is saved or announced) encodes one of the same length.
    slug = link.slug or slugs.generate()
    host = await links.host_of(link) or None
    code.encoded_text = f"{short_url(deps.public_url, slug, host)}?{QR_MARKER}"
    await _check_renders(code.encoded_text, effective, deps)
    if dry_run:
        link.slug = slug
        code.link = link
        return code
    # No transaction around the link: its events must go out after it is committed (caches
    # and webhooks act on them), so a failed code insert removes the link instead.
    await links.save_new_link(link, deps.events, check_quota=deps.check_quotas)
    code.encoded_text = f"{short_url(deps.public_url, link.slug, host)}?{QR_MARKER}"
    code.link = link
    try:
        await code.save()
    except BaseException:
        await link.delete()
        raise
    await _warm(code, deps)
    return code


def new_marker() -> str:
    return "".join(secrets.choice(slugs.ALPHABET) for _ in range(MARKER_LENGTH))


async def _create_for_link(
    workspace_id: int, fields: Mapping[str, Any], deps: CodeDeps, *, dry_run: bool
) -> QrCode:
    """A DYNAMIC code of an existing link (one per print run, say): it encodes the link's short
    URL with `?qr=<marker>` of its own; its data is the link's destination."""
    problems: list[Problem] = []
    if problem := name_problem(fields.get("name"), MAX_NAME):
        problems.append(problem)
    if fields.get("link") is not None:
        problems.append(Problem("CONFLICT", "Give linkId or link, not both.", ("link",)))
    if fields.get("data_type") not in (None, "URL"):
        problems.append(
            Problem("INVALID_KIND", "A code for a link needs dataType URL.", ("dataType",))
        )
    try:
        link = await links.get_link(workspace_id, id=int(fields["link_id"]))
    except NotFound:
        problems.append(Problem("NOT_FOUND", "Link not found.", ("linkId",)))
    design = await _design(workspace_id, fields.get("design_id"), problems)
    style = await _style(fields, deps, problems)
    if problems:
        raise InvalidInput(problems)
    host = await links.host_of(link) or None
    code = QrCode(
        workspace_id=workspace_id,
        name=fields["name"].strip(),
        kind="DYNAMIC",
        data_type="URL",
        data={"url": link.destination},
        encoded_text=f"{short_url(deps.public_url, link.slug, host)}?qr={new_marker()}",
        link_id=link.id,
        design_id=design.id if design else None,
        style=style.to_dict() if style else None,
    )
    await _check_renders(code.encoded_text, style or style_of(code, design), deps)
    if dry_run:
        return code
    if deps.check_quotas:
        await quotas.ensure_room_for_codes(workspace_id)
    await code.save()
    await _warm(code, deps)
    return code


async def update_code(
    workspace_id: int, code_id: int, fields: Mapping[str, Any], deps: CodeDeps
) -> QrCode:
    """Change the fields given (name, data_type, data, design_id, style; style None clears).

    A dynamic code's data.url becomes its link's destination; its encoded text stays."""
    code = await get_code(workspace_id, code_id)
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    if "name" in fields:
        if problem := name_problem(fields["name"], MAX_NAME):
            problems.append(problem)
        else:
            values["name"] = fields["name"].strip()
    data_type = fields.get("data_type") or code.data_type
    if code.kind == "DYNAMIC" and data_type != "URL":
        problems.append(Problem("INVALID_KIND", "A DYNAMIC code stays a URL code.", ("dataType",)))
    elif "data" in fields or data_type != code.data_type:
        data = fields.get("data", code.data)
        text = _payload(data_type, data, problems)
        if text is not None:
            values.update(data_type=data_type, data=dict(data))
            if code.kind == "STATIC":
                values["encoded_text"] = text
    if "design_id" in fields:
        design = await _design(workspace_id, fields["design_id"], problems)
        values["design_id"] = design.id if design else None
    if "style" in fields:
        style = await _style(fields, deps, problems)
        values["style"] = style.to_dict() if style else None
    if problems:
        raise InvalidInput(problems)
    if not values:
        return code

    code.update_from_dict(values)
    design = await Design.get_or_none(id=code.design_id) if code.design_id else None
    await _check_renders(code.encoded_text, style_of(code, design), deps)
    if code.kind == "DYNAMIC" and "data" in values and code.link_id is not None:
        # The link first, committed on its own: its link.updated event refreshes the
        # redirect caches, and the code's data is only a mirror of the link's destination.
        try:
            await links.update_link(
                workspace_id, code.link_id, {"destination": values["data"]["url"]}, deps.events
            )
        except InvalidInput as error:
            raise InvalidInput([_link_problem(p) for p in error.problems]) from None
    await code.save(update_fields=[*values, "updated_at"])
    await _warm(code, deps)
    return code


async def delete_code(workspace_id: int, code_id: int, deps: CodeDeps) -> None:
    """A dynamic code made with its link takes the link with it (the link existed for the
    code), unless other codes of the link are still printed."""
    code = await get_code(workspace_id, code_id)
    await code.delete()
    made_its_link = code.encoded_text.endswith(f"?{QR_MARKER}")
    if code.link_id is not None and made_its_link:
        if await QrCode.exists(link_id=code.link_id):
            return
        try:
            await links.delete_link(workspace_id, code.link_id, deps.events)
        except NotFound:
            pass  # deleted on its own meanwhile


def _payload(data_type: Any, data: Any, problems: list[Problem]) -> str | None:
    if data_type not in DATA_TYPES:
        problems.append(
            Problem("INVALID_DATA_TYPE", f"dataType is one of {', '.join(DATA_TYPES)}.",
                    ("dataType",))
        )  # fmt: skip
        return None
    try:
        return build_payload(data_type, data)
    except InvalidInput as error:
        problems.extend(error.problems)
        return None


async def _design(workspace_id: int, design_id: Any, problems: list[Problem]) -> Design | None:
    if design_id is None:
        return None
    design = await Design.get_or_none(id=design_id, workspace_id=workspace_id)
    if design is None:
        problems.append(Problem("NOT_FOUND", "Design not found.", ("designId",)))
    return design


async def _style(
    fields: Mapping[str, Any], deps: CodeDeps, problems: list[Problem]
) -> Style | None:
    raw = fields.get("style")
    if raw is None:
        return None
    try:
        return await clean_style(raw, deps.logos, deps.check_logo)
    except InvalidInput as error:
        problems.extend(error.problems)
        return None


def _link_fields(
    fields: Mapping[str, Any], text: str | None, problems: list[Problem]
) -> dict[str, Any]:
    given = dict(fields.get("link") or {})
    if given.get("destination") is None:
        given["destination"] = text  # the link goes where the code's data says by default
    return given


def _link_problem(problem: Problem, own_destination: bool = False) -> Problem:
    if problem.field == ("destination",) and not own_destination:
        return Problem(problem.code, problem.message, ("data", "url"))
    return problem.under("link")


async def _check_renders(text: str, style: Style, deps: CodeDeps) -> None:
    """Render once (SVG, the cheapest) so a code that could not be drawn is never stored:
    content too long for the error correction, a logo too big for the symbol, a bad logo."""
    if not deps.check_render:
        return
    logo: bytes | None = None
    try:
        if style.logo is not None and style.logo.url is not None:
            if deps.logos is None:
                encode(text, logo_level(style), asked=style.error_correction)  # the length
                return
            logo = await deps.logos(style.logo.url)
        await deps.render_one((text, style.to_dict(), "SVG", style.size, logo))
    except InvalidInput as error:
        raise public_problems(error) from None


async def _warm(code: QrCode, deps: CodeDeps) -> None:
    if deps.jobs is not None:
        await deps.jobs.render_code(code.id)
