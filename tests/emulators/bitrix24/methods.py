"""The emulated REST methods (``m_<method with dots as underscores>``), mixed into ``Portal``."""

from __future__ import annotations

import re
from typing import Any

from tests.emulators.bitrix24.base import PAGE, RestError, _start
from tests.emulators.bitrix24.filters import compile_filter, matches


class Methods:
    """Needs the ``Portal`` state: tables, scopes, the offline queue, ``_list`` and friends."""

    # attributes of Portal used here
    tables: dict[str, Any]
    scopes: set[str]
    categories: list[dict[str, Any]]
    statuses: list[dict[str, Any]]
    bindings: set[tuple[str, str]]
    events: list[dict[str, Any]]
    published: list[dict[str, Any]]
    files: list[dict[str, Any]]
    client_id: str
    offline_extended: bool

    def m_scope(self, p: dict[str, Any], auth: dict[str, Any]) -> list[str]:
        return sorted(self.scopes)

    def m_profile(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return {"ID": str(auth["user_id"]), "ADMIN": auth["admin"], "NAME": "Admin", "LAST_NAME": "Emulator"}

    def m_user_current(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        row = self.tables["users"].rows.get(auth["user_id"])
        return (
            dict(row) if row else {"ID": str(auth["user_id"]), "NAME": "Admin", "LAST_NAME": "Emulator", "ACTIVE": True}
        )

    def m_app_info(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        if auth["type"] == "webhook":
            raise RestError(403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")
        return {"ID": 1, "CODE": self.client_id, "STATUS": "L", "INSTALLED": True}

    def m_feature_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        code = p.get("CODE") or p.get("code")
        return {"value": "Y" if code == "rest_offline_extended" and self.offline_extended else "N"}

    def m_user_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        flt = (
            p.get("FILTER")
            if isinstance(p.get("FILTER"), dict)
            else {
                k: v
                for k, v in p.items()
                if k not in {"SORT", "ORDER", "start", "select", "ADMIN_MODE", "sort", "order"}
            }
        )
        order = [(str(p["SORT"]).upper(), str(p.get("ORDER", "ASC")).upper())] if p.get("SORT") else []
        flt = {k: v for k, v in flt.items() if k.lstrip("><=!@%").upper() != "USER_TYPE"}
        return self._list(self.tables["users"], flt, order, _start(p.get("start", 0)), "user")

    def m_department_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        flt = (
            p.get("FILTER")
            if isinstance(p.get("FILTER"), dict)
            else {k: v for k, v in p.items() if k.upper() in {"ID", "NAME", "SORT", "PARENT", "UF_HEAD"}}
        )
        order = [(str(p["sort"]).upper(), str(p.get("order", "ASC")).upper())] if p.get("sort") else []
        return self._list(self.tables["departments"], flt, order, _start(p.get("START", p.get("start", 0))), "A")

    def m_crm_category_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        if str(p.get("entityTypeId", "")) != "2":
            raise RestError(400, "NOT_FOUND", "Smart process not found")
        return {"result": {"categories": [dict(c) for c in self.categories]}, "total": len(self.categories)}

    def m_crm_status_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        flt = self._crm_args(p)[0]
        conds = compile_filter(flt)
        rows = sorted((dict(s) for s in self.statuses if matches(s, conds)), key=lambda s: int(s["SORT"]))
        return {"result": rows, "total": len(rows)}

    def m_crm_company_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_list("companies", p)

    def m_crm_deal_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_list("deals", p)

    def m_crm_contact_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        out = self._crm_list("contacts", p)
        for row in out["result"]:  # the links are not a list field: crm.contact.company.items.get answers them
            row.pop("COMPANY_IDS", None)
        return out

    def m_crm_lead_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_list("leads", p)

    def m_crm_contact_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_get("contacts", p)

    def m_crm_lead_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_get("leads", p)

    def m_crm_contact_company_items_get(self, p: dict[str, Any], auth: dict[str, Any]) -> list[dict[str, Any]]:
        """The companies a contact is linked to: ``[{"COMPANY_ID": 5, "SORT": 10, "ROLE_ID": 0, "IS_PRIMARY":
        "Y"}]``, numbers as numbers, the primary first."""
        row = self._crm_get("contacts", p)
        links = [int(c) for c in row.get("COMPANY_IDS") or []]
        return [
            {"COMPANY_ID": c, "SORT": 10 * (i + 1), "ROLE_ID": 0, "IS_PRIMARY": "Y" if i == 0 else "N"}
            for i, c in enumerate(links)
        ]

    def m_crm_activity_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_list("activities", p)

    def m_crm_requisite_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_list("requisites", p)

    def m_crm_address_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_list("addresses", p)

    def m_crm_company_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_get("companies", p)

    def m_crm_deal_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_get("deals", p)

    def m_crm_activity_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        return self._crm_get("activities", p)

    def _origin(self, p: dict[str, Any], auth: dict[str, Any]) -> tuple[str, str] | None:
        return ("app", str(p.get("auth_connector") or "")) if auth["type"] == "oauth" else None

    def _crm_write(self, entity: str, action: str, p: dict[str, Any], auth: dict[str, Any]) -> Any:
        fields = p.get("fields") or {}
        if action == "add":
            return self.add(entity, fields, self._origin(p, auth))
        record_id = int(p.get("id") or p.get("ID") or 0)
        if action == "update":
            self.update(entity, record_id, fields, self._origin(p, auth))
        else:
            self.delete(entity, record_id, self._origin(p, auth))
        return True

    def m_crm_company_add(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("company", "add", p, a)

    def m_crm_company_update(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("company", "update", p, a)

    def m_crm_company_delete(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("company", "delete", p, a)

    def m_crm_deal_add(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("deal", "add", p, a)

    def m_crm_deal_update(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("deal", "update", p, a)

    def m_crm_deal_delete(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("deal", "delete", p, a)

    def m_crm_contact_add(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("contact", "add", p, a)

    def m_crm_contact_update(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("contact", "update", p, a)

    def m_crm_contact_delete(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("contact", "delete", p, a)

    def m_crm_lead_add(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("lead", "add", p, a)

    def m_crm_lead_update(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("lead", "update", p, a)

    def m_crm_lead_delete(self, p: dict[str, Any], a: dict[str, Any]) -> Any:
        return self._crm_write("lead", "delete", p, a)

    def m_voximplant_statistic_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        known = {
            "ID",
            "CALL_ID",
            "PORTAL_USER_ID",
            "CALL_TYPE",
            "CALL_DURATION",
            "CALL_START_DATE",
            "CRM_ENTITY_TYPE",
            "CRM_ENTITY_ID",
            "CRM_ACTIVITY_ID",
            "CALL_FAILED_CODE",
            "PHONE_NUMBER",
        }
        raw = p.get("FILTER") if isinstance(p.get("FILTER"), dict) else {}
        flt = {k.upper(): v for k, v in raw.items() if k.upper().lstrip("><=!@%?") in known}  # unknown: dropped
        order = []
        if p.get("SORT") and str(p.get("ORDER", "")).upper() in {"ASC", "DESC"}:
            order = [(str(p["SORT"]).upper(), str(p["ORDER"]).upper())]
        return self._list(self.tables["calls"], flt, order, _start(p.get("start", 0)), "B")

    def m_im_message_add(self, p: dict[str, Any], auth: dict[str, Any]) -> int:
        if not p.get("MESSAGE") and not p.get("ATTACH"):
            raise RestError(400, "MESSAGE_EMPTY", "Message can't be empty")
        dialog = str(p.get("DIALOG_ID") or "")
        if dialog.isdigit() and int(dialog) not in self.tables["users"].rows:  # a private dialog with a user
            raise RestError(400, "USER_NOT_FOUND", "User not found")
        if not dialog.isdigit() and not re.fullmatch(r"chat\d+|sg\d+", dialog):
            raise RestError(400, "CHAT_ID", "Chat ID can't be empty")
        self._dialog_access(dialog)
        self.published.append({"kind": "message", "dialog": str(p.get("DIALOG_ID")), "text": p.get("MESSAGE")})
        return len(self.published)

    def _dialog_access(self, dialog: str) -> None:
        allowed = getattr(self, "dialogs", None)
        if allowed is not None and dialog not in allowed:
            raise RestError(400, "ACCESS_ERROR", "You do not have access to the specified dialog")

    def m_im_disk_folder_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        if not str(p.get("DIALOG_ID") or "").startswith("chat"):
            raise RestError(400, "CHAT_ID", "Chat ID can't be empty")
        self._dialog_access(str(p.get("DIALOG_ID")))
        return {"ID": 5153}

    def m_disk_folder_uploadfile(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        content = p.get("fileContent")
        if not isinstance(content, list) or len(content) != 2:
            return {"field": "file", "uploadUrl": "http://127.0.0.1/rest/upload.json?token=x"}
        import base64

        size = len(base64.b64decode(str(content[1])))
        self.files.append(
            {
                "name": (p.get("data") or {}).get("NAME") or content[0],
                "size": size,
                "folder": int(p.get("id") or 0),
            }
        )
        file_id = 9000 + len(self.files)
        return {
            "ID": file_id,
            "NAME": self.files[-1]["name"],
            "TYPE": "file",
            "SIZE": str(size),
            "PARENT_ID": str(p.get("id")),
            "DOWNLOAD_URL": f"http://127.0.0.1/rest/download.json?token=disk|{file_id}",
        }

    def m_im_disk_file_commit(self, p: dict[str, Any], auth: dict[str, Any]) -> bool:
        self.published.append(
            {
                "kind": "file",
                "dialog": str(p.get("DIALOG_ID")),
                "file_id": int(p.get("FILE_ID", 0)),
                "text": p.get("MESSAGE"),
            }
        )
        return True

    def m_log_blogpost_add(self, p: dict[str, Any], auth: dict[str, Any]) -> int:
        if not p.get("POST_MESSAGE"):
            raise RestError(400, "ERROR_CORE", "Message is empty")
        files = p.get("FILES") if isinstance(p.get("FILES"), list) else []
        self.published.append(
            {
                "kind": "post",
                "title": p.get("POST_TITLE"),
                "text": p.get("POST_MESSAGE"),
                "dest": p.get("DEST") or ["UA"],
                "files": [f[0] for f in files],
            }
        )
        return 200 + len(self.published)

    def _require_app(self, auth: dict[str, Any], admin: bool = True) -> None:
        if auth["type"] == "webhook":
            raise RestError(403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")
        if admin and not auth["admin"]:
            raise RestError(
                403,
                "ACCESS_DENIED",
                "Access denied! Offline events binding requires administrator access rights",
            )

    def m_event_bind(self, p: dict[str, Any], auth: dict[str, Any]) -> bool:
        self._require_app(auth)
        name = str(p.get("event") or "").upper()
        if not name.startswith("ON") or name == "ONOFFLINEEVENT":
            raise RestError(400, "ERROR_EVENT_NOT_FOUND", "Event not found")
        self.bindings.add((name, str(p.get("auth_connector") or "")))
        return True

    def m_event_unbind(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, int]:
        self._require_app(auth)
        name = str(p.get("event") or "").upper()
        before = len(self.bindings)
        self.bindings = {b for b in self.bindings if b[0] != name}
        return {"count": before - len(self.bindings)}

    def m_event_get(self, p: dict[str, Any], auth: dict[str, Any]) -> list[dict[str, Any]]:
        self._require_app(auth, admin=False)
        return [{"event": e, "connector_id": c, "offline": 1} for e, c in sorted(self.bindings)]

    def m_event_offline_get(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        self._require_app(auth)
        return self.offline_get(p)

    def m_event_offline_clear(self, p: dict[str, Any], auth: dict[str, Any]) -> bool:
        self._require_app(auth)
        return self.offline_clear(p)

    def m_event_offline_error(self, p: dict[str, Any], auth: dict[str, Any]) -> bool:
        self._require_app(auth)
        return self.offline_error(p)

    def m_event_offline_list(self, p: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        self._require_app(auth)
        conds = compile_filter(p.get("filter") if isinstance(p.get("filter"), dict) else {})
        rows = [self._event_out(r, full=True) for r in sorted(self.events, key=lambda r: r["ID"])]
        rows = [r for r in rows if matches(r, conds)]
        start = max(0, _start(p.get("start", 0)))
        out: dict[str, Any] = {"result": rows[start : start + PAGE], "total": len(rows)}
        if start + PAGE < len(rows):
            out["next"] = start + PAGE
        return out
