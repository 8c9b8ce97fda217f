"""The payment link ``/pay/<token>`` and the local demo payment page.

``/pay/<token>`` is the short link in the SMS; it sends the driver to the payment
gateway's page. The demo gateway's page lives here too and is only served while the demo
gateway is the one configured (never with ``STRIPE_SECRET_KEY``).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template
from werkzeug.wrappers import Response

from app import kanava
from app.extensions import db
from app.models import Payment, PaymentStatus
from app.services import payments

bp = Blueprint("pay", __name__)


@bp.get("/pay/<token>")
def pay_link(token: str) -> Response | str:
    payment = payments.find_by_token(db.session(), token)
    if payment is None:
        abort(404)
    if payment.status is not PaymentStatus.PENDING:
        return render_template("pay/done.html", payment=payment, order=payment.order)
    k = kanava()
    return redirect(k.payments.checkout_url(payment, k.settings), code=303)


def _demo_payment_or_404(token: str) -> Payment:
    if kanava().payments.name != "demo":
        abort(404)
    payment = payments.find_by_token(db.session(), token)
    if payment is None:
        abort(404)
    return payment


@bp.get("/demo-pay/<token>")
def demo_page(token: str) -> str:
    payment = _demo_payment_or_404(token)
    return render_template("pay/demo.html", payment=payment, order=payment.order)


@bp.post("/demo-pay/<token>")
def demo_pay(token: str) -> Response | str:
    payment = _demo_payment_or_404(token)
    k = kanava()
    try:
        payments.complete_demo_payment(db.session(), k, payment.token, now=k.clock())
    except payments.PaymentNotPayable:
        return render_template("pay/done.html", payment=payment, order=payment.order), 409  # type: ignore[return-value]
    return redirect(f"/pay/{payment.token}", code=303)
