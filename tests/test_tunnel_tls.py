"""SSH tunnels and TLS with real servers (issue 16).

Started once for the module: a PostgreSQL with ``ssl = on`` and a certificate from
a CA made here (one role needs a client certificate: ``clientcert=verify-full``),
and Debian's sshd on a loopback port with a generated host key and user keys, in
front of it.  The cases print what the operator would read.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from console.db import passphrases
from console.db.connection import ConnectionFailed, Database, open_database
from console.db.engine import EngineSettings, make_engine
from console.db.migrator import ensure_schema
from console.profiles import Profile, ProfileError, ProfileStore, validate_profile
from tests.helpers.secrets_check import files_holding, run_on_a_terminal
from tests.helpers.ssh_tls import (
    CERT_ROLE,
    CLIENT_KEY_PASSPHRASE,
    PKI,
    SSH_KEY_PASSPHRASE,
    TLS_ROLE,
    SSHServer,
    TLSPostgres,
    free_port,
    make_pki,
)

TEMPLATE = "autopr_tls_template"
WAIT_MS = 60_000


@dataclass
class Servers:
    pki: PKI
    pg: TLSPostgres
    ssh: SSHServer


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    root = Path(tempfile.mkdtemp(prefix="autopr-tunnel-"))
    pki = make_pki(root / "pki")
    pg = TLSPostgres(pki)
    ssh = SSHServer(root / "ssh")
    try:
        pg.start()
        with pg.admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        engine = make_engine(pg.admin_url(TEMPLATE), EngineSettings(statement_timeout_ms=0))
        try:
            ensure_schema(engine, apply=True)
        finally:
            engine.dispose()
        ssh.prepare()
        ssh.start()
        yield Servers(pki, pg, ssh)
    finally:
        ssh.kill()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def dbname(servers: Servers) -> str:
    """One migrated database for the module (only the window test writes, and adds rows);
    it goes away with the server."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    with servers.pg.admin() as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(TEMPLATE)
            )
        )
    return name


@pytest.fixture(autouse=True)
def _no_passphrases_between_tests() -> Iterator[None]:
    yield
    for kind in (passphrases.SSH, passphrases.TLS):
        for name in ("tls", "tlsprod", "tunnel"):
            passphrases.forget(kind, name)


def tls_profile(servers: Servers, dbname: str, name: str = "tls", **changes) -> Profile:
    values = {
        "environment": "dev",
        "host": "localhost",  # the name in the server's certificate
        "port": servers.pg.port,
        "dbname": dbname,
        "user": TLS_ROLE,
        "sslmode": "verify-full",
        "sslrootcert": str(servers.pki.ca),
        **changes,
    }
    return validate_profile(Profile(name, **values))


def client_cert(servers: Servers) -> dict[str, str]:
    """The settings of a profile that logs in with the client certificate."""
    return {
        "user": CERT_ROLE,
        "sslcert": str(servers.pki.client_cert),
        "sslkey": str(servers.pki.client_key),
    }


def via_bastion(servers: Servers, **changes) -> dict[str, str]:
    ssh = servers.ssh
    return {
        "ssh": f"{ssh.user}@127.0.0.1:{ssh.port}",
        "ssh_key": str(ssh.user_key),
        "ssh_config": str(ssh.client_config),
        **changes,
    }


def refused(profile: Profile) -> ConnectionFailed:
    with pytest.raises(ConnectionFailed) as caught:
        db = open_database(profile)
        db.close()
    failure = caught.value
    print(f"{profile.name}: [{failure.kind}] {failure}")
    assert "\n" not in str(failure)
    return failure


# -- profiles ---------------------------------------------------------------------------


def test_profiles_carry_ssh_and_tls_settings_and_refuse_nonsense(tmp_path) -> None:
    store = ProfileStore(tmp_path / "profiles.toml")
    profile = Profile(
        "prod-eu",
        environment="prod",
        host="db.internal",
        dbname="autopr",
        sslmode="verify-full",
        sslrootcert="~/ca.pem",
        sslcert="/etc/c.crt",
        sslkey="/etc/c.key",
        ssh="ops@jump.example.com:2222,ops@bastion.example.com",
        ssh_key="~/.ssh/id_ed25519",
    )
    store.save(profile)
    assert store.get("prod-eu") == profile
    text = (tmp_path / "profiles.toml").read_text()
    assert 'ssh = "ops@jump.example.com:2222,ops@bastion.example.com"' in text
    assert "via ssh ops@jump" in profile.describe()
    query = profile.sqlalchemy_url().query
    assert query["sslrootcert"] == str(Path("~/ca.pem").expanduser())
    assert query["sslkey"] == "/etc/c.key"
    for bad, expected in (
        ({"ssh": "ops@bastion:99999"}, "ssh port must be 1..65535"),
        ({"ssh": "ops@@bastion"}, "ssh must be user@host[:port]"),
        ({"ssh": "-oProxyCommand=sh"}, "cannot start with '-'"),
        ({"ssh_key": "/k"}, "need ssh = user@host"),
        ({"sslkey": "/k"}, "sslkey needs sslcert"),
        ({"sslmode": "disable", "sslrootcert": "/ca"}, "certificate files need sslmode"),
        ({"embedded": True, "host": None, "ssh": "ops@b"}, "never reached over ssh"),
        ({"ssh": "ops@b", "replica_service": "standby"}, "not replica_service"),
        ({"ssh": "ops@b", "replica_url": "postgresql:///db?host=/run/pg"}, "socket directory"),
    ):
        with pytest.raises(ProfileError) as caught:
            validate_profile(Profile("bad", **{"host": "db", **bad}))
        print(caught.value)
        assert expected in str(caught.value)


# -- TLS --------------------------------------------------------------------------------


def test_verify_full_connects_and_reads_pg_stat_ssl(servers: Servers, dbname: str) -> None:
    db = open_database(tls_profile(servers, dbname))
    try:
        assert db.tls is not None and db.tls.encrypted
        assert db.tls.version in ("TLSv1.2", "TLSv1.3")
        print(db.tls.summary("verify-full"))
        assert db.tls.summary("verify-full").endswith("server verified (name and CA)")
        assert db.via is None
    finally:
        db.close()


def test_a_replica_behind_the_bastion_is_read_through_its_own_forward(
    servers: Servers, dbname: str
) -> None:
    """The replica (the same TLS server, named again as a replica) is reached through a
    forward of its own on the profile's bastion: the reads never go around it."""
    pg = servers.pg
    replica = f"postgresql://{TLS_ROLE}@localhost:{pg.port}/{dbname}?sslmode=verify-full"
    replica += f"&sslrootcert={servers.pki.ca}"
    profile = tls_profile(servers, dbname, **via_bastion(servers), replica_url=replica)
    db = open_database(profile)
    try:
        assert db.via == "127.0.0.1" and db.replica is not None
        [tunnel] = db.replica.tunnels
        assert tunnel.is_up and tunnel is not db.tunnel
        assert tunnel.local_port not in (db.tunnel.local_port, pg.port)
        assert tunnel.command()[-1] == db.tunnel.command()[-1]  # the same bastion
        url = db.replica.replica_url
        assert (url.host, url.port, url.query["hostaddr"]) == (
            "localhost",
            tunnel.local_port,
            "127.0.0.1",
        )
        assert f"port={tunnel.local_port}" in db.read_conninfo()  # the tail's reads too
        assert db.read_source().server == "replica"
        with db.reader.connect() as conn:
            # the server answers on its own port; we spoke to the forward's
            assert conn.exec_driver_sql("SELECT inet_server_port()").scalar() == pg.port
            assert conn.exec_driver_sql("SELECT current_setting('application_name')").scalar() == (
                "autopr-console-replica"
            )
            assert conn.exec_driver_sql(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            ).scalar()
    finally:
        db.close()
    assert not tunnel.is_up  # closed with the profile


def test_certificate_errors_are_explained_in_one_line(servers: Servers, dbname: str) -> None:
    wrong_ca = refused(tls_profile(servers, dbname, sslrootcert=str(servers.pki.other_ca)))
    assert wrong_ca.kind == "tls-ca"
    assert "not signed by the CA in sslrootcert" in str(wrong_ca)
    mismatch = refused(tls_profile(servers, dbname, host="127.0.0.1"))
    assert mismatch.kind == "tls-name"
    assert "'localhost', not '127.0.0.1'" in str(mismatch)
    no_client_cert = refused(tls_profile(servers, dbname, user=CERT_ROLE))
    assert no_client_cert.kind == "tls-clientcert"
    servers.pg.use_certificate(servers.pki.expired_cert)
    try:
        expired = refused(tls_profile(servers, dbname))
    finally:
        servers.pg.use_certificate(servers.pki.server_cert)
    assert expired.kind == "tls-expired"
    assert "certificate expired" in str(expired)


def test_client_certificate_key_passphrase_is_asked_and_never_stored(
    servers: Servers, dbname: str, isolated_home: Path
) -> None:
    profile = tls_profile(servers, dbname, **client_cert(servers))
    ProfileStore().save(profile)
    asked = refused(profile)
    assert asked.kind == "tls-passphrase"  # asked by the console, never by OpenSSL on a tty
    passphrases.remember(passphrases.TLS, profile.name, "not the passphrase")
    wrong = refused(profile)
    assert wrong.kind == "tls-passphrase"
    assert passphrases.get(passphrases.TLS, profile.name) is None  # forgotten: asked again
    passphrases.remember(passphrases.TLS, profile.name, CLIENT_KEY_PASSPHRASE)
    db = open_database(profile)
    try:
        assert db.tls is not None and db.tls.client_dn == f"/CN={CERT_ROLE}"
        with psycopg.connect(db.conninfo()) as raw:  # the tail's own connections too
            assert raw.execute("SELECT current_user").fetchone() == (CERT_ROLE,)
        assert CLIENT_KEY_PASSPHRASE not in repr(db)
    finally:
        db.close()
    assert files_holding(CLIENT_KEY_PASSPHRASE, isolated_home) == []


def test_prod_without_verify_full_gets_a_visible_warning(
    qtbot, servers: Servers, dbname: str, tmp_path: Path
) -> None:
    from console.ui.banner import EnvironmentBanner

    banner = EnvironmentBanner()
    qtbot.addWidget(banner)
    db = open_database(
        tls_profile(servers, dbname, name="tlsprod", environment="prod", sslmode="verify-ca")
    )
    try:
        banner.show_connected(db, None)
        print(banner.detail_label.text(), "|", banner.notice_label.text())
        banner.resize(1100, 60)
        banner.grab().save(str(tmp_path / "prod-banner-verify-ca-warning.png"))
        assert "server CA verified, name not checked" in banner.detail_label.text()
        assert "prod without sslmode=verify-full (it is verify-ca)" in banner.notice_label.text()
    finally:
        db.close()
    db = open_database(tls_profile(servers, dbname, name="tlsprod", environment="prod"))
    try:
        banner.show_connected(db, None)
        assert "verify-full" not in banner.notice_label.text()
    finally:
        db.close()


# -- SSH --------------------------------------------------------------------------------


def test_tunnel_failures_have_their_own_messages(servers: Servers, dbname: str) -> None:
    ssh = servers.ssh
    unknown = refused(
        tls_profile(servers, dbname, **via_bastion(servers, ssh_config=str(ssh.stranger_config)))
    )
    assert unknown.kind == "tunnel-hostkey"
    assert ssh.host_fingerprint() in str(unknown)  # the fingerprint to compare
    assert f"ssh -p {ssh.port} {ssh.user}@127.0.0.1" in str(unknown)  # how to accept it
    assert (ssh.root / "known_hosts_empty").read_text() == ""  # never accepted silently

    changed = refused(
        tls_profile(servers, dbname, **via_bastion(servers, ssh_config=str(ssh.changed_config)))
    )
    assert changed.kind == "tunnel-hostkey"
    assert "CHANGED" in str(changed) and ssh.host_fingerprint() in str(changed)

    auth = refused(
        tls_profile(servers, dbname, **via_bastion(servers, ssh_key=str(ssh.stranger_key)))
    )
    assert auth.kind == "tunnel-auth"

    down = refused(
        tls_profile(
            servers, dbname, **via_bastion(servers, ssh=f"{ssh.user}@127.0.0.1:{free_port()}")
        )
    )
    assert down.kind == "tunnel-unreachable"
    for failure in (unknown, changed, auth, down):
        assert str(failure).startswith("SSH tunnel")  # never mistaken for the database's


def test_ssh_key_passphrase_is_asked_once_then_the_tunnel_opens(
    servers: Servers, dbname: str
) -> None:
    profile = tls_profile(
        servers, dbname, name="tunnel", **via_bastion(servers, ssh_key=str(servers.ssh.locked_key))
    )
    asked = refused(profile)
    assert asked.kind == "tunnel-passphrase"
    assert str(servers.ssh.locked_key) in str(asked)
    passphrases.remember(passphrases.SSH, "tunnel", "wrong")
    wrong = refused(profile)
    assert wrong.kind == "tunnel-passphrase" and "wrong passphrase" in str(wrong)
    passphrases.remember(passphrases.SSH, "tunnel", SSH_KEY_PASSPHRASE)
    db = open_database(profile)
    try:
        assert db.via == "127.0.0.1"
        assert db.tunnel is not None and db.tunnel.is_up
        tunnel = db.tunnel
    finally:
        db.close()
    assert not tunnel.is_up  # closed with the profile


def test_a_jump_chain_goes_through_the_jump_host_with_its_key_checked_too(
    servers: Servers, dbname: str
) -> None:
    ssh = servers.ssh
    # ssh refuses a chain through the same name twice: the jump is "localhost".
    chain = f"{ssh.user}@localhost:{ssh.port},{ssh.user}@127.0.0.1:{ssh.port}"
    db = open_database(
        tls_profile(
            servers, dbname, **via_bastion(servers, ssh=chain, ssh_config=str(ssh.jump_config))
        )
    )
    try:
        assert db.via == "127.0.0.1" and db.tunnel is not None
        assert len(db.tunnel.hops) == 2 and "-J" in db.tunnel.command()
        assert db.tls is not None and db.tls.encrypted
    finally:
        db.close()
    stranger = ssh.root / "ssh_config_jump_stranger"
    stranger.write_text(ssh.stranger_config.read_text() + f"  IdentityFile {ssh.user_key}\n")
    unknown_jump = refused(
        tls_profile(servers, dbname, **via_bastion(servers, ssh=chain, ssh_config=str(stranger)))
    )
    assert unknown_jump.kind == "tunnel-hostkey"
    assert f"[localhost]:{ssh.port}" in str(unknown_jump)  # the jump host is the one named
    assert ssh.host_fingerprint() in str(unknown_jump)


def test_profile_add_and_profile_test_report_each_hop(
    servers: Servers, dbname: str, capsys
) -> None:
    from console.cli import main

    ssh = servers.ssh
    added = main(
        [
            "profile", "add", "tlsprod", "--environment", "prod", "--host", "localhost",
            "--port", str(servers.pg.port), "--dbname", dbname, "--user", TLS_ROLE,
            "--sslmode", "verify-ca", "--sslrootcert", str(servers.pki.ca),
            "--ssh", f"{ssh.user}@127.0.0.1:{ssh.port}", "--ssh-key", str(ssh.user_key),
            "--ssh-config", str(ssh.client_config), "--no-password",
        ]
    )  # fmt: skip
    out = capsys.readouterr()
    with capsys.disabled():
        print(out.out, out.err)
    assert added == 0
    assert "warning: prod without sslmode=verify-full" in out.out
    tested = main(["profile", "test", "tlsprod"])
    out = capsys.readouterr()
    with capsys.disabled():
        print(out.out, out.err)
    assert tested == 0, out.err
    lines = {line.split(":", 1)[0]: line for line in out.out.splitlines() if ":" in line}
    assert "up via" in lines["tunnel"] and " ms " in lines["tunnel"]
    assert "TLSv1" in lines["tls"] and "sslmode verify-ca" in lines["tls"]
    assert "server CN=localhost, issued by CN=autopr test CA, expires" in lines["certificate"]
    assert f"authenticated as {TLS_ROLE}" in lines["user"]
    assert "PostgreSQL" in lines["server"]
    assert "median of 5" in lines["round-trip"]
    assert "prod without sslmode=verify-full" in lines["warning"]

    broken = main(
        ["profile", "add", "tlsbad", "--environment", "dev", "--host", "localhost",
         "--ssh", "a@@b"]
    )  # fmt: skip
    out = capsys.readouterr()
    with capsys.disabled():
        print(out.err)
    assert broken == 2 and "ssh must be user@host" in out.err


# -- the window, end to end -------------------------------------------------------------


@pytest.mark.expects_log_warnings(
    r"^console\.db\.tunnel: ssh tunnel via 127\.0\.0\.1 dropped",
    r"^console\.ui\.session: lost the connection to tunnel: SSH tunnel",
)
def test_window_through_tunnel_and_tls_pages_tail_action_and_sshd_restart(
    qtbot, servers: Servers, dbname: str, tmp_path: Path
) -> None:
    from console.actions.executions import cancel_execution
    from console.ui.actions.controller import ActionController
    from tests.helpers.loadgen import insert_line, make_execution
    from tests.helpers.seeding import seed_engine
    from tests.helpers.windows import shown_window

    admin_url = servers.pg.admin_url(dbname)
    admin_info = psycopg.conninfo.make_conninfo(
        host=str(servers.pg.socket_dir), port=servers.pg.port, user="postgres", dbname=dbname
    )
    engine = make_engine(admin_url)
    try:
        seed_engine(engine)
    finally:
        engine.dispose()
    followed, _ = make_execution(admin_info)
    to_cancel, human_id = make_execution(admin_info)

    passphrases.remember(passphrases.TLS, "tunnel", CLIENT_KEY_PASSPHRASE)
    profile = tls_profile(
        servers, dbname, name="tunnel", **client_cert(servers), **via_bastion(servers)
    )
    win = shown_window(qtbot, size=(1200, 760))
    win.connect_profile(profile)
    qtbot.waitUntil(lambda: win.state == "connected", timeout=WAIT_MS)
    db: Database = win.db
    detail = win.banner.detail_label.text()
    print(detail)
    assert "via 127.0.0.1" in detail and "server verified (name and CA)" in detail

    # pages
    win.show_page("executions")
    page = win.pages["executions"]
    qtbot.waitUntil(lambda: len(page.model.rows) > 3, timeout=WAIT_MS)
    shown = [r.id for r in page.model.rows]

    # the live tail, on its own connections through the tunnel
    with psycopg.connect(admin_info, autocommit=True) as conn:
        insert_line(conn, followed, "before the tail")
    win.show_page("tail")
    tail = win.pages["tail"]
    tail.follow_execution(followed)
    qtbot.waitUntil(lambda: tail.model.rowCount() == 1, timeout=WAIT_MS)

    # an action, through the write guard and the tunnel
    controller = ActionController(win, win.runner, db)
    controller.single(
        "cancel", human_id, lambda ctx, ok: cancel_execution(ctx, human_id, confirmed=ok),
        destructive=True,
    )  # fmt: skip
    if controller.dialog is not None:  # dev may or may not confirm: the guard decides
        controller.dialog.ok_button.click()

    def status() -> str:
        with psycopg.connect(admin_info) as conn:
            row = conn.execute(
                "SELECT status FROM workflow_executions WHERE id = %s", (to_cancel,)
            ).fetchone()
            return row[0] if row else ""

    qtbot.waitUntil(lambda: status() == "cancelled", timeout=WAIT_MS)

    # the bastion goes away under the open window, lines keep being written meanwhile
    tunnel = db.tunnel
    assert tunnel is not None
    servers.ssh.kill()
    win.check_connection()
    qtbot.waitUntil(lambda: win.connection_lost is not None, timeout=WAIT_MS)
    print("lost:", win.banner.notice_label.text())
    assert "SSH tunnel" in win.banner.notice_label.text()
    win.grab().save(str(tmp_path / "bastion-lost.png"))
    with psycopg.connect(admin_info, autocommit=True) as conn:
        for i in range(5):
            insert_line(conn, followed, f"during the outage {i}")
    servers.ssh.start()
    qtbot.waitUntil(lambda: win.connection_lost is None, timeout=WAIT_MS)
    assert win.state == "connected" and win.db is db  # the same window, no restart
    assert tunnel.reopened >= 1
    qtbot.waitUntil(lambda: tail.model.rowCount() == 6, timeout=WAIT_MS)  # nothing lost
    ids = [r[0] for r in tail.model.rows()]
    assert len(ids) == len(set(ids))  # nor shown twice
    qtbot.waitUntil(lambda: [r.id for r in page.model.rows] == shown, timeout=WAIT_MS)
    win.close()
    assert not tunnel.is_up  # closed with the profile


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.session: connecting to profile tunnel failed: .* needs its passphrase"
)
def test_window_asks_the_ssh_key_passphrase_once_and_keeps_it_in_memory(
    qtbot, servers: Servers, dbname: str, isolated_home: Path, tmp_path: Path
) -> None:
    from tests.helpers.windows import shown_window

    profile = tls_profile(
        servers, dbname, name="tunnel", **via_bastion(servers, ssh_key=str(servers.ssh.locked_key))
    )
    win = shown_window(qtbot, pages=False, size=(1100, 700))
    win.connect_profile(profile)
    qtbot.waitUntil(lambda: win.state == "failed", timeout=WAIT_MS)
    panel = win.state_panel
    print(panel.message.text(), "|", panel.hint.text())
    assert win.failure is not None and win.failure.kind == "tunnel-passphrase"
    assert panel.password_box.isVisibleTo(win)
    assert "never stored" in panel.password_edit.placeholderText()
    assert not panel.keyring_check.isVisibleTo(win)  # a passphrase never goes to the keyring
    win.grab().save(str(tmp_path / "ssh-passphrase-asked.png"))
    panel.password_edit.setText(SSH_KEY_PASSPHRASE)
    panel.connect_button.click()
    qtbot.waitUntil(lambda: win.state == "connected", timeout=WAIT_MS)
    assert passphrases.get(passphrases.SSH, "tunnel") == SSH_KEY_PASSPHRASE
    win.grab().save(str(tmp_path / "connected-via-bastion.png"))
    win.close()
    assert files_holding(SSH_KEY_PASSPHRASE, isolated_home) == []


def test_the_window_profile_editor_saves_tls_and_ssh_settings_and_connects(
    qtbot, servers: Servers, dbname: str, tmp_path: Path
) -> None:
    from console.ui.main_window import build_main_window

    win = build_main_window()
    qtbot.addWidget(win)
    win.show()
    editor = win.edit_profile(new=True)
    editor.name_edit.setText("tunnel")
    editor.environment.setCurrentText("prod")
    assert "prod without sslmode=verify-full" in editor.warning.text()  # before saving
    values = {
        "host": "localhost",
        "port": "not a port",
        "dbname": dbname,
        "user": TLS_ROLE,
        "sslrootcert": str(servers.pki.ca),
        **via_bastion(servers),
        "ssh": "ops@@bastion",
    }
    for key, value in values.items():
        editor.edits[key].setText(value)
    editor.sslmode.setCurrentText("verify-full")
    assert not editor.warning.isVisibleTo(editor)
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    print(editor.error.text())
    assert editor.error.text() == "port must be a number, not 'not a port'"
    editor.edits["port"].setText(str(servers.pg.port))
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    print(editor.error.text())
    assert "ssh must be user@host[:port]" in editor.error.text()
    assert editor.edits["dbname"].text() == dbname  # nothing typed is lost
    editor.grab().save(str(tmp_path / "profile-editor-error.png"))
    editor.edits["ssh"].setText(via_bastion(servers)["ssh"])
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    assert editor.error.text() == ""
    saved = ProfileStore().get("tunnel")
    assert saved.ssh == via_bastion(servers)["ssh"] and saved.sslmode == "verify-full"
    assert saved.environment == "prod"
    qtbot.waitUntil(lambda: win.state == "connected", timeout=WAIT_MS)
    assert win.db is not None and win.db.via == "127.0.0.1"
    again = win.edit_profile()
    assert again.name_edit.isReadOnly() and again.edits["ssh"].text() == saved.ssh
    again.reject()
    win.close()


def test_cli_asks_each_key_passphrase_once_on_a_terminal(servers: Servers, dbname: str) -> None:
    ssh = servers.ssh
    ProfileStore().save(
        tls_profile(
            servers,
            dbname,
            name="tunnel",
            **client_cert(servers),
            **via_bastion(servers, ssh_key=str(ssh.locked_key)),
        )
    )
    run = run_on_a_terminal(
        ["-m", "console", "profile", "test", "tunnel"],
        [
            (b"Passphrase for the SSH key of tunnel", SSH_KEY_PASSPHRASE),
            (b"Passphrase for the TLS client key of tunnel", CLIENT_KEY_PASSPHRASE),
        ],
        timeout=90,
    )
    text = run.text
    print(text)
    assert run.exit_code == 0
    assert run.unanswered == []  # both asked, each once
    assert text.count("Passphrase for the SSH key") == 1
    assert "client-cert:  sent /CN=console_cert" in text
    assert SSH_KEY_PASSPHRASE not in text and CLIENT_KEY_PASSPHRASE not in text  # not echoed


def test_the_frozen_entry_point_answers_as_the_askpass_helper(tmp_path: Path) -> None:
    """In the frozen app the launcher runs the app itself with AUTOPR_ASKPASS=1."""
    import os
    import subprocess
    import sys

    entry = Path(__file__).resolve().parent.parent / "packaging" / "entry.py"
    env = {**os.environ, "AUTOPR_ASKPASS": "1", "AUTOPR_SSH_PASSPHRASE": "s3cret"}
    answered = subprocess.run(
        [sys.executable, str(entry), "Enter passphrase for key '/k':"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert answered.returncode == 0 and answered.stdout == "s3cret\n"
    env.pop("AUTOPR_SSH_PASSPHRASE")
    host_key = subprocess.run(
        [sys.executable, str(entry), "Are you sure you want to continue connecting (yes/no)?"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert host_key.returncode == 1 and host_key.stdout == ""  # never a "yes"
    assert "autopr-askpass: refused" in host_key.stderr
