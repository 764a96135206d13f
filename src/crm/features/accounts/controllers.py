"""Sign-in, sign-out, password reset and the profile page (language, password, API tokens)."""

from __future__ import annotations

import math
import uuid
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import get_settings
from crm.features.accounts import services
from crm.features.accounts.forms import (
    ChangePasswordForm,
    ForgotForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    TokenForm,
)
from crm.features.accounts.models import User
from crm.lib import auth, security
from crm.lib.auth import current_user, start_session
from crm.lib.deps import Db, Me
from crm.lib.i18n import LANGUAGES, get_locale, normalize_locale
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors, render, toast

PUBLIC = {"public": True}


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: no open redirects."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def client_address(request: Request) -> str:
    """The client's address for throttling (``X-Forwarded-For`` only from CRM_TRUSTED_PROXIES)."""
    return auth.client_address(request)


@get("/login", opt=PUBLIC, include_in_schema=False)
async def login_page(request: Request, next: FromQuery[str | None] = None) -> Any:
    if current_user(request):
        return Redirect(safe_next(next), status_code=303)
    return render(request, "accounts/login.html", {"next": safe_next(next), "email": "", "errors": FormErrors()})


@post("/login", opt=PUBLIC, include_in_schema=False)
async def login(request: Request, db_session: Db) -> Any:
    form = LoginForm.parse(await request.form())
    email, password, target, errors = form.email, form.password, safe_next(form.next), form.errors
    if not errors:
        try:
            user = await services.authenticate(
                db_session, request.app.stores.get("cache"), email, password, client_address(request)
            )
        except services.SignInError as exc:
            minutes = max(1, math.ceil((exc.retry_after or 0) / 60))
            errors.add("__all__", _(exc.message, minutes=minutes) if exc.retry_after else _(exc.message))
            status = 429 if exc.retry_after else 200
            return render(
                request,
                "accounts/login.html",
                {"next": target, "email": form.raw("email"), "errors": errors},
                status_code=status,
            )
        start_session(request, user)
        if user.must_change_password:
            return Redirect("/profile/password", status_code=303)
        return Redirect(target, status_code=303)
    context = {"next": target, "email": form.raw("email"), "errors": errors}
    return render(request, "accounts/login.html", context, status_code=422)


@post("/logout", opt={"allow_password_change": True}, include_in_schema=False)
async def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect("/login", status_code=303)


@post("/language", opt=PUBLIC, include_in_schema=False)
async def set_language(request: Request, db_session: Db) -> Redirect:
    form = LanguageForm.parse(await request.form())
    lang = normalize_locale(form.lang)
    user = current_user(request)
    if user is not None:
        user.locale = lang
    response = Redirect(safe_next(form.next), status_code=303)
    response.set_cookie(
        "crm_lang",
        lang,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )
    return response


# --------------------------------------------------------------------------- password reset


@get("/password/forgot", opt=PUBLIC, include_in_schema=False)
async def forgot_page(request: Request) -> Any:
    return render(request, "accounts/forgot.html", {"email": "", "errors": FormErrors(), "sent": False})


@post("/password/forgot", opt=PUBLIC, include_in_schema=False)
async def forgot(request: Request) -> Any:
    form = ForgotForm.parse(await request.form())
    email, errors = form.email, form.errors
    if not form.ok:
        context = {"email": form.raw("email"), "errors": errors, "sent": False}
        return render(request, "accounts/forgot.html", context, status_code=422)
    # The same work for any address, known or not (the job finds out): the answer and its timing tell nothing.
    settings = get_settings()
    store = request.app.stores.get("cache")
    window = settings.login_window_minutes * 60
    now = int(security.utcnow().timestamp())
    address_key = f"reset:addr:{client_address(request)}"
    key = f"reset:{security.token_digest(services.normalize_email(email))}"
    if await services.window_count(store, address_key, now, window) < settings.reset_address_max_requests and (
        not await store.exists(key)  # one mail per address per minute, whatever is clicked
    ):
        await services.count_in_window(store, address_key, now, window)
        await store.set(key, "1", expires_in=60)
        await request.app.state.queue.enqueue(
            "send_password_reset",
            email=services.normalize_email(email),
            locale=get_locale(),
            base_url=settings.base_url,
            timeout=60,
            retries=3,
            retry_delay=5.0,
            retry_backoff=True,
        )
    return render(request, "accounts/forgot.html", {"email": email, "errors": errors, "sent": True})


@get("/password/reset/{token:str}", opt=PUBLIC, include_in_schema=False)
async def reset_page(request: Request, token: FromPath[str], db_session: Db) -> Any:
    valid = await services.user_for_reset_token(db_session, token) is not None
    return render(request, "accounts/reset.html", {"token": token, "valid": valid, "errors": FormErrors()})


@post("/password/reset/{token:str}", opt=PUBLIC, include_in_schema=False)
async def reset(request: Request, token: FromPath[str], db_session: Db) -> Any:
    form = NewPasswordForm.parse(await request.form())
    found = await services.user_for_reset_token(db_session, token)
    if found is None:
        return render(request, "accounts/reset.html", {"token": token, "valid": False, "errors": FormErrors()})
    form.check_for(found[1].email)
    if not form.ok:
        context = {"token": token, "valid": True, "errors": form.errors}
        return render(request, "accounts/reset.html", context, status_code=422)
    await services.reset_password(db_session, token, form.password)
    toast(request, _("Your password is set. Sign in with it."))
    return Redirect("/login", status_code=303)


# --------------------------------------------------------------------------- profile


async def _profile_context(db_session: AsyncSession, user: User, **extra: Any) -> dict[str, Any]:
    return {
        "tokens": await services.list_api_tokens(db_session, user),
        "languages": LANGUAGES,
        "errors": FormErrors(),
        "new_token": None,
        **extra,
    }


@get("/profile", include_in_schema=False)
async def profile(request: Request, me: Me, db_session: Db) -> Any:
    return render(request, "accounts/profile.html", await _profile_context(db_session, me))


@post("/profile", include_in_schema=False)
async def save_profile(request: Request, me: Me, db_session: Db) -> Any:
    form = ProfileForm.parse(await request.form())
    if not form.ok:
        context = await _profile_context(db_session, me, errors=form.errors)
        return render(request, "accounts/profile.html", context, status_code=422)
    await services.update_user(db_session, me, me, name=form.name)
    me.locale = normalize_locale(form.locale or me.locale)
    toast(request, _("Profile saved."))
    response = Redirect("/profile", status_code=303)
    response.set_cookie(
        "crm_lang",
        me.locale,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )
    return response


@get("/profile/password", opt={"allow_password_change": True}, include_in_schema=False)
async def password_page(request: Request) -> Any:
    return render(request, "accounts/password.html", {"errors": FormErrors()})


@post("/profile/password", opt={"allow_password_change": True}, include_in_schema=False)
async def change_password(request: Request, me: Me, db_session: Db) -> Any:
    from crm.lib.security import verify_password

    form = ChangePasswordForm.parse(await request.form())
    if not await verify_password(me.password_hash, form.current):
        form.errors.add("current", _("This is not your current password."))
    else:
        form.check_for(me.email)
        if form.ok and form.password == form.current:
            form.errors.add("password", _("Choose a password different from the current one."))
    if not form.ok:
        return render(request, "accounts/password.html", {"errors": form.errors}, status_code=422)
    await services.set_password(db_session, me, form.password)
    start_session(request, me)  # other sessions end with the old epoch; this one continues
    toast(request, _("Password changed. Your other sessions were signed out."))
    return Redirect("/profile", status_code=303)


@post("/profile/tokens", include_in_schema=False)
async def create_token(request: Request, me: Me, db_session: Db) -> Any:
    form = TokenForm.parse(await request.form())
    if not form.ok:
        errors = FormErrors(token_name=form.errors["name"])  # the profile page has another "name" field
        return render(
            request,
            "accounts/profile.html",
            await _profile_context(db_session, me, errors=errors),
            block="tokens",
            status_code=422,
        )
    _token, raw = await services.create_api_token(db_session, me, form.name)
    return render(
        request,
        "accounts/profile.html",
        await _profile_context(db_session, me, new_token=raw),
        block="tokens",
    )


@post("/profile/tokens/{token_id:uuid}/revoke", include_in_schema=False)
async def revoke_token(request: Request, me: Me, token_id: FromPath[uuid.UUID], db_session: Db) -> Any:
    await services.revoke_api_token(db_session, me, token_id)
    return render(request, "accounts/profile.html", await _profile_context(db_session, me), block="tokens")


ROUTES: list[Any] = [
    login_page,
    login,
    logout,
    set_language,
    forgot_page,
    forgot,
    reset_page,
    reset,
    profile,
    save_profile,
    password_page,
    change_password,
    create_token,
    revoke_token,
]
