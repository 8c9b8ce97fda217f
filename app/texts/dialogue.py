"""What Kanava says in the dialogue steps of issue 12: offered keywords, prices,
corrections, and the clock's proactive messages (fi, sv, en through Babel).

Rendered like :mod:`app.texts.messages` (SMS-safe, one language at a time).
"""

from __future__ import annotations

from app.texts.messages import _, _render

#: The one-letter yes the driver is asked for, in the language of the question.
YES_WORD = {"fi": "K", "sv": "J", "en": "Y"}


def did_you_mean(suggestion: str, lang: str) -> str:
    """ "Tarkoititko JATKA 30? Vastaa K": a mistyped keyword offered back, to confirm."""
    return _render(
        lang,
        lambda: _(
            "Did you mean %(command)s? Reply %(yes)s",
            command=suggestion,
            yes=YES_WORD.get(lang, "Y"),
        ),
    )


def nothing_done(lang: str) -> str:
    return _render(lang, lambda: _("OK, nothing was done."))
