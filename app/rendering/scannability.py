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
- A logo may use at most 40% of the error-correction capacity; the rest is kept for damage
  in the real world (print, folds, reflections).
"""

from __future__ import annotations

from app.domain.errors import InvalidInput, Problem
from app.rendering import colors
from app.rendering.style import Style

NOT_SCANNABLE = "NOT_SCANNABLE"
MIN_CONTRAST = 3.0
MIN_MARGIN = 2
RECOVERY = {"L": 0.07, "M": 0.15, "Q": 0.25, "H": 0.30}  # ISO/IEC 18004 codeword recovery
LOGO_SHARE = 0.4  # of the recovery capacity a logo may use
# A covered square also breaks the codewords it only clips (codewords are 2x4 blocks), so
# it damages more codewords than its area suggests.
PARTIAL_CODEWORDS = 1.3


def logo_budget(error_correction: str) -> float:
    """The largest fraction of the symbol's area a logo may cover."""
    return RECOVERY[error_correction] * LOGO_SHARE / PARTIAL_CODEWORDS


def _fmt(ratio: float) -> str:
    return f"{ratio:.2f}".rstrip("0").rstrip(".")


def style_problems(style: Style) -> list[Problem]:
    problems: list[Problem] = []
    paper = colors.over(colors.rgba(style.background), colors.WHITE)
    bg_lum = colors.luminance(paper)

    def check(color: str, what: str, field: tuple[str, ...]) -> None:
        seen = colors.over(colors.rgba(color), paper)
        ratio = colors.contrast(seen, paper)
        if colors.luminance(seen) > bg_lum:
            problems.append(
                Problem(
                    NOT_SCANNABLE,
                    f"{what} is lighter than the background; most phone scanners only read "
                    "dark codes on a light background",
                    ("style", *field),
                )
            )
        elif ratio < MIN_CONTRAST:
            problems.append(
                Problem(
                    NOT_SCANNABLE,
                    f"{what} and background contrast is {_fmt(ratio)}:1, "
                    f"needs at least {_fmt(MIN_CONTRAST)}:1",
                    ("style", *field),
                )
            )

    if style.gradient is None:
        check(style.foreground, "foreground", ("foreground",))
    else:
        for i, stop in enumerate(style.gradient.stops):
            check(stop.color, f"gradient colour {stop.color}", ("gradient", "stops", str(i)))
    if style.finder_color is not None:
        check(style.finder_color, "finder colour", ("finder_color",))
    if style.margin < MIN_MARGIN:
        problems.append(
            Problem(
                NOT_SCANNABLE,
                f"a margin (quiet zone) of {style.margin} modules is too small; "
                f"scanners need at least {MIN_MARGIN}",
                ("style", "margin"),
            )
        )
    if style.logo is not None:
        covered = style.logo.size**2
        budget = logo_budget(style.error_correction)
        if covered > budget:
            problems.append(_logo_problem(covered, budget, style.error_correction))
    return problems


def _logo_problem(covered: float, budget: float, level: str) -> Problem:
    advice = "use error correction H or a smaller logo" if level != "H" else "use a smaller logo"
    return Problem(
        NOT_SCANNABLE,
        f"the logo covers {covered:.0%} of the code, error correction {level} survives at most "
        f"{budget:.0%}; {advice}",
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


def logo_too_big(hidden_modules: int, width: int, error_correction: str) -> InvalidInput:
    covered = hidden_modules / (width * width)
    return InvalidInput([_logo_problem(covered, logo_budget(error_correction), error_correction)])
