"""The failure-demand page under ``/admin/demand`` (a route of the panel's blueprint, for
admins): contacts per day, channel, zone and sign, the failure share, contacts per
completed order, first-contact resolution and the texts most often not understood, with
charts drawn as inline SVG (no script, no CDN) and a CSV download."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Response, render_template, request
from flask_babel import format_decimal, format_percent
from flask_babel import lazy_gettext as _l

from app.channels.admin import ERROR_WORDS, bp
from app.channels.admin_auth import admin_required
from app.extensions import db, kanava
from app.panel import demand

REASON_WORDS = {
    "not_understood": _l("Not understood"),
    "repeat": _l("Asked again"),
    "correction": _l("Correction"),
    "help": _l("Help"),
    "complaint": _l("Complaint"),
    "payment_failed": _l("Payment failed"),
    "operator": _l("To a person"),
}
DEFAULT_DAYS = 14
CHART_WIDTH = 360
CHART_HEIGHT = 120


@dataclass(frozen=True)
class DayBar:
    """One day's stacked bar in the chart's own units (``viewBox``)."""

    day: date
    x: float
    width: float
    value_y: float
    value_height: float
    failure_y: float
    failure_height: float
    contacts: int
    failure: int


def day_bars(found: demand.Figures) -> list[DayBar]:
    """Failure on the bottom (red), value above it, scaled to the busiest day."""
    days = sorted(found.by_day.items())
    peak = max((t.contacts for _, t in days), default=0) or 1
    slot = CHART_WIDTH / max(len(days), 1)
    width = max(slot * 0.7, 1.0)
    bars = []
    for index, (day, tally) in enumerate(days):
        failure_h = CHART_HEIGHT * tally.failure / peak
        value_h = CHART_HEIGHT * tally.value / peak
        bars.append(
            DayBar(
                day=day,
                x=round(index * slot + (slot - width) / 2, 2),
                width=round(width, 2),
                value_y=round(CHART_HEIGHT - failure_h - value_h, 2),
                value_height=round(value_h, 2),
                failure_y=round(CHART_HEIGHT - failure_h, 2),
                failure_height=round(failure_h, 2),
                contacts=tally.contacts,
                failure=tally.failure,
            )
        )
    return bars


def share(value: float | None) -> str:
    return "–" if value is None else str(format_percent(value, "#,##0 %"))


def ratio(value: float | None) -> str:
    """Two decimals as the viewer writes them: ``11,00`` in Finnish and Swedish."""
    return "–" if value is None else str(format_decimal(value, "#,##0.00"))


@bp.get("/demand")
@admin_required
def demand_page() -> str | Response | tuple[str, int]:
    k = kanava()
    today = k.clock().astimezone(k.settings.tz).date()
    raw_from = request.args.get("from") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    raw_to = request.args.get("to") or today.isoformat()
    try:
        first, last = demand.parse_range(raw_from, raw_to)
    except demand.RangeError:
        return render_template(
            "admin/demand.html", found=None, error=ERROR_WORDS["bad_dates"], first=raw_from,
            last=raw_to,
        ), 400  # fmt: skip
    found = demand.figures(db.session(), k, first, last)
    if request.args.get("format") == "csv":
        name = f"kanava-demand-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            "\ufeff" + demand.as_csv(found),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    reasons_peak = max(found.by_reason.values(), default=0) or 1
    return render_template(
        "admin/demand.html",
        found=found,
        error=None,
        first=first.isoformat(),
        last=last.isoformat(),
        bars=day_bars(found),
        chart_width=CHART_WIDTH,
        chart_height=CHART_HEIGHT,
        reasons_peak=reasons_peak,
        reason_words=REASON_WORDS,
        share=share,
        ratio=ratio,
    )
