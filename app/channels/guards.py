"""Input refused before any view runs: control characters in the path, the query string
or a person's form.

No address, query or form field of Kanava may hold a C0 control character (PostgreSQL
refuses NUL in any text parameter; SQLite would store it): a path holding one is not
found (404), a query or a form field holding one is a bad request (400). Webhook forms
are left to their channels, which clean free text (:func:`app.domain.inputs.clean_text`)
rather than lose a message.
"""

from __future__ import annotations

from flask import abort, request

from app.domain.inputs import clean_text, has_control

# Machines post these; their channels check and clean their own fields.
WEBHOOK_PATHS = ("/twilio/", "/stripe/")


def refuse_control_characters() -> None:
    path = request.path
    if has_control(path):
        abort(404)
    # Most requests have no query string: nothing to parse then.
    if request.query_string and any(
        has_control(k) or has_control(v) for k, v in request.args.items(multi=True)
    ):
        abort(400)
    if request.method == "POST" and not path.startswith(WEBHOOK_PATHS):
        # Tab and newlines are text in a textarea; every other control is refused.
        for key, value in request.form.items(multi=True):
            if clean_text(key) != key or clean_text(value) != value:
                abort(400)
