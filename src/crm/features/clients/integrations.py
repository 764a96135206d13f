"""The Integrations screen: connect Bitrix24 by webhook or local app, test the connection, sync now, period
re-sync, the last runs with counts, progress and errors; and the local app's install handler."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.services import record
from crm.features.clients import jobs
from crm.features.clients.connection import encrypt, mask, mask_url, resolve, settings_row
from crm.integrations.bitrix24 import Bitrix24Client, Bitrix24Error, OAuthAuth, OAuthTokens, WebhookAuth
from crm.integrations.bitrix24.auth import check_url
from crm.lib.auth import current_user
from crm.lib.i18n import N_, fmt_number, local_today
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors, render, toast

SEE = {"permission": ("integrations.manage", "sync.period")}
MANAGE = {"permission": "integrations.manage"}
PAGE = "/integrations/bitrix24"


# The activity kinds an admin may count as meetings or as communications (crm.features.clients.mapping).
KIND_LABELS = {
    "call": N_("Calls"),
    "meeting": N_("Meetings"),
    "email": N_("Emails"),
    "task": N_("Tasks"),
    "todo": N_("To-dos"),
    "other": N_("Other activities"),
}


def kind_options() -> list[tuple[str, str]]:
    return [(kind, _(label)) for kind, label in KIND_LABELS.items()]


# What a run counted, by the keys the sync uses (``<stream>_deleted`` for what became inactive).
COUNT_LABELS = {
    "companies": N_("companies"),
    "deals": N_("deals"),
    "activities": N_("activities"),
    "calls": N_("calls"),
    "requisites": N_("requisites"),
    "addresses": N_("addresses"),
    "departments": N_("departments"),
    "employees": N_("employees"),
    "pipelines": N_("pipelines"),
    "changed": N_("records changed"),
    "events": N_("events"),
    "events_parked": N_("events set aside"),
    "figures_companies": N_("company figures updated"),
    "figures_manager_days": N_("manager-day figures updated"),
    "users_linked": N_("users linked by email"),
}


def count_label(key: str) -> str:
    """A run's count key in words: "deals_deleted" → "deals made inactive"; an unknown key as it is."""
    if key.endswith("_deleted") and key[: -len("_deleted")] in COUNT_LABELS:
        return _("%(what)s made inactive", what=_(COUNT_LABELS[key[: -len("_deleted")]]))
    return _(COUNT_LABELS[key]) if key in COUNT_LABELS else key


def run_counts(counts: dict[str, int]) -> str:
    """A run's non-zero counts in words, in a fixed order: "companies: 300, deals: 1 200, …"."""
    order = {key: i for i, key in enumerate(COUNT_LABELS)}
    shown = sorted((k for k, v in counts.items() if v), key=lambda k: (order.get(k.removesuffix("_deleted"), 99), k))
    return ", ".join(f"{count_label(k)}: {fmt_number(counts[k])}" for k in shown)


async def _context(db_session: AsyncSession, **extra: Any) -> dict[str, Any]:
    conn = await resolve(db_session)
    row = await settings_row(db_session)
    runs = await jobs.latest_runs(db_session)
    return {
        "conn": conn,
        "row": row,
        "runs": runs,
        "count_label": count_label,
        "run_counts": run_counts,
        "running": any(r.status in {"queued", "running"} for r in runs),
        "webhook_masked": mask_url(conn.webhook_url) if conn.webhook_url else "",
        "secret_masked": mask(conn.client_secret),
        "token_set": bool(conn.access_token),
        "field_map_text": json.dumps(row.field_map or {}, ensure_ascii=False, indent=2) if row.field_map else "",
        "errors": FormErrors(),
        "form": {},
        "kind_options": kind_options(),
        "today": local_today().isoformat(),
        **extra,
    }


@get(PAGE, opt=SEE, include_in_schema=False)
async def integrations_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    return render(request, "clients/integrations.html", await _context(db_session), block="runs")


@post(PAGE, opt=MANAGE, include_in_schema=False)
async def integrations_save(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    form = await request.form()
    errors = FormErrors()
    mode = str(form.get("mode", ""))
    if mode not in {"webhook", "app", ""}:
        errors.add("mode", _("Choose a connection kind."))
    webhook = str(form.get("webhook_url", "")).strip()
    portal = str(form.get("portal", "")).strip().rstrip("/")
    client_id = str(form.get("client_id", "")).strip()
    secret = str(form.get("client_secret", "")).strip()
    row = await settings_row(db_session)
    if mode == "webhook":
        if webhook:
            parts = [p for p in urlsplit(webhook).path.split("/") if p]
            if len(parts) < 3 or parts[0] != "rest" or not parts[1].isdigit():
                errors.add("webhook_url", _("A webhook URL looks like https://portal.bitrix24.ru/rest/1/code/."))
            else:
                try:
                    check_url(webhook)
                except Bitrix24Error:
                    errors.add("webhook_url", _("Use https (plain http only for a local emulator)."))
        elif not row.webhook_url_enc:
            errors.add("webhook_url", _("Enter the webhook URL."))
    if mode == "app":
        if not portal:
            errors.add("portal", _("Enter the portal address."))
        else:
            try:
                check_url(portal)
            except Bitrix24Error:
                errors.add("portal", _("Use https (plain http only for a local emulator)."))
        if not client_id:
            errors.add("client_id", _("Enter the application's client id."))
        if not secret and not row.client_secret_enc:
            errors.add("client_secret", _("Enter the application's client secret."))
    try:
        rate = Decimal(str(form.get("rate", "2")).replace(",", ".") or "2")
        if not Decimal("0.1") <= rate <= Decimal("50"):
            raise InvalidOperation
    except InvalidOperation:
        errors.add("rate", _("Requests per second: a number from 0.1 to 50 (2, or 5 on Enterprise)."))
        rate = Decimal("2")
    min_seconds = str(form.get("min_call_seconds", "20")).strip()
    if not min_seconds.isdigit() or int(min_seconds) > 3600:
        errors.add("min_call_seconds", _("Seconds: a whole number from 0 to 3600."))
    # unchecked boxes send nothing: "kinds" (a hidden field beside them) tells "none checked" from "not on the form"
    meeting_kinds = list(row.meeting_kinds or ["meeting"])
    communication_kinds = list(row.communication_kinds or ["call", "meeting", "email"])
    if form.get("kinds"):
        meeting_kinds = [k for k in KIND_LABELS if k in {str(v) for v in form.getall("meeting_kinds", [])}]
        communication_kinds = [k for k in KIND_LABELS if k in {str(v) for v in form.getall("communication_kinds", [])}]
    if not meeting_kinds:
        errors.add("meeting_kinds", _("Choose at least one kind of activity."))
    if not communication_kinds:
        errors.add("communication_kinds", _("Choose at least one kind of activity."))
    field_map: dict[str, Any] = {}
    raw_map = str(form.get("field_map", "")).strip()
    if raw_map:
        try:
            field_map = json.loads(raw_map)
            if not isinstance(field_map, dict) or not all(
                isinstance(v, dict) and all(isinstance(a, str) and isinstance(b, str) for a, b in v.items())
                for v in field_map.values()
            ):
                raise ValueError
        except ValueError:
            errors.add("field_map", _('JSON like {"deal": {"contract_type": "UF_CRM_123"}}.'))
    if errors:
        shown = {**dict(form), "meeting_kinds": meeting_kinds, "communication_kinds": communication_kinds}
        context = await _context(db_session, errors=errors, form=shown)
        return render(request, "clients/integrations.html", context, status_code=422)
    changes: dict[str, list[Any]] = {}
    counting_before = (row.min_call_seconds, list(row.meeting_kinds or []), list(row.communication_kinds or []))
    counting_after = (int(min_seconds), meeting_kinds, communication_kinds)
    if row.min_call_seconds != int(min_seconds):
        changes["min_call_seconds"] = [row.min_call_seconds, int(min_seconds)]
    for key, old, new in (
        ("meeting_kinds", counting_before[1], meeting_kinds),
        ("communication_kinds", counting_before[2], communication_kinds),
    ):
        if old != new:
            changes[key] = [", ".join(old), ", ".join(new)]
    if row.mode != mode:
        changes["mode"] = [row.mode, mode]
    row.mode = mode
    if webhook:
        row.webhook_url_enc = encrypt(webhook)
        changes["webhook_url"] = ["***", "***"]
    if mode == "app":
        if portal != row.portal:
            changes["portal"] = [row.portal, portal]
            row.client_endpoint = portal + "/rest/"
        row.portal, row.client_id = portal, client_id
        if secret:
            row.client_secret_enc = encrypt(secret)
            changes["client_secret"] = ["***", "***"]
    row.rate, row.min_call_seconds, row.field_map = rate, int(min_seconds), field_map
    row.meeting_kinds, row.communication_kinds = meeting_kinds, communication_kinds
    await record(db_session, current_user(request), "bitrix24_settings", "1", "update", changes)
    if counting_before != counting_after:
        # what counts changed: every derived figure is recomputed by the worker (a "rebuild" run, shown below)
        toast(request, _("Bitrix24 settings saved; the figures are being recomputed by the new rules."))
        return await _start(request, db_session, "rebuild", {}, quiet=True)
    toast(request, _("Bitrix24 settings saved."))
    return Redirect(PAGE, status_code=303)


@post(f"{PAGE}/test", opt=MANAGE, include_in_schema=False)
async def integrations_test(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    conn = await resolve(db_session)
    result: dict[str, Any] = {}
    if not conn.configured:
        result = {"ok": False, "error": _("Not connected yet: save a webhook URL, or install the local app.")}
    else:
        if conn.mode == "webhook":
            auth: Any = WebhookAuth(conn.webhook_url)
        else:

            async def keep(tokens: OAuthTokens) -> None:  # the refresh token rotates: never lose the new one
                row = await settings_row(db_session)
                row.access_token_enc = encrypt(tokens.access_token)
                row.refresh_token_enc = encrypt(tokens.refresh_token)
                await db_session.commit()

            auth = OAuthAuth(
                conn.client_id,
                conn.client_secret,
                OAuthTokens(conn.access_token, conn.refresh_token, conn.client_endpoint),
                oauth_url=conn.oauth_url,
                on_refresh=keep,
            )
        client = Bitrix24Client(auth, rate=conn.rate, timeout=15, max_retries=1, limit_retries=2)
        try:
            me = (await client.call("user.current")).result or {}
            scopes = (await client.call("scope")).result or []
            result = {
                "ok": True,
                "portal": conn.portal_name,
                "scopes": scopes,
                "user": " ".join(str(me.get(k) or "") for k in ("NAME", "LAST_NAME")).strip() or me.get("ID"),
            }
            missing = {"crm", "user", "department", "telephony"} - set(scopes)
            if missing:
                result["missing"] = sorted(missing)
        except Bitrix24Error as exc:
            result = {"ok": False, "error": f"{exc.code or _('error')}: {exc.description}"}
        finally:
            await client.close()
    return render(request, "clients/integrations.html", await _context(db_session, test=result))


@post(f"{PAGE}/sync", opt=MANAGE, include_in_schema=False)
async def integrations_sync(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    kind = str((await request.form()).get("kind", "incremental"))
    if kind not in {"full", "incremental", "reconcile", "rebuild"}:
        kind = "incremental"
    return await _start(request, db_session, kind, {})


@post(f"{PAGE}/period", opt={"permission": "sync.period"}, include_in_schema=False)
async def integrations_period(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    form = await request.form()
    errors = FormErrors()
    try:
        since, until = date.fromisoformat(str(form.get("since"))), date.fromisoformat(str(form.get("until")))
        if until < since:
            errors.add("until", _("The end is before the start."))
        elif (until - since).days > 370:
            errors.add("until", _("At most a year at a time."))
    except ValueError:
        errors.add("since", _("Enter both dates."))
    if errors:
        context = await _context(db_session, errors=errors, form=dict(form))
        return render(request, "clients/integrations.html", context, status_code=422)
    return await _start(request, db_session, "period", {"since": since.isoformat(), "until": until.isoformat()})


async def _start(
    request: Request, db_session: AsyncSession, kind: str, params: dict[str, Any], quiet: bool = False
) -> Any:
    user = current_user(request)
    run = await jobs.create_run(db_session, kind, params, user.id)
    await db_session.commit()
    queue = getattr(request.app.state, "queue", None)
    if queue is None or not await jobs.enqueue(queue, run):
        run.status, run.error = "failed", _("The job queue is not reachable; try again later.")
        await db_session.commit()
        toast(request, _("Could not start the sync: the job queue is not reachable."), "error")
    elif not quiet:
        toast(request, _("Sync started; progress is shown below."))
    return Redirect(PAGE, status_code=303)


@post(f"{PAGE}/install", opt={"public": True, "exclude_from_csrf": True}, include_in_schema=False)
async def integrations_install(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    """ONAPPINSTALL of the local application (form-encoded ``auth[...]``): store the tokens (encrypted).
    Accepted only for the configured portal, and only once the tokens are proven: ``app.info`` called with them
    on the configured portal must answer as our application. A stranger cannot plant tokens."""
    form = await request.form()
    row = await settings_row(db_session)
    endpoint = str(form.get("auth[client_endpoint]", ""))
    domain = str(form.get("auth[domain]", "") or urlsplit(endpoint).netloc)
    if row.mode != "app" or not row.portal or urlsplit(row.portal).netloc != domain:
        raise PermissionDeniedException(detail="This portal is not the configured one")
    access, refresh = str(form.get("auth[access_token]", "")), str(form.get("auth[refresh_token]", ""))
    if not access or not refresh:
        raise NotAuthorizedException(detail="No tokens in the install request")
    prover = Bitrix24Client(
        OAuthAuth(row.client_id, "", OAuthTokens(access, refresh, row.portal.rstrip("/") + "/rest/")),
        timeout=15,
        max_retries=1,
        limit_retries=2,
    )
    try:
        app = (await prover.call("app.info")).result or {}
    except Bitrix24Error:
        app = {}
    finally:
        await prover.close()
    if not isinstance(app, dict) or str(app.get("CODE") or app.get("client_id") or "") != row.client_id:
        raise PermissionDeniedException(detail="The tokens do not belong to the configured application")
    row.access_token_enc, row.refresh_token_enc = encrypt(access), encrypt(refresh)
    # The REST endpoint is always the configured portal's: an address sent by the caller is never stored.
    row.client_endpoint = row.portal.rstrip("/") + "/rest/"
    await record(db_session, None, "bitrix24_settings", "1", "install", {"tokens": ["***", "***"]})
    return {"result": "ok"}


ROUTES = [
    integrations_page,
    integrations_save,
    integrations_test,
    integrations_sync,
    integrations_period,
    integrations_install,
]
