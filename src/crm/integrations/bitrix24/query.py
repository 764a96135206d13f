"""PHP-compatible query strings: ``http_build_query`` for batch commands and ``parse_str`` to read them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote


def http_build_query(params: Any, prefix: str | None = None) -> str:
    parts: list[str] = []
    items = params.items() if isinstance(params, dict) else enumerate(params)
    for k, v in items:
        key = f"{prefix}[{quote(str(k), safe='')}]" if prefix else quote(str(k), safe="")
        if isinstance(v, (dict, list, tuple)):
            if len(v) == 0:
                continue  # PHP drops empty arrays
            parts.append(http_build_query(v, key))
        else:
            if v is True:
                v = "Y"
            elif v is False:
                v = "N"
            elif v is None:
                v = ""
            parts.append(f"{key}={quote(str(v), safe='')}")
    return "&".join(p for p in parts if p)


_KEY = re.compile(r"\[([^\[\]]*)\]")


def _lists(node: Any) -> Any:
    """PHP arrays with keys 0..n-1 behave as lists."""
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node) and sorted(int(k) for k in node) == list(range(len(node))):
            return [node[str(i)] for i in range(len(node))]
    return node


def parse_str(query: str) -> dict[str, Any]:
    """``a[b][]=1&a[b][]=2&c=3`` → ``{"a": {"b": ["1", "2"]}, "c": "3"}`` (like PHP's parse_str)."""
    out: dict[str, Any] = {}
    for raw_key, value in parse_qsl(query, keep_blank_values=True):
        head, _, rest = raw_key.partition("[")
        keys = [head] + (_KEY.findall("[" + rest) if rest else [])
        node: Any = out
        for i, key in enumerate(keys):
            last = i == len(keys) - 1
            if key == "":
                key = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[key] = value
            else:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = node[key] = {}
                node = child
    return {k: _lists(v) for k, v in out.items()}
