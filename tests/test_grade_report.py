"""Scoring and the gradebook (helpers.grade.report), from made-up cell records."""

import pandas as pd

from helpers.grade.prepare import Cell
from helpers.grade.released import Released
from helpers.grade.report import score, write_gradebook
from helpers.notebook_format import Exercise, format_test_line

EXERCISES = [Exercise("99.1", "double", 2, 3, format_test_line("99.1", "double", 2), ""),
             Exercise("99.2", "square", 1, 5, format_test_line("99.2", "square", 1), "")]
RELEASED = Released("99_x.ipynb", "99_x.ipynb", ["# Workbook setup:", "helpers.setup()"],
                    EXERCISES, 3)
CELLS = [Cell("", "setup cell 1", None), Cell("", "setup cell 2", None),
         Cell("", "code cell 3 (`def double(x):`)", None),
         Cell(EXERCISES[0].source, "the test cell of 99.1 double", "99.1"),
         Cell("", "code cell 5 (`def square(x):`)", None),
         Cell(EXERCISES[1].source, "the test cell of 99.2 square", "99.2")]


def record(cell, kind="ok", **fields):
    first_line = CELLS[cell].source
    return {"cell": cell, "first_line": first_line, "passed": kind == "ok", "kind": kind,
            "lost": False, **fields}


def test_a_passed_test_cell_earns_its_points_and_a_failed_one_says_why():
    records = {i: record(i) for i in range(5)}
    records[5] = record(5, "error", ename="CheckError", message="99.2 square, case 'x = 3'")
    points, messages, notes = score(CELLS, records, RELEASED, 5)
    assert points == {"99.1": 2, "99.2": 0}
    assert messages == {"99.2": "99.2 square, case 'x = 3'"}
    assert notes == []


def test_a_cell_that_is_not_the_prepared_test_cell_does_not_count():
    records = {i: record(i) for i in range(6)}
    records[2]["first_line"] = format_test_line("99.2", "square", 1)
    records[5] = record(5, "error", ename="ZeroDivisionError", message="division by zero")
    points, messages, _ = score(CELLS, records, RELEASED, 5)
    assert points["99.2"] == 0 and messages["99.2"] == "ZeroDivisionError: division by zero"


def test_notes_name_the_cell_that_failed_setup_timed_out_or_did_not_run():
    records = {0: record(0), 1: record(1, "error", ename="RuntimeError", message="no data"),
               2: record(2), 3: record(3, "timeout")}
    points, messages, notes = score(CELLS, records, RELEASED, 5)
    assert points == {"99.1": 0, "99.2": 0}
    assert messages["99.1"].startswith("timeout: the cell ran longer than 5 s")
    assert messages["99.2"] == "not run: grading stopped before this cell"
    assert notes == ["setup cell failed: RuntimeError: no data",
                     "timeout in the test cell of 99.1 double",
                     "grading incomplete: 2 cell(s) did not run"]


def test_gradebook_has_a_row_and_a_feedback_file_for_every_student(tmp_path):
    results = {"ann": ({"99.1": 2, "99.2": 0}, {"99.2": "99.2 square, case 'x = 3'"})}
    statuses = {"ann": [], "b/o b": ["not a notebook: empty file"], "b:o:b": []}
    restored = {"ann": {"99.1"}, "b/o b": set(), "b:o:b": set()}
    table, records = write_gradebook(str(tmp_path / "grades.csv"), str(tmp_path / "feedback"),
                                     RELEASED, ["ann", "b/o b", "b:o:b"], results, statuses,
                                     restored)
    assert records["ann"]["exercises"][1] == {
        "id": "99.2", "name": "square", "points": 0, "max": 1, "passed": False,
        "restored": False, "message": "99.2 square, case 'x = 3'"}
    assert records["b/o b"]["status"] == "not a notebook: empty file"
    assert table.loc["ann", "total"] == 2 and table.loc["ann", "status"] == "graded"
    assert table.loc["b/o b", "status"] == "not a notebook: empty file"
    assert table.loc["b:o:b", "total"] == 0
    saved = pd.read_csv(tmp_path / "grades.csv", index_col="student")
    assert list(saved.columns) == ["99.1", "99.2", "total", "max", "status"]
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == [
        "ann.txt", "b_o_b.txt", "b_o_b_.txt"]
    assert (tmp_path / "feedback" / "ann.txt").read_text() == (
        "99_x.ipynb: feedback for ann\n"
        "total: 2 of 3 points\n"
        "status: graded\n"
        "\n"
        "99.1 double: 2 of 2 points, passed (your test cell was edited or missing: "
        "the released one was run)\n"
        "99.2 square: 0 of 1 points\n"
        "    99.2 square, case 'x = 3'\n")
    assert "    not graded: not a notebook: empty file" in (
        tmp_path / "feedback" / "b_o_b.txt").read_text()
