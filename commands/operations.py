"""backup, restore, check-deploy and expire-vouchers: what the office's
operator runs (the last one nightly, from cron or a systemd timer)."""
import time

import click
from flask import current_app
from flask.cli import with_appcontext

import migrations
import models
from commands import backup as backups
from commands import deploy_check
from program import deadlines, notices, workflow


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup(file):
    """Back up the database and the uploaded materials into FILE (.tar.gz), while the app runs."""
    try:
        manifest = backups.backup(current_app._get_current_object(), file)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest["tables"].values())
    click.echo(f"已备份到 {file}：{manifest['database']} 数据库 {rows} 行（结构版本 "
               f"{manifest['schema_version']}），申请材料 {manifest['uploads']} 个文件。")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="数据库中已有数据时，用备份覆盖")
@with_appcontext
def restore(file, force):
    """Restore FILE into an empty database (or over a full one with --force), files included."""
    try:
        manifest = backups.restore(current_app._get_current_object(), file, force=force)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已从 {file}（{manifest['created_at']}）恢复 {sum(manifest['tables'].values())} 行、"
               f"申请材料 {manifest['uploads']} 个文件；行数与备份清单一致。")
    if (manifest["schema_version"] or 0) < migrations.LATEST:
        click.echo("备份的数据库结构较旧，请接着运行 flask --app app migrate。")


@click.command("check-deploy")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="gunicorn 工作进程数（默认取 WEB_CONCURRENCY 或 gunicorn.conf.py）")
@with_appcontext
def check_deploy(workers):
    """Name each production risk of this install; exit 1 if there is any."""
    found = deploy_check.risks(current_app._get_current_object(), workers or deploy_check.configured_workers())
    for n, (what, fix) in enumerate(found, 1):
        click.echo(f"{n}. {what}\n   处理：{fix}")
    if found:
        click.echo(f"发现 {len(found)} 项部署风险。")
        raise SystemExit(1)
    click.echo("未发现部署风险。")


@click.command("expire-vouchers")
@click.option("--dry-run", is_flag=True, help="只列出今天到期的，不作废")
@with_appcontext
def expire_vouchers(dry_run):
    """Void the vouchers whose deadlines have passed (idempotent: run it nightly)."""
    today = workflow.today()
    if dry_run:
        found = deadlines.lapsed(today)
        for deadline, project in found:
            click.echo(f"  {project.code} {project.title}（{project.display('status')}）")
        click.echo(f"{today}：到期应作废 {len(found)} 项（未作废：--dry-run）。")
        return
    done = deadlines.expire(today)
    for project in done:
        click.echo(f"  已作废 {project.code} {project.title}")
    warned = deadlines.warn(today)
    click.echo(f"{today}：作废到期创新券 {len(done)} 项；{deadlines.WARN_DAYS} 日内到期的，新发到期提醒 {len(warned)} 封。")


@click.command("send-notices")
@click.option("--once", is_flag=True, help="发送到期的通知后即退出（供 cron 调用）")
@click.option("--interval", type=click.IntRange(1, 3600), default=30, show_default=True, help="常驻时每隔几秒检查一次")
@with_appcontext
def send_notices(once, interval):
    """Send the outbox's due e-mails over SMTP, with retries (run it as a service, or with --once from cron)."""
    settings = current_app.config
    while True:
        done = notices.send_due(settings)
        if done["sent"] or done["failed"]:
            click.echo(f"{models.now()}：已发送 {done['sent']} 封，本次失败 {done['failed']} 封（稍后重试）。")
        if once:
            return
        models.db.close()
        time.sleep(interval)


COMMANDS = (backup, restore, check_deploy, expire_vouchers, send_notices)
