"""Connection profiles: ``local``, ``dev``, ``staging``, ``prod`` and any the operator adds.

They live in ``profiles.toml`` in the user config dir.  A profile is one of:
* ``embedded = true``: the bundled PostgreSQL server in the user's data dir;
* ``url = "postgresql://user@host:5432/db?sslmode=require"``;
* ``host``/``port``/``dbname``/``user``/``sslmode`` keys;
* ``service = "name"``: a libpq service from ``pg_service.conf``.
Passwords are never stored here: they come from the keyring (see
:mod:`console.secrets`), ``.pgpass`` or the service file.  ``DATABASE_URL``
overrides everything for scripting.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w
from sqlalchemy.engine import URL

from console import environments, paths
from console.db import transport
from console.db.urls import BadURLError, normalize_url, redact
from console.environments import ENVIRONMENTS, EnvironmentDeclarationError
from console.secret_policy import url_holds_password

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
ENV_URL = "DATABASE_URL"


class ProfileError(ValueError):
    """A profile that cannot be used; the message is safe to show."""


@dataclass(frozen=True)
class Profile:
    name: str
    environment: str = "dev"
    embedded: bool = False
    url: str | None = None
    host: str | None = None
    port: int | None = None
    dbname: str | None = None
    user: str | None = None
    sslmode: str | None = None
    service: str | None = None
    connect_timeout_s: int = 5
    statement_timeout_ms: int = 30_000
    extra: dict[str, str] = field(default_factory=dict)
    # How the server is reached (see console.db.transport): an SSH tunnel through
    # ``ssh = "user@bastion:22"`` and TLS files for verify-ca/verify-full and client certs.
    ssh: str | None = None
    ssh_key: str | None = None
    ssh_config: str | None = None
    sslrootcert: str | None = None
    sslcert: str | None = None
    sslkey: str | None = None
    # streaming replicas that answer the reads (see console/db/replica.py); several are
    # separated by spaces here and written as a list in profiles.toml
    replica_url: str | None = None
    # replicas named as libpq services (pg_service.conf), beside or instead of replica_url
    replica_service: str | None = None
    replica_max_lag_s: int = 10
    # True when nobody declared the environment and the console assumed it (never saved).
    environment_assumed: bool = False

    @property
    def environment_label(self) -> str:
        """``prod``, or ``prod (assumed: environment not declared)``."""
        return environments.label(self.environment, self.environment_assumed)

    @property
    def replica_urls(self) -> list[str]:
        return (self.replica_url or "").split()

    @property
    def replica_services(self) -> list[str]:
        return (self.replica_service or "").split()

    @property
    def replica_targets(self) -> list[str]:
        """Every replica as a URL: ``replica_url`` entries, then each service's URL."""
        return self.replica_urls + [service_url(name) for name in self.replica_services]

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def asks_before_migrating(self) -> bool:
        return self.environment in ("staging", "prod")

    def database_name(self) -> str:
        if self.embedded:
            return self.dbname or "autopr_dev"
        if self.url:
            return normalize_url(self.url).database or ""
        return self.dbname or (f"service {self.service}" if self.service else "")

    def sqlalchemy_url(self, password: str | None = None) -> URL:
        """The URL to connect with (without the embedded server's address)."""
        if self.url:
            url = normalize_url(self.url)
            if password and not url.password:
                url = url.set(password=password)
            return url
        query: dict[str, str] = {}
        if self.sslmode:
            query["sslmode"] = self.sslmode
        if self.service:
            query["service"] = self.service
        query.update(transport.tls_query(self))
        query.update(self.extra)
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=password,
            host=self.host,
            port=self.port,
            database=self.dbname,
            query=query,
        )

    def describe(self) -> str:
        """Where the profile points, with no password."""
        if self.embedded:
            return "embedded PostgreSQL in the user data dir"
        via = f" via ssh {self.ssh}" if self.ssh else ""
        if self.service:
            return f"service={self.service}{via}"
        return redact(self.sqlalchemy_url()) + via

    def to_toml(self) -> dict[str, Any]:
        skip = {"name", "environment_assumed"}
        if self.environment_assumed:  # an assumption is never written down as a declaration
            skip.add("environment")
        data = {k: v for k, v in asdict(self).items() if v not in (None, {}, "") and k not in skip}
        for key, default in (
            ("connect_timeout_s", 5),
            ("statement_timeout_ms", 30_000),
            ("replica_max_lag_s", 10),
        ):
            if data.get(key) == default:
                data.pop(key)
        if data.get("embedded") is False:
            data.pop("embedded")
        if len(self.replica_urls) > 1:
            data["replica_url"] = self.replica_urls
        if len(self.replica_services) > 1:
            data["replica_service"] = self.replica_services
        return data


def service_url(name: str) -> str:
    """A URL that lets libpq take everything (host, port, dbname, user) from the service."""
    return f"postgresql+psycopg:///?service={name}"


def default_profiles() -> dict[str, Profile]:
    return {
        "local": Profile("local", environment="local", embedded=True, dbname="autopr_dev"),
        "dev": Profile("dev", environment="dev", host="localhost", dbname="autopr_dev"),
        "staging": Profile(
            "staging", environment="staging", host="localhost", dbname="autopr_staging"
        ),
        "prod": Profile("prod", environment="prod", host="localhost", dbname="autopr_prod"),
    }


# The names of ad-hoc profiles (--url, DATABASE_URL): never saved, so no stored
# password can ever be sent to whatever server such a URL names.
RESERVED_NAMES = ("url", "database_url")


def validate_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise ProfileError(
            "a profile name is 1-63 letters, digits, '.', '_' or '-', starting with a "
            f"letter or digit (got {name!r:.40})"
        )
    if name.lower() in RESERVED_NAMES:
        raise ProfileError(
            f"{name!r} is reserved for --url and DATABASE_URL; pick another profile name"
        )
    return name


SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_STR_KEYS: tuple[str, ...] = (
    *("environment", "url", "host", "dbname", "user", "sslmode", "service"),
    *("ssh", "ssh_key", "ssh_config", *transport.TLS_FILE_KEYS, "replica_url"),
    "replica_service",
)
SERVICE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,63}$")
_INT_KEYS = {
    "port": (1, 65535),
    "connect_timeout_s": (1, 3600),
    "statement_timeout_ms": (0, None),
    "replica_max_lag_s": (0, 86400),
}


def _check_types(name: str, data: dict[str, Any]) -> None:
    """Refuse values of the wrong type with a message naming the profile and key."""
    for key, value in data.items():
        if key in _STR_KEYS and not isinstance(value, str):
            raise ProfileError(f"profile {name!r}: {key} must be a string, not {value!r:.40}")
        if key in _INT_KEYS:
            low, high = _INT_KEYS[key]
            if not isinstance(value, int) or isinstance(value, bool):
                raise ProfileError(f"profile {name!r}: {key} must be a number, not {value!r:.40}")
            if value < low or (high is not None and value > high):
                bounds = f"{low}..{high}" if high is not None else f">= {low}"
                raise ProfileError(f"profile {name!r}: {key} must be {bounds}, not {value}")
        if key == "embedded" and not isinstance(value, bool):
            raise ProfileError(f"profile {name!r}: embedded must be true or false")
        if key == "extra" and not (
            isinstance(value, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        ):
            raise ProfileError(f"profile {name!r}: extra must be a table of strings")


def validate_profile(profile: Profile) -> Profile:
    """Check a profile is usable; raise :class:`ProfileError` with a clear reason if not."""
    name = profile.name
    if profile.environment not in ENVIRONMENTS:
        allowed = ", ".join(ENVIRONMENTS)
        raise ProfileError(f"profile {name!r}: environment must be one of {allowed}")
    if profile.sslmode is not None and profile.sslmode not in SSLMODES:
        raise ProfileError(f"profile {name!r}: sslmode must be one of {', '.join(SSLMODES)}")
    targets = [
        key
        for key, given in (
            ("embedded", profile.embedded),
            ("url", profile.url),
            ("host", profile.host),
            ("service", profile.service),
        )
        if given
    ]
    if len(targets) > 1 and set(targets) != {"host", "service"}:
        raise ProfileError(
            f"profile {name!r}: give one of embedded, url, host or service, not "
            + " and ".join(targets)
        )
    _refuse_password_parameter(profile)
    for service in profile.replica_services:
        if not SERVICE_RE.match(service):
            raise ProfileError(
                f"profile {name!r}: replica_service must be service names from "
                f"pg_service.conf (letters, digits, '.', '_', '-'), not {service!r:.40}"
            )
    for text_url in profile.replica_urls:
        try:
            replica = normalize_url(text_url)
        except BadURLError as exc:
            raise ProfileError(f"profile {name!r}: replica_url: {exc}") from exc
        if replica.password or url_holds_password(text_url):
            raise ProfileError(
                f"profile {name!r}: replica_url holds a password; the replica uses the "
                "profile's password (keyring or .pgpass)"
            )
    if profile.url:
        if profile.host or profile.port or profile.user or profile.dbname:
            raise ProfileError(
                f"profile {name!r}: with a url, put host, port, user and dbname in the url"
            )
        try:
            url = normalize_url(profile.url)
        except BadURLError as exc:
            raise ProfileError(f"profile {name!r}: {exc}") from exc
        if url.password:
            raise ProfileError(
                f"profile {name!r}: the URL holds a password; remove it from profiles.toml "
                "and use 'autopr-console profile add' to keep it in the keyring"
            )
    try:
        transport.check_transport(profile)
    except transport.TransportError as exc:
        raise ProfileError(str(exc)) from exc
    return profile


def _refuse_password_parameter(profile: Profile) -> None:
    """A ``password=`` anywhere in a profile (URL text or extra parameters) is refused."""
    extra = " ".join(f"{k}={v}" for k, v in profile.extra.items())
    if url_holds_password(profile.url or "") or url_holds_password(extra):
        raise ProfileError(
            f"profile {profile.name!r}: the URL or its parameters hold 'password='; remove it "
            "and give the password when asked (kept in the OS keyring), or use .pgpass"
        )


def _from_toml(name: str, data: dict[str, Any]) -> Profile:
    known = {f for f in Profile.__dataclass_fields__ if f not in ("name", "environment_assumed")}
    unknown = set(data) - known
    if unknown:
        raise ProfileError(
            f"profile {name!r}: unknown keys {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(known))})"
        )
    for key in ("replica_url", "replica_service"):
        replicas = data.get(key)
        if isinstance(replicas, list) and all(isinstance(u, str) for u in replicas):
            data = {**data, key: " ".join(replicas)}
    _check_types(name, data)
    env, assumed = data.get("environment"), False
    if not env:
        # Undeclared: the built-in names declare themselves; anything else is taken as prod.
        env, assumed = (name, False) if name in ENVIRONMENTS else ("prod", True)
    fields = {**data, "environment": env, "environment_assumed": assumed}
    return validate_profile(Profile(name=name, **fields))


class ProfileStore:
    """Reads and writes ``profiles.toml``; the built-in four are always present."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.profiles_file()

    def load(self) -> dict[str, Profile]:
        profiles = default_profiles()
        for name, body in self._stored().items():
            if not isinstance(body, dict):
                raise ProfileError(f"profile {name!r} in {self.path} is not a table")
            profiles[name] = _from_toml(validate_name(name), body)
        return profiles

    def get(self, name: str) -> Profile:
        profiles = self.load()
        if name not in profiles:
            raise ProfileError(f"no profile named {name!r}; known: {', '.join(sorted(profiles))}")
        return profiles[name]

    def save(self, profile: Profile) -> None:
        """Write ``profile`` (a password inside its URL is dropped, never written)."""
        validate_name(profile.name)
        if profile.url:
            try:
                url = normalize_url(profile.url)
            except BadURLError as exc:
                raise ProfileError(f"profile {profile.name!r}: {exc}") from exc
            if url.password:
                # URL.set(password=None) would leave it in place: None means "unchanged".
                url = url._replace(password=None)
                profile = replace(profile, url=url.render_as_string(hide_password=False))
        validate_profile(profile)
        stored = self._stored()
        stored[profile.name] = profile.to_toml()
        self._write(stored)

    def remove(self, name: str) -> bool:
        stored = self._stored()
        if name not in stored:
            return False
        del stored[name]
        self._write(stored)
        return True

    def _stored(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"{self.path} is not valid TOML: {exc}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{self.path} cannot be read: {exc}") from exc
        profiles = data.get("profiles") or {}
        if not isinstance(profiles, dict):
            raise ProfileError(f"{self.path}: 'profiles' must be a table of profiles")
        return dict(profiles)

    def _write(self, stored: dict[str, dict[str, Any]]) -> None:
        """Write atomically, readable by the owner only (0600 from the first byte)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        text = "# AutoPR Console connection profiles. Passwords are never stored here.\n"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + tomli_w.dumps({"profiles": stored}))
        os.replace(tmp, self.path)


def profile_from_url(url: str, name: str = "url", environment: str | None = None) -> Profile:
    """An ad-hoc profile for ``--url`` / ``DATABASE_URL``.

    Its environment is ``environment`` (``--environment``), else ``AUTOPR_ENVIRONMENT``,
    else assumed: prod unless the server is on this machine (see :mod:`console.environments`).
    """
    parsed = normalize_url(url)
    try:
        declared = environments.declared_environment(environment)
    except EnvironmentDeclarationError as exc:
        raise ProfileError(str(exc)) from exc
    if declared:
        return Profile(name=name, environment=declared, url=url)
    assumed = environments.assumed_for_url(parsed)
    return Profile(name=name, environment=assumed, url=url, environment_assumed=True)


def resolve_profile(
    name: str | None = None,
    url: str | None = None,
    store: ProfileStore | None = None,
    environment: str | None = None,
) -> Profile:
    """The profile a command should use: ``--url``, then ``DATABASE_URL``, then ``--profile``.

    ``environment`` (the global ``--environment``) declares an ad-hoc URL's environment;
    given with a named profile it must agree with what that profile declares.
    """
    if url:
        return profile_from_url(url, environment=environment)
    if name is None and os.environ.get(ENV_URL):
        return profile_from_url(os.environ[ENV_URL], name="DATABASE_URL", environment=environment)
    profile = (store or ProfileStore()).get(name or "local")
    if environment:
        try:
            environments.checked_environment(environment, "--environment")
        except EnvironmentDeclarationError as exc:
            raise ProfileError(str(exc)) from exc
        if environment != profile.environment:
            raise ProfileError(
                f"profile {profile.name!r} is {profile.environment_label}; --environment "
                "declares --url and DATABASE_URL only (declare a profile's environment in "
                "'autopr-console profile add --environment')"
            )
    return profile
