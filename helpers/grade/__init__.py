"""Instructor grading: re-runs every student's notebook as a test and writes a gradebook.

Usage:
    python -m helpers.grade NOTEBOOK SUBMISSIONS_DIR --out grades.csv
                            [--feedback DIR] [--timeout SECONDS] [--workers N] [--keep DIR]

NOTEBOOK is the released student notebook, as a path (`notebooks/01_foundations.ipynb`)
or by its number (`01`). SUBMISSIONS_DIR holds the completed copies, in either layout
(both may be mixed):

    submissions/alice/01_foundations.ipynb    one folder per student: the student id is
    submissions/bob/my copy.ipynb             the folder name; any `.ipynb` inside counts
    submissions/carol.ipynb                   one file per student: the id is the file stem

When a student has several notebooks, the one named like the released notebook is
graded, else the first by path; the status says which was used and which ignored.

Submissions are never modified. Each one is copied into a temporary folder and
prepared there:
  * the setup cells (from the Colab setup cell to the cell that calls
    `helpers.setup()`, however many cells that is) and every `# TEST:` cell are
    restored from the released notebook: an edited test cell gets the released source back,
    a deleted one is put back after the cell that defines its graded function, and
    a second copy of a test cell no longer counts;
  * shell escapes (`!cmd`) and magics that run commands (`%pip`, `%conda`, `%%bash`,
    ...) are commented out;
  * outputs and cell metadata are dropped.
Then pytest runs the copies with nbval (`--nbval-lax`) in quick mode, several at a
time (pytest-xdist), with a time limit per cell. A small pytest plugin
(`helpers.grade.plugin`) writes, for every cell, whether it passed and why not. An
exercise earns its points when its test cell passes. A cell that runs too long is
interrupted and the notebook goes on. When a cell kills the kernel (a crash,
`os._exit`, out of memory) or cannot be interrupted, the cells after it are graded
in a second run of the notebook without that cell (at most three runs in all).

Outputs: a CSV with one row per student: the points of every exercise (one column
per exercise id), `total`, `max` (the notebook's maximum) and `status`; and one
feedback text file per student with every exercise's result and message.

Student code runs with the grader's privileges: grade in a container or under a
throw-away account.

The package, in the order of a run:
    released     finds the released notebook and reads its setup and test cells.
    submissions  finds each student's notebook and reads its code cells.
    prepare      builds the cells that run for one submission.
    run          runs the prepared notebooks with nbval in a pytest subprocess.
    plugin       the pytest plugin of that subprocess: records each cell's result.
    report       scores the runs and writes the CSV and the feedback files; its
                 `ExerciseResult` is one exercise's result as data.
    gradescope   builds a Gradescope autograder zip and is its `run_autograder`.
    classroom    GitHub Classroom: the autograding workflow and its per-exercise checks.

`grade_one` grades one student's notebook (what Gradescope and GitHub Classroom
grade: one submission per run) with the same code and returns its results as data.
"""

import argparse
import os
import shutil
import sys
import tempfile
from collections import namedtuple

from helpers.grade.prepare import prepare
from helpers.grade.released import find_notebook, read_released
from helpers.grade.report import exercise_results, score, write_gradebook
from helpers.grade.run import run_all
from helpers.grade.submissions import (NotANotebook, find_submissions, read_code_cells,
                                      read_format)

Grades = namedtuple("Grades", "table feedback")
Grades.__doc__ = "What `grade` returns: the gradebook (a DataFrame) and the feedback records."

Graded = namedtuple("Graded", "total max_points status exercises")
Graded.__doc__ = """What `grade_one` returns for one submission.

Fields:
    total, max_points: the points earned and the notebook's maximum.
    status: the gradebook's status column (`graded`, or what went wrong).
    exercises: a list of `report.ExerciseResult`, one per exercise in notebook order.
"""


def grade(notebook, submissions, out, feedback=None, timeout=120, workers=2, keep=None):
    """Grades every submission of one notebook.

    Args:
        notebook: the released notebook: a path, or a number like `"01"`.
        submissions: the folder of submissions (see the module docstring).
        out: the CSV file to write.
        feedback: the folder for one `<student>.txt` per student; by default
            `<out without .csv>_feedback/` next to the CSV.
        timeout: seconds allowed per cell.
        workers: notebooks run in parallel.
        keep: a folder to copy the prepared notebooks and pytest's log into,
            to see what was run (by default they are deleted).

    Returns:
        A `Grades`: `table`, the gradebook (a pandas DataFrame indexed by student,
        as in the CSV), and `feedback`, each student's feedback record
        (`report.feedback_record`: a dict with the format version, the total and
        every exercise's points and message), from which the feedback files are
        written.

    Example:

    >>> grades = grade("01", "submissions", "grades.csv")  # doctest: +SKIP
    >>> grades.feedback["alice"]["exercises"][0]["passed"]  # doctest: +SKIP
    True
    """
    if timeout <= 0 or workers < 1:
        raise ValueError(f"timeout must be > 0 and workers >= 1, received {timeout} and {workers}.")
    if not os.path.isdir(submissions):
        raise ValueError(f"SUBMISSIONS_DIR {submissions!r} is not a folder.")
    released = read_released(find_notebook(notebook))
    feedback = feedback or os.path.splitext(out)[0] + "_feedback"
    exclude = {os.path.abspath(out), os.path.abspath(feedback)}
    found = find_submissions(submissions, released.filename, exclude)
    print(f"grading {len(found)} submission(s) of {released.filename} "
          f"(quick mode, {timeout:g} s per cell, {workers} at a time)", flush=True)
    jobs, statuses, restored = {}, {}, {}
    for number, sub in enumerate(found):
        statuses[sub.student] = list(sub.notes)
        restored[sub.student] = set()
        if sub.path is None:
            continue
        try:
            cells, restored[sub.student] = prepare(read_code_cells(sub.path), released)
            jobs[f"s{number:04d}"] = (sub.student, cells)
            version = read_format(sub.path)
            if version is not None and version != released.format:
                statuses[sub.student].append(
                    f"made from another version of this notebook (format {version}; the "
                    f"released one is format {released.format}): the released setup and test "
                    f"cells were run; if an exercise fails to run, copy your code into the "
                    f"current notebook")
        except NotANotebook as error:
            statuses[sub.student].append(f"not a notebook: {error}")
        except Exception as error:  # noqa: BLE001 - never lose a row
            statuses[sub.student].append(f"could not prepare: {type(error).__name__}: {error}")
    records = {key: {} for key in jobs}
    run_notes = {key: [] for key in jobs}
    if jobs:
        with tempfile.TemporaryDirectory(prefix="workbook-grade-") as work:
            try:
                records, run_notes = run_all(jobs, work, released.filename, timeout, workers,
                                             len(released.setup))
            except Exception as error:  # noqa: BLE001 - never lose a row
                print(f"the grading run failed: {type(error).__name__}: {error}", file=sys.stderr)
            if keep:
                shutil.copytree(work, keep, dirs_exist_ok=True)
    results = {}
    for key, (student, cells) in jobs.items():
        points, messages, notes = score(cells, records[key], released, timeout)
        results[student] = (points, messages)
        statuses[student] += notes + run_notes[key]
    table, records = write_gradebook(out, feedback, released, [sub.student for sub in found],
                                     results, statuses, restored)
    print(f"wrote {out} ({len(table)} rows; max {released.max_points:g} points) and feedback in "
          f"{feedback}{os.sep}", flush=True)
    return Grades(table, records)


def grade_one(notebook, submission, timeout=120, student="submission"):
    """Grades one student's notebook, as `grade` grades each row of the gradebook.

    Gradescope (one container per submission) and GitHub Classroom (one workflow run
    per push) grade this way; the CSV of `grade` over the same files has the same points.

    Args:
        notebook: the released notebook: a path, or a number like `"01"`.
        submission: the student's notebook, or a folder holding it: every `.ipynb`
            below it is a candidate and the rule of `grade` picks one (the one named
            like the released notebook, else the first by path; the status says so).
        timeout: seconds allowed per cell.
        student: the id used in the status and messages.

    Returns:
        A `Graded`; nothing is written outside a temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="workbook-grade-one-") as work:
        folder = os.path.join(work, "submissions", student)
        os.makedirs(folder)
        if os.path.isfile(submission):
            shutil.copy(submission, folder)
        else:
            for parent, dirs, files in os.walk(submission):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
                for name in sorted(f for f in files if f.endswith(".ipynb")):
                    target = os.path.join(folder, os.path.relpath(parent, submission))
                    os.makedirs(target, exist_ok=True)
                    shutil.copy(os.path.join(parent, name), target)
        grades = grade(notebook, os.path.dirname(folder), os.path.join(work, "grades.csv"),
                       timeout=timeout, workers=1)
    record = grades.feedback[student]
    return Graded(record["total"], record["max"], record["status"], exercise_results(record))


def main(argv=None):
    """The command line (see the module docstring); returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.grade", description=__doc__.split("\n")[0],
        epilog="See the module docstring and README.md (For instructors) for details.")
    parser.add_argument("notebook", help="the released notebook: a path, or a number like 01")
    parser.add_argument("submissions", help="folder of submissions (a folder or file per student)")
    parser.add_argument("--out", required=True, help="the gradebook CSV to write")
    parser.add_argument("--feedback", help="folder for feedback files (default: next to the CSV)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per cell (120)")
    parser.add_argument("--workers", type=int, default=2, help="notebooks in parallel (2)")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the prepared notebooks and pytest's log in DIR")
    args = parser.parse_args(argv)
    try:
        grade(args.notebook, args.submissions, args.out, args.feedback, args.timeout,
              args.workers, args.keep)
    except ValueError as error:
        print(f"grading failed: {error}", file=sys.stderr)
        return 2
    return 0

