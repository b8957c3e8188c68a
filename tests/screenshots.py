"""The guides' pictures (docs/guide-*.md), taken by the browser tests as they go.

`make screenshots` runs the browser tests with SIARAN_GUIDE_SCREENSHOTS=1, and `shot` saves
the page as the guides show it to docs/img/NAME.png. Without the variable it returns at
once, so the normal test run takes no picture and costs nothing more.
"""

import io
import os

from tests.conftest import ROOT

FOLDER = ROOT / "docs" / "img"


def enabled() -> bool:
    return os.environ.get("SIARAN_GUIDE_SCREENSHOTS", "") not in ("", "0")


def shot(page, name: str, region: str | None = None) -> None:
    """The viewport, or the one element `region` selects, as docs/img/NAME.png.

    Never the whole page: a long page is megabytes, and a guide shows one part of it.
    The picture is reduced to 256 colours, which a page of text and buttons keeps sharp
    at a fraction of the size."""
    if not enabled():
        return
    from PIL import Image

    target = page.locator(region).first if region else page
    picture = Image.open(io.BytesIO(target.screenshot(animations="disabled")))
    FOLDER.mkdir(parents=True, exist_ok=True)
    picture.convert("RGB").quantize(colors=256).save(FOLDER / f"{name}.png", optimize=True)
