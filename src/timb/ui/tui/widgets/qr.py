"""A QR code as terminal text, for giving an onion address in person (issue 12): two modules per
character cell with half blocks, dark on light (what phone readers expect), a quiet zone of two
modules. The QR code holds only what is shown next to it: the public ``ricochet:`` address."""

from __future__ import annotations

import segno
from rich.text import Text

_CELLS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def qr_text(data: str, *, border: int = 2) -> Text:
    """``data`` as a QR code (the smallest version at error level L)."""
    code = segno.make_qr(data, error="l", boost_error=False)
    rows = [[bool(m) for m in row] for row in code.matrix_iter(border=border)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    lines = [
        "".join(_CELLS[(top, bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(rows[::2], rows[1::2], strict=True)
    ]
    return Text("\n".join(lines), style="black on white", no_wrap=True)
