"""Notices that are never lost (issue 13 item 6): an e-mail the program owes
someone is a row of the outbox (`notice`), written in the same transaction
as the decision it tells of, so a decision is never without its notice nor
a notice without its decision. The worker (`flask --app app send-notices`)
sends what is due over SMTP with retries and growing waits between them.

Once only: each notice has a unique key (the decision's audit row, or the
voucher and its deadline); a worker claims a notice by a conditional UPDATE
before sending, and stamps `sent_at` after; the message carries the key as
its Message-ID, so a server that received it just before a crash can tell
a resend. A notice that failed every try is `failed`, with its last error,
on the 通知邮件 screen.

What is told: an application approved or rejected (with the opinion), an
account opened (the login address and the account's name, never the
password), a voucher about to lapse, a redemption decided.
"""
import datetime
import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Optional

from peewee import IntegrityError

from models import (
    DomainCenterMember,
    Enterprise,
    Lab,
    Notice,
    Project,
    RecommendingInstitution,
    ServiceInstitution,
    User,
    db,
    now,
)

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# The login address is the deployment's (PUBLIC_URL): filled in when sent.
LOGIN_URL = "{login_url}"
SIGNATURE = "\n\n首都科技创新券管理办公室\n（本邮件由系统发送，请勿直接回复）"

APPLICATIONS = (RecommendingInstitution, ServiceInstitution, DomainCenterMember, Lab)
DECISIONS = {"approve": "审核通过", "reject": "未通过审核（已驳回）"}


def _queue(key, kind, record, recipient, subject, body):
    if not recipient:
        return None  # no address to tell: the decision stands, the screen shows it
    return Notice.create(key=key[:120], kind=kind, table_name=record._meta.table_name, object_id=record.id,
                         recipient=recipient, subject=subject[:200], body=body + SIGNATURE)


def after_transition(transition: Any, record: Any, opinion: str, audit_row: Any) -> Optional[Notice]:
    """The notice a transition owes, if any (workflow.perform, in its
    transaction). `record` is as the transition left it."""
    key = f"{transition.table}:{transition.name}:{audit_row.id}"
    name = transition.name
    if isinstance(record, APPLICATIONS) and name in DECISIONS:
        what = record._meta.verbose_name
        text = f"您单位提交的{what}申请“{record}”{DECISIONS[name]}。"
        if opinion:
            text += f"\n审核意见：{opinion}"
        return _queue(key, name, record, record.contact_email, f"【首都科技创新券】{what}申请{DECISIONS[name]}", text)
    if isinstance(record, RecommendingInstitution) and name == "open_account":
        account = User.get_or_none(User.institution == record.id)
        text = (f"“{record}”的首都科技创新券系统账号已开通。\n登录地址：{LOGIN_URL}\n账号：{account.username if account else ''}"
                "\n初始密码由办公室以开通账号通知书另行交付，首次登录须修改密码。")
        return _queue(key, name, record, record.contact_email, "【首都科技创新券】系统账号已开通", text)
    if isinstance(record, Project) and name in ("redeem", "reject_redemption"):
        lab = Lab.get_by_id(record.lab_id)
        if name == "redeem":
            text = (f"项目 {record.code}“{record.title}”的创新券兑付已审核通过：兑付金额 {record.redemption_amount:,.2f} 元，"
                    f"兑付日期 {record.redeemed_on}，凭证号 {record.payment_ref}。")
        else:
            text = f"项目 {record.code}“{record.title}”的兑付申请未通过，已退回。\n意见：{opinion}"
        return _queue(key, name, record, lab.contact_email, f"【首都科技创新券】兑付{'已通过' if name == 'redeem' else '未通过'}",
                      text)
    return None


def lapsing(project: Any, lapses_on: datetime.date) -> Optional[Notice]:
    """A voucher about to lapse: told once per voucher and deadline (a run
    at the same moment finds the key taken and leaves it)."""
    key = f"project:lapsing:{project.id}:{lapses_on}"
    if Notice.select().where(Notice.key == key).exists():
        return None
    try:
        with db.atomic():
            return _lapsing(project, key, lapses_on)
    except IntegrityError:
        return None


def voided(project: Any, reason: str) -> Optional[Notice]:
    """A voucher voided by its deadline (deadlines.expire, in its transaction)."""
    enterprise = Enterprise.get_by_id(project.enterprise_id)
    return _queue(f"project:voided:{project.id}", "voided", project, enterprise.contact_email,
                  "【首都科技创新券】创新券已到期作废",
                  f"贵单位项目 {project.code}“{project.title}”的创新券已作废：{reason}。该金额不再占用年度额度。")


def _lapsing(project, key, lapses_on):
    enterprise = Enterprise.get_by_id(project.enterprise_id)
    text = (f"贵单位项目 {project.code}“{project.title}”的创新券将于 {lapses_on} 到期作废"
            f"（{'须在此前登记合同' if project.status == 'granted' else '须在此前完成结题'}）。如已办理，请忽略本邮件。")
    return _queue(key, "lapsing", project, enterprise.contact_email, "【首都科技创新券】创新券即将到期", text)


# --- sending -------------------------------------------------------------------------

def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the n-th failed try: 1, 2, 4 … minutes, at most an hour."""
    return datetime.timedelta(minutes=min(60, 2 ** max(attempts - 1, 0)))


def _claim(notice, at):
    """Take the notice for this run, if no other run has (a conditional
    UPDATE: of two workers, one sends)."""
    return (Notice.update(attempts=Notice.attempts + 1, next_attempt_at=at + backoff(notice.attempts + 1),
                          version=Notice.version + 1)
            .where(Notice.id == notice.id, Notice.status == "pending", Notice.attempts == notice.attempts)
            .execute()) == 1


def _message(notice, settings):
    message = EmailMessage()
    message["From"] = settings["MAIL_FROM"]
    message["To"] = notice.recipient
    message["Subject"] = notice.subject
    domain = settings["MAIL_FROM"].rsplit("@", 1)[-1].strip(">") or "localhost"
    message["Message-ID"] = make_msgid(idstring=notice.key.replace(":", "."), domain=domain)
    message.set_content(notice.body.replace(LOGIN_URL, settings.get("PUBLIC_URL") or "（请向办公室索取登录地址）"))
    return message


def _send(message, settings):
    host, port = settings["SMTP_HOST"], int(settings["SMTP_PORT"])
    timeout = float(settings.get("SMTP_TIMEOUT", 10))
    if settings.get("SMTP_SSL"):
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if settings.get("SMTP_STARTTLS"):
            client.starttls(context=ssl.create_default_context())
        if settings.get("SMTP_USER"):
            client.login(settings["SMTP_USER"], settings.get("SMTP_PASSWORD") or "")
        client.send_message(message)


def _why(exc: Exception) -> str:
    """What went wrong, as the office reads it (the details are in the log)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "邮件服务器拒绝登录（请检查 SMTP_USER / SMTP_PASSWORD）"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "收件地址被邮件服务器拒收（请核对收件人的电子邮箱）"
    if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionRefusedError)):
        return "无法连接邮件服务器（连接被拒绝或断开），将按时重试"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "连接邮件服务器超时，将按时重试"
    if isinstance(exc, (OSError, smtplib.SMTPException)):
        return "邮件服务器返回错误，将按时重试（详情见系统日志）"
    return "生成或发送邮件时出错（详情见系统日志）"


def send_due(settings: dict, at: Optional[datetime.datetime] = None, limit: int = 100) -> dict:
    """Send the notices due at `at` (an injected clock in tests); returns
    how many were sent and how many failed this time."""
    at = at or now()
    done = {"sent": 0, "failed": 0}
    due = list(Notice.select().where(Notice.status == "pending", Notice.next_attempt_at <= at)
               .order_by(Notice.next_attempt_at, Notice.id).limit(limit))
    for notice in due:
        if not _claim(notice, at):
            continue
        try:
            _send(_message(notice, settings), settings)
        except Exception as exc:  # whatever failed, the worker goes on with the next
            log.warning("notice %s not sent: %r", notice.key, exc)
            failed = notice.attempts + 1 >= MAX_ATTEMPTS
            (Notice.update(last_error=_why(exc), status="failed" if failed else "pending")
             .where(Notice.id == notice.id).execute())
            done["failed"] += 1
            continue
        Notice.update(status="sent", sent_at=now(), last_error=None).where(Notice.id == notice.id).execute()
        done["sent"] += 1
    return done
