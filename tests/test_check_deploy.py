"""`flask --app app check-deploy` names each production risk and exits 1
when it finds any, like Django's `check --deploy`."""
import os

from tests.support import other_app


def test_an_unsafe_install_is_told_each_of_its_risks(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    uploads = tmp_path / "uploads"
    with other_app(f"sqlite:///{tmp_path}/office.db", str(uploads), SECRET_KEY=None,
                   INSTANCE_PATH=str(tmp_path / "instance")) as app:
        os.chmod(uploads, 0o755)  # e.g. made by hand on a shared volume
        result = app.test_cli_runner().invoke(args=["check-deploy", "--workers", "4"])
    assert result.exit_code == 1, result.output
    for risk in ("SECRET_KEY 是自动生成", "调试模式已开启", "SQLite 数据库由 4 个工作进程", "Cookie 未设置 Secure",
                 "登录失败计数保存在各进程内存中", "申请材料目录 UPLOAD_DIR"):
        assert risk in result.output, risk
    assert "发现 6 项部署风险" in result.output


def test_a_careful_install_passes(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("SECRET_KEY", "a-secret-from-the-environment-0123456789")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    with other_app(f"sqlite:///{tmp_path}/office.db", str(tmp_path / "uploads"), SECRET_KEY=None,
                   INSTANCE_PATH=str(tmp_path / "instance")) as app:
        result = app.test_cli_runner().invoke(args=["check-deploy", "--workers", "1"])
        assert result.exit_code == 0, result.output
        assert "未发现部署风险" in result.output
        # Several workers on SQLite, or each counting logins alone, are risks again.
        several = app.test_cli_runner().invoke(args=["check-deploy", "--workers", "3"])
        assert several.exit_code == 1 and "发现 2 项部署风险" in several.output


def test_a_short_secret_and_a_worker_count_that_is_not_a_number_are_risks(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("WEB_CONCURRENCY", "abc")
    with other_app(f"sqlite:///{tmp_path}/office.db", str(tmp_path / "uploads"), SECRET_KEY=None,
                   INSTANCE_PATH=str(tmp_path / "instance")) as app:
        result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 1, result.output
    assert "SECRET_KEY 太短" in result.output and "WEB_CONCURRENCY 不是整数" in result.output
    assert "Traceback" not in result.output
