"""The payment link ``/pay/<token>``, the return from a hosted checkout, and the local demo
payment page.

``/pay/<token>`` is the short link in the SMS and the end of the web form. It asks the
payment service where to go: the payment's current checkout (a fresh one if the old one
expired), a question whether to save the card, the result of a payment already made, or
the demo page. The demo page is only served while the demo gateway is the one configured
(never with ``STRIPE_SECRET_KEY``).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.backend import ledger, orders
from app.config import LANGUAGES
from app.extensions import csrf, db, kanava
from app.models import Payment
from app.usecases import pay_link as links

bp = Blueprint("pay", __name__)


class ConsentForm(FlaskForm):  # type: ignore[misc]
    """Only the CSRF token: the two buttons carry the answer (``save=yes|no``)."""


def _lang(payment: Payment) -> str:
    wanted = request.args.get("lang")
    return wanted if wanted in LANGUAGES else payment.order.language


def _render(template: str, payment: Payment, **context: object) -> str:
    owed = orders.owed(kanava(), payment.order)  # what the order still asks, if anything
    with force_locale(_lang(payment)):
        return render_template(
            template,
            payment=payment,
            order=payment.order,
            owed=owed,
            lapsed=payment.failure_reason == ledger.LAPSED,
            lang=_lang(payment),
            **context,
        )


def _step(token: str, save_card: bool | None) -> Response | str:
    k = kanava()
    try:
        step = links.checkout_for_token(
            db.session(), k, token, now=k.clock(), save_card=save_card
        )
    except links.PaymentNotPayable:
        abort(404)
    if step.action == "redirect" and step.url:
        return redirect(step.url, code=303)
    if step.action == "demo":
        return redirect(f"/demo-pay/{step.payment.token}", code=303)
    if step.action == "ask_consent":
        return _render(
            "pay/consent.html",
            step.payment,
            form=ConsentForm(),
            consent=links.consent_text(_lang(step.payment)),
        )
    return _render("pay/done.html", step.payment)


@bp.get("/pay/<token>")
def pay_link(token: str) -> Response | str:
    return _step(token, None)


@bp.post("/pay/<token>")
def pay_consent(token: str) -> Response | str:
    form = ConsentForm()
    if not form.validate_on_submit():
        abort(400)
    return _step(token, request.form.get("save") == "yes")


@bp.get("/pay/<token>/return")
def checkout_return(token: str) -> str:
    k = kanava()
    try:
        payment = links.return_from_checkout(
            db.session(), k, token, request.args.get("session_id"), now=k.clock()
        )
    except links.PaymentNotPayable:
        abort(404)
    return _render("pay/done.html", payment)


def _demo_payment_or_404(token: str) -> Payment:
    if kanava().payments.name != "demo":
        abort(404)
    payment = ledger.find_by_token(db.session(), token)
    if payment is None:
        abort(404)
    return payment


@bp.get("/demo-pay/<token>")
def demo_page(token: str) -> str:
    payment = _demo_payment_or_404(token)
    return _render("pay/demo.html", payment)


@bp.post("/demo-pay/<token>")
def demo_pay(token: str) -> Response | tuple[str, int]:
    payment = _demo_payment_or_404(token)
    k = kanava()
    try:
        links.complete_demo_payment(db.session(), k, payment.token, now=k.clock())
    except links.PaymentNotPayable:
        return _render("pay/done.html", payment), 409
    lang = request.args.get("lang")
    suffix = f"?lang={lang}" if lang in LANGUAGES else ""
    return redirect(f"/pay/{payment.token}{suffix}", code=303)


# The demo's "pay" button moves no money; the consent form above stays protected.
csrf.exempt(demo_pay)
