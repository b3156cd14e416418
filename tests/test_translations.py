"""The Chinese catalogue covers every string the source marks for translation, with the same placeholders.

The catalogue is extracted from the current source exactly as docs/admin.md does, so a new
``_("...")`` without a Chinese entry fails here, naming the string.
"""
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
ZH_PO = ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
KEYWORDS = dict(DEFAULT_KEYWORDS, lazy_gettext=None, _l=None)  # the -k options of docs/admin.md
# Placeholders and HTML tags must come through a translation unchanged.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]|%[sd]|\{(\w*)\}|</?[a-z][^>]*>")


def source_msgids() -> set[str]:
    """What ``pybabel extract -F translations/babel.cfg -k lazy_gettext -k _l .`` finds, read in-process."""
    with open(ROOT / "translations" / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.update(m for m in (message if isinstance(message, tuple) else (message,)) if m)
    return found


@pytest.fixture(scope="module")
def catalogue():
    with open(ZH_PO, "rb") as po:
        return read_po(po, locale="zh")


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def test_every_source_string_has_a_chinese_translation(catalogue):
    problems = []
    for msgid in sorted(source_msgids()):
        entry = catalogue.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
        elif entry.fuzzy or not all(entry.string if isinstance(entry.string, tuple) else (entry.string,)):
            problems.append(f"{'fuzzy' if entry.fuzzy else 'untranslated'}: {msgid!r}")
    assert not problems, (f"{len(problems)} strings need Chinese (docs/admin.md, Translations):\n"
                          + "\n".join(problems))


def test_translations_keep_the_placeholders_of_their_english(catalogue):
    mismatched = []
    for entry in catalogue:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = _placeholders(ids[-1])
        for text in strings:
            if _placeholders(text) != expected and not (len(ids) > 1 and set(_placeholders(text)) <= set(expected)):
                mismatched.append(f"{ids[0]!r} -> {text!r}")
    assert not mismatched, "placeholders differ:\n" + "\n".join(mismatched)


def test_the_compiled_catalogue_matches_the_po(catalogue):
    from babel.messages.mofile import read_mo

    with open(ZH_PO.with_suffix(".mo"), "rb") as compiled:
        mo = {m.id: m.string for m in read_mo(compiled) if m.id}
    po = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    stale = sorted(str(k) for k in po.keys() ^ mo.keys() | {k for k in po.keys() & mo.keys() if po[k] != mo[k]})
    assert not stale, "run pybabel compile -d translations; differs: " + ", ".join(stale[:20])
