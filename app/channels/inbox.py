"""The staff inbox pages under ``/admin/inbox`` (routes of the panel's blueprint, so they
share its sign-in, no-store and words): the list of cases, one case with the customer's
timeline, and the answer, assign and close forms. Every signed-in user may work cases."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.channels import panel_words
from app.channels.admin import bp
from app.channels.admin_auth import staff
from app.extensions import db, kanava
from app.panel import inbox

FILTER_WORDS = {
    "mine": _l("Mine"),
    "unassigned": _l("Unassigned"),
    "all": _l("All open"),
    "closed": _l("Closed"),
}
REASON_WORDS = {
    "complaint": _l("Complaint"),
    "question": _l("Question"),
    "not_understood": _l("Not understood twice"),
    "call": _l("Phone call"),
}
INBOX_ERRORS = {
    "unknown_case": _l("No such case."),
    "empty_answer": _l("The answer is empty."),
}


def age_text(age: timedelta) -> str:
    """How long a case has waited: ``5 min``, ``3 h``, ``2 d``."""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        return str(_("%(n)s min", n=minutes))
    if minutes < 48 * 60:
        return str(_("%(n)s h", n=minutes // 60))
    return str(ngettext("%(num)s day", "%(num)s days", minutes // (24 * 60)))


def _words() -> dict[str, object]:
    return {
        "filter_words": FILTER_WORDS,
        "reason_words": REASON_WORDS,
        "age_text": age_text,
    }


@bp.get("/inbox")
def inbox_list() -> str:
    which = request.args.get("show")
    if which not in inbox.FILTERS:
        which = "all"
    k = kanava()
    now = k.clock()
    rows = inbox.inbox(db.session(), staff(), which, now)
    return render_template("admin/inbox.html", rows=rows, which=which, now=now, **_words())


@bp.get("/inbox/<int:case_id>")
def case(case_id: int) -> str | tuple[str, int]:
    k = kanava()
    now = k.clock()
    try:
        page = inbox.case_page(db.session(), k, case_id, now)
    except inbox.InboxError as exc:
        return render_template("admin/error.html", message=INBOX_ERRORS[exc.code]), 404
    return render_template(
        "admin/case.html",
        page=page,
        now=now,
        event_text=panel_words.event_text,
        max_answer=inbox.MAX_ANSWER,
        **_words(),
    )


def _back_to(case_id: int) -> WerkzeugResponse:
    return redirect(url_for("admin.case", case_id=case_id), code=303)


@bp.post("/inbox/<int:case_id>/answer")
def case_answer(case_id: int) -> WerkzeugResponse:
    k = kanava()
    try:
        inbox.answer(db.session(), k, staff(), case_id, request.form.get("text", ""), k.clock())
        flash(_("Answer sent."))
    except inbox.InboxError as exc:
        flash(str(INBOX_ERRORS[exc.code]), "error")
    return _back_to(case_id)


@bp.post("/inbox/<int:case_id>/assign")
def case_assign(case_id: int) -> WerkzeugResponse:
    try:
        inbox.assign_to_me(db.session(), staff(), case_id, kanava().clock())
        flash(_("The case is yours."))
    except inbox.InboxError as exc:
        flash(str(INBOX_ERRORS[exc.code]), "error")
    return _back_to(case_id)


@bp.post("/inbox/<int:case_id>/close")
def case_close(case_id: int) -> WerkzeugResponse:
    try:
        inbox.close(db.session(), staff(), case_id, kanava().clock())
        flash(_("Case closed."))
    except inbox.InboxError as exc:
        flash(str(INBOX_ERRORS[exc.code]), "error")
        return _back_to(case_id)
    return redirect(url_for("admin.inbox_list"), code=303)
