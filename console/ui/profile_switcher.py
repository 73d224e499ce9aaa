"""The profile combo in the toolbar: every profile of ``profiles.toml``, coloured by environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QComboBox, QWidget

from console.ui import theme
from console.ui.plain import plain_tip

if TYPE_CHECKING:
    from console.profiles import Profile

PROFILE_ROLE = Qt.ItemDataRole.UserRole + 1


def environment_dot(environment: str, size: int = 12) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QColor(0, 0, 0, 60))
    p.setBrush(theme.environment_color(environment))
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pm)


class ProfileSwitcher(QComboBox):
    """Emits ``profile_chosen(name)`` when the operator picks another profile."""

    profile_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profileSwitcher")
        self.setToolTip("Connection profile (profiles.toml)")
        self.setIconSize(QSize(12, 12))
        self.setMinimumContentsLength(14)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._profiles: dict[str, Profile] = {}
        self._silent = False
        self.activated.connect(self._on_activated)
        self.addItem("loading profiles…")
        self.setEnabled(False)

    def set_profiles(self, profiles: dict[str, Profile], current: str | None = None) -> None:
        """Fill the list (built-in four first, then the operator's, by name)."""
        order = ["local", "dev", "staging", "prod"]
        names = [n for n in order if n in profiles] + sorted(n for n in profiles if n not in order)
        self._profiles = dict(profiles)
        self._silent = True
        try:
            self.clear()
            for name in names:
                profile = profiles[name]
                self.addItem(environment_dot(profile.environment), name, name)
                index = self.count() - 1
                self.setItemData(
                    index,
                    plain_tip(f"{profile.environment_label}: {profile.describe()}"),
                    Qt.ItemDataRole.ToolTipRole,
                )
            self.setEnabled(bool(names))
            if current:
                self.set_current(current)
        finally:
            self._silent = False

    def add_profile(self, profile: Profile) -> None:
        """Add an ad-hoc profile (``--url``) if it is not listed yet."""
        if profile.name in self._profiles:
            self._profiles[profile.name] = profile
            return
        self._profiles[profile.name] = profile
        self._silent = True
        try:
            self.addItem(environment_dot(profile.environment), profile.name, profile.name)
        finally:
            self._silent = False
        self.setEnabled(True)

    def profile(self, name: str) -> Profile | None:
        return self._profiles.get(name)

    def profiles(self) -> dict[str, Profile]:
        return dict(self._profiles)

    def current_name(self) -> str | None:
        data = self.currentData()
        return str(data) if data else None

    def set_current(self, name: str) -> None:
        """Select ``name`` without emitting ``profile_chosen``."""
        index = self.findData(name)
        if index >= 0:
            silent, self._silent = self._silent, True
            try:
                self.setCurrentIndex(index)
            finally:
                self._silent = silent

    def choose(self, name: str) -> None:
        """Select ``name`` as if the operator picked it (emits ``profile_chosen``)."""
        index = self.findData(name)
        if index < 0:
            raise KeyError(name)
        self.setCurrentIndex(index)
        self._on_activated(index)

    def _on_activated(self, index: int) -> None:
        if self._silent:
            return
        name = self.itemData(index)
        if name:
            self.profile_chosen.emit(str(name))
