"""The dashboard page: weekly charts (inline SVG) with their numbers in tables, over a date range."""

from __future__ import annotations

from flask import render_template

from service import translations
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.charts import Series, bar_chart, line_chart
from service.console.stats import consults_by_month
from service.console.stats import dashboard as compute_dashboard
from service.console.web import day_label, requested_range, settings, t
from service.db import get_db
from service.timeutil import utcnow

DEFAULT_DAYS = 84


@bp.get("/")
@requires("viewer")
def dashboard():
    days = requested_range(DEFAULT_DAYS)
    with get_db().session() as session:
        data = compute_dashboard(session, days.since, days.until, settings().tz)
        consult_months = consults_by_month(session, settings().tz, utcnow().astimezone(settings().tz).date())
        words = translations.completeness(session)
    week_labels = [day_label(week) for week in data.weeks]
    category_series = [Series(t(labels.CATEGORY.get(k, k)), v) for k, v in data.by_category.items() if any(v)]
    urgency_series = [Series(t(labels.URGENCY.get(k, k)), v) for k, v in data.by_urgency.items()]
    charts = {
        "category": bar_chart(
            t("Signalements par semaine et par catégorie"), week_labels, category_series, stacked=True
        ),
        "urgency": bar_chart(
            t("Signalements par semaine et par urgence"), week_labels, urgency_series, stacked=True
        ),
        "district": bar_chart(
            t("Signalements par district"),
            [name for name, _count in data.by_district],
            [Series(t("Signalements"), [count for _name, count in data.by_district])],
        ),
        "delivery": line_chart(
            t("Taux de remise des rappels (%)"),
            week_labels,
            [Series(t("Remis / envoyés (%)"), data.weekly_rate())],
            y_max=100,
        ),
        "channels": bar_chart(
            t("Rappels par semaine : SMS et appels"),
            week_labels,
            [
                Series(t("SMS"), data.sms_reminders),
                Series(t("Appels"), data.calls),
                Series(t("Décrochés"), data.calls_answered),
            ],
        ),
        "optouts": bar_chart(
            t("Désinscriptions (STOP) par semaine"), week_labels, [Series(t("STOP"), data.opt_outs)]
        ),
    }
    return render_template(
        "console/dashboard.html",
        data=data,
        days=days,
        charts=charts,
        week_labels=week_labels,
        category_series=category_series,
        urgency_series=urgency_series,
        labels=labels,
        words=words,
        consult_months=consult_months,
    )
