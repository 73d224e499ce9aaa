"""The one secrets policy: what counts as a secret, how it is masked, how it is kept on save.

Every value the console shows, edits, audits, exports, logs or saves goes through
this module:

* :func:`mask` for JSON documents (integration config, action configs, trigger
  conditions, event payloads, ``trigger_data``/``result``, log metadata,
  workflow config, audit before/after).  Everything under a secret-named key is
  replaced *whole* by :data:`MASK` (strings, numbers, lists, objects); a URL
  carrying credentials under an innocent key keeps its scheme, host and path.
* :func:`restore` for a document edited from its masked form: a placeholder
  gets back the stored value *at the same key path* (identity), never the one
  at the same list position; when a list change makes it ambiguous which
  stored secret belongs where, :class:`SecretRestoreError` asks the operator to
  type the secret again.
* :func:`redact_text` for free text (log records, error messages, tracebacks), and
  :func:`redact_fields` for the free-text fields of fetched rows (``error_message``).
* :func:`url_holds_password` / :func:`redact_url` for database URLs.

Passwords themselves (keyring, session memory) are kept by :mod:`console.secrets`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "••••••"
"""The placeholder of a secret value in JSON documents (shown, edited, audited)."""
TEXT_MASK = "***"
"""What replaces a password in free text (logs, messages)."""

SECRET_KEY_RE = re.compile(
    r"(token|secret|passw|pwd|passphrase|credential|api[_-]?key|apikey|private[_-]?key|"
    r"access[_-]?key|signing|signature|hmac|bearer|jwt|webhook|cookie|session|dsn|"
    r"auth(?!ors?(?:$|[_-]))|"  # auth, oauth, Authorization; not author(s)
    r"(^|[_-])pass($|[_-])|(^|[_-])pw($|[_-])|(^|[_-])key$|^keys?$|^key[_-])",
    re.IGNORECASE,
)
SECRET_QUERY_RE = re.compile(r"(token|secret|passw|pwd|key|sig|signature|auth|code)", re.IGNORECASE)
# Webhook URLs whose path is the secret (Slack, Discord, Teams, generic /hooks/…).
SECRET_PATH_RE = re.compile(r"/(hooks|webhooks?|webhookb2)(/|$)", re.IGNORECASE)


class SecretRestoreError(ValueError):
    """An edited document whose placeholders cannot be matched to stored secrets.

    ``path`` names the place (``endpoints[0].token``); the message is safe to show.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or 'the document'}: {message}")
        self.path = path


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """True when a value stored under ``key`` is a secret (token, password, webhook, …).

    Cached: the same few keys come back on every row (an export asks a million times).
    """
    return bool(SECRET_KEY_RE.search(key))


# ---------------------------------------------------------------- masking


def mask_url(value: str) -> str | None:
    """A masked form of a URL carrying credentials, else None.

    Credentials are ``user:pw@``, a secret-looking query parameter (``?token=``)
    or a webhook path (``https://hooks.slack.com/services/…``): the masked form
    keeps the scheme and host (and the path when it is not the secret).
    """
    if "://" not in value:
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    if port:
        host = f"{host}:{port}"
    has_userinfo = "@" in parts.netloc
    secret_query = any(
        SECRET_QUERY_RE.search(item.split("=", 1)[0]) for item in parts.query.split("&") if item
    )
    secret_path = bool(SECRET_PATH_RE.search(parts.path)) or parts.hostname in _WEBHOOK_HOSTS
    if not has_userinfo and not secret_query and not secret_path:
        return None
    user = f"{parts.username}:{MASK}@" if has_userinfo and parts.username else ""
    path = f"/{MASK}" if secret_path else parts.path
    query = f"?{MASK}" if secret_query or (secret_path and parts.query) else ""
    return f"{parts.scheme}://{user}{host}{path}{query}"


_WEBHOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.zapier.com", "events.pagerduty.com"})


def _maskable(value: Any) -> bool:
    """Whether a value under a secret key hides anything (null, booleans and empties do not)."""
    return value is not None and not isinstance(value, bool) and value not in ("", [], {})


def mask(doc: Any) -> Any:
    """A copy of ``doc`` with every secret masked (see the module docstring).

    A document nested too deeply to walk is hidden whole rather than shown unchecked.
    """
    try:
        return _mask(doc)
    except RecursionError:
        return MASK


def _mask(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _shown(v, is_secret_key(str(k))) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_mask(v) for v in doc]
    if isinstance(doc, str):
        masked = mask_url(doc)
        return masked if masked is not None else doc
    return doc


def _shown(value: Any, secret: bool) -> Any:
    """How the console shows ``value`` (``secret``: it sits under a secret-named key)."""
    if secret:
        return MASK if _maskable(value) else value
    return _mask(value)


def holds_secret(doc: Any) -> bool:
    """True when masking would change ``doc`` (it carries a secret somewhere)."""
    return bool(mask(doc) != doc)


def changed_secrets(old: Any, new: Any, path: str = "") -> list[str]:
    """Key paths of the secrets that differ between ``old`` and ``new``.

    Masked, a changed secret looks unchanged; the audit trail records these paths
    so that "the token was replaced" stays visible without the token.
    """
    try:
        return _changed(old, new, path)
    except RecursionError:
        return [path or "(too deeply nested to tell)"]


def _changed(old: Any, new: Any, path: str) -> list[str]:
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(old.keys() | new.keys(), key=str):
            where = _join(path, key)
            before, after = old.get(key), new.get(key)
            if is_secret_key(str(key)):
                if before != after and (_maskable(before) or _maskable(after)):
                    out.append(where)
            else:
                out.extend(_changed(before, after, where))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            p
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for p in _changed(a, b, f"{path}[{i}]")
        ]
    if mask(old) == mask(new):
        return [path]  # e.g. the password inside a URL
    return []


# ---------------------------------------------------------------- restoring on save

_MISSING: Any = object()


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return MASK in value
    if isinstance(value, dict):
        return any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_placeholder(v) for v in value)
    return False


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def restore(edited: Any, stored: Any) -> Any:
    """``edited`` (a document the operator changed from its masked form) with secrets put back.

    A placeholder gets the stored value at the same key path.  In a list an
    element is identified by its non-secret content: it may move, and the
    others may be added or removed, as long as exactly one stored element looks
    like it.  Otherwise :class:`SecretRestoreError` is raised: the operator has
    to type the secret again.
    """
    try:
        return _restore(edited, stored, False, "")
    except RecursionError:
        raise SecretRestoreError(
            "", f"nested too deeply to match its {MASK} placeholders; type the secrets instead"
        ) from None


def _restore(edited: Any, stored: Any, secret: bool, path: str) -> Any:
    if not _has_placeholder(edited):
        return edited
    if stored is not _MISSING and edited == _shown(stored, secret):
        return stored  # unchanged since it was shown: keep what is stored
    if stored is _MISSING:
        raise SecretRestoreError(
            path,
            f"holds the placeholder {MASK} but nothing is stored there; type the value itself",
        )
    if isinstance(edited, dict) and not secret:
        old = stored if isinstance(stored, dict) else {}
        return {
            k: _restore(v, old.get(k, _MISSING), is_secret_key(str(k)), _join(path, k))
            for k, v in edited.items()
        }
    if isinstance(edited, list) and not secret:
        return _restore_list(edited, stored if isinstance(stored, list) else [], path)
    raise SecretRestoreError(
        path,
        f"holds the placeholder {MASK} but is not the masked value that was shown; "
        "type the whole value again",
    )


def _restore_list(edited: list[Any], stored: list[Any], path: str) -> list[Any]:
    shown = [mask(s) for s in stored]
    same_shape = len(edited) == len(stored)
    out: list[Any] = []
    taken: set[int] = set()
    for i, value in enumerate(edited):
        where = f"{path}[{i}]"
        if not _has_placeholder(value):
            out.append(value)
            continue
        matches = [j for j, s in enumerate(shown) if s == value]
        if len(matches) == 1 and matches[0] not in taken:
            taken.add(matches[0])
            out.append(stored[matches[0]])
            continue
        others_in_place = same_shape and all(
            edited[k] == shown[k] for k in range(len(edited)) if k != i
        )
        if not matches and others_in_place:
            # Only this element changed, in place: its secrets are the ones of the same slot.
            taken.add(i)
            out.append(_restore(value, stored[i], False, where))
            continue
        raise SecretRestoreError(
            where,
            "the list changed (reordered, shortened or edited) and the console cannot tell "
            f"which stored secret belongs here; replace {MASK} with the secret itself",
        )
    return out


# ---------------------------------------------------------------- free text and URLs

_TEXT_SECRET_WORDS = r"[A-Za-z_]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|credential)"
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:secret@host  (postgresql://, postgresql+psycopg://, redis:// ...)
    # (the look-behind starts a scheme only where a word starts: without it every position
    # of a long run of letters scans the run again, quadratic on a 1 MiB error message;
    # the bounded user and password parts keep a run of "a://b:" linear too)
    (
        re.compile(
            r"(?P<keep>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]{0,256}:)[^@\s]{1,1024}(?=@)"
        ),
        TEXT_MASK,
    ),
    # conninfo / options / env / query style:  password=secret, password='a b', PGPASSWORD=x
    (
        re.compile(
            rf"(?P<keep>\b{_TEXT_SECRET_WORDS}\s*=\s*)"
            r"(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s&;,)]+)",
            re.IGNORECASE,
        ),
        TEXT_MASK,
    ),
    # JSON / repr style:  "password": "secret",  'password': 'secret'
    (
        re.compile(
            rf"(?P<keep>[\"']{_TEXT_SECRET_WORDS}[\"']\s*:\s*)"
            r"(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')",
            re.IGNORECASE,
        ),
        f"'{TEXT_MASK}'",
    ),
    # header / YAML / log style, unquoted key:  api_key: secret,  X-Api-Token: secret
    (
        re.compile(
            rf"(?P<keep>(?<![/:@\w]){_TEXT_SECRET_WORDS}\s*:[ \t]*)(?!//)"
            r"(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s,;&)]+)",
            re.IGNORECASE,
        ),
        TEXT_MASK,
    ),
)


# A quoted key in JSON or a Python repr ('tokens': …, "auth": …): judged by is_secret_key.
_QUOTED_KEY = re.compile(r"([\"'])([^\"'\n]{1,80})\1\s*:\s*")
_BEARER = re.compile(r"(?P<keep>\b(?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=-]{6,}")
_URL = re.compile(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")


def _value_end(text: str, start: int) -> int:
    """Where the JSON/repr value starting at ``start`` ends: a quoted string, a bracketed
    list or object (nesting and quotes honoured), else a bare token (number, true, None)."""
    if start >= len(text):
        return start
    first = text[start]
    if first in "\"'":
        i = start + 1
        while i < len(text) and text[i] != first:
            i += 2 if text[i] == "\\" else 1
        return min(i + 1, len(text))
    if first in "[{(":
        depth, i, quote = 0, start, ""
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch in "[{(":
                depth += 1
            elif ch in "]})":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return len(text)  # cut off (a truncated message): mask the rest
    i = start
    while i < len(text) and text[i] not in ",}])\n":
        i += 1
    return i


def _mask_quoted_keys(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _QUOTED_KEY.finditer(text):
        if m.start() < pos or not is_secret_key(m.group(2)):
            continue
        end = _value_end(text, m.end())
        if end == m.end():
            continue
        out.append(text[pos : m.end()])
        out.append(f"'{TEXT_MASK}'")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _mask_secret_url(m: re.Match[str]) -> str:
    """A webhook URL in free text (its path is the secret) keeps its scheme and host only;
    passwords and secret parameters in other URLs are the patterns' job above."""
    url = m.group(0)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # not a URL after all (an odd port, a bracket): leave it
        return url
    if SECRET_PATH_RE.search(parts.path) or (host in _WEBHOOK_HOSTS and parts.path.strip("/")):
        return f"{parts.scheme}://{parts.netloc}/{TEXT_MASK}"
    return url


def _keep_then(replacement: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement: the match's ``keep`` group, then ``replacement``."""
    return lambda m: m.group("keep") + replacement


# Every pattern above needs one of these (a URL's "://" or a secret-ish word, the words of
# SECRET_KEY_RE included): most log lines have none, and one search skips the rest.
_MAYBE_SECRET = (
    "://",
    "pass",
    "pw",
    "secret",
    "token",
    "key",
    "credential",
    "bearer",
    "basic",
    "auth",
    "sign",
    "hmac",
    "jwt",
    "webhook",
    "cookie",
    "session",
    "dsn",
)  # plain substring tests of the lower-cased text: ~1 us a line, a regex alternation ~10


def _maybe_secret(text: str) -> bool:
    low = text.lower()
    return any(word in low for word in _MAYBE_SECRET)


def redact_text(text: str) -> str:
    """``text`` with anything that looks like a secret replaced by ``***``: passwords in
    URLs and conninfo, values under secret-named keys in JSON or Python reprs (strings,
    numbers, lists, objects: whole), bearer tokens and webhook URLs."""
    if not _maybe_secret(text):
        return text
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(_keep_then(replacement), text)
    text = _mask_quoted_keys(text)
    text = _BEARER.sub(lambda m: m.group("keep") + TEXT_MASK, text)
    return _URL.sub(_mask_secret_url, text)


FREE_TEXT_FIELDS = frozenset({"error_message", "message"})
"""Fields of fetched rows that hold free text written by the engine (an error message may
quote a connection URL or a ``token=`` pair; a log line's message may too): shown,
copied and exported redacted."""


# The end of a field the query cut short (the tables read ``left(error_message, 300)``):
# a URL's userinfo without its ``@`` yet, or a bearer token shorter than the whole one.
# (A port, digits only, is left alone.)
_CUT_SECRET = re.compile(
    r"(?P<keep>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]{0,256}:)(?!\d+$)[^@\s/]{1,1024}$"
    r"|(?P<token>\b(?:Bearer|Basic|Token)\s+)[^\s]+$"
)


def _cut_masked(m: re.Match[str]) -> str:
    return (m.group("keep") or m.group("token")) + TEXT_MASK


def redact_cut_text(text: str) -> str:
    """:func:`redact_text` for text a query may have cut short (``left(…, n)``): a secret
    cut off at its end is masked too."""
    if not _maybe_secret(text):  # the cut patterns need "://" or Bearer/Basic/Token too
        return text
    return _CUT_SECRET.sub(_cut_masked, redact_text(text))


def redact_fields(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` (changed in place) with its free-text fields through :func:`redact_cut_text`
    (the tables read them cut short)."""
    for key in FREE_TEXT_FIELDS:
        value = row.get(key)
        if isinstance(value, str) and value:
            row[key] = redact_cut_text(value)
    return row


_PASSWORD_PARAM = re.compile(r"password\s*=", re.IGNORECASE)


def url_holds_password(url: str) -> bool:
    """True when ``password=`` appears anywhere in ``url`` (plain or percent-encoded)."""
    return bool(_PASSWORD_PARAM.search(url) or _PASSWORD_PARAM.search(unquote(url)))


def redact_url(url: str) -> str:
    """A database URL as text with the password (``:pw@`` or any secret parameter) hidden."""
    return redact_text(url)
