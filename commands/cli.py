"""Commands on app.cli: init-db, create-user, seed-demo."""
import click
from werkzeug.security import generate_password_hash

from program import audit
from commands import backup
from commands import deploy_check
import migrations
import models
from program import passwords
from program import policy
from program import checks
from program import parameters
from program import search
from models import DOMAIN_CENTERS, ROLES, RecommendingInstitution, ServiceInstitution, User


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


def register(app):
    @app.cli.command("init-db")
    def init_db():
        """Create the schema (or bring it up to date) and the six domain centers; safe to run again."""
        version = migrations.migrate(echo=click.echo)
        with models.db.atomic():
            created = ensure_domain_centers()
            policies = parameters.ensure_defaults()
        click.echo(f"数据库已就绪（结构版本 {version}）；新建领域中心 {created} 个（共 {len(DOMAIN_CENTERS)} 个），"
                   f"补充政策参数 {policies} 项。")

    @app.cli.command("migrate")
    def migrate_command():
        """Apply the pending schema changes in order, keeping every row; safe to repeat."""
        before = migrations.current()
        version = migrations.migrate(echo=click.echo)
        if before == version:
            click.echo(f"数据库结构已是最新版本：{version}。")
        else:
            click.echo(f"数据库结构已从版本 {before if before is not None else '（空库）'} 升级到 {version}。")

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, writable=True))
    def backup_command(file):
        """Back up the database and the uploaded materials into FILE (.tar.gz), while the app runs."""
        try:
            manifest = backup.backup(app, file)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        click.echo(f"已备份到 {file}：{manifest['database']} 数据库 {rows} 行（结构版本 "
                   f"{manifest['schema_version']}），申请材料 {manifest['uploads']} 个文件。")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--force", is_flag=True, help="数据库中已有数据时，用备份覆盖")
    def restore_command(file, force):
        """Restore FILE into an empty database (or over a full one with --force), files included."""
        try:
            manifest = backup.restore(app, file, force=force)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"已从 {file}（{manifest['created_at']}）恢复 {sum(manifest['tables'].values())} 行、"
                   f"申请材料 {manifest['uploads']} 个文件；行数与备份清单一致。")
        if (manifest["schema_version"] or 0) < migrations.LATEST:
            click.echo("备份的数据库结构较旧，请接着运行 flask --app app migrate。")

    @app.cli.command("check-deploy")
    @click.option("--workers", type=click.IntRange(1, 256), default=None,
                  help="gunicorn 工作进程数（默认取 WEB_CONCURRENCY 或 gunicorn.conf.py）")
    def check_deploy_command(workers):
        """Name each production risk of this install; exit 1 if there is any."""
        found = deploy_check.risks(app, workers or deploy_check.configured_workers())
        for n, (what, fix) in enumerate(found, 1):
            click.echo(f"{n}. {what}\n   处理：{fix}")
        if found:
            click.echo(f"发现 {len(found)} 项部署风险。")
            raise SystemExit(1)
        click.echo("未发现部署风险。")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice(ROLES.words), help="角色")
    @click.option("--password", help="密码；不给则提示输入")
    @click.option("--institution", "institution_name", help="推荐机构名称（institution 角色必填）")
    @click.option("--display-name", help="姓名")
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

    @app.cli.command("seed-scale")
    @click.option("--projects", "n_projects", type=click.IntRange(1, 10_000_000), required=True, help="项目数量")
    @click.option("--seed", default=1, show_default=True, help="随机种子（相同种子生成相同数据）")
    def seed_scale_command(n_projects, seed):
        """Bulk-generate a national-size data set into an empty database."""
        import time

        from commands import scale

        migrations.migrate(echo=click.echo)
        parameters.ensure_defaults()
        if models.Project.select().exists():
            raise click.ClickException("数据库中已有项目数据；请在空数据库上生成规模数据")
        started = time.perf_counter()
        counts = scale.seed_scale(n_projects, seed, echo=click.echo)
        for table, count in counts.items():
            click.echo(f"  {table}: {count}")
        click.echo(f"完成，用时 {time.perf_counter() - started:.1f} 秒。")

    @app.cli.command("reindex")
    def reindex_command():
        """Rebuild the search indexes from the records."""
        search.create(models.db.obj)
        for model in search.SPECS:
            search.rebuild(model, echo=click.echo)
        click.echo("搜索索引已重建。")

    @app.cli.command("seed-demo")
    @click.option("--seed", default=2026, show_default=True, help="随机种子")
    def seed_demo(seed):
        """Fill an empty database with a realistic demo data set."""
        from commands import demo

        migrations.migrate(echo=click.echo)
        ensure_domain_centers()
        parameters.ensure_defaults()
        if models.Project.select().exists():
            click.echo("数据库中已有项目数据，未重复生成演示数据。")
            return
        with models.db.atomic():
            summary, accounts = demo.seed(seed)
        for table, count in summary.items():
            click.echo(f"  {table}: {count}")
        click.echo("演示账号（密码只显示这一次，请记下）：")
        for username, role, password in accounts:
            click.echo(f"  {username:<12} {ROLES.label(role):<10} 密码：{password}")
