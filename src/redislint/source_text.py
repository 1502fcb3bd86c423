"""Python source bytes to text, as the interpreter reads them (libcst-free: the warm
path decodes an edited module to compare its shape, `source_shape.py`)."""

from __future__ import annotations

import tokenize
from io import BytesIO


def decode_source(data: bytes) -> str:
    """Decode Python source as the interpreter would (BOM, coding cookie, else UTF-8).

    Raises UnicodeDecodeError or SyntaxError (bad cookie) when it cannot.
    """
    encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
    if b"\n#".decode(encoding, errors="replace") != "\n#":
        # CPython refuses a cookie naming an encoding that is not ASCII-compatible
        # (utf-16, utf-32): the cookie itself could not have been read in it.
        raise SyntaxError(f"encoding problem: {encoding}")
    if encoding == "utf-8-sig":
        encoding = "utf-8"
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
    return data.decode(encoding)
