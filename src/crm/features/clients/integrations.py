"""The Integrations screen: connect Bitrix24 by webhook or local app, test the connection, sync now, period
re-sync, the last runs with counts, progress and errors; and the local app's install handler."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients import jobs
from crm.features.clients.connection import encrypt, install_app, mask, mask_url, resolve, save_settings, settings_row
from crm.features.clients.forms import KIND_LABELS, ConnectionForm, InstallForm, PeriodForm, SyncForm
from crm.integrations.bitrix24 import Bitrix24Client, Bitrix24Error, OAuthAuth, OAuthTokens, WebhookAuth
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import N_, fmt_number, local_today
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors, render, toast

SEE = {"permission": ("integrations.manage", "sync.period")}
MANAGE = {"permission": "integrations.manage"}
PAGE = "/integrations/bitrix24"


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
async def integrations_page(request: Request, db_session: Db) -> Any:
    return render(request, "clients/integrations.html", await _context(db_session), block="runs")


@post(PAGE, opt=MANAGE, include_in_schema=False)
async def integrations_save(request: Request, me: Me, db_session: Db) -> Any:
    form = ConnectionForm.parse(await request.form())
    counting_changed = await save_settings(db_session, me, form) if form.ok else None
    if counting_changed is None:
        shown = {**form.shown(), "meeting_kinds": form.meeting_kinds, "communication_kinds": form.communication_kinds}
        if not form.kinds:  # the checkboxes were not on the form: show the stored kinds
            shown.pop("meeting_kinds"), shown.pop("communication_kinds")
        context = await _context(db_session, errors=form.errors, form=shown)
        return render(request, "clients/integrations.html", context, status_code=422)
    if counting_changed:
        # what counts changed: every derived figure is recomputed by the worker (a "rebuild" run, shown below)
        toast(request, _("Bitrix24 settings saved; the figures are being recomputed by the new rules."))
        return await _start(request, db_session, "rebuild", {}, quiet=True)
    toast(request, _("Bitrix24 settings saved."))
    return Redirect(PAGE, status_code=303)


@post(f"{PAGE}/test", opt=MANAGE, include_in_schema=False)
async def integrations_test(request: Request, db_session: Db) -> Any:
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
async def integrations_sync(request: Request, db_session: Db) -> Any:
    form = SyncForm.parse(await request.form())
    kind = form.kind if form.ok else "incremental"
    return await _start(request, db_session, kind, {})


@post(f"{PAGE}/period", opt={"permission": "sync.period"}, include_in_schema=False)
async def integrations_period(request: Request, db_session: Db) -> Any:
    form = PeriodForm.parse(await request.form())
    if not form.ok or form.since is None or form.until is None:
        context = await _context(db_session, errors=form.errors, form=form.shown())
        return render(request, "clients/integrations.html", context, status_code=422)
    return await _start(
        request, db_session, "period", {"since": form.since.isoformat(), "until": form.until.isoformat()}
    )


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
async def integrations_install(request: Request, db_session: Db) -> Any:
    """ONAPPINSTALL of the local application (form-encoded ``auth[...]``): store the tokens (encrypted).
    Accepted only for the configured portal, and only once the tokens are proven: ``app.info`` called with them
    on the configured portal must answer as our application. A stranger cannot plant tokens."""
    form = InstallForm.parse(await request.form())
    form.refuse_if_invalid()
    refused = await install_app(db_session, form)
    if refused == "portal":
        raise PermissionDeniedException(detail="This portal is not the configured one")
    if refused == "no_tokens":
        raise NotAuthorizedException(detail="No tokens in the install request")
    if refused == "not_ours":
        raise PermissionDeniedException(detail="The tokens do not belong to the configured application")
    return {"result": "ok"}


ROUTES = [
    integrations_page,
    integrations_save,
    integrations_test,
    integrations_sync,
    integrations_period,
    integrations_install,
]
