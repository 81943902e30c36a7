"""Every user-facing text has its English translation, and templates mark them so that it is used.

The catalogue is extracted afresh from the code and templates (`makemessages` in a copy of the
tracked files, so the checkout is untouched) and compared with the committed one: a new
`_("…")` or `{% translate %}` without an English entry fails here, not in an English user's
browser.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

BLOCK = re.compile(r"{%\s*blocktranslate\b.*?%}(.*?){%\s*(?:plural|endblocktranslate)\s*%}", re.S)


def test_blocktranslate_bodies_use_variables_not_python_placeholders():
    # Django escapes a literal "%(ref)s" in a blocktranslate body as "%%(ref)s": the page then
    # shows "%(ref)s" instead of the value (the bank-result import page did).
    offenders = [
        f"{path.relative_to(ROOT)}: {body.strip()[:60]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for body in BLOCK.findall(path.read_text(encoding="utf-8"))
        if re.search(r"%\(\w+\)", body)
    ]
    assert offenders == []


def _entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr or first plural msgstr, fuzzy) of every entry but the header."""
    entries = []
    for block in po_text.split("\n\n"):
        lines = block.strip().splitlines()
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        text = "\n".join(line for line in lines if not line.startswith("#"))
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', text, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', text, re.M)
        if msgid is None or msgstr is None:
            continue
        joined = ["".join(re.findall(r'"(.*)"', m.group(1))) for m in (msgid, msgstr)]
        if joined[0]:
            entries.append((joined[0], joined[1], fuzzy))
    return entries


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is installed by bootstrap")
def test_every_marked_text_has_an_english_translation(tmp_path):
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            target = tmp_path / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "-v", "0", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "xianyang_portal.settings.test"},
    )
    extracted = (tmp_path / "locale/en/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    missing = [msgid for msgid, msgstr, fuzzy in _entries(extracted) if fuzzy or not msgstr]
    assert missing == []
