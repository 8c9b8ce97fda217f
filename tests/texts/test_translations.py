"""The fi and sv catalogs are complete, consistent with the code, and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def _source_msgids() -> set[str]:
    method_map = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_in_the_code_is_in_the_catalogs() -> None:
    in_code = _source_msgids()
    for lang in ("fi", "sv", "en"):
        in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(lang) if m.id}
        missing = in_code - in_catalog
        assert not missing, f"{lang}: run `make translations` and translate: {sorted(missing)}"


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_catalog_is_fully_translated_with_the_same_placeholders(lang: str) -> None:
    for message in _catalog(lang):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"{lang}: untranslated: {message.id!r}"
        assert not message.fuzzy, f"{lang}: fuzzy: {message.id!r}"
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, (
                f"{lang}: placeholders differ in {message.id!r}"
            )


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_compiled_catalog_matches_the_po_file(lang: str) -> None:
    mo = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _catalog(lang):
        if not (message.id and message.string):
            continue
        if isinstance(message.id, str):
            actual = [compiled.gettext(message.id)]
            expected = [message.string]
        else:
            singular, plural = message.id
            actual = [compiled.ngettext(singular, plural, n) for n in (1, 2)]
            expected = list(message.string)
        assert actual == expected, f"{lang}: messages.mo is stale; run `make translations`"
