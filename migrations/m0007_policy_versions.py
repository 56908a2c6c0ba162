"""Policy versions (DOMAIN.md §6): a `policy_setting` row is one version of
a parameter, in force from its `effective_from`. The rows there are the
first versions, in force from the program's start; a key may now have many
rows, one per date."""
import datetime

from peewee import DateField
from playhouse.migrate import migrate

NAME = "policy_setting.effective_from, unique (key, effective_from)"

ORIGIN = datetime.date(2000, 1, 1)

# The meanings init-db wrote into `description` until this step. The column
# is now the note of a version (调整说明); the meaning is the program's
# (program/parameters.py). A description a clerk wrote is kept.
MEANINGS = (
    "推荐机构须拥有的服务企业数量下限（家）",
    "推荐机构须承诺组织的宣传、对接活动次数下限（次）",
    "新技术新产品购买额占审定合同额的比例上限（0 至 1）",
    "每家企业每年度创新券金额上限（元），空为不设上限",
    "创新券发放后须登记合同的期限（天），逾期作废",
    "登记合同后创新券的有效期（月），逾期未结题作废",
)


def apply(migrator, database):
    migrate(
        migrator.add_column("policy_setting", "effective_from", DateField(default=ORIGIN)),
        migrator.drop_index("policy_setting", "policy_setting_key"),
        migrator.add_index("policy_setting", ("key", "effective_from"), True),
    )
    placeholders = ", ".join([database.param] * len(MEANINGS))
    database.execute_sql(
        f'UPDATE "policy_setting" SET "description" = NULL WHERE "description" IN ({placeholders})', MEANINGS)
