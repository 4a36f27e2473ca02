"""Will a phone read it? Checked before a style is stored and again, exactly, when rendering.

Thresholds (each chosen by decoding renders with zxing-cpp, see tests/rendering):
- Contrast at least 3:1 (WCAG 2.1 SC 1.4.11, non-text graphics). zxing reads a perfect
  digital image down to about 1.25:1, so 3:1 leaves a wide margin for ink, glare and cheap
  cameras. Semi-transparent colours are composited first (the paper behind is white).
- Dark on light only. Inverted codes decode only in readers that try inversion (zxing-cpp
  does when asked; many phone scanners do not), so light-on-dark is refused.
- Quiet zone at least 2 modules. ISO 18004 asks for 4; 2 is what phone readers tolerate in
  practice and decodes in every test. (zxing-cpp itself reads even 0 beside dark print, so
  this threshold comes from the standard and field experience, not from our decoder.)
- A logo (with its clear margin) may use at most half of the error-correction capacity; the
  rest is kept for damage in the real world (print, folds, reflections), and the measured
  check below proves the design under simulated print and camera damage.
"""

from __future__ import annotations

from app.errors import InvalidInput, Problem
from app.rendering import colors
from app.rendering.style import ERROR_LEVELS, Style

NOT_SCANNABLE = "NOT_SCANNABLE"
MIN_CONTRAST = 3.0
MIN_MARGIN = 2
RECOVERY = {"L": 0.07, "M": 0.15, "Q": 0.25, "H": 0.30}  # ISO/IEC 18004 codeword recovery
LOGO_SHARE = 0.5  # of the recovery capacity a logo may use
# A covered square also breaks the codewords it only clips (codewords are 2x4 blocks), so
# it damages more codewords than its area suggests.
PARTIAL_CODEWORDS = 1.3


def logo_level(style: Style) -> str:
    """The error correction a style is encoded at: the level asked for, raised for a logo to
    the lowest level that carries it (at least Q: a logo destroys modules, and below Q there
    is not enough redundancy left for a scratch; H when the logo's area needs it)."""
    asked = style.error_correction
    if style.logo is None:
        return asked
    covered = style.logo.size**2
    start = max(ERROR_LEVELS.index(asked), ERROR_LEVELS.index("Q"))
    for level in ERROR_LEVELS[start:]:
        if covered <= logo_budget(level):
            return level
    return "H"


def level_warnings(style: Style, level: str) -> list[str]:
    """Said in the response when the code carries more error correction than was asked."""
    if level == style.error_correction or style.logo is None:
        return []
    return [
        f"error correction raised from {style.error_correction} to {level} so the code "
        "survives its logo"
    ]


def logo_budget(error_correction: str) -> float:
    """The largest fraction of the symbol's area a logo may cover."""
    return RECOVERY[error_correction] * LOGO_SHARE / PARTIAL_CODEWORDS


def _fmt(ratio: float) -> str:
    return f"{ratio:.2f}".rstrip("0").rstrip(".")


def style_problems(style: Style) -> list[Problem]:
    problems: list[Problem] = []
    # Every ink must stand out from every colour of the paper behind it: the background, or
    # each stop of a background gradient (the worst one is named).
    if style.background_gradient is None:
        papers = [(colors.over(colors.rgba(style.background), colors.WHITE), "background")]
    else:
        papers = [
            (colors.over(colors.rgba(stop.color), colors.WHITE), f"background colour {stop.color}")
            for stop in style.background_gradient.stops
        ]

    def check(color: str, what: str, field: tuple[str, ...]) -> None:
        for paper, paper_name in papers:
            seen = colors.over(colors.rgba(color), paper)
            ratio = colors.contrast(seen, paper)
            if colors.luminance(seen) > colors.luminance(paper):
                message = (
                    f"{what} is lighter than the {paper_name}; most phone scanners only read "
                    "dark codes on a light background"
                )
            elif ratio < MIN_CONTRAST:
                message = (
                    f"{what} and {paper_name} contrast is {_fmt(ratio)}:1, "
                    f"needs at least {_fmt(MIN_CONTRAST)}:1"
                )
            else:
                continue
            problems.append(Problem(NOT_SCANNABLE, message, ("style", *field)))
            return

    if style.gradient is None:
        check(style.foreground, "foreground", ("foreground",))
    else:
        for i, stop in enumerate(style.gradient.stops):
            check(stop.color, f"gradient colour {stop.color}", ("gradient", "stops", str(i)))
    if style.finder_color is not None:
        check(style.finder_color, "finder colour", ("finder_color",))
    if style.inner_finder_color is not None:
        check(style.inner_finder_color, "inner finder colour", ("inner_finder_color",))
    if style.margin < MIN_MARGIN:
        problems.append(
            Problem(
                NOT_SCANNABLE,
                f"a margin (quiet zone) of {_modules(style.margin)} is too small; "
                f"scanners need at least {MIN_MARGIN}",
                ("style", "margin"),
            )
        )
    if style.logo is not None:
        covered = style.logo.size**2
        if covered > logo_budget(logo_level(style)):
            problems.append(_logo_problem(covered, style.error_correction))
    return problems


def _modules(n: int) -> str:
    return f"{n} module" if n == 1 else f"{n} modules"


def _logo_problem(covered: float, asked: str) -> Problem:
    """In terms of the level asked for: raising it is done for the user up to H, so the fix
    left is a smaller logo."""
    budget = logo_budget("H")
    raised = "" if asked == "H" else f" (you asked for {asked}; it is raised to H for a logo)"
    return Problem(
        NOT_SCANNABLE,
        f"the logo and its margin cover {covered:.0%} of the code and even error correction "
        f"H{raised} survives at most {budget:.0%}; use a smaller logo or logo margin",
        ("style", "logo", "size"),
    )


def check_style(style: Style) -> None:
    """Raise `InvalidInput` (NOT_SCANNABLE) listing every reason `style` would not scan."""
    problems = style_problems(style)
    if problems:
        raise InvalidInput(problems)


def logo_fits(hidden_modules: int, width: int, error_correction: str) -> bool:
    """The exact test for one symbol: its hidden modules against its error correction."""
    return hidden_modules / (width * width) <= logo_budget(error_correction)


def logo_too_big(hidden_modules: int, width: int, asked: str) -> InvalidInput:
    return InvalidInput([_logo_problem(hidden_modules / (width * width), asked)])
