"""SMS pages: the outbound log and a message's delivery history, incoming SMS, and system alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.stats import messages_by_month
from service.console.web import actor, day_label, local_today, paginate, requested_range, settings, t
from service.db import get_db
from service.gateways.chain import read_health
from service.gsm7 import for_sms
from service.inbox.queue import inbox_query, mark_handled
from service.models import MESSAGE_STATUSES, InboundMessage, MessageEvent, OutboundMessage, SystemAlert
from service.outbox.kinds import MESSAGE_KINDS
from service.outbox.rows import release_held
from service.outbox.templates import TemplateError, render
from service.redis_conn import get_redis
from service.timeutil import utcnow

MOMENTS = ("last_success_at", "last_error_at", "failing_since", "paused_until")


@bp.get("/messages")
@requires("coordinator")
def messages():
    days = requested_range()
    status, kind = request.args.get("status", ""), request.args.get("kind", "")
    query = select(OutboundMessage).order_by(OutboundMessage.due_at.desc(), OutboundMessage.id.desc())
    if status:
        query = query.where(OutboundMessage.status == status)
    if kind:
        query = query.where(OutboundMessage.kind == kind)
    if days.since:
        query = query.where(OutboundMessage.due_at >= days.since)
    if days.until:
        query = query.where(OutboundMessage.due_at < days.until)
    with get_db().session() as session:
        page = paginate(session, query)
        return render_template(
            "console/messages.html",
            page=page,
            days=days,
            statuses=MESSAGE_STATUSES,
            kinds=MESSAGE_KINDS,
            labels=labels,
            gateways=gateway_health(),
            months=[
                (day_label(month.month, "MMMM y"), month)
                for month in messages_by_month(session, settings().tz, local_today())
            ],
        )


def gateway_health() -> list[dict[str, Any]]:
    """Each gateway of SMS_GATEWAY, in order, with its last success, last error and pause."""
    rows = []
    for name, state in read_health(get_redis(), settings().gateways).items():
        moments = {key: datetime.fromisoformat(state[key]) for key in MOMENTS if state.get(key)}
        paused = moments.get("paused_until")
        rows.append(
            {
                "name": name,
                "state": state,
                **moments,
                "paused": paused is not None and paused > utcnow(),
                "failing": "failing_since" in moments,
            }
        )
    return rows


@bp.get("/messages/<int:message_id>")
@requires("coordinator")
def message(message_id: int):
    with get_db().session() as session:
        item = session.get(OutboundMessage, message_id) or abort(404)
        events = session.scalars(
            select(MessageEvent)
            .where(MessageEvent.message_id == item.id)
            .order_by(MessageEvent.created_at, MessageEvent.id)
        ).all()
        return render_template(
            "console/message.html",
            message=item,
            events=events,
            labels=labels,
            planned=_planned_text(session, item),
        )


def _planned_text(session: Session, message: OutboundMessage) -> str | None:
    """The text a message not yet sent would carry if it left now (the current template, its values, in
    the spelling it would be sent in); None once sent, or when it cannot be composed."""
    if message.text:
        return None
    try:
        body = render(session, message.kind, message.language, message.params or {}, settings())
    except TemplateError:
        return None
    return for_sms(body, settings().gsm7_conversion).text


@bp.post("/messages/<int:message_id>/release")
@requires("coordinator")
def message_release(message_id: int):
    """A held SMS goes back to the queue with today's place names; it is checked again before it leaves."""
    with get_db().session() as session:
        item = session.get(OutboundMessage, message_id) or abort(404)
        if release_held(session, item, utcnow()):
            record_audit(session, actor(), AuditAction.MESSAGE_RELEASED, {"message": item.id})
            flash(t("SMS remis en file : il sera vérifié encore avant l'envoi."))
        else:
            flash(t("Ce SMS n'est plus retenu."), "error")
    return redirect(url_for("console.message", message_id=message_id))


@bp.get("/inbox")
@requires("coordinator")
def inbox():
    show = request.args.get("show", "open")
    query = inbox_query(open_only=show == "open")
    with get_db().session() as session:
        return render_template("console/inbox.html", page=paginate(session, query), show=show, labels=labels)


@bp.post("/inbox/<int:inbound_id>/handled")
@requires("coordinator")
def inbox_handled(inbound_id: int):
    with get_db().session() as session:
        item = session.get(InboundMessage, inbound_id) or abort(404)
        if mark_handled(item, actor(), utcnow()):
            record_audit(session, actor(), AuditAction.INBOUND_HANDLED, {"inbound": item.id})
    flash(t("Message marqué comme traité."))
    return redirect(url_for("console.inbox"))


@bp.post("/alerts/<int:alert_id>/resolve")
@requires("coordinator")
def resolve_alert(alert_id: int):
    with get_db().session() as session:
        alert = session.get(SystemAlert, alert_id) or abort(404)
        if alert.resolved_at is None:
            alert.resolved_at = utcnow()
            record_audit(
                session, actor(), AuditAction.SYSTEM_ALERT_RESOLVED, {"alert": alert.id, "kind": alert.kind}
            )
    flash(t("Alerte marquée comme résolue."))
    target = request.referrer or ""
    return redirect(
        target if target.startswith(request.host_url + "console/") else url_for("console.dashboard")
    )
