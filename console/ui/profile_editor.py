"""The window's profile editor: where a profile points, its TLS files and its SSH tunnel.

The same fields as ``autopr-console profile add``; the same checks
(:func:`console.profiles.validate_profile`), shown as one line under the form
while everything typed stays in place.  Passwords and key passphrases are not
fields here: the console asks for them when the server or the key needs them.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.db.transport import prod_tls_warning
from console.profiles import (
    ENVIRONMENTS,
    SSLMODES,
    Profile,
    ProfileError,
    ProfileStore,
    validate_name,
    validate_profile,
)

_TEXT_FIELDS = (
    ("host", "Host"),
    ("port", "Port"),
    ("dbname", "Database"),
    ("user", "User"),
)
_TLS_FILES = (
    ("sslrootcert", "CA certificate"),
    ("sslcert", "Client certificate"),
    ("sslkey", "Client key"),
)
_SSH_FIELDS = (
    ("ssh", "Bastion"),
    ("ssh_key", "Key file"),
    ("ssh_config", "ssh_config file"),
)


CHOOSE_ENVIRONMENT = "(choose)"


class ProfileEditor(QDialog):
    """Create or edit a saved profile (``profile=None``: a new one)."""

    saved = Signal(object)  # Profile

    def __init__(
        self,
        profile: Profile | None = None,
        store: ProfileStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store or ProfileStore()
        self.original = profile
        self.setWindowTitle(f"Edit profile {profile.name}" if profile else "New profile")
        self.setMinimumWidth(560)
        col = QVBoxLayout(self)
        self.edits: dict[str, QLineEdit] = {}

        where = QFormLayout()
        self.name_edit = QLineEdit(profile.name if profile else "")
        self.name_edit.setReadOnly(profile is not None)
        where.addRow("Name", self.name_edit)
        self.environment = QComboBox()
        if profile is None:  # declared, never defaulted (an undeclared name is not "dev")
            self.environment.addItem(CHOOSE_ENVIRONMENT)
        self.environment.addItems(ENVIRONMENTS)
        self.environment.setCurrentText(profile.environment if profile else CHOOSE_ENVIRONMENT)
        where.addRow("Environment", self.environment)
        self._line(where, "url", "URL", profile, "postgresql://user@host:5432/db (or the fields)")
        for key, label in _TEXT_FIELDS:
            self._line(where, key, label, profile)
        col.addLayout(where)

        tls = QGroupBox("TLS")
        tls_form = QFormLayout(tls)
        self.sslmode = QComboBox()
        self.sslmode.addItems(["", *SSLMODES])
        self.sslmode.setCurrentText((profile.sslmode if profile else None) or "")
        tls_form.addRow("sslmode", self.sslmode)
        for key, label in _TLS_FILES:
            self._line(tls_form, key, label, profile, browse=True)
        tls_form.addRow(QLabel("A client key's passphrase is asked when needed, never stored."))
        col.addWidget(tls)

        ssh = QGroupBox("SSH tunnel")
        ssh_form = QFormLayout(ssh)
        for key, label in _SSH_FIELDS:
            hint = "user@bastion.example.com:22 (a chain: user@jump,user@bastion)"
            self._line(ssh_form, key, label, profile, hint if key == "ssh" else "", key != "ssh")
        ssh_form.addRow(QLabel("Host keys are checked against known_hosts; ~/.ssh/config applies."))
        col.addWidget(ssh)

        self.warning = QLabel()
        self.warning.setObjectName("profileWarning")
        self.warning.setWordWrap(True)
        col.addWidget(self.warning)
        self.error = QLabel()
        self.error.setObjectName("profileError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        col.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        col.addWidget(self.buttons)
        self.environment.currentTextChanged.connect(self._update_warning)
        self.sslmode.currentTextChanged.connect(self._update_warning)
        self._update_warning()

    def _line(
        self,
        form: QFormLayout,
        key: str,
        label: str,
        profile: Profile | None,
        placeholder: str = "",
        browse: bool = False,
    ) -> None:
        value = getattr(profile, key, None) if profile else None
        edit = QLineEdit("" if value is None else str(value))
        edit.setPlaceholderText(placeholder)
        self.edits[key] = edit
        if not browse:
            form.addRow(label, edit)
            return
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        button = QPushButton("…")
        button.setFixedWidth(32)
        button.setToolTip(f"Choose the {label.lower()}")
        button.clicked.connect(lambda: self._browse(edit, label))
        row.addWidget(button)
        form.addRow(label, row)

    def _browse(self, edit: QLineEdit, label: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, label, edit.text())
        if path:
            edit.setText(path)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.adjustSize()  # a wrapped message gets its lines

    def _update_warning(self) -> None:
        chosen = self.environment.currentText()
        probe = Profile("x", environment=chosen if chosen in ENVIRONMENTS else "dev", host="h")
        warning = prod_tls_warning(probe, self.sslmode.currentText() or None)
        self.warning.setText(f"Warning: {warning}" if warning else "")
        self.warning.setVisible(bool(warning))
        self.adjustSize()

    def profile(self) -> Profile:
        """The profile the form describes; raises :class:`ProfileError` with one line."""
        values: dict[str, object] = {}
        for key, edit in self.edits.items():
            text = edit.text().strip()
            values[key] = text or None
        port = values.pop("port")
        if port is not None:
            try:
                values["port"] = int(str(port))
            except ValueError:
                raise ProfileError(f"port must be a number, not {port!r:.20}") from None
            if not 1 <= int(values["port"]) <= 65535:  # type: ignore[call-overload]
                raise ProfileError(f"port must be 1..65535, not {values['port']}")
        name = validate_name(self.name_edit.text().strip())
        environment = self.environment.currentText()
        if environment not in ENVIRONMENTS:
            if name not in ENVIRONMENTS:
                raise ProfileError(
                    f"choose the environment of {name!r} ({', '.join(ENVIRONMENTS)}); only a "
                    "profile named local, dev, staging or prod declares it by its name"
                )
            environment = name
        base = self.original or Profile(name)
        profile = replace(
            base,
            name=name,
            environment=environment,
            environment_assumed=False,
            sslmode=self.sslmode.currentText() or None,
            port=values.pop("port", None),  # type: ignore[arg-type]
            **values,  # type: ignore[arg-type]
        )
        if not (profile.url or profile.host or profile.service or profile.embedded):
            raise ProfileError("give a host (or a URL)")
        return validate_profile(profile)

    def save(self) -> None:
        try:
            profile = self.profile()
            if self.original is None and profile.name in self.store.load():
                raise ProfileError(f"a profile named {profile.name!r} exists; pick another name")
            self.store.save(profile)
        except (ProfileError, ValueError) as exc:
            self._show_error(str(exc).splitlines()[0])
            return
        self._show_error("")
        self.saved.emit(profile)
        self.accept()
