"""Instructor grading (helpers.grade), end to end: every awkward submission gets its row.

Most cases share one grading run over one folder of submissions of a small synthetic
notebook (tests/synthetic_notebook.py: three exercises with tiny checks, no
TensorFlow), so the whole file runs in about a minute on two cores. One more run
grades the real notebook 01 through the command line: the solution earns full
marks, the untouched student copy earns nothing. The tests of the package's parts
are in tests/test_grade_<module>.py.
"""

import hashlib
import os
import shutil
import subprocess
import sys

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from synthetic_notebook import (
    NAME,
    delete_tests,
    index_of,
    released_notebook,
    setup_raises,
    student,
)

from helpers.grade import grade
from helpers.grade.released import ROOT, read_released
from helpers.grade.report import feedback_text
from helpers.notebook_format import FORMAT_VERSION, code_sources

TIMEOUT = 6  # seconds per cell in the synthetic runs; every normal cell takes well under 1 s


def edit_tests(cells):
    cells[index_of(cells, "# TEST: 99.1")].source = "pass"
    cells[index_of(cells, "# TEST: 99.2")].source = (
        "# TEST: 99.2 square [1 pt]\nprint('99.2 square: all 1 cases passed')")


def add_extra_cells(marker_dir):
    def edit(cells):
        at = index_of(cells, "def double(")
        cells[at:at] = [
            new_markdown_cell("my notes"),
            new_code_cell("# TEST: 99.1 double [2 pts]\ncheck_too_early(double)"),
            new_code_cell("# TEST: 99.9 bonus [50 pts]\nprint('free points')"),
            new_code_cell(f"!touch {marker_dir}/shell-escape-ran"),
            new_code_cell(f"%%bash\ntouch {marker_dir}/cell-magic-ran"),
            new_code_cell("%pip install something-from-the-internet\nx = 1"),
            new_code_cell("1 / 0  # a scratch cell that fails"),
        ]
        cells.append(new_code_cell("print('scratch at the end', double(5))"))
    return edit


def hide_errors(cells):
    cells.insert(index_of(cells, "def double("), new_code_cell(
        "get_ipython().showtraceback = lambda *args, **kwargs: None  # errors print nothing"))


def print_a_million_lines(cells):
    cells.insert(index_of(cells, "def square("),
                 new_code_cell("print('\\n'.join(str(i) for i in range(1_000_000)))"))


def released_before_versions(nb):
    """A copy of a notebook released before format versions (metadata without one)."""
    nb.metadata["workbook"] = {"generated_from": f"solutions/{NAME}"}
    return nb


NOINT = ("    import signal, time\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
         "    while True:\n        time.sleep(0.01)")

#: name in the submissions folder -> (how to make it, expected points per exercise)
CASES = {
    "full.ipynb": (lambda d: student(), (2, 1, 3)),
    "blank.ipynb": (lambda d: student(solve=()), (0, 0, 0)),
    "deleted.ipynb": (lambda d: student(bodies={"double": "    return x + 2"},
                                        edit=delete_tests), (0, 1, 3)),
    "edited.ipynb": (lambda d: student(solve=("negate",), bodies={"square": "    return 2 * x"},
                                       edit=edit_tests), (0, 0, 3)),
    "extra.ipynb": (lambda d: student(edit=add_extra_cells(d)), (2, 1, 3)),
    "loop.ipynb": (lambda d: student(bodies={"double": "    while True:\n        pass"}),
                   (0, 1, 3)),
    "noint.ipynb": (lambda d: student(bodies={"double": NOINT}), (0, 1, 3)),
    "died.ipynb": (lambda d: student(bodies={"square": "    import os\n    os._exit(1)"}),
                   (2, 0, 3)),
    "spam.ipynb": (lambda d: student(edit=print_a_million_lines), (2, 1, 3)),
    "hidden.ipynb": (lambda d: released_before_versions(student(solve=("negate",),
                                                                edit=hide_errors)), (0, 0, 3)),
    "badsetup.ipynb": (lambda d: student(edit=setup_raises), (2, 1, 3)),
    f"dup/{NAME}": (lambda d: student(), (2, 1, 3)),
    "dup/attempt_old.ipynb": (lambda d: student(solve=()), None),
    "carol/my copy.ipynb": (lambda d: student(), (2, 1, 3)),
}
BROKEN_FILES = {
    "malformed.ipynb": b'{"cells": [{"cell_type": "code", ',
    "jsonnotnb.ipynb": b'{"name": "not a notebook", "cells": 3}',
    "renamed.ipynb": b"My essay about neural networks.\nIt is not a notebook.\n",
    "binary.ipynb": b"\x89PNG\r\n\x1a\n\x00\xff\xfe",
    "empty.ipynb": b"",
    "nofolder/notes.txt": b"I forgot to upload my notebook",
}


def files_digest(folder):
    digest = {}
    for parent, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            with open(path, "rb") as f:
                digest[path] = (hashlib.sha256(f.read()).hexdigest(), os.path.getmtime(path))
    return digest


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One grading run over every case; returns the gradebook, folders and digests.

    The prepared notebooks and pytest's log are kept in `kept/` (`keep=`).
    """
    base = tmp_path_factory.mktemp("grading")
    released = base / NAME
    nbformat.write(released_notebook(), released)
    submissions, markers = base / "submissions", base / "markers"
    markers.mkdir()
    for name, (make, _) in CASES.items():
        (submissions / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(make(markers), submissions / name)
    for name, content in BROKEN_FILES.items():
        (submissions / name).parent.mkdir(parents=True, exist_ok=True)
        (submissions / name).write_bytes(content)
    before = files_digest(submissions)
    out = base / "out" / "grades.csv"
    grades = grade(str(released), str(submissions), str(out), timeout=TIMEOUT, workers=2,
                   keep=str(base / "kept"))
    return {"table": grades.table, "records": grades.feedback, "csv": out,
            "feedback": base / "out" / "grades_feedback", "submissions": submissions,
            "before": before, "markers": markers, "kept": base / "kept"}


def row(graded, student):
    return graded["table"].loc[student]


def feedback(graded, student):
    return (graded["feedback"] / f"{student}.txt").read_text()


def test_every_submission_gets_a_row_in_the_csv(graded):
    table = pd.read_csv(graded["csv"], index_col="student", dtype={"student": str})
    students = {os.path.splitext(name.split("/")[0])[0] for name in [*CASES, *BROKEN_FILES]}
    assert set(table.index) == students
    assert list(table.columns) == ["99.1", "99.2", "99.3", "total", "max", "status"]
    assert (table["max"] == 6).all()
    assert (table["total"] == table[["99.1", "99.2", "99.3"]].sum(axis=1)).all()
    for name in students:
        assert (graded["feedback"] / f"{name}.txt").exists()


@pytest.mark.parametrize("name", [n for n, (_, points) in CASES.items() if points])
def test_points_per_exercise(graded, name):
    student = os.path.splitext(name.split("/")[0])[0]
    expected = CASES[name][1]
    assert tuple(row(graded, student)[["99.1", "99.2", "99.3"]]) == expected


def test_full_solution_is_graded_with_full_marks(graded):
    assert row(graded, "full")["status"] == "graded"
    assert row(graded, "full")["total"] == 6
    assert "total: 6 of 6 points" in feedback(graded, "full")


def test_untouched_copy_is_not_attempted_everywhere(graded):
    assert row(graded, "blank")["status"] == "graded"
    text = feedback(graded, "blank")
    for exercise in ["99.1 double", "99.2 square", "99.3 negate"]:
        assert f"{exercise}: not attempted yet" in text


@pytest.mark.parametrize("student, status", [
    ("malformed", "not a notebook: malformed JSON (Expecting"),
    ("jsonnotnb", "not a notebook: valid JSON but not in Jupyter's notebook format"),
    ("renamed", "not a notebook: malformed JSON"),
    ("binary", "not a notebook: not a text file"),
    ("empty", "not a notebook: empty file"),
    ("nofolder", "no notebook in folder"),
])
def test_unreadable_submissions_get_zero_and_a_reason(graded, student, status):
    assert row(graded, student)["status"].startswith(status)
    assert row(graded, student)["total"] == 0
    assert status in feedback(graded, student)


def test_feedback_records_hold_what_the_files_say(graded):
    for name, record in graded["records"].items():
        assert record["format"] == FORMAT_VERSION and record["student"] == name
        assert feedback(graded, name) == feedback_text(record)
    first = graded["records"]["deleted"]["exercises"][0]
    assert first["id"] == "99.1" and first["points"] == 0 and not first["passed"]
    assert first["message"].startswith("99.1 double, case 'x = 3': double(3) should be 6.")


def test_a_copy_of_another_format_version_is_graded_with_a_note(graded):
    assert row(graded, "hidden")["status"] == (
        f"made from another version of this notebook (format 1; the released one is format "
        f"{FORMAT_VERSION}): the released setup and test cells were run; if an exercise fails "
        f"to run, copy your code into the current notebook")
    assert row(graded, "full")["status"] == "graded"  # a copy without workbook metadata


def test_deleted_test_cells_are_put_back_and_run(graded):
    assert row(graded, "deleted")["status"] == "graded"
    text = feedback(graded, "deleted")
    assert "99.1 double, case 'x = 3': double(3) should be 6." in text
    assert "99.2 square: 1 of 1 points, passed (your test cell was edited or missing" in text


def test_edited_test_cells_earn_nothing(graded):
    text = feedback(graded, "edited")
    assert "99.1 double: not attempted yet" in text
    assert "99.2 square, case 'x = 3': square(3) should be 9." in text


def test_extra_cells_are_fine_and_shell_commands_do_not_run(graded):
    assert row(graded, "extra")["status"] == "graded"
    assert row(graded, "extra")["total"] == 6
    assert "99.9" not in graded["table"].columns
    assert list(graded["markers"].iterdir()) == []


def test_infinite_loop_times_out_and_later_exercises_still_count(graded):
    status = row(graded, "loop")["status"]
    assert status == "timeout in the test cell of 99.1 double"
    assert f"timeout: the cell ran longer than {TIMEOUT} s" in feedback(graded, "loop")


def test_uninterruptible_loop_stops_the_kernel_and_the_rest_is_rerun(graded):
    assert row(graded, "noint")["status"] == (
        "timeout in the test cell of 99.1 double; "
        "later cells graded in a re-run without the test cell of 99.1 double")


def test_dying_kernel_keeps_earlier_points_and_reruns_the_rest(graded):
    assert row(graded, "died")["status"] == (
        "kernel died in the test cell of 99.2 square; "
        "later cells graded in a re-run without the test cell of 99.2 square")
    assert "99.2 square: 0 of 1 points\n    the kernel died while running this cell" in \
        feedback(graded, "died")


def test_a_million_printed_lines_do_not_matter(graded):
    assert row(graded, "spam")["status"] == "graded"
    assert os.path.getsize(graded["feedback"] / "spam.txt") < 2000


def test_errors_hidden_from_the_output_still_fail(graded):
    assert "99.1 double: not attempted yet" in feedback(graded, "hidden")


def test_broken_setup_cell_is_restored(graded):
    assert row(graded, "badsetup")["status"] == "graded"


def test_every_setup_cell_is_restored_not_just_the_first_two(graded):
    """The synthetic notebook has three setup cells: all three run, as released."""
    released = code_sources(released_notebook())[:3]
    prepared = sorted(graded["kept"].glob(f"run1/notebooks/*/{NAME}"))
    assert len(prepared) == len({name.split("/")[0] for name in CASES})
    for path in prepared:
        sources = code_sources(nbformat.read(path, as_version=4))
        assert sources[:3] == released, path
        assert not [s for s in sources if "oops" in s], path


def test_duplicate_submission_uses_the_notebook_named_like_the_released_one(graded):
    assert row(graded, "dup")["status"] == (
        f"duplicate submission: used dup/{NAME}, ignored dup/attempt_old.ipynb")
    assert row(graded, "carol")["status"] == "graded"


def test_submissions_are_not_modified(graded):
    assert files_digest(graded["submissions"]) == graded["before"]


def test_setup_cell_failing_in_the_grading_environment_is_reported(tmp_path):
    released = tmp_path / NAME
    nbformat.write(released_notebook(setup="raise RuntimeError('data file missing')"), released)
    (tmp_path / "subs").mkdir()
    nbformat.write(student(), tmp_path / "subs" / "alice.ipynb")
    table = grade(str(released), str(tmp_path / "subs"), str(tmp_path / "grades.csv"),
                  timeout=TIMEOUT, workers=1).table
    assert table.loc["alice", "status"] == "setup cell failed: RuntimeError: data file missing"


# ---------------------------------------------------------------------------------
# The real notebook 01, through the command line


def test_notebook_01_solution_earns_full_marks(tmp_path):
    """The real notebook 01 through the command line. (An untouched copy scores 0 in the
    synthetic run above; test_student_copies runs every untouched copy.)"""
    subs = tmp_path / "subs"
    (subs / "ada").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "solutions", "01_foundations.ipynb"), subs / "ada")
    out = tmp_path / "grades.csv"
    result = subprocess.run(
        [sys.executable, "-m", "helpers.grade", "01", str(subs), "--out", str(out),
         "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=600,
        check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    table = pd.read_csv(out, index_col="student")
    released = read_released(os.path.join(ROOT, "notebooks", "01_foundations.ipynb"))
    maximum = sum(ex.points for ex in released.exercises)
    assert table.loc["ada", "total"] == maximum == table.loc["ada", "max"]
    assert table.loc["ada", "status"] == "graded"


