"""Every user-visible string goes through tr() and has a French translation.

Static checks over the GUI's source (ast), so a new screen cannot forget one: each tr() argument
is a literal (what pyside6-lupdate extracts) with a finished French translation in timb_fr.ts; no
Qt text setter or text-taking constructor receives an untranslated literal; the compiled .qm is
the one lrelease makes from the .ts. Then the French window is looked at.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

from tests.gui.conftest import Gui
from tests.gui.fake_service import GuiFakeService
from timb.ui.gui import i18n

GUI = Path(i18n.__file__).parent
FR_TS = i18n.I18N_DIR / "timb_fr.ts"
FR_QM = i18n.I18N_DIR / "timb_fr.qm"
TEXT_SETTERS = {
    "setText", "setWindowTitle", "setToolTip", "setPlaceholderText", "setAccessibleName",
    "setAccessibleDescription", "showMessage", "addMenu", "addRow", "setStatusTip",
}  # fmt: skip
TEXT_WIDGETS = {"QLabel", "QPushButton", "QCheckBox", "QGroupBox", "QAction", "QRadioButton", "QMessageBox"}
NOT_TRANSLATED = {"TIMB"}  # the name


def calls() -> Iterator[tuple[Path, ast.Call]]:
    for path in sorted(GUI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                yield path, node


def name_of(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def french() -> dict[str, str]:
    out = {}
    for message in ET.parse(FR_TS).iter("message"):
        translation = message.find("translation")
        assert translation is not None
        if translation.get("type") is None and (translation.text or "").strip():
            out[message.findtext("source", "")] = translation.text or ""
    return out


def has_words(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(c.isalpha() for c in node.value) and node.value not in NOT_TRANSLATED
    if isinstance(node, ast.JoinedStr):
        return any(has_words(part) for part in node.values if isinstance(part, ast.Constant))
    return False


def test_every_tr_string_has_a_french_translation() -> None:
    translated, problems = french(), []
    for path, call in calls():
        if name_of(call) != "tr" or not isinstance(call.func, ast.Name):
            continue
        arg = call.args[0] if call.args else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            problems.append(f"{path.name}:{call.lineno}: tr() of a non-literal (lupdate cannot see it)")
        elif arg.value not in translated:
            problems.append(f"{path.name}:{call.lineno}: no French for {arg.value!r}")
    assert problems == []


def test_no_user_visible_literal_bypasses_tr() -> None:
    problems = [
        f"{path.name}:{call.lineno}: {name_of(call)}({ast.unparse(arg)})"
        for path, call in calls()
        if name_of(call) in TEXT_SETTERS | TEXT_WIDGETS
        for arg in call.args
        if has_words(arg)
    ]
    assert problems == []


def test_the_compiled_french_is_current(tmp_path: Path) -> None:
    # The venv's scripts sit beside its python; `make test` does not put them on PATH.
    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent)) or shutil.which(
        "pyside6-lrelease"
    )
    assert lrelease is not None, "pyside6-lrelease comes with PySide6-Essentials"
    subprocess.run([lrelease, str(FR_TS), "-qm", str(tmp_path / "fr.qm")], check=True, capture_output=True)
    assert (tmp_path / "fr.qm").read_bytes() == FR_QM.read_bytes(), "run pyside6-lrelease (docs/gui.md)"


def test_the_window_speaks_french(make_gui: Callable[[GuiFakeService], Gui]) -> None:
    app = QCoreApplication.instance()
    assert app is not None
    translator = i18n.install(app, "fr")
    assert translator is not None
    try:
        service = GuiFakeService(profile="x" * 12)
        service.unlocked = True
        service.with_account("alice", "alice@timb.test", "bob@timb.test")
        gui = make_gui(service)
        gui.start()
        gui.window.open("alice", "bob@timb.test")
        view = gui.window.views[("alice", "bob@timb.test")]
        assert view.badge.words.text() == "NON PRIVÉ"
        assert gui.window.menu_actions["panic"].text().startswith("&Panique")
    finally:
        app.removeTranslator(translator)


@pytest.mark.parametrize("lang", ["en", "xx"])
def test_english_and_unknown_languages_show_the_sources(lang: str) -> None:
    app = QCoreApplication.instance()
    assert app is not None
    assert i18n.install(app, lang) is None
