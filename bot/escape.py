"""Escaping: untrusted text into Slack mrkdwn or a terminal, and the only live links we build."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL = 800  # an escaped URL longer than this is shown as text, not linked
MAX_URL_LABEL = 80  # a URL shown as its own link text is cut to this many characters

_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Characters that would end or split a `<url|label>` link, percent-encoded inside URLs.
_URL_UNSAFE = {"|": "%7C", "<": "%3C", ">": "%3E", " ": "%20", '"': "%22", "`": "%60"}
_WHITESPACE = re.compile(r"\s+")
# Control characters, bidirectional overrides and isolates, and zero-width characters: none
# belongs in a note's text as Slack or a terminal shows it, and they can disguise text or links.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069"
                      r"\ufeff]")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def mrkdwn(text: str) -> str:
    """Escape `&`, `<` and `>` so Slack shows the text as written, never as markup; control,
    bidi and zero-width characters are removed."""
    return _CONTROL.sub("", text).translate(_MRKDWN)


def safe_url(url: str) -> str | None:
    """The URL escaped for use inside `<url|label>`, or None if it must not be linked."""
    url = url.strip()
    if not url or _CONTROL.search(url) or any(ch in url for ch in "\n\r\t"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    for raw, encoded in _URL_UNSAFE.items():
        url = url.replace(raw, encoded)
    escaped = mrkdwn(url)
    return escaped if len(escaped) <= MAX_URL else None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label(text: str) -> str:
    """Text for a link label: one line, escaped, without the `|` that would split the link."""
    return mrkdwn(_WHITESPACE.sub(" ", text).strip().replace("|", "¦"))


def link(url: str, text: str) -> str:
    """A live Slack link `<url|text>`; just the escaped text when the URL is unusable."""
    shown = label(text) or label(_shorten(url.strip(), MAX_URL_LABEL))
    target = safe_url(url)
    return f"<{target}|{shown}>" if target else shown


def user_mention(user_id: str) -> str:
    """`<@U123>` for a well-formed Slack user id, else an empty string."""
    return f"<@{user_id}>" if _USER_ID.match(user_id or "") else ""


def no_stars(text: str) -> str:
    """Drop `*` so text can sit inside `*bold*` without closing it early."""
    return text.replace("*", "")


def terminal(text: str) -> str:
    """Remove control characters (ANSI escapes, bidi overrides) before printing untrusted text."""
    return _CONTROL.sub("", text)


_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def clean_incoming(text: str, bot_user_id: str = "") -> str:
    """Turn a message or command text as Slack sends it into the plain question the user typed.

    Mentions of the bot disappear, other mentions, channels and links become their visible
    text, `&amp;`/`&lt;`/`&gt;` are unescaped and smart quotes become straight quotes.
    """

    def visible(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, shown = inner.partition("|")
        if target.startswith("@"):
            if bot_user_id and target[1:] == bot_user_id:
                return " "
            return f"@{shown}" if shown else " "
        if target.startswith("#"):
            return f"#{shown}" if shown else " "
        if target.startswith("!"):
            return shown or " "
        return shown or target

    plain = _SLACK_TOKEN.sub(visible, text or "")
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _WHITESPACE.sub(" ", plain.translate(_QUOTES)).strip()
