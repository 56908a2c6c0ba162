"""seed-demo, seed-scale and reindex: data to show, data to measure, and
the search index rebuilt from the records."""
import time

import click
from flask import current_app
from flask.cli import with_appcontext

import migrations
import models
from commands import demo, scale
from commands.setup import ensure_domain_centers
from models import ROLES
from program import parameters, search


@click.command("seed-demo")
@click.option("--seed", default=2026, show_default=True, help="随机种子")
@with_appcontext
def seed_demo(seed):
    """Fill an empty database with a realistic demo data set."""
    migrations.migrate(echo=click.echo)
    ensure_domain_centers()
    parameters.ensure_defaults()
    if models.Project.select().exists():
        click.echo("数据库中已有项目数据，未重复生成演示数据。")
        return
    with models.db.atomic():
        summary, accounts = demo.seed(seed, current_app.config["UPLOAD_DIR"])
    for table, count in summary.items():
        click.echo(f"  {table}: {count}")
    click.echo("演示账号（密码只显示这一次，请记下）：")
    for username, role, password in accounts:
        click.echo(f"  {username:<12} {ROLES.label(role):<10} 密码：{password}")


@click.command("seed-scale")
@click.option("--projects", "n_projects", type=click.IntRange(1, 10_000_000), required=True, help="项目数量")
@click.option("--seed", default=1, show_default=True, help="随机种子（相同种子生成相同数据）")
@with_appcontext
def seed_scale(n_projects, seed):
    """Bulk-generate a national-size data set into an empty database."""
    migrations.migrate(echo=click.echo)
    parameters.ensure_defaults()
    if models.Project.select().exists():
        raise click.ClickException("数据库中已有项目数据；请在空数据库上生成规模数据")
    started = time.perf_counter()
    counts = scale.seed_scale(n_projects, seed, echo=click.echo)
    for table, count in counts.items():
        click.echo(f"  {table}: {count}")
    click.echo(f"完成，用时 {time.perf_counter() - started:.1f} 秒。")


@click.command("reindex")
@with_appcontext
def reindex():
    """Rebuild the search indexes from the records."""
    search.create(models.db.obj)
    for model in search.SPECS:
        search.rebuild(model, echo=click.echo)
    click.echo("搜索索引已重建。")


COMMANDS = (seed_demo, seed_scale, reindex)
