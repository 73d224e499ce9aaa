"""Strings from the database are shown as text: markup in names and messages is not rendered."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QMessageBox
from sqlalchemy import Engine, text

from console.actions.errors import INVALID, ActionError
from console.profiles import Profile
from console.queries import details
from console.ui.actions import audit_page
from console.ui.actions.controller import ActionController
from console.ui.banner import EnvironmentBanner, StatePanel
from console.ui.connect import Failure
from console.ui.pages import PageContext
from console.ui.plain import plain_tip
from console.ui.tables import columns
from console.ui.tables import details as panes
from tests.helpers.actions import event, execution, integration, make_ctx, workflow

EVIL = '<b>x</b><img src="file:///etc/hostname">'


def shown(text_: str, fmt: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """What Qt puts on screen for ``text_`` in a widget of text format ``fmt``."""
    rich = fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text_)
    )
    if not rich:
        return text_
    doc = QTextDocument()
    doc.setHtml(text_)
    return doc.toPlainText()


def label_shows(label: QLabel) -> str:
    return shown(label.text(), label.textFormat())


def test_the_check_itself_sees_rich_text() -> None:
    """Unescaped, the markup would be rendered: bold "x" and an image, not the tags."""
    assert shown(EVIL) != EVIL and "<b>" not in shown(EVIL)
    assert shown(plain_tip(EVIL) or "") == EVIL


def _seed(engine: Engine) -> dict[str, str]:
    wf = workflow(engine, EVIL, description=EVIL, created_by=EVIL)
    ex = execution(engine, wf["id"], "failed", error_message=EVIL, execution_id=f"exec-{EVIL}")
    integ = integration(engine, EVIL, type="slack")
    ev = event(engine, integ["id"], "failed", event_type=EVIL, event_id=EVIL)
    with engine.begin() as conn:
        log_id = conn.execute(
            text(
                "INSERT INTO execution_logs (execution_id, level, message, step_name)"
                " VALUES (:e, 'INFO', :m, :s) RETURNING id"
            ),
            {"e": ex["id"], "m": EVIL, "s": EVIL},
        ).scalar_one()
    return {
        "workflow": str(wf["id"]),
        "execution": str(ex["id"]),
        "integration": str(integ["id"]),
        "event": str(ev["id"]),
        "log": str(log_id),
    }


def test_detail_panes_show_database_strings_as_text(qtbot, runner, engine: Engine) -> None:
    ids = _seed(engine)
    ctx = PageContext(runner=runner)
    with engine.connect() as conn:
        rows = {
            "workflow": details.workflow_detail(conn, ids["workflow"]),
            "execution": details.execution_detail(conn, ids["execution"]),
            "integration": details.integration_detail(conn, ids["integration"]),
            "event": details.event_detail(conn, ids["event"]),
            "log": details.log_detail(conn, ids["log"]),
        }
    kinds = {
        "workflow": panes.WorkflowDetail,
        "execution": panes.ExecutionDetail,
        "integration": panes.IntegrationDetail,
        "event": panes.EventDetail,
        "log": panes.LogDetail,
    }
    checked = 0
    for key, cls in kinds.items():
        pane = cls(ctx)
        qtbot.addWidget(pane)
        if hasattr(pane, "set_engine"):
            pane.set_engine(engine)
        pane.show_data(rows[key])
        qtbot.wait(5)  # let the panes' deferred layout run while they exist
        labels = [pane.title, *pane.findChildren(QLabel)]
        with_evil = [lb for lb in labels if "<b>x</b>" in lb.text() or "&lt;b&gt;" in lb.text()]
        assert with_evil, key
        for label in with_evil:
            assert "<b>x</b>" in label_shows(label), (key, label.text())
            assert "<img" in label_shows(label), (key, label.text())
            checked += 1
    print(f"detail labels holding the markup: {checked}, all shown as text")
    runner.wait_idle()


def test_audit_page_title_and_table_tooltips(qtbot, runner, dev_db, engine: Engine) -> None:
    from console.actions.workflows import set_workflow_status

    workflow(engine, EVIL)
    ctx = make_ctx(engine)
    ctx.actor = ctx.actor_host = EVIL
    set_workflow_status(ctx, EVIL, "inactive")
    page = audit_page.AuditPage(PageContext(runner=runner))
    qtbot.addWidget(page)
    page.show()
    page.set_database(dev_db)
    qtbot.waitUntil(lambda: len(page.model.rows) == 1 and runner.in_flight() == 0)
    page.view.selectRow(0)
    title = label_shows(page.detail_title)
    assert f"{EVIL}@{EVIL}" in title and "workflow.set_status" in title
    assert page.model.data(page.model.index(0, 1)) == EVIL  # model text: plain by nature
    long_text = EVIL + " " * 80
    tips = columns.tooltips({"name": long_text}, (columns.Column("name", "Name"),))
    assert shown(tips[0] or "") == long_text
    page.set_database(None)


def test_banner_messages_and_message_boxes(qtbot, runner, dev_db) -> None:
    banner, panel = EnvironmentBanner(), StatePanel()
    qtbot.addWidget(banner)
    qtbot.addWidget(panel)
    profile = Profile("dev", environment="dev", url="postgresql://u@h/db")
    failure = Failure(f"server said {EVIL}", "unreachable")
    banner.show_failed(profile, failure)
    panel.show_failed(profile, failure, keyring_available=False)
    assert label_shows(banner.detail_label) == f"server said {EVIL}"
    assert shown(banner.detail_label.toolTip()) == f"server said {EVIL}"
    assert label_shows(panel.message) == f"Server said {EVIL}"
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    controller = ActionController(parent, runner, dev_db)
    controller.refuse(ActionError(INVALID, f"workflow {EVIL} is already inactive"))
    box = controller.dialog
    assert isinstance(box, QMessageBox) and box.textFormat() == Qt.TextFormat.PlainText
    assert shown(box.text(), box.textFormat()) == f"workflow {EVIL} is already inactive"
    box.close()
