"""Admins export a customer's data as JSON and erase a customer (``/admin/customers/…``).

Both start from a confirmation page naming what will happen, like the panel's other
actions; the button does it. Both are recorded in the customer's timeline (the audit
trail): who, when, what.
"""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from app.backend import privacy
from app.channels.admin import bp
from app.channels.admin_auth import admin_required, staff
from app.channels.panel_words import ConfirmWords
from app.extensions import db, kanava
from app.models import Customer
from app.usecases import privacy as privacy_usecase


def _customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None or privacy.is_erased(customer):
        abort(404)
    return customer


def _back(customer: Customer) -> str:
    return url_for("admin.timeline", q=customer.phone)


def _facts(summary: privacy.Summary) -> list[tuple[str, str]]:
    return [
        (_("Orders"), str(summary.orders)),
        (_("Events in the timeline"), str(summary.events)),
        (_("Text messages sent"), str(summary.messages)),
        (_("Vehicles"), str(summary.vehicles)),
    ]


@bp.get("/customers/<int:customer_id>/export")
@admin_required
def confirm_export(customer_id: int) -> str:
    """What an export holds; the button downloads it."""
    customer = _customer(customer_id)
    summary = privacy.summary(db.session(), customer)
    words = ConfirmWords(
        _("Export the data of %(phone)s?", phone=customer.phone),
        _(
            "Downloads everything kept about this customer as a JSON file, for a data "
            "subject's request. The export is recorded in the timeline."
        ),
        _facts(summary),
        _("Download JSON"),
    )
    return render_template(
        "admin/confirm.html",
        action="export",
        words=words,
        hidden={},
        danger=False,
        post_url=url_for("admin.customer_export", customer_id=customer.id),
        back=_back(customer),
        error=None,
        now=kanava().clock(),
    )


@bp.post("/customers/<int:customer_id>/export")
@admin_required
def customer_export(customer_id: int) -> Response | WerkzeugResponse:
    customer = _customer(customer_id)
    if request.form.get("confirmed") != "1":
        return redirect(url_for("admin.confirm_export", customer_id=customer_id), code=303)
    data = privacy_usecase.export_customer(db.session(), customer, _actor(), kanava().clock())
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="customer-{customer_id}.json"'
    return response


def _actor() -> str:
    note = request.form.get("note", "")[:200].strip()
    return staff().name + (f" ({note})" if note else "")


@bp.get("/customers/<int:customer_id>/erase")
@admin_required
def confirm_erase(customer_id: int) -> str | tuple[str, int]:
    """What an erasure removes and keeps; the button erases."""
    customer = _customer(customer_id)
    summary = privacy.summary(db.session(), customer)
    if summary.running:
        return render_template(
            "admin/confirm.html",
            action="erase",
            error=_("This customer has a parking or booking running. Erase after it has ended."),
            back=_back(customer),
            now=kanava().clock(),
        ), 409
    words = ConfirmWords(
        _("Erase %(phone)s?", phone=customer.phone),
        _(
            "The phone number, every message and call text, the saved card and the "
            "vehicles list are removed for good. Orders, payments and receipts stay for "
            "accounting, with their plates, but no longer lead to this number."
        ),
        _facts(summary),
        _("Erase the customer"),
    )
    return render_template(
        "admin/confirm.html",
        action="erase",
        words=words,
        hidden={},
        danger=True,
        post_url=url_for("admin.customer_erase", customer_id=customer.id),
        back=_back(customer),
        error=None,
        now=kanava().clock(),
    )


@bp.post("/customers/<int:customer_id>/erase")
@admin_required
def customer_erase(customer_id: int) -> WerkzeugResponse:
    customer = _customer(customer_id)
    if request.form.get("confirmed") != "1":
        return redirect(url_for("admin.confirm_erase", customer_id=customer_id), code=303)
    try:
        k = kanava()
        erased = privacy_usecase.erase_customer(
            db.session(), customer, _actor(), k.clock(), payments=k.payments
        )
    except privacy.CustomerBusy:
        flash(
            _("This customer has a parking or booking running. Erase after it has ended."), "error"
        )
        return redirect(url_for("admin.confirm_erase", customer_id=customer_id), code=303)
    except privacy_usecase.PaymentProviderUnavailable:
        flash(
            _(
                "The payment provider could not be reached to delete the saved cards. "
                "Nothing was erased: try again."
            ),
            "error",
        )
        return redirect(url_for("admin.confirm_erase", customer_id=customer_id), code=303)
    flash(
        _(
            "Customer erased. %(orders)s orders kept for accounting, without the number.",
            orders=erased.orders_kept,
        )
    )
    if erased.payment_customer == "deleted":
        flash(_("Their saved cards were deleted at the payment provider."))
    return redirect(url_for("admin.timeline"), code=303)
