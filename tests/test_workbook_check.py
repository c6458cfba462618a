"""`./workbook check NOTEBOOK`: a student grades their own copy (scripts/check_notebook.py).

A real grading of notebook 00 (the fastest), run through the script as a student
runs it: the solution copy earns full points, and the student's file is never
changed. The table an unfilled copy gets ("not attempted yet" for every exercise)
is tested from a feedback record, without starting kernels. Bad arguments get one
clear line and exit code 2, without a traceback.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "check_notebook.py")
NOTEBOOK = "00_getting_started.ipynb"
EXERCISES = ["00.1", "00.2", "00.3"]


def run_check(*args, cwd=None, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("WORKBOOK_CALLER_DIR", None)
    return subprocess.run([sys.executable, SCRIPT, *args], cwd=cwd or ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def rows(stdout):
    """The table's exercise rows: {id: (earned, max, result)}."""
    found = {}
    for line in stdout.splitlines():
        match = re.match(r"^(\d\d\.\d+)\s+(\S+)\s+([\d.]+) / ([\d.]+)  (.*)$", line)
        if match:
            found[match.group(1)] = (float(match.group(3)), float(match.group(4)),
                                     match.group(5))
    return found


def total(stdout):
    match = re.search(r"^total\s+([\d.]+) / ([\d.]+)$", stdout, re.M)
    assert match, stdout
    return float(match.group(1)), float(match.group(2))


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_solution_copy_earns_full_points(tmp_path):
    copy = tmp_path / NOTEBOOK
    shutil.copyfile(os.path.join(ROOT, "solutions", NOTEBOOK), copy)
    before = digest(copy)
    result = run_check(NOTEBOOK, cwd=tmp_path)  # a relative path, from the student's folder
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result.stdout)
    assert sorted(table) == EXERCISES, result.stdout
    for exercise, (earned, maximum, message) in table.items():
        assert earned == maximum > 0 and message == "passed", (exercise, result.stdout)
    earned, maximum = total(result.stdout)
    assert earned == maximum == sum(m for _, m, _ in table.values())
    assert digest(copy) == before, "the student's notebook was changed"


def load_script():
    """scripts/check_notebook.py as a module, to test its table without a grading run."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_notebook", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_says_not_attempted_and_the_first_line_of_each_message():
    """What an unfilled copy shows, read from a feedback record (the grader's kernels saying
    "not attempted yet" are tested in test_student_copies and test_grade)."""
    script = load_script()
    record = [
        {"id": "00.1", "name": "standardize", "points": 0, "max": 2, "passed": False,
         "restored": False, "message": "00.1 standardize: not attempted yet. Replace ..."},
        {"id": "00.2", "name": "one_hot", "points": 0, "max": 1, "passed": False,
         "restored": True, "message": "00.2 one_hot, case 'a': wrong shape.\n  expected ..."},
        {"id": "00.10", "name": "f", "points": 1.5, "max": 1.5, "passed": True,
         "restored": False, "message": None},
    ]
    shown = script.table(record, 1.5, 4.5)
    assert shown.splitlines() == [
        "exercise  name            points  result",
        "00.1      standardize      0 / 2  not attempted yet",
        "00.2      one_hot          0 / 1  case 'a': wrong shape.",
        "00.10     f            1.5 / 1.5  passed",
        "total                  1.5 / 4.5",
    ]


@pytest.mark.parametrize("argument, expected", [
    ("no/such/file.ipynb", "no such notebook: no/such/file.ipynb"),
    ("99", "no such notebook: 99"),
    ("0", "matches several notebooks"),
    ("README.md", "README.md is not a notebook"),
    ("not-a-notebook.ipynb", "not a notebook"),
    ("scripts", "scripts is a folder, not a notebook"),
])
def test_bad_input_is_one_clear_line(argument, expected, tmp_path):
    cwd = ROOT
    if argument == "not-a-notebook.ipynb":
        (tmp_path / argument).write_text('{"just": "json"}')
        cwd = tmp_path
    result = run_check(argument, cwd=cwd, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbook check: "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def venv_is_current():
    """Tells whether `./workbook` would run at once, without reinstalling its virtualenv."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import workbook  # scripts/workbook.py, the entry point

    venv = workbook.venv_dir(os.environ, ROOT)
    return workbook.is_current(venv, workbook.requirements_digest(ROOT))


def test_workbook_check_resolves_paths_from_the_callers_folder(tmp_path):
    """`./workbook` changes to the repository; a relative path is still the student's."""
    if not venv_is_current():
        pytest.skip("./workbook would reinstall .venv first; run the tests with ./workbook test")
    result = subprocess.run([os.path.join(ROOT, "workbook"), "check", "missing.ipynb"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no such notebook: missing.ipynb" in result.stderr
