"""A test run's report: the counts, the headers used and ignored, the first
rows of each kind for the screen, the versions of the records it matched
(the commit checks them) and the digest of the whole plan; and, row by row,
the full listing (every creation, every change old → new, every refusal),
written to a file as the run goes so memory stays flat whatever the file
holds."""
import csv
import dataclasses
from typing import Any, Optional

# Rows of each kind kept in memory for the screen and the report's page;
# every one of them is in the listing.
SHOWN = 500
SHOWN_ERRORS = 1000
LISTING_HEADERS = ["行号", "结果", "记录", "列", "原值", "新值或问题"]
ACTIONS = {"create": "新建", "update": "更新", "unchanged": "无变化", "error": "有问题"}


@dataclasses.dataclass
class Report:
    table: str
    filename: str
    sha256: str = ""
    columns: list = dataclasses.field(default_factory=list)   # the file's headers that are imported
    ignored: list = dataclasses.field(default_factory=list)   # headers that are not
    counts: dict = dataclasses.field(default_factory=lambda: {"create": 0, "update": 0, "unchanged": 0, "error": 0})
    problems: int = 0                                          # every refusal, in every row
    errors: list = dataclasses.field(default_factory=list)    # the first SHOWN_ERRORS: [row, column, message]
    creates: list = dataclasses.field(default_factory=list)   # the first SHOWN: [row, key, [[label, new]]]
    updates: list = dataclasses.field(default_factory=list)   # the first SHOWN: [row, key, [[label, old, new]]]
    versions: dict = dataclasses.field(default_factory=dict)  # row -> [record id, version]
    file_error: Optional[str] = None
    digest: str = ""

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def clean(self) -> bool:
        return not self.file_error and not self.problems and self.rows > 0

    def refused(self, number: int, problems: list) -> None:
        self.counts["error"] += 1
        self.problems += len(problems)
        room = SHOWN_ERRORS - len(self.errors)
        self.errors.extend([number, label, message] for label, message in problems[:max(room, 0)])

    def created(self, number: int, key: str, new: list) -> None:
        self.counts["create"] += 1
        if len(self.creates) < SHOWN:
            self.creates.append([number, key, new])

    def matched(self, number: int, key: str, record: Any, changed: list) -> None:
        self.counts["update" if changed else "unchanged"] += 1
        self.versions[number] = [record.id, record.version]
        if changed and len(self.updates) < SHOWN:
            self.updates.append([number, key, changed])

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        data = dict(data)
        data["versions"] = {int(k): v for k, v in data.get("versions", {}).items()}
        return cls(**data)


class Listing:
    """The report row by row, as CSV lines to a file (or any writer)."""

    def __init__(self, handle: Any):
        self.writer = csv.writer(handle)
        self.writer.writerow(LISTING_HEADERS)

    def refused(self, number: int, key: str, problems: list) -> None:
        for label, message in problems:
            self.writer.writerow([number, ACTIONS["error"], key, label, "", message])

    def created(self, number: int, key: str, new: list) -> None:
        values = "；".join(f"{label}：{value}" for label, value in new if value not in ("", None))
        self.writer.writerow([number, ACTIONS["create"], key, "", "", values])

    def matched(self, number: int, key: str, changed: list) -> None:
        if not changed:
            self.writer.writerow([number, ACTIONS["unchanged"], key, "", "", ""])
        for label, old, new in changed:
            self.writer.writerow([number, ACTIONS["update"], key, label, old, new])
