"""Print: the 开通账号通知书 from the one-time-password page (institution,
account, first password, login address, training note) and a print
stylesheet for details pages and reports."""
import re

from program import passwords
from tests import factories
from tests.browser import front_end, needs_browser
from tests.support import PASSWORD, csrf_token, make_user

LOOK_ALIKES = set("0Oo1lI-_")


def _open_account(client, ri, username="haidian_cxq"):
    return client.post(f"/admin/recommending_institution/open_account/?id={ri.id}", data={
        "id": ri.id, "username": username, "version": ri.version, "csrf_token": csrf_token(client, "/admin/")})


def test_first_passwords_have_no_look_alike_characters():
    for _ in range(300):
        password = passwords.generate()
        assert not LOOK_ALIKES & set(password), password
        assert passwords.problems(password) == []


def test_the_account_notice_carries_what_the_institution_needs(client, as_role, app):
    ri = factories.recommending_institution(status="approved", name="北京海淀创新券推荐中心")
    as_role("clerk")
    response = _open_account(client, ri)
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    notice = re.search(r'<article class="notice" id="account-notice">(.*?)</article>', html, re.S).group(1)
    password = re.search(r'id="notice-password">([^<]+)<', notice).group(1)
    assert re.search(r'id="one-time-password"[^>]*>([^<]+)<', html).group(1) == password
    assert "北京海淀创新券推荐中心" in notice and ">haidian_cxq<" in notice
    assert re.search(r'id="notice-login-url">http://localhost/login<', notice)
    assert "业务培训" in notice and "首次登录" in notice and "首都科技创新券管理办公室" in notice
    assert 'data-print id="print-notice">打印开通账号通知书<' in html

    # Behind a proxy or a public name, the address the institution is told.
    app.config["PUBLIC_URL"] = "https://cxq.example.gov.cn/"
    try:
        other = factories.recommending_institution(status="approved")
        html = _open_account(client, other, "chaoyang_cxq").get_data(as_text=True)
        assert 'id="notice-login-url">https://cxq.example.gov.cn/login<' in html
    finally:
        app.config["PUBLIC_URL"] = None


@needs_browser
@front_end
def test_the_notice_prints_alone_and_details_print_without_the_screen(page):
    ri = factories.recommending_institution(status="approved", name="北京打印测试推荐中心")
    make_user("clerk_print", "clerk")
    page.login("clerk_print", PASSWORD)
    browser_page = page.page
    page.go(f"/admin/recommending_institution/open_account/?id={ri.id}")
    browser_page.fill("#username", "print_cxq")
    page.submit("form.admin-form button[type=submit]")  # the notice loaded, print stylesheet too
    browser_page.emulate_media(media="print")
    assert browser_page.locator("#account-notice").is_visible()
    for hidden in (".navbar", "#print-notice", "#one-time-password"):
        assert not browser_page.locator(hidden).first.is_visible(), hidden
    page.shot("print-account-notice")

    browser_page.emulate_media(media="screen")
    page.go(f"/admin/recommending_institution/details/?id={ri.id}")
    browser_page.emulate_media(media="print")
    assert not browser_page.locator(".navbar").first.is_visible()
    assert not browser_page.locator("[data-print]").first.is_visible()
    assert browser_page.locator("table").first.is_visible()
    assert "北京打印测试推荐中心" in browser_page.inner_text("body")
    page.shot("print-details")
    assert page.problems == []
