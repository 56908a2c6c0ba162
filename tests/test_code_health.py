"""A codebase the next engineer can live in, checked on every run: files a
person reads in one sitting, functions that fit a screen, no import loops
and no imports hidden in functions, roles named only by the access policy,
the libraries' private names only in compat.py, and the types checked."""
import ast
import os
import re
import subprocess
import sys

from radon.complexity import cc_visit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("admin", "commands", "forms", "migrations", "program", "web")
TOP = ("app.py", "compat.py", "config.py", "models.py", "gunicorn.conf.py")
# models.py is the design card's one declarative home of the models.
LONG_FILES_ALLOWED = {"models.py"}
MAX_LINES = 400
MAX_SCREEN_LINES = 300
MAX_COMPLEXITY = 15


def application_files():
    found = [name for name in TOP if os.path.exists(os.path.join(ROOT, name))]
    for package in PACKAGES:
        for folder, _, names in os.walk(os.path.join(ROOT, package)):
            found += [os.path.relpath(os.path.join(folder, n), ROOT) for n in names if n.endswith(".py")]
    return sorted(found)


def source(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        return fh.read()


def module_name(path):
    name = path[:-3].replace(os.sep, ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def test_every_file_reads_in_one_sitting():
    long = {path: source(path).count("\n") for path in application_files()}
    assert {p: n for p, n in long.items() if n > MAX_LINES and p not in LONG_FILES_ALLOWED} == {}
    # The screens' files are smaller still: one concern each.
    assert {p: n for p, n in long.items() if p.startswith("admin" + os.sep) and n > MAX_SCREEN_LINES} == {}


def test_no_function_is_more_complex_than_a_screen_holds():
    found = []
    for path in application_files():
        for block in cc_visit(source(path)):
            if block.complexity > MAX_COMPLEXITY:
                found.append(f"{path}:{block.lineno} {block.name} ({block.complexity})")
    assert found == []


def _imports(path):
    """(module-level imports, imports inside functions) of one file, as
    the application modules they name."""
    tree = ast.parse(source(path))
    known = {module_name(p) for p in application_files()}
    top, inner = set(), []

    def targets(node):
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner += [(path, t) for child in ast.walk(node)
                      if isinstance(child, (ast.Import, ast.ImportFrom)) for t in targets(child)]
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            top |= {t for t in targets(node) if t in known}
    return top, inner


def test_no_import_loops():
    graph = {module_name(path): _imports(path)[0] for path in application_files()}
    loops = []

    def visit(module, trail):
        for nxt in graph.get(module, ()):
            if nxt in trail:
                loops.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in done:
                visit(nxt, trail + [nxt])
        done.add(module)

    done = set()
    for module in graph:
        if module not in done:
            visit(module, [module])
    assert loops == []


def test_no_import_hides_inside_a_function():
    # The one exception says why: zxcvbn's word lists cost 14 MB, paid only by
    # the processes that check a password.
    allowed = {("program/passwords.py", "zxcvbn")}
    inner = [item for path in application_files() for item in _imports(path)[1]]
    assert [i for i in inner if i not in allowed] == []


ROLE = r"['\"](admin|clerk|reviewer|institution)['\"]"
# A role compared, assigned or gathered into a set ("institution" alone is
# also a field name, "admin" a demo account's name: those are not roles).
ROLE_PATTERNS = (
    re.compile(r"role\s*(==|!=|in|not in)\s*[(\[{]?\s*" + ROLE),
    re.compile(r"role\s*=\s*" + ROLE),
    re.compile(r"\{\s*" + ROLE + r"\s*(,\s*" + ROLE + r"\s*)*\}"),
)


def test_roles_are_named_only_by_the_access_policy():
    found = []
    others = [os.path.relpath(os.path.join(f, n), ROOT) for folder in ("templates", "static", "bench")
              for f, _, names in os.walk(os.path.join(ROOT, folder)) for n in names
              if n.endswith((".html", ".js", ".py"))]
    for path in application_files() + others:
        if path == os.path.join("program", "policy.py"):
            continue
        for number, line in enumerate(source(path).splitlines(), 1):
            if any(p.search(line) for p in ROLE_PATTERNS):
                found.append(f"{path}:{number}: {line.strip()}")
    assert found == []


PRIVATE = re.compile(
    r"\._(list_columns|sortable_columns|get_column_by_idx|get_default_order|get_list_extra_args|get_filters"
    r"|filters|filter_args|search_supported|search_fields|export_columns|order_by|form_ajax_refs|cached_fields"
    r"|views|get_filter_groups|get_list_url|handle_join|create_ajax_loader|handle_view|pk_expr|obj)\b"
    r"|creation_counter|\bValueRequired\b|\b_exp\b|__data__|\._fields\b")


def test_private_library_names_only_in_compat():
    found = [f"{path}:{n}: {line.strip()}" for path in application_files() if path != "compat.py"
             for n, line in enumerate(source(path).splitlines(), 1) if PRIVATE.search(line)]
    assert found == []


def test_the_domain_is_typed():
    result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", os.path.join(ROOT, "mypy.ini")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
