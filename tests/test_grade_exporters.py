"""Gradescope and GitHub Classroom (helpers.grade.gradescope, helpers.grade.classroom).

The same four submissions of the small synthetic notebook (tests/synthetic_notebook.py:
no TensorFlow) are graded three ways: by `helpers.grade.grade` into its CSV, by the
Gradescope zip's `run_autograder` in a temporary root laid out as Gradescope lays out
`/autograder`, and by the Classroom workflow's grading command. The points must agree.
A correct, a half-done, a broken-JSON and a tampered (test cells edited) submission.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest
from synthetic_notebook import NAME, index_of, released_notebook, student

from helpers.grade import grade
from helpers.grade.classroom import check, step_id, workflow
from helpers.grade.gradescope import build_zip, check_results, grading_requirements, main
from helpers.grade.released import ROOT
from helpers.grade.report import STATUSES, exercise_status

TIMEOUT = 6
IDS = ["99.1", "99.2", "99.3"]


def tamper(cells):
    """The student edited two test cells to pass without the check."""
    cells[index_of(cells, "# TEST: 99.1")].source = "pass"
    cells[index_of(cells, "# TEST: 99.2")].source = (
        "# TEST: 99.2 square [1 pt]\nprint('99.2 square: all 1 cases passed')")


#: student -> (the file's bytes maker, points per exercise)
CASES = {
    "correct": (lambda: nbformat.writes(student()).encode(), (2, 1, 3)),
    "half": (lambda: nbformat.writes(student(solve=("double",))).encode(), (2, 0, 0)),
    "broken": (lambda: b'{"cells": [{"cell_type": "code", ', (0, 0, 0)),
    "tampered": (lambda: nbformat.writes(student(solve=("negate",), edit=tamper)).encode(),
                 (0, 0, 3)),
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The released notebook, a submissions folder and the CSV of `grade` over it."""
    base = tmp_path_factory.mktemp("exporters")
    released = base / NAME
    nbformat.write(released_notebook(), released)
    subs = base / "subs"
    for name, (make, _) in CASES.items():
        (subs / name).mkdir(parents=True)
        (subs / name / NAME).write_bytes(make())
    table = grade(str(released), str(subs), str(base / "grades.csv"), timeout=TIMEOUT,
                  workers=1).table  # one process: cheaper than two xdist workers
    return {"base": base, "released": released, "subs": subs, "table": table}


@pytest.fixture(scope="module")
def gradescope(setup):
    """The zip unpacked as Gradescope does, and run_autograder run on each submission."""
    base = setup["base"]
    out = base / "autograder.zip"
    build_zip(str(setup["released"]), str(out), timeout=TIMEOUT)
    root = base / "autograder"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(root / "source")
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    env = {**os.environ, "WORKBOOK_AUTOGRADER_ROOT": str(root),
           "WORKBOOK_AUTOGRADER_PYTHON": sys.executable}
    results = {}
    for name in [*CASES, "none"]:
        shutil.rmtree(root / "submission", ignore_errors=True)
        shutil.rmtree(root / "results", ignore_errors=True)
        (root / "submission").mkdir()
        if name in CASES:
            (root / "submission" / NAME).write_bytes(CASES[name][0]())
        (root / "results").mkdir()
        done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        results[name] = json.loads((root / "results" / "results.json").read_text())
    return {"zip": out, "modes": modes, "results": results}


def test_zip_holds_what_gradescope_needs_and_nothing_more(gradescope):
    with zipfile.ZipFile(gradescope["zip"]) as archive:
        names = archive.namelist()
        requirements = archive.read("requirements.txt").decode().split()
    assert {"setup.sh", "run_autograder", "requirements.txt", "autograder.json",
            f"notebooks/{NAME}", "helpers/grade/gradescope.py", "data/README.md"} <= set(names)
    assert gradescope["modes"]["setup.sh"] & 0o111 and gradescope["modes"]["run_autograder"] & 0o111
    assert not [n for n in names if n.startswith(("solutions/", ".venv", "tests/", "notebooks/0"))
                or "__pycache__" in n or n.endswith(".pyc")]
    assert "tensorflow==2.21.0" in requirements and "nbval==0.11.0" in requirements
    assert not [r for r in requirements if r.startswith(("jupyterlab", "playwright", "-e"))]
    assert requirements == grading_requirements()


def test_scripts_are_valid_bash_and_run_autograder_downloads_nothing(gradescope, tmp_path):
    with zipfile.ZipFile(gradescope["zip"]) as archive:
        archive.extract("setup.sh", tmp_path)
        archive.extract("run_autograder", tmp_path)
    for name in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(tmp_path / name)]).returncode == 0
    text = (tmp_path / "run_autograder").read_text()
    assert not [word for word in ("pip", "curl", "wget", "git ", "apt") if word in text]
    assert 'root="${WORKBOOK_AUTOGRADER_ROOT:-/autograder}"' in text


@pytest.mark.parametrize("name", [*CASES, "none"])
def test_results_json_follows_the_documented_format(gradescope, name):
    results = gradescope["results"][name]
    assert check_results(results) == []
    assert [t["name"] for t in results["tests"]] == ["99.1 double", "99.2 square",
                                                     "99.3 negate"]
    assert all(t["visibility"] == "visible" and t["max_score"] in (2, 1, 3)
               for t in results["tests"])


@pytest.mark.parametrize("name", list(CASES))
def test_gradescope_scores_equal_the_csv(setup, gradescope, name):
    results, row = gradescope["results"][name], setup["table"].loc[name]
    assert tuple(t["score"] for t in results["tests"]) == CASES[name][1]
    assert tuple(row[IDS]) == CASES[name][1]
    assert results["score"] == row["total"] == sum(CASES[name][1])
    assert f"status: {row['status']}" in results["output"]


def test_gradescope_outputs_carry_the_checks_messages(gradescope):
    half = {t["number"]: t for t in gradescope["results"]["half"]["tests"]}
    assert half["99.1"]["output"] == "passed" and half["99.1"]["status"] == "passed"
    assert half["99.2"]["output"].startswith("99.2 square: not attempted yet")
    assert half["99.2"]["status"] == "failed"
    tampered = gradescope["results"]["tampered"]
    assert "square(3) should be 9" not in tampered["tests"][1]["output"]  # square not written
    assert tampered["tests"][1]["output"].startswith("99.2 square: not attempted yet")


def test_unreadable_or_missing_notebook_scores_zero_and_says_why(gradescope):
    broken = gradescope["results"]["broken"]
    assert broken["score"] == 0
    assert "status: not a notebook: malformed JSON" in broken["output"]
    assert "File > Download .ipynb" in broken["output"]
    none = gradescope["results"]["none"]
    assert none["score"] == 0 and "No .ipynb file was found" in none["output"]
    assert none["tests"][0]["output"].startswith("not graded: no notebook in folder")


def test_results_checker_rejects_what_the_specification_does_not_allow():
    assert check_results({"tests": [{"name": "x"}]}) == [
        "no top-level score and a test without a score"]
    assert check_results({"score": "3", "visibility": "soon", "tests": [
        {"score": 1, "status": "ok", "colour": "red"}]}) == [
        "score is not a number", "visibility 'soon' is not one of "
        "('hidden', 'after_due_date', 'after_published', 'visible')",
        "tests[0]: unknown key 'colour'", "tests[0].status 'ok' is not valid"]


def test_build_command_for_a_real_notebook(tmp_path, capsys):
    assert main(["build", "00", "--out", str(tmp_path / "ag.zip")]) == 0
    assert "Autograder Settings: memory at least 4 GB" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "ag.zip") as archive:
        config = json.loads(archive.read("autograder.json"))
        notebooks = [n for n in archive.namelist() if n.startswith("notebooks/")]
    assert config == {"notebook": "00_getting_started.ipynb", "timeout": 120}
    assert notebooks == ["notebooks/00_getting_started.ipynb"]
    assert main(["build", "nope", "--out", str(tmp_path / "x.zip")]) == 2


# ---------------------------------------------------------------------------------
# GitHub Classroom


@pytest.fixture(scope="module")
def classroom(setup):
    """The workflow's grading command on the half-done submission."""
    out = setup["base"] / "classroom" / "grades.json"
    summary = setup["base"] / "step_summary.md"
    done = subprocess.run(
        [sys.executable, "-m", "helpers.grade.classroom", "grade", str(setup["released"]),
         str(setup["subs"] / "half"), "--out", str(out), "--timeout", str(TIMEOUT)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)})
    return {"done": done, "out": out, "data": json.loads(out.read_text()),
            "summary": summary.read_text()}


def test_classroom_grading_command_gives_the_csv_points(setup, classroom):
    assert classroom["done"].returncode == 0, classroom["done"].stderr
    data, row = classroom["data"], setup["table"].loc["half"]
    assert [ex["points"] for ex in data["exercises"]] == list(row[IDS])
    assert data["total"] == row["total"] and data["max"] == 6
    log = classroom["done"].stdout
    assert "99.1 double: 2 of 2 points, passed" in log
    assert "99.2 square: 0 of 1 points, not attempted" in log
    assert "    99.2 square: not attempted yet" in log  # the message, in the job log
    summary = classroom["summary"]  # the run's summary page
    assert summary.startswith("## 99_synthetic")
    assert "| 99.1 `double` | 2 of 2 | passed |" in summary
    assert "| 99.2 `square` | 0 of 1 | not attempted |" in summary
    assert "### 99.2 square\n\n```text\n99.2 square: not attempted yet" in summary


def test_classroom_check_exits_as_the_command_grader_expects(classroom, capsys):
    """autograding-command-grader awards max-score for exit code 0, nothing otherwise."""
    assert check(str(classroom["out"]), "99.1") == 0
    assert check(str(classroom["out"]), "99.2") == 1
    assert "99.2 square: not attempted yet" in capsys.readouterr().out
    assert check(str(classroom["out"]), "99.9") == 1
    assert check(str(classroom["out"].parent / "missing.json"), "99.1") == 1
    assert "see the step 'Grade the notebook'" in capsys.readouterr().out


def test_committed_example_workflow_is_what_the_command_writes():
    with open(os.path.join(ROOT, "classroom", "00_getting_started.yml"), encoding="utf-8") as f:
        assert f.read() == workflow("00")


def test_workflow_has_one_test_per_exercise_and_reports_them_all():
    text = workflow("00", repository="https://github.com/someone/fork", branch="spring")
    yaml = pytest.importorskip("yaml")
    flow = yaml.safe_load(text)
    assert flow["name"] == "Autograding Tests" and list(flow["jobs"]) == ["run-autograding-tests"]
    steps = flow["jobs"]["run-autograding-tests"]["steps"]
    tests = [s for s in steps if s.get("uses", "").startswith(
        "classroom-resources/autograding-command-grader@")]
    from helpers.grade.released import find_notebook, read_released

    released = read_released(find_notebook("00"))
    assert [(t["with"]["test-name"], t["with"]["max-score"]) for t in tests] == [
        (f"{ex.id} {ex.name}", ex.points) for ex in released.exercises]
    reporter = steps[-1]
    ids = [step_id(ex.id) for ex in released.exercises]
    assert reporter["with"]["runners"] == ",".join(ids)
    assert set(reporter["env"]) == {f"{i.upper()}_RESULTS" for i in ids}
    assert "git clone --quiet --depth 1 --branch spring https://github.com/someone/fork" in text


def test_exercise_status_names_what_happened():
    assert exercise_status(None) == "passed"
    assert exercise_status("01.3 tanh: not attempted yet. Replace ...") == "not attempted"
    assert exercise_status("timeout: the cell ran longer than 6 s") == "timeout"
    assert exercise_status("the kernel died while running this cell") == "kernel died"
    assert exercise_status("not run: the kernel had died in an earlier cell") == "not run"
    assert exercise_status("not graded: no notebook in folder") == "not graded"
    assert exercise_status("01.3 tanh, case 'x = 3': expected ...") == "failed"
    assert set(STATUSES) >= {"passed", "failed"}



def test_workflow_installs_the_same_pins_as_the_gradescope_zip(tmp_path):
    """The install step's grep keeps exactly the pins `grading_requirements` keeps."""
    text = workflow("00")
    grep = next(line for line in text.splitlines() if line.strip().startswith("grep "))
    (tmp_path / "workbook").mkdir()
    shutil.copy(os.path.join(ROOT, "requirements.txt"), tmp_path / "workbook")
    command = grep.strip().rstrip("\\") + ' > "$RUNNER_TEMP/requirements.txt"'
    subprocess.run(["bash", "-c", command], env={**os.environ, "RUNNER_TEMP": str(tmp_path)},
                   check=True)
    kept = [line.split("#", 1)[0].strip() for line in
            (tmp_path / "requirements.txt").read_text().splitlines()]
    assert [line for line in kept if line] == grading_requirements()


FAKE_PYTHON = """#!/bin/bash
echo "$(basename "$0") $*" >> "$LOG"
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
"""
FAKE_APT = """#!/bin/bash
echo "apt-get $*" >> "$LOG"
for package in "$@"; do
    case "$package" in python3.*-venv) ;; python3.*) cp "$(dirname "$0")/.python" \
        "$(dirname "$0")/$package" ;; esac
done
"""


@pytest.mark.parametrize("system_python", ["python3.12", None])
def test_setup_sh_installs_a_python_that_fits_then_the_pins(tmp_path, system_python):
    """setup.sh with fake apt-get and Pythons: Ubuntu 24.04 (python3.12) or 22.04 (none that
    fits, so it installs python3.11), then a virtualenv and requirements.txt into it."""
    from helpers.grade.gradescope import SETUP_SH

    bin_dir, log = tmp_path / "bin", tmp_path / "log"
    bin_dir.mkdir()
    for name, text in {"apt-get": FAKE_APT, ".python": FAKE_PYTHON,
                       **({system_python: FAKE_PYTHON} if system_python else {})}.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    for tool in ("cp", "mkdir", "dirname", "basename"):  # the PATH holds no real Python
        (bin_dir / tool).symlink_to(shutil.which(tool))
    (tmp_path / "source").mkdir()
    (tmp_path / "setup.sh").write_text(SETUP_SH)
    env = {"PATH": str(bin_dir), "LOG": str(log), "WORKBOOK_AUTOGRADER_ROOT": str(tmp_path)}
    done = subprocess.run(["/bin/bash", str(tmp_path / "setup.sh")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    chosen = system_python or "python3.11"
    steps = log.read_text().splitlines()
    venv = tmp_path / "workbook-venv"
    assert steps == [
        "apt-get update",
        f"apt-get install -y {chosen}-venv" if system_python else
        "apt-get install -y python3.11 python3.11-venv",
        f"{chosen} -m venv {venv}",
        "python -m pip install --upgrade pip",
        f"python -m pip install -r {tmp_path}/source/requirements.txt",
        "python -c import tensorflow, helpers.grade, helpers.data; print('setup ok')",
    ]


def test_run_writes_results_even_when_the_grader_fails(tmp_path):
    from helpers.grade.gradescope import run

    results = run(str(tmp_path))  # no source/autograder.json: a broken upload
    assert results["score"] == 0 and results["tests"] == []
    assert "the grader failed (FileNotFoundError" in results["output"]
    assert json.loads((tmp_path / "results" / "results.json").read_text()) == results
    assert check_results(results) == []
