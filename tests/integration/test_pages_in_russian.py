"""Every role walks its screens in Russian on the demo data: no server error, and none of the slips a Russian
reader notices (a double colon, a month written as 12.2026, a stray None or template brace)."""

from __future__ import annotations

import html
import re

from crm.lib.demo import DEMO_PASSWORD
from tests.conftest import login, set_cookie

ROLES = ["admin", "head", "manager", "operator", "telegraph", "billing"]
SLIPS = re.compile(r"\S{0,20}:\s*:\S{0,20}|(?<![\d.])\d{2}\.\d{4}\b|\bNone\b|\{\{ |\{%")
SKIP = ("/static", "/logout", "/docs", "/language", "/password")


def _text(page: str) -> str:
    page = re.sub(r"<script.*?</script>|<style.*?</style>|<input[^>]*>|<option[^>]*>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def test_each_role_walks_its_pages_in_russian_without_an_error_or_a_slip(client, db):
    from crm.demo import load_demo

    await load_demo(db)
    await db.commit()
    problems: list[str] = []
    for role in ROLES:
        client.cookies.clear()
        set_cookie(client, "crm_lang", "ru")
        await login(client, f"{role}@example.com", DEMO_PASSWORD)
        queue, seen = ["/"], set()
        while queue and len(seen) < 40:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = await client.get(url)
            if response.status_code >= 500:
                problems.append(f"{role} {url}: {response.status_code}")
                continue
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            problems += [f"{role} {url}: {m.group(0)!r}" for m in SLIPS.finditer(_text(response.text))]
            for href in re.findall(r'href="(/[^"#?]*)', response.text):
                # One example of each kind of record page (/leads/12, /companies/34...) is enough.
                kind = re.sub(r"/\d+", "/N", href)
                if not href.startswith(SKIP) and kind not in {re.sub(r"/\d+", "/N", u) for u in seen | set(queue)}:
                    queue.append(href)
        assert len(seen) > 1, role
    assert not problems, "\n".join(problems[:40])
