"""The pages' language: zh by default, en when chosen (a ``lang`` cookie, or ``?lang=en``).

Templates write both texts where they stand — ``{{ t("检查台账", "Check a ledger") }}`` — so a
page's two languages are read together and cannot drift apart in a catalogue. Code values are
shown by their labels (:mod:`policyengine.models.codes`), never raw.
"""

from __future__ import annotations

from fastapi import Request

from ..batch.writers.labels import severity_label

LANGS = ("zh", "en")
COOKIE = "pe_lang"
#: a severity in en; in zh the signed reports' words (不合规, 警告, 提示), so a bureau reads
#: the same terms on screen and on paper
SEVERITY_EN = {"error": "non-compliant", "warning": "warning", "info": "note"}


def language(request: Request) -> str:
    """The request's language: ``?lang=`` first, then the cookie, else zh."""
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE)
    return asked if asked in LANGS else "zh"


def severity_text(code: str, lang: str) -> str:
    """What failing a rule of severity ``code`` makes of a record, as the signed reports say it."""
    return SEVERITY_EN.get(code, code) if lang == "en" else severity_label(code)


class Texts:
    """``t(zh, en)`` for one request's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh
