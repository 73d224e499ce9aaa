"""``autopr-console profile list|add|remove|test``."""

from __future__ import annotations

import argparse
import getpass
import sys

from console import secrets
from console.cli import CommandError
from console.db.transport import prod_tls_warning
from console.db.urls import normalize_url
from console.environments import looks_like_prod
from console.profiles import ENVIRONMENTS, Profile, ProfileError, ProfileStore, validate_name


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("profile", help="list, add, remove or test connection profiles")
    sub = p.add_subparsers(dest="profile_command", metavar="ACTION", required=True)

    ls = sub.add_parser("list", help="list profiles")
    ls.set_defaults(func=run_list)

    add = sub.add_parser("add", help="add or replace a profile")
    add.add_argument("name")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", dest="profile_url", help="postgresql://user@host:port/db")
    where.add_argument("--host")
    where.add_argument("--service", help="libpq service name from pg_service.conf")
    where.add_argument("--embedded", action="store_true", help="the bundled local server")
    add.add_argument("--port", type=int)
    add.add_argument(
        "--replica-url",
        metavar="URL",
        action="append",
        help="a streaming replica that answers the reads (writes go to the primary); repeat "
        "for several",
    )
    add.add_argument(
        "--replica-service",
        metavar="NAME",
        action="append",
        help="a streaming replica named as a libpq service (pg_service.conf); repeat for several",
    )
    add.add_argument("--dbname")
    add.add_argument("--user")
    add.add_argument(
        "--sslmode", choices=["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
    )
    tls = add.add_argument_group("TLS (certificate files; a key passphrase is asked, never stored)")
    tls.add_argument("--sslrootcert", help="CA certificate(s) to verify the server with")
    tls.add_argument("--sslcert", help="client certificate")
    tls.add_argument("--sslkey", help="client certificate's private key")
    ssh = add.add_argument_group("SSH tunnel (host keys from known_hosts; ~/.ssh/config applies)")
    ssh.add_argument(
        "--ssh",
        metavar="USER@HOST[:PORT]",
        help="reach the database through this bastion (a chain: user@jump,user@bastion); "
        "--host is then the database host as the bastion sees it",
    )
    ssh.add_argument("--ssh-key", metavar="PATH", help="SSH key file (default: agent, config)")
    ssh.add_argument("--ssh-config", metavar="PATH", help="an ssh_config file to use instead")
    add.add_argument(
        "--environment",
        choices=ENVIRONMENTS,
        default=argparse.SUPPRESS,  # the global --environment before 'profile' counts too
        help="local, dev, staging or prod (required unless the name is one of these)",
    )
    pw = add.add_mutually_exclusive_group()
    pw.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    pw.add_argument(
        "--no-password",
        action="store_true",
        help="do not ask (use .pgpass, a service file or trust auth)",
    )
    add.set_defaults(func=run_add)

    rm = sub.add_parser("remove", help="remove a profile and its stored password")
    rm.add_argument("name")
    rm.set_defaults(func=run_remove)

    test = sub.add_parser("test", help="connect to a profile and report")
    test.add_argument("name")
    test.set_defaults(func=run_test)


def run_list(args: argparse.Namespace) -> int:
    try:
        profiles = ProfileStore().load()
    except ProfileError as exc:
        raise CommandError(str(exc)) from exc
    width = max(len(n) for n in profiles)
    for name, profile in sorted(profiles.items()):
        print(f"{name:<{width}}  {profile.environment_label:<8} {profile.describe()}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    url_password = None
    try:
        name = validate_name(args.name)
        if args.profile_url:
            # A password typed into the URL goes to the keyring like any other, never the file.
            url_password = normalize_url(args.profile_url).password
        env = getattr(args, "environment", None) or (name if name in ENVIRONMENTS else None)
        if env is None:
            raise ProfileError(
                f"say which environment {name!r} is: add --environment "
                f"{{{','.join(ENVIRONMENTS)}}} (only a profile named local, dev, staging or "
                "prod declares it by its name)"
            )
        profile = Profile(
            name=name,
            environment=env,
            embedded=args.embedded,
            url=args.profile_url,
            host=args.host,
            port=args.port,
            dbname=args.dbname,
            user=args.user,
            sslmode=args.sslmode,
            service=args.service,
            ssh=args.ssh,
            ssh_key=args.ssh_key,
            ssh_config=args.ssh_config,
            sslrootcert=args.sslrootcert,
            sslcert=args.sslcert,
            sslkey=args.sslkey,
            replica_url=" ".join(args.replica_url) if args.replica_url else None,
            replica_service=" ".join(args.replica_service) if args.replica_service else None,
        )
        profile.sqlalchemy_url()  # validates a URL before anything is written
        ProfileStore().save(profile)
    except (ProfileError, ValueError) as exc:
        raise CommandError(str(exc), 2) from exc
    print(f"saved profile {name!r} ({env}): {profile.describe()}")
    warning = prod_tls_warning(profile, profile.sslmode or _url_sslmode(profile))
    if warning:
        print(f"warning: {warning}")
    if env != "prod" and looks_like_prod(name):
        print(f"note: the name {name!r} reads like production, but it is declared {env}")
    if args.embedded or args.no_password:
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif url_password:
        password = url_password
        print("the password given in the URL is not kept in profiles.toml")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password for {name} (empty: none): ")
    else:
        password = ""
    if not password:
        return 0
    if secrets.store_password(name, password):
        print("password stored in the OS keyring")
    else:
        print(
            "no OS keyring is available here: the password was not stored; the console "
            "will ask for it once per session"
        )
    return 0


def _url_sslmode(profile: Profile) -> str | None:
    if not profile.url:
        return None
    mode = normalize_url(profile.url).query.get("sslmode")
    return mode if isinstance(mode, str) else None


def run_remove(args: argparse.Namespace) -> int:
    store = ProfileStore()
    removed = store.remove(args.name)
    secrets.forget_password(args.name)
    if not removed:
        raise CommandError(f"no saved profile named {args.name!r}")
    print(f"removed profile {args.name!r}")
    return 0


def run_test(args: argparse.Namespace) -> int:
    from console.cli.common import open_from_args
    from console.db.hops import report_hops

    args.profile, args.url = args.name, None
    db = open_from_args(args, assume_yes=False)
    try:
        for hop in report_hops(db):
            print(f"{hop.name + ':':<13} {hop.text}")
        mode = "read-only" if db.read_only else "read-write"
        print(
            f"ok: {db.profile.name} ({db.profile.environment_label}) {db.database_name} "
            f"PostgreSQL {db.server_version}, schema {db.migration.state.value} "
            f"at {db.migration.head}, {mode}"
        )
        if db.read_only_reason:
            print(db.read_only_reason)
        from console.db.migrator import schema_summary

        for line in schema_summary(db.migration):
            print(line)
    finally:
        db.close()
    return 0
