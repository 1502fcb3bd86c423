"""`--output-format json-lines`: one JSON object per finding per line (the "diagnostics"
entries of the JSON format, same keys), then one object per error: streamable and
`jq -c`-friendly. A clean run prints nothing."""

from __future__ import annotations

import json

from redislint.report import RunResult
from redislint.report.json import diagnostic


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    del statistics, show_source_fixes
    rows = [diagnostic(f) for f in result.findings]
    rows += [{"error": message} for message in result.error_messages]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
