"""The package's layout holds: no import circle, no long module, no private name across modules, and every module
imports alone (scripts/check_layout.py is the same check from the command line)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

from helpers import PROJECT

spec = importlib.util.spec_from_file_location("check_layout", PROJECT / "scripts" / "check_layout.py")
check_layout = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_layout)

# Each module imported into an interpreter that holds none of the package yet: an import circle shows up as an
# ImportError for whichever module is imported first.
_IMPORT_EACH_ALONE = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "{package}" or m.startswith("{package}.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{{name}}: {{type(exc).__name__}}: {{exc}}")
print("\\n".join(failed))
"""


def test_the_layout_check_finds_no_problem():
    problems, graph = check_layout.check(check_layout.PACKAGE, check_layout.IMPORT_NAME)
    assert problems == []
    assert len(graph) > 50  # it read the package, not an empty folder


def test_the_layout_check_sees_a_circle_a_long_module_and_a_private_read(tmp_path):
    package = tmp_path / "search"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import helper\n\ndef _hidden():\n    return 1\n")
    (package / "b.py").write_text("def helper():\n    from . import a\n    return a._hidden()\n")
    (package / "long.py").write_text("x = 1\n" * (check_layout.MAX_LINES + 1))
    problems, _ = check_layout.check(package)
    assert any(p.startswith("import circle:") and "search.a" in p and "search.b" in p for p in problems)
    assert any("long.py" in p and "lines" in p for p in problems)
    assert any("reads _hidden, private to search.a" in p for p in problems)


def test_every_module_imports_alone():
    names = sorted(check_layout.modules(check_layout.PACKAGE, check_layout.IMPORT_NAME))
    package = check_layout.IMPORT_NAME
    out = subprocess.run([sys.executable, "-c", _IMPORT_EACH_ALONE.format(package=package), *names],
                         capture_output=True, text=True, cwd=PROJECT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_every_folder_of_the_package_is_installed():
    """pyproject.toml lists the packages by hand (search/ installs as podquote): a new folder must be added there."""
    text = (PROJECT / "pyproject.toml").read_text()
    listed = set(re.findall(r'"([\w.]+)"', re.search(r"^packages = \[(.*?)\]", text, re.M | re.S).group(1)))
    folders = {name for name, path in check_layout.modules(check_layout.PACKAGE, check_layout.IMPORT_NAME).items()
               if path.name == "__init__.py"}
    assert folders == listed
