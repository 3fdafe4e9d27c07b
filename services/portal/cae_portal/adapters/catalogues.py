"""The gettext catalogues: the committed ``.po`` files compiled in memory at start (Babel's
``mofile``), so that no ``.mo`` is committed or built beforehand. A language has one ``.po``
file per part of the portal (``messages.po``, ``governance.po``, ``matching.po``,
``network.po``), merged into one catalogue."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ("fr",)
DEFAULT = "fr"


def load(language: str) -> gettext.GNUTranslations:
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as po:
        catalog = read_po(po, locale=language)
    for part in sorted(folder.glob("*.po")):
        if part.name == "messages.po":
            continue
        with open(part, "rb") as po:
            for message in read_po(po, locale=language):
                if message.id:
                    catalog[message.id] = message
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def load_all() -> dict[str, gettext.GNUTranslations]:
    return {language: load(language) for language in LANGUAGES}


def messages_in_templates(folder: Path) -> set[str]:
    """Every msgid the templates under ``folder`` ask for (``_()``, ``gettext()``)."""
    from babel.messages.extract import extract_from_dir

    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(folder), method_map=[("**.html", "jinja2")],
            options_map={"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def messages_in_code(folder: Path) -> set[str]:
    """Every literal msgid the Python code passes to ``t()``."""
    from babel.messages.extract import extract_from_dir

    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(folder), method_map=[("**.py", "python")], keywords={"t": None}):
        if isinstance(message, str):
            found.add(message)
    return found
