"""The small generators the demo data set is made with: credit codes,
names, people, phones, days, PDF materials, review stamps. Deterministic
for a seed."""
import datetime
import random

from commands.words import GIVEN, REGION_CODES, SURNAMES
from program import materials
from program.checks import CREDIT_CODE_CHARSET, credit_code_check_char

# A minimal, well-formed PDF: the demo's application materials.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def random_credit_code(rnd, seen):
    """A well-formed credit code of a Beijing enterprise, not yet in `seen`."""
    while True:
        body = "91" + rnd.choice(REGION_CODES) + "".join(rnd.choice(CREDIT_CODE_CHARSET) for _ in range(9))
        code = body + credit_code_check_char(body)
        if code not in seen:
            seen.add(code)
            return code


class Demo:
    def __init__(self, seed, upload_dir):
        self.rnd = random.Random(seed)
        self.upload_dir = upload_dir
        self.used_names = set()
        self.used_codes = set()

    # --- small generators ---------------------------------------------------
    def credit_code(self):
        return random_credit_code(self.rnd, self.used_codes)

    def unique(self, make):
        while True:
            name = make()
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def person(self):
        return self.rnd.choice(SURNAMES) + "".join(self.rnd.choice(GIVEN) for _ in range(self.rnd.randint(1, 2)))

    def phone(self):
        return "1" + self.rnd.choice("3456789") + "".join(self.rnd.choice("0123456789") for _ in range(9))

    def email(self, i, domain="example.cn"):
        return f"contact{i:03d}@{domain}"

    def day(self, start, span_days):
        return start + datetime.timedelta(days=self.rnd.randint(0, span_days))

    def pdf(self, name):
        return materials.store(DEMO_PDF, "pdf", name, self.upload_dir)

    def reviewed(self, status, reviewer, when, submitter=None):
        if status == "draft":
            return {}
        fields = {"submitted_at": when, "submitted_by": submitter}
        if status not in ("submitted",):
            fields.update(
                reviewed_by=reviewer,
                reviewed_at=when + datetime.timedelta(days=self.rnd.randint(3, 20)),
                review_opinion="材料齐全，符合条件，同意。" if status != "rejected" else "材料不完整，请补充后重新提交。",
            )
        return fields
