"""``GET /r/<token>``: the receipt of one payment, with its VAT breakdown."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale

from app.backend import receipts
from app.config import LANGUAGES
from app.extensions import db, kanava

bp = Blueprint("receipts", __name__)


@bp.get("/r/<token>")
def receipt(token: str) -> str:
    found = receipts.receipt_for(db.session(), kanava(), token)
    if found is None:
        abort(404)
    wanted = request.args.get("lang")
    lang = wanted if wanted in LANGUAGES else found.order.language
    with force_locale(lang):
        return render_template(
            "receipts/receipt.html", receipt=found, lang=lang, settings=kanava().settings
        )
