"""Grades a student's own copy of a notebook, the way the instructor's grader will.

Usage (through the workbook script):

    ./workbook check notebooks/00_getting_started.ipynb
    ./workbook check 00                      # the same: notebooks/00_*.ipynb
    ./workbook check ~/Downloads/00_getting_started.ipynb

The notebook is graded against the released notebook of the same name in
`notebooks/` (or of the same number, `NN_...`). It runs the instructor grader
(`helpers.grade.grade`) on a copy in a temporary folder, in quick mode, and prints
one row per exercise: its id, name, points earned of the maximum and, for an
exercise that did not pass, the first line of the message its test cell gave
("not attempted yet", or what the check found wrong). The student's file is only
read, never changed; outputs stored in it do not matter, every cell is run again.

Exit codes: 0 graded (whatever the points), 2 the file is missing or not a
notebook, 1 the grading itself failed.
"""

import argparse
import contextlib
import glob
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from helpers import notebook_format as fmt  # noqa: E402  (needs ROOT on the path)

STUDENT = "you"


class BadInput(Exception):
    """The notebook argument cannot be graded; the message is one line for the student."""


def _released_names():
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(NOTEBOOKS, "*.ipynb")))


def resolve(name):
    """Finds the student's notebook from a path or a number like `00`.

    Returns:
        A pair: the student's file and the released notebook to grade it against.

    Raises:
        BadInput: no such file, not a notebook, or no released notebook matches it.
    """
    known = ", ".join(_released_names()) or "none"
    if not name.strip():
        raise BadInput(f"no notebook given. Give the path of your .ipynb file, or a notebook "
                       f"number; the workbook's notebooks are {known}.")
    if os.path.isdir(name):
        raise BadInput(f"{name} is a folder, not a notebook. Give the path of your .ipynb "
                       f"file, or a notebook number; the workbook's notebooks are {known}.")
    if not os.path.exists(name):
        matches = sorted(glob.glob(os.path.join(NOTEBOOKS, f"{glob.escape(name)}*.ipynb")))
        looks_like_path = "/" in name or os.sep in name or name.endswith(".ipynb")
        if len(matches) > 1 and not looks_like_path:
            names = ", ".join(os.path.basename(m) for m in matches)
            raise BadInput(f"{name} matches several notebooks ({names}): give its whole "
                           f"number, e.g. 00, or a path.")
        if len(matches) != 1 or looks_like_path:
            raise BadInput(f"no such notebook: {name}. Give the path of your .ipynb file, or "
                           f"a notebook number; the workbook's notebooks are {known}.")
        name = matches[0]
    _require_notebook(name)
    base = os.path.basename(name)
    released = os.path.join(NOTEBOOKS, base)
    if not os.path.isfile(released):
        number = re.match(r"(\d+)_", base)
        matches = (sorted(glob.glob(os.path.join(NOTEBOOKS, f"{number.group(1)}_*.ipynb")))
                   if number else [])
        if len(matches) != 1:
            raise BadInput(f"cannot tell which workbook notebook {name} is a copy of: keep "
                           f"its name, one of {known}.")
        released = matches[0]
    return name, released


def _require_notebook(path):
    """Raises BadInput unless `path` is a readable Jupyter notebook file."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}.") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        detail = (f"line {error.lineno}: {error.msg}" if isinstance(error, json.JSONDecodeError)
                  else "not UTF-8 text")
        raise BadInput(f"{path} is not a notebook (not valid JSON, {detail}).") from None
    if not isinstance(data, dict) or "nbformat" not in data or "cells" not in data:
        raise BadInput(f"{path} is not a notebook (JSON, but not in Jupyter's notebook format).")


def summary(row):
    """The first line of an exercise's message, without the `00.1 standardize` prefix.

    Args:
        row: one exercise of a feedback record (`helpers.grade.report.feedback_record`).
    """
    if row["passed"]:
        return "passed"
    first = next((line.strip() for line in (row["message"] or "").splitlines() if line.strip()),
                 "failed")
    for prefix in (f"{row['id']} {row['name']}: ", f"{row['id']} {row['name']}, "):
        if first.startswith(prefix):
            first = first[len(prefix):]
    if first.startswith(fmt.NOT_ATTEMPTED):
        return fmt.NOT_ATTEMPTED
    return first


def _shown(path):
    """A path as short as it is clear: relative to the current folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _points(value):
    return f"{value:g}"


def table(rows, total, maximum):
    """Formats the result table."""
    width_id = max([len("exercise")] + [len(r["id"]) for r in rows])
    width_name = max([len("name")] + [len(r["name"]) for r in rows])
    cells = [f"{_points(r['points'])} / {_points(r['max'])}" for r in rows]
    width_points = max([len("points")] + [len(c) for c in cells])
    lines = [f"{'exercise':<{width_id}}  {'name':<{width_name}}  "
             f"{'points':>{width_points}}  result"]
    for row, points in zip(rows, cells):
        lines.append(f"{row['id']:<{width_id}}  {row['name']:<{width_name}}  "
                     f"{points:>{width_points}}  {summary(row)}")
    lines.append(f"{'total':<{width_id + width_name + 2}}  "
                 f"{_points(total) + ' / ' + _points(maximum):>{width_points}}")
    return "\n".join(lines)


def check(name, timeout=120):
    """Grades one notebook and prints the table.

    Returns:
        The exit code: 0 when the grading ran, 1 when it could not.
    """
    path, released = resolve(name)
    from helpers.grade import grade  # after resolve(): a typo gets its message at once
    from helpers.grade.report import RESTORED_NOTE

    print(f"checking {_shown(path)} against the released {os.path.relpath(released, ROOT)}, "
          f"in quick mode: every cell runs again ...", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="workbook-check-") as work:
        submissions = os.path.join(work, "submissions", STUDENT)
        os.makedirs(submissions)
        shutil.copyfile(path, os.path.join(submissions, os.path.basename(released)))
        out = os.path.join(work, "grades.csv")
        feedback = os.path.join(work, "feedback")
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            grades = grade(released, os.path.dirname(submissions), out, feedback=feedback,
                           timeout=timeout, workers=1)
    record = grades.feedback.get(STUDENT)
    if record is None:
        print(f"the grading did not run; its log:\n{log.getvalue()}", file=sys.stderr)
        return 1
    print(table(record["exercises"], record["total"], record["max"]))
    if record["status"] != "graded":
        print(f"note: {record['status']}")
    for row in record["exercises"]:
        if row["restored"]:
            print(f"note: {row['id']} {RESTORED_NOTE}")
    print(f"({time.monotonic() - started:.0f} s; the whole messages appear when you run a "
          f"test cell in the notebook)")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="./workbook check",
        description="Grade your copy of a notebook the way the instructor's grader will.")
    parser.add_argument("notebook", help="your notebook: a path, or a number like 00")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds allowed per cell (default 120)")
    args = parser.parse_args(argv)
    caller = os.environ.get("WORKBOOK_CALLER_DIR")
    if caller and os.path.isdir(caller):
        os.chdir(caller)  # `./workbook` runs from the repository; paths are the student's
    try:
        return check(args.notebook, args.timeout)
    except BadInput as error:
        print(f"workbook check: {error}", file=sys.stderr)
        return 2
    except ValueError as error:  # the grader refused the released notebook or an argument
        print(f"workbook check: cannot grade: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("workbook check: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
