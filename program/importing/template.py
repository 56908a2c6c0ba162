"""导入模板.xlsx: the columns of a table in Chinese, each with a note
(what it is, its format, whether it must be filled, its allowed values), a
sheet of the allowed values (with drop-downs on the columns that take
them), and one example row."""
import datetime
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from peewee import BooleanField, DateField, DecimalField, ForeignKeyField, IntegerField

from models import MultiChoiceField, shown
from program.importing.specs import GENERATED, ImportSpec

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _choices(field):
    if isinstance(field, MultiChoiceField):
        return [label for _, label in field.options]
    if field.choices:
        return [label for _, label in field.choices]
    if isinstance(field, BooleanField):
        return ["是", "否"]
    return []


def _format(field):
    """How a column is written, in a line."""
    if isinstance(field, ForeignKeyField):
        what = field.rel_model._meta.verbose_name
        codes = "或统一社会信用代码" if "credit_code" in field.rel_model._meta.fields else ""
        return f"填写{what}的名称{codes}，须是系统中已有的记录"
    if isinstance(field, MultiChoiceField):
        return "可填多个，用顿号“、”分隔；可选：" + "、".join(_choices(field))
    if field.choices or isinstance(field, BooleanField):
        return "可选：" + "、".join(_choices(field)) + "（见“可选值”工作表）"
    formats = ((DecimalField, "数字，最多两位小数，如 37700.00"), (IntegerField, "整数，如 35"),
               (DateField, "日期，如 2025-03-15"))
    for kind, text in formats:
        if isinstance(field, kind):
            return text
    return f"文字，最多 {field.max_length} 个字" if getattr(field, "max_length", None) else ""


def note(spec: ImportSpec, name: str) -> str:
    """The note on a column's header: what, how, must it be filled."""
    field = spec.model._meta.fields[name]
    lines = [field.verbose_name, _format(field)]
    if name in GENERATED.get(spec.model, ()):
        lines.append("新申报的项目不填，写入时自动编号；填写已有编号的行更新该项目")
    elif not field.null and field.default is None:
        lines.append("必填")
    if name in spec.keys or any(isinstance(k, tuple) and name in k for k in spec.keys):
        lines.append("已有记录按此列匹配并更新")
    if field.help_text:
        lines.append(field.help_text)
    return "\n".join(line for line in lines if line)


def _example_value(field, value):
    if value is None:
        return None
    if isinstance(field, MultiChoiceField):
        return shown(field, value)
    if field.choices or isinstance(field, BooleanField):
        return shown(field, value)
    if isinstance(field, DecimalField):
        return Decimal(value)
    return value


def workbook(spec: ImportSpec) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = spec.name[:31]
    choices = book.create_sheet("可选值")
    fields = [spec.model._meta.fields[name] for name in spec.fields]
    choice_column = 0
    for index, field in enumerate(fields, 1):
        cell = sheet.cell(row=1, column=index, value=field.verbose_name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.comment = Comment(note(spec, field.name), "首都科技创新券管理办公室", width=300, height=160)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(40, len(field.verbose_name) * 2 + 4))
        example = _example_value(field, spec.example.get(field.name))
        target = sheet.cell(row=2, column=index, value=example)
        if isinstance(field, DecimalField):
            target.number_format = "#,##0.00"
        elif isinstance(field, DateField) and example:
            target.value = _date(example)
            target.number_format = "yyyy-mm-dd"
        allowed = _choices(field)
        if allowed:
            choice_column += 1
            column = get_column_letter(choice_column)
            choices.cell(row=1, column=choice_column, value=field.verbose_name).font = Font(bold=True)
            for row, label in enumerate(allowed, 2):
                choices.cell(row=row, column=choice_column, value=label)
            choices.column_dimensions[column].width = max(14, len(field.verbose_name) * 2 + 4)
            if not isinstance(field, MultiChoiceField):
                rule = DataValidation(type="list", allow_blank=True, showErrorMessage=True,
                                      errorTitle="不是可选的值", error="请从下拉列表中选择",
                                      formula1=f"{quote_sheetname('可选值')}!${column}$2:${column}${len(allowed) + 1}")
                sheet.add_data_validation(rule)
                rule.add(f"{letter}2:{letter}100000")
    status = spec.model._meta.fields.get("status")
    if status is not None:
        # The states, for reference: an import never sets one.
        column = choice_column + 1
        choices.cell(row=1, column=column, value="状态（仅供参考：导入不能设置状态，新记录以草稿进入）").font = Font(bold=True)
        for row, (_, label) in enumerate(status.choices, 2):
            choices.cell(row=row, column=column, value=label)
        choices.column_dimensions[get_column_letter(column)].width = 44
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _date(text):
    return datetime.date.fromisoformat(text)
