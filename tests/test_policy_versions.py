"""Policy versions (DOMAIN.md §6, issue 13 item 4), under an injected clock
(models.today): a change of 政策参数 adds a version from a later date, and
every rule judges a record by the version in force on its deciding date —
R11's cap and the annual cap on the grant date, R1's minimums on the
application's submission date, a deadline on the date it runs from. Driven
through the screens and the nightly command; the database read back."""
import datetime
import re
from decimal import Decimal


import models
from program import parameters
from tests import factories
from tests.formtools import field_errors
from tests.support import csrf_token, version_of

D = datetime.date


def post(client, url, data):
    return client.post(url, data=dict(data, csrf_token=csrf_token(client, url)))


def new_version(client, key, value, since):
    """政策参数 › 创建 (as an administrator): a new version of `key`."""
    return post(client, "/admin/policy_setting/new/", {"key": key, "value": value, "effective_from": since.isoformat()})


def take(client, name, project, **fields):
    data = {"id": project.id, "version": version_of("project", project.id), "opinion": "同意",
            "csrf_token": csrf_token(client, "/admin/"), **fields}
    return client.post(f"/admin/project/{name}/", data=data)


def ok(response):
    assert response.status_code == 302, field_errors(response)


def fresh(record):
    return type(record).get_by_id(record.id)


def granted_and_contracted(client, as_role, clock, project, granted_on, signed_on):
    """申报, then 申报成功 and 登记合同 by another clerk, each on its day."""
    as_role("clerk")
    ok(take(client, "submit", project))
    as_role("clerk")  # another clerk decides what one submitted
    clock(granted_on)
    ok(take(client, "grant", project, voucher_granted_on=granted_on.isoformat()))
    clock(signed_on)
    ok(take(client, "register_contract", project, contract_signed_on=signed_on.isoformat(),
            contract_amount="100000.00", contract_has_voucher_clause="y", contract_voucher_amount="50000.00"))


def purchase(client, project, product, amount, on):
    return post(client, "/admin/project_purchase/new/", {
        "project": project.id, "product": product.id, "amount": amount, "purchased_on": on.isoformat()})


def test_a_project_granted_under_30_percent_keeps_it_after_the_cap_changed(client, as_role, clock):
    """The done-when of item 4: an older project is judged by its version."""
    w = factories.world()
    parameters.ensure_defaults()
    older = factories.project(w["enterprise"], w["lab"], voucher_amount=Decimal("50000.00"))
    newer = factories.project(w["enterprise"], w["lab"], voucher_amount=Decimal("50000.00"))
    # In May the office announces 20 % from 1 June.
    as_role("admin")
    ok(new_version(client, "r11_purchase_cap_ratio", "0.20", D(2026, 6, 1)))
    granted_and_contracted(client, as_role, clock, older, D(2026, 5, 10), D(2026, 5, 15))
    granted_and_contracted(client, as_role, clock, newer, D(2026, 6, 5), D(2026, 6, 8))

    # July: both purchases are judged after the change.
    clock(D(2026, 7, 1))
    as_role("clerk")
    product = w["new_tech_product"]
    ok(purchase(client, older, product, "25000.00", D(2026, 7, 1)))  # 25 % of 100,000: within its 30 %
    refused = purchase(client, newer, product, "25000.00", D(2026, 7, 1))
    assert "本项目新技术新产品购买合计将为 25,000.00 元，超过审定合同额 100,000.00 元 的 20%（20,000.00 元）" \
        in field_errors(refused)
    ok(purchase(client, newer, product, "20000.00", D(2026, 7, 1)))
    amounts = {p.project_id: p.amount for p in models.ProjectPurchase.select().where(
        models.ProjectPurchase.project.in_([older.id, newer.id]))}
    assert amounts == {older.id: Decimal("25000.00"), newer.id: Decimal("20000.00")}

    # The purchase form says which cap applies to each.
    def hint(project):
        answer = client.get("/admin/project_purchase/hint/", query_string={"field": "amount", "project": project.id})
        return answer.get_json()["text"]
    assert hint(older).startswith("购买上限为审定合同额 100,000.00 元 的 30%，即 30,000.00 元")
    assert hint(newer).startswith("购买上限为审定合同额 100,000.00 元 的 20%，即 20,000.00 元")
    # The version now in force is history: locked whole.
    as_role("admin")
    version = models.PolicySetting.get(models.PolicySetting.effective_from == D(2026, 6, 1))
    response = post(client, f"/admin/policy_setting/edit/?id={version.id}",
                    {"value": "0.50", "effective_from": "2026-08-01", "version": version.version})
    assert fresh(version).value == "0.20" and fresh(version).effective_from == D(2026, 6, 1)
    assert response.status_code in (200, 302)


def test_r1_minimums_are_those_in_force_on_the_submission_date(client, as_role, clock):
    parameters.ensure_defaults()
    as_role("admin")
    ok(new_version(client, "r1_min_served_enterprises", "50", D(2026, 6, 1)))
    early = factories.recommending_institution(status="draft", served_enterprise_count=35)
    late = factories.recommending_institution(status="draft", served_enterprise_count=35)
    as_role("clerk")
    clock(D(2026, 5, 20))
    ok(post(client, f"/admin/recommending_institution/submit/?id={early.id}",
            {"id": early.id, "version": early.version}))
    clock(D(2026, 6, 10))
    refused = post(client, f"/admin/recommending_institution/submit/?id={late.id}",
                   {"id": late.id, "version": late.version})
    assert "服务企业数量为 35 家，应不少于 50 家" in " ".join(field_errors(refused) or [refused.get_data(as_text=True)])
    assert (fresh(early).status, fresh(late).status) == ("submitted", "draft")
    # Each form says the minimum that applies to it.
    page = client.get(f"/admin/recommending_institution/edit/?id={late.id}").get_data(as_text=True)
    assert "应不少于 50 家（政策参数）" in page
    assert parameters.count("r1_min_served_enterprises", fresh(early).submitted_at.date()) == 30


def test_the_annual_cap_is_the_one_in_force_on_the_grant_date(client, as_role, clock):
    w = factories.world()  # the enterprise has a 50,000 voucher this year
    parameters.ensure_defaults()
    project = factories.project(w["enterprise"], w["lab"], voucher_amount=Decimal("60000.00"))
    as_role("clerk")
    ok(take(client, "submit", project))
    # Then a cap of 100,000, raised to 150,000 from 1 June.
    factories.set_policy("annual_voucher_cap_per_enterprise", "100000")
    as_role("admin")
    ok(new_version(client, "annual_voucher_cap_per_enterprise", "150000", D(2026, 6, 1)))
    clock(D(2026, 6, 10))
    as_role("clerk")
    response = take(client, "grant", project, voucher_granted_on="2026-05-20")  # May's cap
    assert "该企业 2026 年度创新券金额合计将为 110,000.00 元，超过年度上限 100,000.00 元" in field_errors(response)
    assert fresh(project).status == "submitted"
    ok(take(client, "grant", project, voucher_granted_on="2026-06-05"))  # June's
    assert fresh(project).status == "granted"


def test_a_deadline_runs_by_the_version_in_force_on_its_first_day(app, clock):
    w = factories.world()
    parameters.ensure_defaults()
    factories.set_policy("contract_register_days", "5", since=D(2026, 6, 1))
    under_15 = factories.project(w["enterprise"], w["lab"], status="granted", voucher_granted_on=D(2026, 5, 25))
    under_5 = factories.project(w["enterprise"], w["lab"], status="granted", voucher_granted_on=D(2026, 6, 2))
    runner = app.test_cli_runner()
    clock(D(2026, 6, 8))
    assert runner.invoke(args=["expire-vouchers"]).exit_code == 0
    assert (fresh(under_15).status, fresh(under_5).status) == ("granted", "voided")
    assert fresh(under_5).void_reason == "创新券发放后 5 日内未登记合同，已于 2026-06-08 到期作废"
    clock(D(2026, 6, 10))
    assert runner.invoke(args=["expire-vouchers"]).exit_code == 0
    assert fresh(under_15).status == "voided"
    assert fresh(under_15).void_reason == "创新券发放后 15 日内未登记合同，已于 2026-06-10 到期作废"


def test_the_screen_shows_each_parameter_s_history_by_name_and_meaning(client, as_role, clock):
    parameters.ensure_defaults()
    factories.set_policy("r11_purchase_cap_ratio", "0.25", since=D(2026, 3, 1))
    as_role("admin")
    ok(new_version(client, "r11_purchase_cap_ratio", "0.20", D(2026, 6, 1)))
    listing = client.get("/admin/policy_setting/").get_data(as_text=True)
    table = listing.split("model-list")[1].split("</table>")[0]
    assert "新技术新产品购买比例上限" in table and "按项目创新券发放日的版本判断" in table
    assert not re.search(r"\b(r1_min|r11_|annual_voucher|contract_register|voucher_valid)", table)
    assert [s for s in ("待生效", "现行", "已被取代", "初始值") if s in table] == ["待生效", "现行", "已被取代", "初始值"]
    current = models.PolicySetting.get(models.PolicySetting.effective_from == D(2026, 3, 1))
    details = client.get(f"/admin/policy_setting/details/?id={current.id}").get_data(as_text=True)
    history = details.split("历次版本")[1]
    assert history.index("2026-06-01") < history.index("2026-03-01") < history.index("初始值")
    assert "r11_purchase_cap_ratio" not in details
    # 新增版本 of a parameter (?key=…): its latest value, from tomorrow.
    form = client.get("/admin/policy_setting/new/?key=r11_purchase_cap_ratio").get_data(as_text=True)
    assert 'value="0.20"' in form and 'value="2026-03-17"' in form  # the latest version's, pending


def test_a_new_version_must_change_something_sensible(client, as_role, clock):
    parameters.ensure_defaults()
    as_role("admin")
    since = D(2026, 6, 1)

    def refusal(key, value, day=since):
        errors = field_errors(new_version(client, key, value, day))
        assert errors, (key, value)
        return " ".join(errors)

    before = models.PolicySetting.select().count()
    assert "1 至 120 的整数（月）" in refusal("voucher_valid_months", "121")  # would run past the calendar
    assert "1 至 365 的整数（天）" in refusal("contract_register_days", "0")  # would void every voucher at once
    assert "请填写参数值" in refusal("r1_min_promised_events", "")
    assert "与此前施行的版本相同（0.30）" in refusal("r11_purchase_cap_ratio", "0.3")
    # The first version from the start is init-db's default, never a screen's value.
    models.PolicySetting.delete().where(models.PolicySetting.key == "contract_register_days").execute()
    assert "生效日期应晚于今天" in refusal("contract_register_days", "3", models.POLICY_ORIGIN)
    assert models.PolicySetting.select().count() == before - 1

    # A cap written with separators is kept as a number and shown in yuan.
    ok(new_version(client, "annual_voucher_cap_per_enterprise", "500,000", since))
    pending = models.PolicySetting.get(models.PolicySetting.effective_from == since)
    assert pending.value == "500000"
    assert "500,000.00 元" in client.get("/admin/policy_setting/").get_data(as_text=True)
    # A pending version is never moved to the start, nor to today.
    for day in ("2000-01-01", "2026-03-16"):
        response = post(client, f"/admin/policy_setting/edit/?id={pending.id}",
                        {"value": "400000", "effective_from": day, "version": pending.version})
        assert any("生效日期应晚于今天" in e for e in field_errors(response)), day
    assert fresh(pending).effective_from == since and fresh(pending).value == "500000"

    # Its date come, it is locked; saving its page unchanged changes nothing and blames nothing.
    clock(D(2026, 6, 2))
    page = client.post(f"/admin/policy_setting/edit/?id={pending.id}", follow_redirects=True, data={
        "version": pending.version, "csrf_token": csrf_token(client, f"/admin/policy_setting/edit/?id={pending.id}")})
    text = page.get_data(as_text=True)
    assert "没有修改任何内容" in text and "生效日期应晚于今天" not in text
    # The export names each parameter in Chinese.
    export = client.get("/admin/policy_setting/export/csv/").get_data(as_text=True)
    assert "每家企业年度创新券金额上限" in export and "bound method" not in export


def test_a_step_never_records_a_day_still_to_come(client, as_role, clock):
    """A grant dated after today would be judged by a version still pending
    (and withdrawable): the step records what has happened."""
    w = factories.world()
    parameters.ensure_defaults()
    project = factories.project(w["enterprise"], w["lab"])
    as_role("clerk")
    ok(take(client, "submit", project))
    as_role("clerk")
    response = take(client, "grant", project, voucher_granted_on="2026-03-17")
    assert "“创新券发放日期”为 2026-03-17，不能晚于今天（2026-03-16）" in field_errors(response)
    assert fresh(project).status == "submitted"
    ok(take(client, "grant", project, voucher_granted_on="2026-03-16"))
