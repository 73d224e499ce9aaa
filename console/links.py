"""``autopr://`` links: format and parse them, and find the profile a link names.

A link names a profile, a kind of row and the row::

    autopr://PROFILE/execution/EXECUTION_ID
    autopr://PROFILE/workflow/NAME
    autopr://PROFILE/integration/NAME
    autopr://PROFILE/event/EVENT_UUID
    autopr://PROFILE/logs?execution=EXECUTION_ID&level=ERROR[&line=LOG_ID]

and may carry the database by profile-independent fields, ``host`` and ``db``
(``?host=db.example.com&db=autopr_prod``), so that a colleague whose profile for
the same database has another name opens the same row.  Matching
(:func:`match_profile`): the profile named in the link when its host and
database agree with the link's (or the link carries none); else the one profile
whose host and database are the link's; else an error naming what is missing.

Every part is percent-encoded (execution ids hold ``:`` and ``.``, names spaces),
so ``parse_link(format_link(link)) == link`` for any text.  No Qt, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode

SCHEME = "autopr"
RowKind = Literal["execution", "workflow", "integration", "event"]
LinkKind = RowKind | Literal["logs"]
ROW_KINDS: tuple[RowKind, ...] = ("execution", "workflow", "integration", "event")
KINDS: tuple[LinkKind, ...] = (*ROW_KINDS, "logs")
# The filters of the logs page a link carries, as (query key, filter key).
LOG_FILTERS = (
    ("execution", "execution"),
    ("level", "min_level"),
    ("text", "text"),
    ("range", "time_range"),
    ("from", "time_from"),
    ("to", "time_to"),
    ("line", "line"),
)
IDENTITY_KEYS = ("host", "db")
MAX_LINK = 4096


class LinkError(ValueError):
    """Not an autopr:// link this console understands (the message says why, in one line)."""


@dataclass(frozen=True)
class Link:
    profile: str
    kind: LinkKind
    target: str = ""  # execution id, workflow/integration name or event uuid ("" for logs)
    params: tuple[tuple[str, str], ...] = ()  # logs filters, in LOG_FILTERS order
    host: str | None = None
    dbname: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def query(self) -> dict[str, str]:
        return dict(self.params)

    def describe(self) -> str:
        """A short human phrase: ``execution exec-… on prod``."""
        what = self.target if self.kind != "logs" else self.query.get("execution", "")
        return f"{self.kind} {what}".strip() + f" on {self.profile}"


def _q(part: str) -> str:
    return quote(part, safe="-._~")


def format_link(link: Link) -> str:
    """The link's text (``autopr://…``)."""
    if link.kind not in KINDS:
        raise LinkError(f"unknown link kind {link.kind!r}")
    if not link.profile:
        raise LinkError("a link needs a profile")
    path = f"{SCHEME}://{_q(link.profile)}/{link.kind}"
    if link.kind != "logs":
        if not link.target:
            raise LinkError(f"a {link.kind} link needs a {link.kind}")
        path += f"/{_q(link.target)}"
    query: list[tuple[str, str]] = list(link.params) if link.kind == "logs" else []
    if link.host:
        query.append(("host", link.host))
    if link.dbname:
        query.append(("db", link.dbname))
    if query:
        path += "?" + urlencode(query, quote_via=quote, safe="-._~")
    return path


def parse_link(text: str) -> Link:
    """Parse a link's text; :class:`LinkError` with a one-line reason when it is not one."""
    raw = (text or "").strip()
    if len(raw) > MAX_LINK:
        raise LinkError(f"the link is too long ({len(raw)} characters)")
    prefix = f"{SCHEME}://"
    if not raw.lower().startswith(prefix):
        raise LinkError(f"not an {prefix} link: {raw[:60]!r}")
    rest = raw[len(prefix) :]
    rest, _, _fragment = rest.partition("#")
    path, _, query_text = rest.partition("?")
    parts = path.split("/")
    if len(parts) < 2 or not parts[0]:
        raise LinkError("the link names no profile")
    profile = unquote(parts[0], errors="strict")
    kind = next((k for k in KINDS if k == parts[1].lower()), None)
    if kind is None:
        raise LinkError(f"unknown link kind {parts[1][:30]!r} (known: {', '.join(KINDS)})")
    try:
        query = parse_qsl(query_text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise LinkError(f"the link's query is not readable: {exc}") from None
    values: dict[str, str] = {}
    for key, value in query:
        values.setdefault(key, value)
    host = values.pop("host", None) or None
    dbname = values.pop("db", None) or None
    if kind == "logs":
        if len(parts) > 2 and parts[2]:
            raise LinkError("a logs link takes its filters in the query (?execution=…)")
        known = [key for key, _ in LOG_FILTERS]
        params = tuple((key, values.pop(key)) for key in known if key in values)
        return Link(profile, kind, "", params, host, dbname, extra=values)
    if len(parts) != 3 or not parts[2]:
        raise LinkError(f"a {kind} link ends with the {kind}: autopr://PROFILE/{kind}/…")
    try:
        target = unquote(parts[2], errors="strict")
    except UnicodeDecodeError:
        raise LinkError("the link's target is not readable text") from None
    return Link(profile, kind, target, (), host, dbname, extra=values)


def logs_params(
    filters: Mapping[str, Any], execution: str | None = None
) -> tuple[tuple[str, str], ...]:
    """The query of a logs link from the logs page's filters (``execution`` as its id text)."""
    out: list[tuple[str, str]] = []
    for key, name in LOG_FILTERS:
        value = execution if key == "execution" else filters.get(name)
        if value not in (None, "", []):
            out.append((key, str(value)))
    return tuple(out)


# ---------------------------------------------------------------- which profile


@dataclass(frozen=True)
class ProfileIdentity:
    """What a link can carry of a profile: its name, host and database."""

    name: str
    host: str | None
    dbname: str | None


def identity_of(profile: Any) -> ProfileIdentity:
    """Name, host and database of a :class:`console.profiles.Profile` (URL profiles parsed)."""
    host, dbname = getattr(profile, "host", None), getattr(profile, "dbname", None)
    url = getattr(profile, "url", None)
    if url:
        from console.db.urls import normalize_url

        try:
            parsed = normalize_url(url)
            host, dbname = parsed.host, parsed.database
        except Exception:
            pass
    if getattr(profile, "embedded", False):
        host = "embedded"
        dbname = dbname or "autopr_dev"
    return ProfileIdentity(profile.name, host or None, dbname or None)


def _same(a: str | None, b: str | None, *, host: bool = False) -> bool:
    if a is None or b is None:
        return True
    if host:
        local = {"localhost", "127.0.0.1", "::1"}
        if a.lower() in local and b.lower() in local:
            return True
        return a.lower() == b.lower()
    return a == b


def _agrees(link: Link, ident: ProfileIdentity) -> bool:
    return _same(link.host, ident.host, host=True) and _same(link.dbname, ident.dbname)


def match_profile(link: Link, profiles: Iterable[ProfileIdentity]) -> str:
    """The name of the profile to open ``link`` on; :class:`LinkError` says why none fits."""
    known = list(profiles)
    named = next((p for p in known if p.name == link.profile), None)
    if named is not None and _agrees(link, named):
        return named.name
    if link.host or link.dbname:
        fits = [
            p
            for p in known
            if (link.host is None or p.host is not None)
            and (link.dbname is None or p.dbname is not None)
            and _agrees(link, p)
        ]
        if len(fits) == 1:
            return fits[0].name
        where = "/".join(x for x in (link.host, link.dbname) if x)
        if len(fits) > 1:
            names = ", ".join(p.name for p in fits)
            raise LinkError(f"several profiles point at {where} ({names}); open the link by name")
        if named is not None:
            raise LinkError(
                f"profile {link.profile} points at another database than the link ({where})"
            )
        raise LinkError(f"no profile named {link.profile} and none for {where}")
    raise LinkError(f"no profile named {link.profile}; add it (File → New profile…) first")


__all__ = [
    "KINDS",
    "LOG_FILTERS",
    "ROW_KINDS",
    "SCHEME",
    "Link",
    "LinkError",
    "ProfileIdentity",
    "format_link",
    "identity_of",
    "logs_params",
    "match_profile",
    "parse_link",
]
