"""Every user-visible string goes through `tr` (Qt's translation system).

`tr("text")` is what ``pyside6-lupdate`` extracts (into the empty context), so the
translator's ``.ts`` file is made by the tool, not by hand; `install` loads the compiled ``.qm``
for the system's language (or ``TIMB_LANG``). Placeholders use ``str.format`` names, never
f-strings, so a translation can move them: ``tr("{contact} asks you to verify").format(...)``.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

I18N_DIR = Path(__file__).with_name("translations")
CONTEXT = ""  # the context pyside6-lupdate gives a plain tr() call
LANGUAGES = ("en", "fr")  # English is the source language


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def language() -> str:
    """``TIMB_LANG`` if set, else the system locale's language (e.g. "fr")."""
    return os.environ.get("TIMB_LANG") or QLocale.system().name().split("_")[0]


def install(app: QCoreApplication, lang: str | None = None) -> QTranslator | None:
    """Load the translation for ``lang`` (default: `language()`); None for English or an
    unknown language (the English sources are shown). Keep the result alive while the app runs."""
    lang = lang or language()
    if lang == "en":
        return None
    translator = QTranslator(app)
    if not translator.load(str(I18N_DIR / f"timb_{lang}.qm")):
        return None
    app.installTranslator(translator)
    return translator
