"""``GET /privacy``: the privacy notice in the driver's language (fi, sv, en): who the
controller is, what is kept, why, for how long, and how to ask for a copy or erasure.
Linked from the help SMS, the web form and the printed signs."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.extensions import kanava
from app.texts.signs import display_number

bp = Blueprint("privacy", __name__)

# Finnish Accounting Act (kirjanpitolaki 2:10): vouchers six years after the financial year.
ACCOUNTING_YEARS = 6


@bp.get("/privacy")
def notice() -> str:
    settings = kanava().settings
    number = display_number(settings.service_number or "")
    return render_template(
        "web/privacy.html",
        operator=settings.operator,
        contact=settings.privacy_contact or number,
        number=number,
        message_days=settings.retention_message_days,
        customer_months=settings.retention_customer_months,
        accounting_years=ACCOUNTING_YEARS,
    )
