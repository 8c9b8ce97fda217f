"""What Kanava says when it hands a message to a person (fi, sv, en), with when to expect
the answer from ``SUPPORT_HOURS``."""

from __future__ import annotations

from datetime import date, datetime, time

from babel.dates import format_time
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from app.domain.pricing import END_OF_DAY
from app.domain.support_hours import (
    DEFAULT_SUPPORT_HOURS,
    AnswerTime,
    SupportHoursError,
    next_answer,
    parse_support_hours,
)
from app.kernel import Kanava
from app.texts.messages import sms_safe

_TIME_PATTERN = {"fi": "H.mm", "sv": "HH:mm", "en": "HH:mm"}
_BABEL_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_IE"}
_ON_WEEKDAY = (
    _l("on Monday"),
    _l("on Tuesday"),
    _l("on Wednesday"),
    _l("on Thursday"),
    _l("on Friday"),
    _l("on Saturday"),
    _l("on Sunday"),
)


def _(text: str, **variables: object) -> str:
    return str(gettext(text, **variables))


def _clock(at: time, lang: str) -> str:
    if at == END_OF_DAY:
        return "24.00" if lang == "fi" else "24:00"
    return str(format_time(at, _TIME_PATTERN[lang], locale=_BABEL_LOCALE[lang]))


def answer_time(kanava: Kanava, now: datetime) -> AnswerTime | None:
    """When a person answers a message sent at ``now``, from ``SUPPORT_HOURS``."""
    try:
        hours = parse_support_hours(kanava.settings.support_hours)
    except SupportHoursError:  # checked at start-up; a bad value never silences a reply
        hours = parse_support_hours(DEFAULT_SUPPORT_HOURS)
    return next_answer(hours, now.astimezone(kanava.settings.tz))


def when_phrase(answer: AnswerTime | None, today: date, lang: str) -> str:
    """``today by 16:00``, ``tomorrow after 08:00``, ``on Monday after 08:00`` in ``lang``
    (call inside ``force_locale(lang)``)."""
    if answer is None:
        return _("as soon as we can")
    clock = _clock(answer.at, lang)
    ahead = answer.days_ahead(today)
    if ahead == 0 and answer.kind == "by":
        return _("today by %(time)s", time=clock)
    if ahead == 0:
        return _("today after %(time)s", time=clock)
    if ahead == 1:
        return _("tomorrow after %(time)s", time=clock)
    return _("%(day)s after %(time)s", day=str(_ON_WEEKDAY[answer.day.weekday()]), time=clock)


def _render(lang: str, kanava: Kanava, now: datetime, build: str) -> str:
    today = now.astimezone(kanava.settings.tz).date()
    with force_locale(lang):
        when = when_phrase(answer_time(kanava, now), today, lang)
        if build == "handed_over":
            text = _("Thank you. A person will read your message and answer %(when)s.", when=when)
        elif build == "not_understood_twice":
            text = _(
                "Sorry, I still did not understand, so a person will read your messages and "
                "answer %(when)s. To park, text plate and zone, e.g. ABC-123 101.",
                when=when,
            )
        else:
            text = _("Thank you, added to your case. A person will answer %(when)s.", when=when)
    return sms_safe(text)


def handed_over(lang: str, kanava: Kanava, now: datetime) -> str:
    """A complaint or a question went to a person."""
    return _render(lang, kanava, now, "handed_over")


def not_understood_twice(lang: str, kanava: Kanava, now: datetime) -> str:
    """A second message in a row not understood went to a person."""
    return _render(lang, kanava, now, "not_understood_twice")


def added_to_case(lang: str, kanava: Kanava, now: datetime) -> str:
    """A message joined the driver's open case."""
    return _render(lang, kanava, now, "added_to_case")


def call_handed_over(lang: str, kanava: Kanava, now: datetime) -> str:
    """Said on a call that went to a person (the help key, or two answers in a row not
    understood): someone gets back to the caller, and roughly when."""
    today = now.astimezone(kanava.settings.tz).date()
    with force_locale(lang):
        when = when_phrase(answer_time(kanava, now), today, lang)
        return _("A person from customer service will get back to you %(when)s.", when=when)
