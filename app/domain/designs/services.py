"""Designs (reusable styles) and the style checks every stored style goes through.

A style is stored as `Style.to_dict()`: canonical, so it hashes the same way every time and
the image cache key changes exactly when the look does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from tortoise.queryset import QuerySet

from app.domain.codes.logos import LogoCheck, LogoSource, check_logo_in_thread
from app.domain.designs.models import Design
from app.domain.owned import owned
from app.domain.text import text_problem
from app.errors import InvalidInput, Problem
from app.jobs import Jobs
from app.rendering.logo import parse_data_uri
from app.rendering.scannability import check_style
from app.rendering.style import Style

MAX_NAME = 100

# Renders a style (in a process pool) and raises InvalidInput when the renderer refuses it:
# the measured scannability guard runs there, on a typical code of the deployment.
RenderCheck = Callable[[Style], Awaitable[None]]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _public(problem: Problem) -> Problem:
    """Style paths as the API spells them (errorCorrection, not error_correction)."""
    if problem.field[:1] != ("style",):
        return problem
    return Problem(problem.code, problem.message, tuple(camel(p) for p in problem.field))


def public_problems(error: InvalidInput) -> InvalidInput:
    return InvalidInput([_public(p) for p in error.problems])


async def clean_style(
    raw: Mapping[str, Any] | None,
    logos: LogoSource | None,
    check_logo: LogoCheck = check_logo_in_thread,
) -> Style:
    """Parse and check a style: INVALID_STYLE / NOT_SCANNABLE / INVALID_LOGO under ("style", ...).

    A logo URL is fetched once here (when a fetcher is given) so an unreachable or unsafe
    URL is refused when it is stored, not when a client first asks for the image. The logo
    itself is decoded by `check_logo` (the render processes', in a server).
    """
    try:
        style = Style.from_dict(raw)
        check_style(style)
        if style.logo is not None and style.logo.data is not None:
            try:
                await check_logo(parse_data_uri(style.logo.data))
            except InvalidInput as error:
                raise InvalidInput(
                    [Problem(p.code, p.message, ("style", "logo", "data")) for p in error.problems]
                ) from None
        elif style.logo is not None and style.logo.url is not None and logos is not None:
            await check_logo(await logos(style.logo.url))
    except InvalidInput as error:
        raise public_problems(error) from None
    return style


def name_problem(name: Any, max_len: int = MAX_NAME) -> Problem | None:
    if not isinstance(name, str) or not name.strip():
        return Problem("REQUIRED", "A name is required.", ("name",))
    if len(name) > max_len:
        return Problem("TOO_LONG", f"A name is at most {max_len} characters.", ("name",))
    return text_problem(name, ("name",))


def designs_query(workspace_id: int) -> QuerySet[Design]:
    return Design.filter(workspace_id=workspace_id)


async def get_design(workspace_id: int, design_id: int) -> Design:
    return await owned(Design, "Design", id=design_id, workspace_id=workspace_id)


async def create_design(
    workspace_id: int,
    given: Mapping[str, Any],
    *,
    logos: LogoSource | None = None,
    check_logo: LogoCheck = check_logo_in_thread,
    check: RenderCheck | None = None,
) -> Design:
    """`given`: name and style (a style dict in Style.from_dict's spelling)."""
    values = await _clean(given, logos, check_logo, check, creating=True)
    return await Design.create(workspace_id=workspace_id, **values)


async def update_design(
    workspace_id: int,
    design_id: int,
    given: Mapping[str, Any],
    *,
    logos: LogoSource | None = None,
    jobs: Jobs | None = None,
    check_logo: LogoCheck = check_logo_in_thread,
    check: RenderCheck | None = None,
) -> Design:
    """Change the fields given; a new style replaces the old one as a whole."""
    design = await get_design(workspace_id, design_id)
    values = await _clean(given, logos, check_logo, check, creating=False)
    if not values:
        return design
    restyled = "style" in values and values["style"] != design.style
    design.update_from_dict(values)
    await design.save(update_fields=[*values, "updated_at"])
    if restyled and jobs is not None:
        await jobs.render_design(design.id)  # re-warms every code using it
    return design


async def delete_design(workspace_id: int, design_id: int) -> None:
    """Codes and links using the design keep working, with their own style or the default."""
    design = await get_design(workspace_id, design_id)
    await design.delete()


async def _clean(
    given: Mapping[str, Any],
    logos: LogoSource | None,
    check_logo: LogoCheck,
    check: RenderCheck | None,
    *,
    creating: bool,
) -> dict[str, Any]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    if creating or "name" in given:
        if problem := name_problem(given.get("name")):
            problems.append(problem)
        else:
            values["name"] = given["name"].strip()
    if creating or "style" in given:
        try:
            style = await clean_style(given.get("style"), logos, check_logo)
            if check is not None:
                await check(style)
            values["style"] = style.to_dict()
        except InvalidInput as error:
            problems.extend(public_problems(error).problems)
    if problems:
        raise InvalidInput(problems)
    return values
