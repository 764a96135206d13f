"""The input guard's rules on their own: what counts as out of range, where a bad value is named, and that a
body read for inspection reaches the app unchanged (in pieces or over the limit)."""

from __future__ import annotations

from typing import Any

from crm.lib import input_guard as guard


def test_integers_beyond_int64_are_out_of_range_and_text_is_not_a_number():
    assert not guard._out_of_range(str(2**63 - 1)) and not guard._out_of_range(str(-(2**63)))
    assert guard._out_of_range(str(2**63)) and guard._out_of_range(str(-(2**63) - 1))
    assert guard._out_of_range("9" * 5000)  # no int() of thousands of digits (Python refuses those)
    assert not guard._out_of_range("0" * 40 + "1")
    assert not guard._out_of_range("12ab") and not guard._out_of_range("1e999") and not guard._out_of_range("")


def test_a_bad_json_value_is_named_by_its_path():
    problem = guard.body_problem(b'{"rows": [{"id": 1}, {"id": 99999999999999999999}]}', "application/json")
    assert problem == guard.Rejection(422, "rows[1].id", guard.RANGE_MESSAGE)
    problem = guard.body_problem(b'{"lead": {"name": "a\\u0000"}}', "application/json; charset=utf-8")
    assert problem == guard.Rejection(422, "lead.name", guard.NUL_MESSAGE)
    assert guard.body_problem(b'{"account": "40702810000000000001", "n": 5}', "application/json") is None
    assert guard.body_problem(b"{not json \x00", "application/json") is None  # left to the handler's 400


def test_form_fields_are_named_and_binary_files_pass():
    assert guard.body_problem(b"a=1&b=x%00y", "application/x-www-form-urlencoded").field == "b"
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="t.xlsx"\r\n\r\nPK\x00\x00\xff\r\n'
        b'--B\r\nContent-Disposition: form-data; name="note"\r\n\r\nfine\r\n--B--\r\n'
    )
    assert guard.body_problem(body, "multipart/form-data; boundary=B") is None
    bad = body.replace(b"fine", b"f\x00ne")
    assert guard.body_problem(bad, "multipart/form-data; boundary=B") == guard.Rejection(422, "note", guard.NUL_MESSAGE)


def _receiver(chunks: list[bytes]) -> Any:
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> Any:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


async def _drain(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def _scope(length: int | None = None) -> dict[str, Any]:
    headers = [(b"content-type", b"application/json")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http", "headers": headers}


async def test_a_body_in_pieces_is_inspected_whole_and_replayed_unchanged():
    body, receive = await guard._read_body(_scope(), _receiver([b'{"a": ', b'"x"', b"}"]))
    assert body == b'{"a": "x"}'
    assert await _drain(receive) == b'{"a": "x"}'


async def test_a_body_over_the_limit_is_passed_on_unread(monkeypatch):
    monkeypatch.setattr(guard, "DEFAULT_BODY_LIMIT", 8)
    body, receive = await guard._read_body(_scope(), _receiver([b"0123456", b"789", b"abc"]))
    assert body is None
    assert await _drain(receive) == b"0123456789abc"
    announced, receive = await guard._read_body(_scope(length=100), _receiver([b"x" * 100]))
    assert announced is None and await _drain(receive) == b"x" * 100
