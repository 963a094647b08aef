"""The Russian and Kazakh translations are complete and actually reach the pages.

The catalogues are checked straight from the .po files (a tiny stdlib parser, no extra
dependency), so an empty or fuzzy entry fails with its msgid listed. The compiled .mo files
are committed, so the page tests also prove that what ships is what the .po says.
"""

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse, translate_url

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["ru", "kk"]
PLURAL_FORMS = {
    "ru": ("nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"),
    "kk": "nplurals=2; plural=(n!=1);",
}


def _unquote(line):
    """A .po string literal uses C escapes, which Python's literal syntax reads the same way."""
    return ast.literal_eval(line)


def parse_po(path):
    """Return the entries of a .po file as dicts: msgid, msgid_plural, msgstr (list), fuzzy, obsolete."""
    entries = []
    entry = None
    field = None

    def finish():
        if entry is not None and ("msgid" in entry):
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"msgid_plural": None, "msgstr": {}, "fuzzy": False, "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["fuzzy"] = entry["fuzzy"] or "fuzzy" in [f.strip() for f in line[2:].split(",")]
            continue
        if line.startswith("#"):
            continue
        if line.startswith("msgctxt "):
            field = "msgctxt"
            entry[field] = _unquote(line[len("msgctxt ") :])
        elif line.startswith("msgid_plural "):
            field = "msgid_plural"
            entry[field] = _unquote(line[len("msgid_plural ") :])
        elif line.startswith("msgid "):
            field = "msgid"
            entry[field] = _unquote(line[len("msgid ") :])
        elif line.startswith("msgstr["):
            index = int(line[len("msgstr[") : line.index("]")])
            field = ("msgstr", index)
            entry["msgstr"][index] = _unquote(line[line.index("]") + 1 :].strip())
        elif line.startswith("msgstr "):
            field = ("msgstr", 0)
            entry["msgstr"][0] = _unquote(line[len("msgstr ") :])
        elif line.startswith('"'):
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += _unquote(line)
            else:
                entry[field] += _unquote(line)
    finish()
    return entries


def _catalogue(lang):
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"{path} is missing: run makemessages"
    return parse_po(path)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_and_not_fuzzy(lang):
    entries = [e for e in _catalogue(lang) if not e["obsolete"]]
    header = next(e for e in entries if e["msgid"] == "")
    messages = [e for e in entries if e["msgid"] != ""]
    assert len(messages) > 100
    problems = []
    if header["fuzzy"]:
        problems.append("the header is marked fuzzy")
    for e in messages:
        name = repr(e["msgid"])
        if e["fuzzy"]:
            problems.append(f"fuzzy: {name}")
        forms = e["msgstr"]
        if e["msgid_plural"] is not None:
            expected = int(PLURAL_FORMS[lang].split("nplurals=")[1].split(";")[0])
            if sorted(forms) != list(range(expected)):
                problems.append(f"needs {expected} plural forms: {name}")
        if not forms or any(not text.strip() for text in forms.values()):
            problems.append(f"empty: {name}")
    assert not problems, f"{lang}: {len(problems)} untranslated entries:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_header(lang):
    header = next(e for e in _catalogue(lang) if e["msgid"] == "")
    assert f"Plural-Forms: {PLURAL_FORMS[lang]}\n" in header["msgstr"][0]
    assert f"Language: {lang}\n" in header["msgstr"][0]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po(lang):
    """The committed .mo is up to date: every translation in the .po is in it, unchanged."""
    mo_path = LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"
    assert mo_path.exists(), f"{mo_path} is missing: run compilemessages and commit it"
    with mo_path.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for e in _catalogue(lang):
        if e["obsolete"] or e["fuzzy"] or e["msgid"] == "" or "msgctxt" in e:
            continue
        if e["msgid_plural"] is None:
            if compiled.gettext(e["msgid"]) != e["msgstr"][0]:
                stale.append(e["msgid"])
        elif compiled.ngettext(e["msgid"], e["msgid_plural"], 5) not in e["msgstr"].values():
            stale.append(e["msgid"])
    assert not stale, f"{lang}: django.mo is older than django.po for: {stale}"


NAVIGATION = {
    "ru": ["Проекты", "Сообщить о воздействии"],
    "kk": ["Жобалар", "Әсер туралы хабарлау"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGUAGES)
def test_home_page_by_accept_language(client, lang):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=lang, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    for text in NAVIGATION[lang]:
        assert text in html
    assert "Report an impact" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGUAGES)
def test_home_page_by_language_cookie(client, lang):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert NAVIGATION[lang][0] in html


@pytest.mark.django_db
def test_english_stays_the_default(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en", follow=True).content.decode()
    assert '<html lang="en">' in html
    assert "Report an impact" in html


@pytest.mark.django_db
def test_report_form_in_russian(client):
    response = client.get(translate_url(reverse("impacts:report_create"), "ru"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ru">' in html
    assert "Краткий заголовок" in html
    assert "Отправить сообщение" in html
    assert "Никогда не публикуется. Видят только старшие модераторы." in html
    assert "Перед публикацией из фотографий удаляются данные о местоположении." in html  # the files' help text


@pytest.mark.django_db
def test_report_form_in_kazakh(client):
    html = client.get(translate_url(reverse("impacts:report_create"), "kk")).content.decode()
    assert '<html lang="kk">' in html
    assert "Хабарламаны жіберу" in html
    assert "Ешқашан жарияланбайды." in html
