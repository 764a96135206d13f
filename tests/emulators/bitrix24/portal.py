"""The state and the methods of an emulated Bitrix24 portal: records, list paging (legacy, ORM, all-at-once),
``batch`` with ``$result[...]`` references, the leaky bucket and operating limits, the offline-event queue,
webhook and OAuth auth, and fault injection. The HTTP layer is in ``server.py``."""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from crm.integrations.bitrix24.dataset import Dataset
from crm.integrations.bitrix24.dataset_vocabulary import PORTAL_TZ
from crm.integrations.bitrix24.query import parse_str
from tests.emulators.bitrix24.base import (
    CRM_ENTITIES,
    METHOD_SCOPES,
    NOT_FOUND,
    PAGE,
    Fault,
    RestError,
    Table,
    _sort_key,
    _start,
    php_map,
)
from tests.emulators.bitrix24.filters import compile_filter, matches
from tests.emulators.bitrix24.methods import Methods

__all__ = ["NOT_FOUND", "Fault", "Portal", "RestError", "Table"]


class Portal(Methods):
    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        rate: float = 2.0,
        bucket: float = 50.0,
        operating_limit: float = 480.0,
        method_cost: float = 0.002,
        costs: dict[str, float] | None = None,
        clock: Callable[[], float] = time.time,
        webhook_user: int = 1,
        webhook_code: str = "hookcode0123456789",
        scopes: tuple[str, ...] = ("crm", "user", "department", "telephony", "im", "disk", "log"),
        client_id: str = "local.emulator.app",
        client_secret: str = "emulator-app-secret",  # noqa: S107
        offline_extended: bool = True,
        app_user_admin: bool = True,
        out_of_range_page1: bool = True,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.rate, self.bucket_size = rate, bucket
        self.level, self.level_t = 0.0, clock()
        self.operating_limit, self.method_cost, self.costs = operating_limit, method_cost, dict(costs or {})
        self.operating: dict[tuple[str, str], list[list[float]]] = {}
        self.webhooks = {webhook_user: webhook_code}
        self.scopes = set(scopes)
        self.client_id, self.client_secret = client_id, client_secret
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: set[str] = set()
        self.refreshes = 0
        self.offline_extended, self.app_user_admin = offline_extended, app_user_admin
        self.out_of_range_page1 = out_of_range_page1
        self.faults: list[Fault] = []
        self.random_faults: tuple[float, tuple[str, ...], random.Random] | None = None
        self.requests = 0
        self.calls_by_method: dict[str, int] = {}
        self.tables = {
            name: Table()
            for name in (
                "companies",
                "deals",
                "contacts",
                "leads",
                "activities",
                "requisites",
                "users",
                "departments",
                "calls",
            )
        }
        self.tables["addresses"] = Table(key="ENTITY_ID")
        self.categories: list[dict[str, Any]] = []
        self.statuses: list[dict[str, Any]] = []
        self.deleted: dict[str, set[int]] = {k: set() for k in CRM_ENTITIES}
        self.bindings: set[tuple[str, str]] = set()  # (event, connector)
        self.events: list[dict[str, Any]] = []
        self.event_seq = 0
        self.next_ids = {k: 0 for k in self.tables}
        self.published: list[dict[str, Any]] = []
        self.files: list[dict[str, Any]] = []
        self.dialogs: set[str] | None = None  # the dialogs the caller may write to; None: any
        if dataset is not None:
            self.load(dataset)

    # ------------------------------------------------------------------ data

    def load(self, ds: Dataset) -> None:
        with self.lock:
            for name in (
                "companies",
                "deals",
                "contacts",
                "leads",
                "activities",
                "requisites",
                "users",
                "departments",
                "calls",
                "addresses",
            ):
                table = self.tables[name]
                for row in getattr(ds, name):
                    table.put(dict(row))
                self.next_ids[name] = max(table.ids, default=0)
            self.categories = [dict(c) for c in ds.categories]
            self.statuses = [dict(s) for s in ds.statuses]

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock(), tz=UTC).astimezone(PORTAL_TZ).isoformat(timespec="seconds")

    def add(self, entity: str, fields: dict[str, Any], origin: tuple[str, str] | None = None) -> int:
        with self.lock:
            table_name, event, modified = CRM_ENTITIES.get(entity, (entity, "", ""))
            table = self.tables[table_name]
            self.next_ids[table_name] += 1
            new_id = self.next_ids[table_name]
            row = {
                k: (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k, v in fields.items()
            }
            row[table.key] = str(new_id)
            if table_name == "contacts":
                self._link_companies(row, "COMPANY_IDS" in fields)
            if modified:
                row.setdefault("DATE_CREATE" if entity != "activity" else "CREATED", self.now_iso())
                row[modified] = self.now_iso()
            table.put(row)
            if event:
                self.emit(event + "ADD", {"FIELDS": {"ID": new_id}}, origin)
            return new_id

    def update(
        self, entity: str, record_id: int, changes: dict[str, Any], origin: tuple[str, str] | None = None
    ) -> None:
        with self.lock:
            table_name, event, modified = CRM_ENTITIES.get(entity, (entity, "", ""))
            row = self.tables[table_name].rows.get(int(record_id))
            if row is None:
                raise NOT_FOUND()
            for k, v in changes.items():
                row[k] = str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
            if table_name == "contacts":
                self._link_companies(row, "COMPANY_IDS" in changes)
            if modified:
                row[modified] = self.now_iso()
            if event:
                self.emit(event + "UPDATE", {"FIELDS": {"ID": int(record_id)}}, origin)

    @staticmethod
    def _link_companies(row: dict[str, Any], links_given: bool) -> None:
        """A contact's company links (``COMPANY_IDS``, the primary first) and its primary ``COMPANY_ID`` agree:
        new links make their first the primary; a new primary takes the first place among the links."""
        links = [str(c) for c in (row.get("COMPANY_IDS") or []) if str(c) not in {"", "0", "None"}]
        primary = str(row.get("COMPANY_ID") or "")
        if links_given:
            row["COMPANY_ID"] = links[0] if links else None
        elif primary not in {"", "0"}:
            links = [primary, *(c for c in links if c != primary)]
        else:
            links = []
        row["COMPANY_IDS"] = links

    def delete(self, entity: str, record_id: int, origin: tuple[str, str] | None = None) -> None:
        with self.lock:
            table_name, event, _m = CRM_ENTITIES.get(entity, (entity, "", ""))
            if self.tables[table_name].remove(int(record_id)) is None:
                raise NOT_FOUND()
            if entity in self.deleted:
                self.deleted[entity].add(int(record_id))
            if entity == "company":
                self.tables["addresses"].remove(int(record_id))
                for rid in [k for k, r in self.tables["requisites"].rows.items() if r["ENTITY_ID"] == str(record_id)]:
                    self.tables["requisites"].remove(rid)
            if event:
                self.emit(event + "DELETE", {"FIELDS": {"ID": int(record_id)}}, origin)

    # ------------------------------------------------------------------ offline events (reference §5)

    def emit(self, name: str, data: dict[str, Any], origin: tuple[str, str] | None = None, user_id: int = 1) -> None:
        for event, connector in list(self.bindings):
            if event != name or (origin is not None and origin == ("app", connector)):
                continue
            mid = hashlib.md5(f"{name}|{json.dumps(data, separators=(',', ':'))}".encode()).hexdigest()  # noqa: S324
            row = next(
                (
                    r
                    for r in self.events
                    if r["MESSAGE_ID"] == mid
                    and r["CONNECTOR_ID"] == connector
                    and r["PROCESS_ID"] == ""
                    and r["ERROR"] == 0
                ),
                None,
            )
            if row is not None:
                row.update(TIMESTAMP_X=self.now_iso(), EVENT_DATA=data, EVENT_ADDITIONAL={"user_id": str(user_id)})
                continue
            self.event_seq += 1
            self.events.append(
                {
                    "ID": self.event_seq,
                    "TIMESTAMP_X": self.now_iso(),
                    "MESSAGE_ID": mid,
                    "CONNECTOR_ID": connector,
                    "EVENT_NAME": name,
                    "EVENT_DATA": data,
                    "EVENT_ADDITIONAL": {"user_id": str(user_id)},
                    "PROCESS_ID": "",
                    "ERROR": 0,
                }
            )

    @staticmethod
    def _event_out(row: dict[str, Any], full: bool = False) -> dict[str, Any]:
        out = {k: row[k] for k in ("TIMESTAMP_X", "EVENT_NAME", "EVENT_DATA", "EVENT_ADDITIONAL", "MESSAGE_ID")}
        out["ID"] = str(row["ID"])
        if full:
            out["PROCESS_ID"], out["ERROR"] = row["PROCESS_ID"], str(row["ERROR"])
        return out

    def offline_get(self, p: dict[str, Any]) -> dict[str, Any]:
        limit = int(p.get("limit", 50) or 0)
        if limit <= 0:
            raise RestError(400, "ERROR_ARGUMENT", "Value must be positive integer", argument="limit")
        clear = str(p.get("clear", "1")) not in {"0", "N", "false", "False"}
        if not clear and not self.offline_extended:
            raise RestError(
                403,
                "WRONG_LICENSE",
                "This feature is not enabled for the current license: extended offline events handling",
            )
        connector = str(p.get("auth_connector") or "")
        error = int(p.get("error", 0) or 0)
        conds = compile_filter(p.get("filter") if isinstance(p.get("filter"), dict) else {})
        pid = str(p.get("process_id") or "")
        passed_pid = bool(pid)
        if not pid:
            pid = secrets.token_hex(16)
            free = [
                r
                for r in self.events
                if r["PROCESS_ID"] == ""
                and r["CONNECTOR_ID"] == connector
                and r["ERROR"] == error
                and matches(self._event_out(r), conds)
            ]
            free.sort(key=lambda r: (r["TIMESTAMP_X"], r["ID"]))
            for r in free[:limit]:
                r["PROCESS_ID"] = pid
        mine = sorted((r for r in self.events if r["PROCESS_ID"] == pid), key=lambda r: (r["TIMESTAMP_X"], r["ID"]))
        out = [self._event_out(r) for r in mine[:limit]]
        if clear and out:
            self.events = [r for r in self.events if r["PROCESS_ID"] != pid]
        return {"process_id": pid if (not clear or passed_pid) else None, "events": out}

    def offline_clear(self, p: dict[str, Any]) -> bool:
        pid = str(p.get("process_id") or "")
        if "process_id" not in p:
            raise RestError(400, "ERROR_ARGUMENT", "Argument 'PROCESS_ID' is null or empty", argument="PROCESS_ID")
        mids = p.get("message_id")
        ids = p.get("id")
        if mids is not None:
            if not isinstance(mids, list) or any(len(str(m)) != 32 for m in mids):
                raise RestError(
                    400, "ERROR_ARGUMENT", "Value must be array of MESSAGE_ID values", argument="MESSAGE_ID"
                )
            drop = lambda r: r["PROCESS_ID"] == pid and r["MESSAGE_ID"] in set(mids)  # noqa: E731
        elif ids is not None:
            drop = lambda r: r["PROCESS_ID"] == pid and r["ID"] in {int(i) for i in ids}  # noqa: E731
        else:
            drop = lambda r: r["PROCESS_ID"] == pid  # noqa: E731
        self.events = [r for r in self.events if not drop(r)]
        return True

    def offline_error(self, p: dict[str, Any]) -> bool:
        pid = str(p.get("process_id") or "")
        mids = p.get("message_id")
        if not isinstance(mids, list):
            raise RestError(400, "ERROR_ARGUMENT", "Value must be array of MESSAGE_ID values", argument="MESSAGE_ID")
        mids_set = set(mids)
        self.events = [
            r for r in self.events if not (r["MESSAGE_ID"] in mids_set and r["ERROR"] == 0 and r["PROCESS_ID"] != pid)
        ]
        for r in self.events:
            if r["PROCESS_ID"] == pid and r["MESSAGE_ID"] in mids_set:
                r["ERROR"], r["PROCESS_ID"] = 1, ""
        return True

    # ------------------------------------------------------------------ limits

    def take_token(self) -> None:
        now = self.clock()
        self.level = max(0.0, self.level - self.rate * (now - self.level_t))
        self.level_t = now
        if self.level >= self.bucket_size:
            raise RestError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
        self.level += 1

    def _operating(self, auth_id: str, method: str) -> tuple[float, float | None]:
        now = self.clock()
        buckets = [b for b in self.operating.get((auth_id, method), []) if b[0] + 600 > now]
        self.operating[(auth_id, method)] = buckets
        total = sum(b[1] for b in buckets)
        reset = min((b[0] for b in buckets), default=None)
        return total, (reset + 600 if reset is not None else None)

    def _charge(self, auth_id: str, method: str, cost: float) -> None:
        now = self.clock()
        buckets = self.operating.setdefault((auth_id, method), [])
        if buckets and now - buckets[-1][0] < 60:
            buckets[-1][1] += cost
        else:
            buckets.append([now, cost])

    def time_obj(self, start: float, auth_id: str = "", method: str = "") -> dict[str, Any]:
        finish = self.clock()
        stamp = datetime.fromtimestamp(start, tz=UTC).astimezone(PORTAL_TZ).isoformat(timespec="seconds")
        out: dict[str, Any] = {
            "start": start,
            "finish": finish,
            "duration": finish - start,
            "processing": finish - start,
            "date_start": stamp,
            "date_finish": stamp,
        }
        if method:
            operating, reset = self._operating(auth_id, method)
            out["operating"] = round(operating, 4)
            if reset is not None:
                out["operating_reset_at"] = int(reset)
        return out

    # ------------------------------------------------------------------ faults

    def inject(self, kind: str, count: int = 1, method: str | None = None, delay: float = 0.0, skip: int = 0) -> None:
        with self.lock:
            self.faults.append(Fault(kind, method, count, delay, skip))

    def set_random_faults(
        self, rate: float, kinds: tuple[str, ...] = ("503", "500", "502", "slow"), seed: int = 7
    ) -> None:
        with self.lock:
            self.random_faults = (rate, kinds, random.Random(seed)) if rate > 0 else None

    def next_fault(self, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and (fault.method is None or fault.method == method):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
            if self.random_faults is not None and method != "oauth":
                rate, kinds, rng = self.random_faults
                if rng.random() < rate:
                    return Fault(rng.choice(kinds), delay=0.05)
        return None

    # ------------------------------------------------------------------ auth

    def issue_tokens(self, user_id: int = 1) -> dict[str, Any]:
        with self.lock:
            access, refresh = secrets.token_hex(16), secrets.token_hex(16)
            self.access_tokens[access] = {"user_id": user_id, "expired": False}
            self.refresh_tokens.add(refresh)
            return {"access_token": access, "refresh_token": refresh, "expires_in": 3600, "user_id": user_id}

    def expire_tokens(self) -> None:
        with self.lock:
            for info in self.access_tokens.values():
                info["expired"] = True

    def oauth_refresh(self, p: dict[str, Any], base_url: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if p.get("grant_type") != "refresh_token":
                return 400, {"error": "invalid_request", "error_description": "grant_type"}
            if p.get("client_id") != self.client_id or p.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client", "error_description": "Invalid client"}
            token = p.get("refresh_token", "")
            if token not in self.refresh_tokens:
                return 400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}
            self.refresh_tokens.discard(token)  # rotates
            self.refreshes += 1
            tokens = self.issue_tokens()
            return 200, {
                **tokens,
                "client_endpoint": f"{base_url}/rest/",
                "domain": "oauth.bitrix.info",
                "expires": int(self.clock()) + 3600,
                "member_id": "emulator",
                "scope": ",".join(sorted(self.scopes)),
                "server_endpoint": f"{base_url}/oauth/",
                "status": "L",
            }

    def authenticate(self, kind: str, credentials: dict[str, Any]) -> dict[str, Any]:
        """``{"type": "webhook"|"oauth", "user_id", "auth_id"}`` or a RestError."""
        if kind == "webhook":
            uid = int(credentials["user_id"])
            if self.webhooks.get(uid) != credentials["code"]:
                raise RestError(401, "INVALID_CREDENTIALS", "Invalid request credentials")
            return {"type": "webhook", "user_id": uid, "auth_id": f"hook{uid}", "admin": True}
        token = credentials.get("token") or ""
        if not token:
            raise RestError(401, "NO_AUTH_FOUND", "Wrong authorization data")
        info = self.access_tokens.get(token)
        if info is None:
            raise RestError(401, "invalid_token", "Unable to get application by token")
        if info["expired"]:
            raise RestError(401, "expired_token", "The access token provided has expired")
        return {
            "type": "oauth",
            "user_id": info["user_id"],
            "auth_id": self.client_id,
            "admin": self.app_user_admin,
        }

    # ------------------------------------------------------------------ dispatch

    def call(self, method: str, params: dict[str, Any], auth: dict[str, Any], in_batch: bool = False) -> dict[str, Any]:
        """Run one method: ``{"result", "total"?, "next"?, "time"}`` or raise RestError."""
        start = self.clock()
        method = method.lower()
        if method == "batch":
            if in_batch:
                raise RestError(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage")
            return {"result": self.batch(params, auth), "time": self.time_obj(start)}
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            raise RestError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
        scope = METHOD_SCOPES.get(method.split(".")[0])
        if scope and scope not in self.scopes:
            holder = "webhook token" if auth["type"] == "webhook" else "access token"
            raise RestError(
                401,
                "insufficient_scope",
                f"The request requires higher privileges than provided by the {holder}",
            )
        operating, _reset = self._operating(auth["auth_id"], method)
        if operating > self.operating_limit:
            raise RestError(429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
        self.calls_by_method[method] = self.calls_by_method.get(method, 0) + 1
        out = handler(params, auth)
        self._charge(auth["auth_id"], method, self.costs.get(method, self.method_cost))
        if not isinstance(out, dict) or "result" not in out:
            out = {"result": out}
        out["time"] = self.time_obj(start, auth["auth_id"], method)
        return out

    # ------------------------------------------------------------------ batch (reference §3.4)

    _REF = re.compile(r"\$(result|next|total|time|error)\[([^\]]+)\]((?:\[[^\]]*\])*)")

    def batch(self, params: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
        cmd = params.get("cmd") or {}
        if isinstance(cmd, list):
            cmd = {str(i): v for i, v in enumerate(cmd)}
        halt = str(params.get("halt", "0")) in {"1", "Y", "true", "True"}
        maps: dict[str, dict[str, Any]] = {k: {} for k in ("result", "error", "total", "next", "time")}
        for n, (name, command) in enumerate(cmd.items()):
            if n >= 50:
                maps["error"][name] = {
                    "error": "ERROR_BATCH_LENGTH_EXCEEDED",
                    "error_description": "Max batch length exceeded",
                }
                continue
            method, _, query = str(command).partition("?")
            sub = self._substitute(parse_str(query), maps)
            try:
                if method.lower() in {"batch", "upload", "download"}:
                    raise RestError(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage")
                out = self.call(method, sub, auth, in_batch=True)
            except RestError as exc:
                maps["error"][name] = exc.body()
                if halt:
                    break
                continue
            maps["result"][name] = out["result"]
            if out.get("total") is not None:
                maps["total"][name] = out["total"]
            if out.get("next") is not None:
                maps["next"][name] = out["next"]
            maps["time"][name] = out["time"]
        return {
            "result": php_map(maps["result"]),
            "result_error": php_map(maps["error"]),
            "result_total": php_map(maps["total"]),
            "result_next": php_map(maps["next"]),
            "result_time": php_map(maps["time"]),
        }

    def _resolve(self, kind: str, name: str, path: str, maps: dict[str, dict[str, Any]]) -> tuple[bool, Any]:
        store = maps[kind]
        if name not in store:
            return False, None
        value = store[name]
        for key in re.findall(r"\[([^\]]*)\]", path):
            if isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            elif isinstance(value, dict) and key in value:
                value = value[key]
            else:
                break  # a missing key stops the walk at the last resolved level
        return True, value

    def _substitute(self, node: Any, maps: dict[str, dict[str, Any]]) -> Any:
        if isinstance(node, dict):
            return {k: self._substitute(v, maps) for k, v in node.items()}
        if isinstance(node, list):
            return [self._substitute(v, maps) for v in node]
        if not isinstance(node, str) or "$" not in node:
            return node
        whole = self._REF.fullmatch(node)
        if whole:
            ok, value = self._resolve(whole.group(1), whole.group(2), whole.group(3), maps)
            return value if ok else node

        def one(m: re.Match[str]) -> str:
            ok, value = self._resolve(m.group(1), m.group(2), m.group(3), maps)
            return str(value) if ok and isinstance(value, (str, int, float)) else m.group(0)

        return self._REF.sub(one, node)

    # ------------------------------------------------------------------ lists (reference §3.1)

    def _list(
        self,
        table: Table,
        flt: dict[str, Any],
        order: list[tuple[str, str]],
        start: int,
        kind: str,
        select: list[str] | None = None,
        count_missing_total: bool = False,
    ) -> dict[str, Any]:
        conds = compile_filter(flt)
        key = table.key
        asc = True
        fast = not order or (len(order) == 1 and order[0][0] == key)
        if order and fast:
            asc = order[0][1] != "DESC"

        def candidates() -> Any:
            in_ids = next((v for op, f, v in conds if op == "@" and f == key and isinstance(v, list)), None)
            if in_ids is not None:
                for k in sorted({int(v) for v in in_ids if str(v).lstrip("-").isdigit()}, reverse=not asc):
                    if k in table.rows:
                        yield table.rows[k]
                return
            lo = 0
            for op, f, v in conds:
                if f == key and op in {">", ">="} and asc:
                    try:
                        bound = int(float(v if not isinstance(v, (list, dict)) else (1 if v else 0)))
                    except (TypeError, ValueError):
                        bound = 0
                    lo = max(
                        lo,
                        bisect.bisect_right(table.ids, bound) if op == ">" else bisect.bisect_left(table.ids, bound),
                    )
            ids = table.ids[lo:] if asc else reversed(table.ids)
            for k in ids:
                yield table.rows[k]

        if fast:
            rows_iter = (r for r in candidates() if matches(r, conds))
        else:
            matched = [r for r in candidates() if matches(r, conds)]
            for fname, direction in reversed(order):
                matched.sort(
                    key=lambda r, f=fname: (r.get(f) is None, _sort_key(r.get(f))),
                    reverse=direction == "DESC",
                )
            rows_iter = iter(matched)

        out: dict[str, Any] = {}
        if start < 0:
            rows = [r for _, r in zip(range(PAGE), rows_iter, strict=False)]
            out["total"] = 0
        else:
            everything = list(rows_iter)
            total = len(everything)
            if kind == "A":
                page = start // PAGE + 1
                if (page - 1) * PAGE >= total and self.out_of_range_page1:
                    page = 1
                rows = everything[(page - 1) * PAGE : page * PAGE]
                if page * PAGE < total:
                    out["next"] = page * PAGE
            else:
                rows = everything[start : start + PAGE]
                if start + len(rows) < total:
                    out["next"] = start + len(rows)
            if total or kind != "user":
                out["total"] = total
        out["result"] = [self._project(r, select) for r in rows]
        return out

    @staticmethod
    def _project(row: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
        if not select:
            return {k: v for k, v in row.items() if not k.startswith("UF_CRM")}
        wanted = {s.upper() for s in select}
        star, uf = "*" in wanted, "UF_*" in wanted
        out = {
            k: v
            for k, v in row.items()
            if k in wanted or (star and not k.startswith("UF_")) or (uf and k.startswith("UF_"))
        }
        if "ID" in row:
            out["ID"] = row["ID"]
        return out

    @staticmethod
    def _crm_args(p: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]], int, list[str] | None]:
        flt = next((p[k] for k in ("filter", "FILTER", "Filter", "arFilter") if k in p), {}) or {}
        if not isinstance(flt, dict):
            raise RestError(400, "", "Parameter 'filter' must be array.")
        order_raw = p.get("order") or p.get("ORDER") or {}
        order = [(str(k).upper(), str(v).upper()) for k, v in order_raw.items()] if isinstance(order_raw, dict) else []
        select = p.get("select") or p.get("SELECT")
        return flt, order, _start(p.get("start", 0)), list(select) if isinstance(select, list) else None

    def _crm_list(self, table_name: str, p: dict[str, Any]) -> dict[str, Any]:
        flt, order, start, select = self._crm_args(p)
        return self._list(self.tables[table_name], flt, order, start, "A", select)

    def _crm_get(self, table_name: str, p: dict[str, Any]) -> dict[str, Any]:
        row = self.tables[table_name].rows.get(int(p.get("id") or p.get("ID") or 0))
        if row is None:
            raise NOT_FOUND()
        return dict(row)
