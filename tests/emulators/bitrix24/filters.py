"""CRM filter operators and value comparison of the emulator (reference §3.3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

OPERATORS = ["!=%", "!@", "!%", "!=", ">=", "<=", "=%", "%=", "><", "@", "!", ">", "<", "=", "%"]


def split_key(key: str) -> tuple[str, str]:
    for op in OPERATORS:
        if key.startswith(op):
            return op, key[len(op) :].upper()
    return "=", key.upper()


def _php_scalar(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return 1 if value else 0  # intval(array)
    return value


def norm(value: Any) -> Any:
    """Numbers compare as numbers, ISO dates as instants, the rest as strings."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value)
    try:
        return float(text)
    except ValueError:
        pass
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.timestamp()
        except ValueError:
            pass
    return text.lower()


def _cmp(a: Any, b: Any, op: str) -> bool:
    if a is None or b is None:
        return False
    if type(a) is not type(b):
        a, b = str(a), str(b)
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def compile_filter(flt: dict[str, Any] | None) -> list[tuple[str, str, Any]]:
    out = []
    for key, value in (flt or {}).items():
        op, fieldname = split_key(str(key))
        out.append((op, fieldname, value))
    return out


def matches(row: dict[str, Any], conditions: list[tuple[str, str, Any]]) -> bool:
    for op, fieldname, want in conditions:
        have = row.get(fieldname)
        if isinstance(have, list):  # multi-value fields (UF_DEPARTMENT)
            wanted = {str(w) for w in (want if isinstance(want, list) else [want])}
            hit = any(str(h) in wanted for h in have)
            if hit == (op in {"!", "!=", "!@"}):
                return False
            continue
        if op in {"@", "!@"}:
            values = want if isinstance(want, list) else [want]
            hit = norm(have) in {norm(v) for v in values}
            if hit == (op == "!@"):
                return False
        elif op in {"=", "!", "!="}:
            hit = norm(have) in {norm(v) for v in want} if isinstance(want, list) else norm(have) == norm(want)
            if hit == (op != "="):
                return False
        elif op in {"%", "!%", "=%", "%=", "!=%"}:
            text, needle = str(have or "").lower(), str(want).lower().strip("%")
            if op == "=%":
                hit = text.startswith(needle)
            elif op == "%=":
                hit = text.endswith(needle)
            else:
                hit = needle in text
            if hit == op.startswith("!"):
                return False
        elif op == "><":
            lo, hi = ([*want, None, None])[:2] if isinstance(want, list) else (want, None)
            if not (_cmp(norm(have), norm(lo), ">=") and _cmp(norm(have), norm(hi), "<=")):
                return False
        elif not _cmp(norm(have), norm(_php_scalar(want)), op):
            return False
    return True
