"""import: a spreadsheet into a table from the command line (the office's
scripts, the first migration of old data). Without --commit it is the test
run: the report printed, nothing written, exit 1 when the file has
refusals. With --commit a clean file is written as one batch."""
import hashlib
import os
import sys

import click
from flask.cli import with_appcontext

from models import User
from program import policy
from program.importing import apply
from program.importing.plan import plan
from program.importing.specs import SPECS

# Rows of each kind printed (the counts and every error are printed whole).
PRINTED = 20


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Printed:
    """The test run's outcome row by row, as lines (outcome.Listing's
    methods): every refusal and every change; the first creations."""

    def __init__(self):
        self.creates = 0

    def refused(self, number, key, problems):
        for label, message in problems:
            click.echo(f"  第 {number} 行 [{label}] {message}")

    def created(self, number, key, new):
        self.creates += 1
        if self.creates <= PRINTED:
            click.echo(f"  第 {number} 行 新建 {key}")

    def matched(self, number, key, changed):
        if changed:
            click.echo(f"  第 {number} 行 更新 {key}：" + "；".join(
                f"{label} {old or '（空）'} → {new or '（空）'}" for label, old, new in changed))


def _print(report):
    if report.file_error:
        click.echo(f"文件不能导入：{report.file_error}")
        return
    counts = report.counts
    click.echo(f"试导入 {report.filename}：共 {report.rows} 行，将新建 {counts['create']} 条，"
               f"将更新 {counts['update']} 条，无变化 {counts['unchanged']} 条，有问题 {counts['error']} 行"
               f"（{report.problems} 处）。")
    if report.ignored:
        click.echo("以下列不导入，已忽略：" + "、".join(report.ignored))


@click.command("import")
@click.argument("table", type=click.Choice(sorted(SPECS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--commit", "write", is_flag=True, help="写入（只写入试导入没有问题的文件）")
@click.option("--user", "username", default=None, help="记为导入人的账号（默认：命令行）")
@with_appcontext
def import_file(table, file, write, username):
    """Test-run (or with --commit, write) the spreadsheet FILE into TABLE."""
    spec = SPECS[table]
    user = None
    if username:
        user = User.get_or_none(User.username == username)
        if user is None:
            raise click.ClickException(f"没有账号“{username}”")
        if not policy.allows(user, table, "import"):
            raise click.ClickException(f"账号“{username}”无权导入{spec.name}（已停用，或其角色不能导入）")
    name, sha = os.path.basename(file), _sha256(file)
    progress = (lambda done: click.echo(f"  已处理 {done} 行", err=True)) if os.isatty(2) else None
    report = plan(spec, user, file, name, sha, progress=progress, listing=Printed())
    _print(report)
    if not report.clean:
        if write:
            click.echo("文件有问题，未写入任何数据。")
        sys.exit(1)
    if not write:
        click.echo("未发现问题；加 --commit 写入。")
        return
    try:
        batch = apply.commit(spec, user, file, name, sha, report, progress=progress,
                             username=username or "命令行")
    except apply.ImportRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已导入第 {batch.id} 批：新建 {batch.created_count} 条，更新 {batch.updated_count} 条。")


COMMANDS = (import_file,)
