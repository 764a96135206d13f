"""The Jinja environment: gettext, formatting filters and the helpers every template uses."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup

from crm.config import get_settings
from crm.lib import i18n


def _json_script(value: Any) -> Markup:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S704 - escaped JSON


def configure(engine: JinjaTemplateEngine, extra_globals: dict[str, Any] | None = None) -> None:
    env: Environment = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: i18n.translations(i18n.get_locale()).ugettext(s),
        ngettext=lambda s, p, n: i18n.translations(i18n.get_locale()).ungettext(s, p, n),
        newstyle=True,
    )
    env.globals.update(
        get_locale=i18n.get_locale,
        languages=i18n.LANGUAGES,
        month_name=i18n.month_name,
        weekday_names=i18n.weekday_names,
        settings=get_settings(),
    )
    env.globals.update(extra_globals or {})
    env.filters.update(
        number=i18n.fmt_number,
        money=i18n.fmt_money,
        amount_input=i18n.fmt_amount_input,
        datetime=i18n.fmt_datetime,
        date=i18n.fmt_date,
        month=i18n.fmt_month,
        json_script=_json_script,
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
