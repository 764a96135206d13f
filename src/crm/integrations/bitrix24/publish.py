"""Publishing to Bitrix24: a chat message, a file into a chat (Drive upload + commit), a post in the activity
stream with a file. These calls create things, so they are not retried after the request may have run
(timeouts, 5xx): only rejections that happen before execution (503 rate limit, 429 operating limit) are."""

from __future__ import annotations

import base64
from typing import Any

from crm.integrations.bitrix24.client import Bitrix24Client


async def chat_message(client: Bitrix24Client, dialog_id: str, text: str, attach: Any = None) -> int:
    """``im.message.add``: ``dialog_id`` is "chat<N>" for a chat or a user id for a private dialog."""
    params: dict[str, Any] = {"DIALOG_ID": dialog_id, "MESSAGE": text, "SYSTEM": "N", "URL_PREVIEW": "N"}
    if attach:
        params["ATTACH"] = attach
    return int((await client.call("im.message.add", params, idempotent=False)).result)


async def chat_file(client: Bitrix24Client, dialog_id: str, filename: str, content: bytes, text: str = "") -> int:
    """Upload a file into the chat's Drive folder and post it to the chat with ``text``; returns the file id."""
    folder = (await client.call("im.disk.folder.get", {"DIALOG_ID": dialog_id})).result or {}
    uploaded = (
        await client.call(
            "disk.folder.uploadfile",
            {
                "id": int(folder["ID"]),
                "data": {"NAME": filename},
                "fileContent": [filename, base64.b64encode(content).decode()],
                "generateUniqueName": True,
            },
            idempotent=False,
        )
    ).result or {}
    file_id = int(uploaded["ID"])
    await client.call(
        "im.disk.file.commit", {"DIALOG_ID": dialog_id, "FILE_ID": file_id, "MESSAGE": text}, idempotent=False
    )
    return file_id


async def stream_post(
    client: Bitrix24Client,
    title: str,
    text: str,
    filename: str | None = None,
    content: bytes | None = None,
    dest: list[str] | None = None,
) -> int:
    """``log.blogpost.add`` with an optional file; ``dest`` defaults to all users (``UA``)."""
    params: dict[str, Any] = {"POST_TITLE": title, "POST_MESSAGE": text, "DEST": dest or ["UA"]}
    if filename and content is not None:
        params["FILES"] = [[filename, base64.b64encode(content).decode()]]
    return int((await client.call("log.blogpost.add", params, idempotent=False)).result)
