"""init-db, migrate and create-user: a database the office can start on,
kept at the code's schema, and its accounts."""
import click
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

import migrations
import models
from models import (
    DOMAIN_CENTERS,
    ROLES,
    RecommendingInstitution,
    ServiceInstitution,
    User,
)
from program import audit, checks, parameters, passwords, policy


def ensure_domain_centers():
    """The six domain centers of Q5, as approved service institutions."""
    created = 0
    for name, domain in DOMAIN_CENTERS:
        _, was_created = ServiceInstitution.get_or_create(
            name=name,
            defaults=dict(
                is_domain_center=True,
                domain=domain,
                is_independent_legal_entity=True,
                status="approved",
                review_opinion="《首都科技创新券常见问题》第 5 问所列领域中心",
            ),
        )
        created += was_created
    return created


def create_user(username, role, password, institution=None, display_name=None, must_change_password=False):
    if role not in ROLES:
        raise click.BadParameter(f"角色应为 {', '.join(ROLES.words)} 之一", param_hint="--role")
    if User.select().where(User.username == username).exists():
        raise click.ClickException(f"用户名“{username}”已存在")
    if policy.needs_institution(role) and institution is None:
        raise click.ClickException("推荐机构账号须指定所属推荐机构（--institution）")
    user = User.create(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=generate_password_hash(password),
        institution=institution,
        must_change_password=must_change_password,
    )
    audit.record(None, "create", "user", user.id, after=audit.snapshot(user), username="cli")
    return user


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the schema (or bring it up to date) and the six domain centers; safe to run again."""
    version = migrations.migrate(echo=click.echo)
    with models.db.atomic():
        created = ensure_domain_centers()
        added = parameters.ensure_defaults()
    click.echo(f"数据库已就绪（结构版本 {version}）；新建领域中心 {created} 个（共 {len(DOMAIN_CENTERS)} 个），"
               f"补充政策参数 {added} 项。")


@click.command("migrate")
@with_appcontext
def migrate():
    """Apply the pending schema changes in order, keeping every row; safe to repeat."""
    before = migrations.current()
    version = migrations.migrate(echo=click.echo)
    if before == version:
        click.echo(f"数据库结构已是最新版本：{version}。")
    else:
        click.echo(f"数据库结构已从版本 {before if before is not None else '（空库）'} 升级到 {version}。")
    # A parameter without a version is in force at its default; written
    # down as its first version, the 政策参数 screen shows it with the rest.
    with models.db.atomic():
        added = parameters.ensure_defaults()
    if added:
        click.echo(f"补充政策参数 {added} 项（初始值）。")


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES.words), help="角色")
@click.option("--password", help="密码；不给则提示输入")
@click.option("--institution", "institution_name", help="推荐机构名称（institution 角色必填）")
@click.option("--display-name", help="姓名")
@with_appcontext
def create_user_command(username, role, password, institution_name, display_name):
    """Create a system account."""
    if not password:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    found = passwords.problems(password, username, display_name)
    if found:
        raise click.BadParameter("；".join(found), param_hint="--password")
    problem = checks.username_problem(username)
    if problem:
        raise click.BadParameter(problem, param_hint="USERNAME")
    institution = None
    if institution_name:
        institution = RecommendingInstitution.get_or_none(RecommendingInstitution.name == institution_name)
        if institution is None:
            raise click.ClickException(f"找不到推荐机构“{institution_name}”")
    with models.db.atomic():
        user = create_user(username, role, password, institution, display_name)
    click.echo(f"已创建账号 {user.username}（{ROLES.label(role)}）。")


COMMANDS = (init_db, migrate, create_user_command)
