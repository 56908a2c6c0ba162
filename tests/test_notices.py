"""Notices that are never lost (issue 13 item 6), against a local SMTP
server this test starts (aiosmtpd): written with the decision, in its
transaction; sent by the worker; kept through an SMTP outage with waits
growing between tries and sent once after it; a failure visible to the
office; the account's notice never carries the password."""
import datetime
import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller

import models
from program import deadlines, notices
from tests import factories
from tests.support import csrf_token, version_of


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "MAIL_FROM": "cxq@example.cn",
                "PUBLIC_URL": "https://cxq.example.gov.cn", "SMTP_TIMEOUT": 3}
    yield inbox, controller, settings
    if getattr(controller, "server", None) is not None:
        controller.stop()


def take(client, table, name, record, opinion="同意", **fields):
    return client.post(f"/admin/{table}/{name}/", data={
        "id": record.id, "version": version_of(table, record.id), "opinion": opinion,
        "csrf_token": csrf_token(client, "/admin/"), **fields})


def test_a_decision_writes_its_notice_and_the_worker_sends_it_once(client, as_role, smtp):
    inbox, controller, settings = smtp
    controller.start()
    lab = factories.lab(factories.service_institution(), status="submitted", contact_email="lab@example.cn")
    as_role("clerk")
    assert take(client, "lab", "reject", lab, opinion="认定文号与证书不符").status_code == 302
    notice = models.Notice.get()
    assert (notice.recipient, notice.status, notice.table_name, notice.object_id) == (
        "lab@example.cn", "pending", "lab", lab.id)
    assert "认定文号与证书不符" in notice.body and "未通过审核" in notice.subject
    assert notices.send_due(settings) == {"sent": 1, "failed": 0}
    assert notices.send_due(settings) == {"sent": 0, "failed": 0}
    assert len(inbox.messages) == 1 and inbox.messages[0].rcpt_tos == ["lab@example.cn"]
    text = inbox.messages[0].content.decode()
    assert "Message-ID: <" in text and "lab.reject." in text
    sent = models.Notice.get()
    assert sent.status == "sent" and sent.sent_at is not None and sent.attempts == 1


def test_a_refused_decision_writes_no_notice(client, as_role):
    lab = factories.lab(factories.service_institution(), status="submitted", contact_email="lab@example.cn")
    as_role("clerk")
    take(client, "lab", "reject", lab, opinion="")  # the opinion is required: refused, nothing written
    assert models.Lab.get_by_id(lab.id).status == "submitted" and models.Notice.select().count() == 0


def test_a_notice_survives_an_outage_and_is_sent_once_after_it(client, as_role, smtp):
    inbox, controller, settings = smtp
    ri = factories.recommending_institution(status="submitted", contact_email="ri@example.cn")
    as_role("reviewer")
    assert take(client, "recommending_institution", "approve", ri).status_code == 302
    t0 = datetime.datetime(2026, 6, 1, 9, 0)
    models.Notice.update(next_attempt_at=t0).execute()
    # The server is down: the try fails, is recorded, and waits a minute, then two.
    assert notices.send_due(settings, at=t0) == {"sent": 0, "failed": 1}
    down = models.Notice.get()
    assert down.status == "pending" and down.attempts == 1 and down.last_error.startswith("无法连接邮件服务器")
    assert down.next_attempt_at == t0 + datetime.timedelta(minutes=1)
    assert notices.send_due(settings, at=t0) == {"sent": 0, "failed": 0}  # not due yet
    assert notices.send_due(settings, at=t0 + datetime.timedelta(minutes=1))["failed"] == 1
    assert models.Notice.get().next_attempt_at == t0 + datetime.timedelta(minutes=3)
    controller.start()
    assert notices.send_due(settings, at=t0 + datetime.timedelta(minutes=3)) == {"sent": 1, "failed": 0}
    assert notices.send_due(settings, at=t0 + datetime.timedelta(hours=5)) == {"sent": 0, "failed": 0}
    assert len(inbox.messages) == 1 and "审核通过" in models.Notice.get().subject


def test_a_notice_that_never_gets_through_is_shown_as_failed(client, as_role, smtp):
    _, _, settings = smtp
    ri = factories.recommending_institution(status="submitted", contact_email="ri@example.cn")
    as_role("reviewer")
    take(client, "recommending_institution", "reject", ri, opinion="服务企业数量证明不足")
    at = datetime.datetime(2026, 6, 1, 9, 0)
    for _ in range(notices.MAX_ATTEMPTS):
        models.Notice.update(next_attempt_at=at).execute()
        notices.send_due(settings, at=at)
    notice = models.Notice.get()
    assert notice.status == "failed" and notice.attempts == notices.MAX_ATTEMPTS
    as_role("clerk")
    page = client.get("/admin/notice/?flt0_0=failed").get_data(as_text=True)
    assert "发送失败" in page and "ri@example.cn" in page


def test_the_account_notice_has_the_login_address_never_the_password(client, as_role, smtp):
    inbox, controller, settings = smtp
    controller.start()
    ri = factories.recommending_institution(status="approved", contact_email="ri@example.cn")
    as_role("clerk")
    response = take(client, "recommending_institution", "open_account", ri, username="jigou_notice")
    password = re.search(r'id="one-time-password"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1)
    assert notices.send_due(settings)["sent"] == 1
    message = email.message_from_bytes(inbox.messages[0].content, policy=email.policy.default)
    body = message.get_content()
    assert "jigou_notice" in body and "登录地址：https://cxq.example.gov.cn" in body
    assert password not in body and password not in models.Notice.get().body


def test_lapsing_vouchers_and_redemption_decisions_are_told(client, as_role):
    w = factories.world()
    models.Enterprise.update(contact_email="ent@example.cn").execute()
    project = factories.project(w["enterprise"], w["lab"], status="granted", voucher_granted_on=datetime.date(2026, 5, 1))
    assert len(deadlines.warn(datetime.date(2026, 5, 14))) == 1
    assert deadlines.warn(datetime.date(2026, 5, 15)) == []  # told once
    told = models.Notice.get(models.Notice.kind == "lapsing")
    assert told.recipient == "ent@example.cn" and "2026-05-17 到期作废" in told.body and project.code in told.body
    redeemed = factories.project(w["enterprise"], w["lab"], **factories.completed("redemption_requested"))
    models.Lab.update(contact_email="lab@example.cn").execute()
    as_role("clerk")
    assert take(client, "project", "redeem", redeemed, redeemed_on="2026-09-20", payment_ref="P-9").status_code == 302
    paid = models.Notice.get(models.Notice.kind == "redeem")
    assert paid.recipient == "lab@example.cn" and "50,000.00 元" in paid.body


def test_the_worker_command_sends_once(app, client, as_role, smtp, monkeypatch):
    inbox, controller, settings = smtp
    controller.start()
    for name in ("SMTP_HOST", "SMTP_PORT", "MAIL_FROM"):
        monkeypatch.setitem(app.config, name, settings[name])
    lab = factories.lab(factories.service_institution(), status="submitted", contact_email="lab@example.cn")
    as_role("clerk")
    take(client, "lab", "approve", lab)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-notices", "--once"])
    assert result.exit_code == 0 and "已发送 1 封" in result.output, result.output
    assert runner.invoke(args=["send-notices", "--once"]).output == ""
    assert len(inbox.messages) == 1


def test_an_unexpected_failure_is_recorded_and_the_worker_goes_on(client, as_role, smtp, monkeypatch):
    inbox, controller, settings = smtp
    controller.start()
    labs = [factories.lab(factories.service_institution(), status="submitted", contact_email=f"lab{n}@example.cn")
            for n in range(2)]
    as_role("clerk")
    for lab in labs:
        take(client, "lab", "approve", lab)
    real = notices._message
    monkeypatch.setattr(notices, "_message", lambda n, s: (_ for _ in ()).throw(ValueError("bad header"))
                        if n.recipient == "lab0@example.cn" else real(n, s))
    assert notices.send_due(settings) == {"sent": 1, "failed": 1}
    broken = models.Notice.get(models.Notice.recipient == "lab0@example.cn")
    assert broken.status == "pending" and broken.last_error == "生成或发送邮件时出错（详情见系统日志）"
    as_role("clerk")
    details = client.get(f"/admin/notice/details/?id={broken.id}").get_data(as_text=True)
    assert "lab:approve" not in details and "幂等键" not in details


def test_a_voided_voucher_is_told_and_a_second_warning_run_writes_nothing():
    w = factories.world()
    models.Enterprise.update(contact_email="ent@example.cn").execute()
    project = factories.project(w["enterprise"], w["lab"], status="granted", voucher_granted_on=datetime.date(2026, 5, 1))
    deadlines.warn(datetime.date(2026, 5, 15))
    notices.lapsing(project, datetime.date(2026, 5, 17))  # a run at the same moment: nothing more, no error
    assert models.Notice.select().where(models.Notice.kind == "lapsing").count() == 1
    deadlines.expire(datetime.date(2026, 5, 17))
    told = models.Notice.get(models.Notice.kind == "voided")
    assert told.recipient == "ent@example.cn" and "已作废" in told.body and project.code in told.body
