"""Grading in Gradescope: builds the autograder zip of a notebook, and is its `run_autograder`.

Usage:
    python -m helpers.grade.gradescope build NOTEBOOK [--out FILE] [--timeout SECONDS]
    python -m helpers.grade.gradescope run          (what the zip's run_autograder calls)

(`./workbook gradescope 07` runs `build` with the workbook's own Python.)

The layout follows Gradescope's autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): the zip holds
`setup.sh` and `run_autograder` at its root; Gradescope unpacks it into
`/autograder/source`, runs `setup.sh` once when it builds the image, then, for each
submission, puts the student's files in `/autograder/submission`, runs
`run_autograder` with `/autograder` as the working directory and reads
`/autograder/results/results.json`. What run_autograder prints goes to
`/autograder/results/stdout`, which only instructors see.

The zip holds: `setup.sh` (creates a virtualenv with a Python 3.11-3.13 and installs
`requirements.txt`: the pins of the workbook's requirements.txt without the tools that
grading does not use), `run_autograder`, the `helpers` package, all of `data/` (about
35 MB; the setup cells load from it and nothing is downloaded while grading), the
released notebook in `notebooks/` and `autograder.json` (its file name and the time
limit per cell). No solutions, no virtualenv, no caches.

`run` grades the one notebook in `$ROOT/submission` with `helpers.grade.grade_one`,
exactly as `python -m helpers.grade` grades a row of its CSV (the released setup and
test cells restored, shell commands disabled, a time limit per cell, a re-run after a
cell that kills the kernel), and writes one test per exercise: its points, and as output
the check's message (or `passed`). `$ROOT` is `/autograder`, or the environment variable
`WORKBOOK_AUTOGRADER_ROOT` (the tests lay out a temporary root).
"""

import argparse
import json
import os
import stat
import sys
import time
import zipfile

from helpers.grade.released import ROOT, find_notebook, read_released

#: Where Gradescope puts everything; `ROOT_ENV` moves it (tests).
DEFAULT_ROOT = "/autograder"
ROOT_ENV = "WORKBOOK_AUTOGRADER_ROOT"
#: The Python that run_autograder uses, by default the virtualenv setup.sh makes.
PYTHON_ENV = "WORKBOOK_AUTOGRADER_PYTHON"
CONFIG = "autograder.json"

#: Pins of requirements.txt that grading does not need (JupyterLab, the browser test, the
#: build tool). Everything else is installed as pinned. The Classroom workflow drops them too.
NOT_FOR_GRADING = ("jupyterlab", "playwright", "setuptools")

#: Visibility values and test statuses of results.json, as the specification lists them.
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
TEST_STATUSES = ("passed", "failed")
#: The keys the specification documents, at the top level and for each test.
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
            "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (the zip is
# unpacked in /autograder/source). It installs a Python 3.11-3.13 and the pinned
# requirements into a virtualenv; run_autograder uses that virtualenv for every submission.
# Base image: Ubuntu 22.04 (Python 3.10, too old for TensorFlow 2.21: python3.11 comes
# from Ubuntu's universe packages) or Ubuntu 24.04 (Python 3.12).
set -euo pipefail
root="${WORKBOOK_AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
python=""
for version in 3.13 3.12 3.11; do
    if command -v "python$version" >/dev/null 2>&1; then python="python$version"; break; fi
done
if [ -z "$python" ]; then
    apt-get install -y python3.11 python3.11-venv
    python=python3.11
else
    apt-get install -y "$python-venv" || true
fi
"$python" -m venv "$root/workbook-venv"
"$root/workbook-venv/bin/python" -m pip install --upgrade pip
"$root/workbook-venv/bin/python" -m pip install -r "$root/source/requirements.txt"
# A smoke test: the grader and TensorFlow import, the data files are there.
cd "$root/source"
"$root/workbook-venv/bin/python" -c \\
    "import tensorflow, helpers.grade, helpers.data; print('setup ok')"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades the notebook in
# /autograder/submission and writes /autograder/results/results.json
# (python -m helpers.grade.gradescope run; see helpers/grade/gradescope.py).
root="${WORKBOOK_AUTOGRADER_ROOT:-/autograder}"
python="${WORKBOOK_AUTOGRADER_PYTHON:-$root/workbook-venv/bin/python}"
cd "$root/source" && exec "$python" -m helpers.grade.gradescope run
"""


def grading_requirements(path=os.path.join(ROOT, "requirements.txt")):
    """The lines of requirements.txt that grading installs: every pin except
    `NOT_FOR_GRADING`, without comments and without `-e .` (the zip carries helpers)."""
    lines = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            name = line.split("==", 1)[0].strip().lower()
            if name not in NOT_FOR_GRADING:
                lines.append(line)
    return lines


#: Files that are compressed already: stored as they are (deflating them again wastes time).
COMPRESSED = (".gz", ".dz", ".zip", ".npz", ".png", ".jpg", ".jpeg", ".bz2", ".xz")


def _add_tree(archive, folder, prefix):
    """Adds the files below `folder` as `prefix/...`: no hidden files, no caches."""
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
        for name in sorted(files):
            if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(parent, name)
            archive.write(path, os.path.join(prefix, os.path.relpath(path, folder)),
                          zipfile.ZIP_STORED if name.endswith(COMPRESSED) else None)


def _add_text(archive, name, text, executable=False):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    archive.writestr(info, text)


def build_zip(notebook, out, timeout=120, root=ROOT):
    """Writes the Gradescope autograder zip of one notebook.

    Args:
        notebook: the released notebook: a path, or a number like `"07"`.
        out: the zip file to write.
        timeout: seconds allowed per cell when grading.
        root: the workbook's folder (helpers/, data/, requirements.txt).

    Returns:
        The released notebook (`released.Released`).

    Raises:
        ValueError: no such notebook, or it has no test cells.
    """
    released = read_released(find_notebook(notebook, root))
    config = {"notebook": released.filename, "timeout": timeout}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_text(archive, "setup.sh", SETUP_SH, executable=True)
        _add_text(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add_text(archive, "requirements.txt",
                  "\n".join(grading_requirements(os.path.join(root, "requirements.txt"))) + "\n")
        _add_text(archive, CONFIG, json.dumps(config, indent=1) + "\n")
        _add_tree(archive, os.path.join(root, "helpers"), "helpers")
        _add_tree(archive, os.path.join(root, "data"), "data")
        archive.write(released.path, f"notebooks/{released.filename}")
    return released


def _summary(graded, filename):
    """The top-level `output`: total, status and, when nothing was graded, what to do."""
    lines = [f"{filename}: {graded.total:g} of {graded.max_points:g} points",
             f"status: {graded.status}"]
    if graded.status.startswith("no notebook"):
        lines.append(f"No .ipynb file was found in your submission: upload your completed "
                     f"{filename}.")
    elif graded.status.startswith("not a notebook"):
        lines.append("Your file could not be read as a notebook: download it again from "
                     "Jupyter or Colab (File > Download .ipynb) and submit that file.")
    elif graded.status.startswith("duplicate submission"):
        lines.append(f"Several notebooks were submitted; submit only {filename}.")
    return "\n".join(lines)


def results_json(graded, filename, seconds):
    """Gradescope's results.json (as a dict) for a `Graded` submission.

    One test per exercise, named like `"01.3 tanh"`, with its points, `max_score`,
    `status` (passed or failed) and as `output` the check's message or `passed`, all
    visible; the top-level `score` is the total and `output` the status line.
    """
    tests = [{"name": f"{ex.exercise} {ex.name}", "number": ex.exercise,
              "score": ex.points, "max_score": ex.max_points,
              "status": "passed" if ex.status == "passed" else "failed",
              "output": ex.message if ex.message is not None else "passed",
              "output_format": "text", "visibility": "visible"} for ex in graded.exercises]
    return {"score": graded.total, "execution_time": round(seconds),
            "output": _summary(graded, filename), "visibility": "visible", "tests": tests}


def check_results(results):
    """The problems of a results.json against the documented format: a list of strings
    (empty when it follows the specification's keys, types and values)."""
    problems = []
    number = (int, float)

    def is_number(value):
        return isinstance(value, number) and not isinstance(value, bool)

    if not isinstance(results, dict):
        return ["results.json is not a JSON object"]
    problems += [f"unknown top-level key {key!r}" for key in sorted(set(results) - TOP_KEYS)]
    for key in ("score", "execution_time"):
        if key in results and not is_number(results[key]):
            problems.append(f"{key} is not a number")
    for key in ("output",):
        if key in results and not isinstance(results[key], str):
            problems.append(f"{key} is not a string")
    for key in ("visibility", "stdout_visibility"):
        if key in results and results[key] not in VISIBILITIES:
            problems.append(f"{key} {results[key]!r} is not one of {VISIBILITIES}")
    tests = results.get("tests", [])
    if not isinstance(tests, list):
        return problems + ["tests is not a list"]
    if "score" not in results and not all(isinstance(t, dict) and "score" in t for t in tests):
        problems.append("no top-level score and a test without a score")
    for index, test in enumerate(tests):
        if not isinstance(test, dict):
            problems.append(f"tests[{index}] is not an object")
            continue
        problems += [f"tests[{index}]: unknown key {key!r}"
                     for key in sorted(set(test) - TEST_KEYS)]
        for key in ("score", "max_score"):
            if key in test and not is_number(test[key]):
                problems.append(f"tests[{index}].{key} is not a number")
        for key in ("name", "number", "output"):
            if key in test and not isinstance(test[key], str):
                problems.append(f"tests[{index}].{key} is not a string")
        if "visibility" in test and test["visibility"] not in VISIBILITIES:
            problems.append(f"tests[{index}].visibility {test['visibility']!r} is not valid")
        if "status" in test and test["status"] not in TEST_STATUSES:
            problems.append(f"tests[{index}].status {test['status']!r} is not valid")
    return problems


def run(root=None):
    """Grades `$ROOT/submission` and writes `$ROOT/results/results.json`; never raises.

    Returns:
        The results written (a dict).
    """
    from helpers.grade import Graded, grade_one

    root = root or os.environ.get(ROOT_ENV, "").strip() or DEFAULT_ROOT
    start = time.monotonic()
    filename = "the notebook"
    try:
        with open(os.path.join(root, "source", CONFIG), encoding="utf-8") as f:
            config = json.load(f)
        filename = config["notebook"]
        notebook = os.path.join(root, "source", "notebooks", filename)
        submission = os.path.join(root, "submission")
        os.makedirs(submission, exist_ok=True)
        graded = grade_one(notebook, submission, float(config["timeout"]))
    except Exception as error:  # noqa: BLE001 - Gradescope needs a results.json regardless
        print(f"the grader failed: {type(error).__name__}: {error}", file=sys.stderr)
        graded = Graded(0, 0, f"the grader failed ({type(error).__name__}: {error}); "
                        f"please tell your instructor", [])
    results = results_json(graded, filename, time.monotonic() - start)
    os.makedirs(os.path.join(root, "results"), exist_ok=True)
    with open(os.path.join(root, "results", "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    print(results["output"], flush=True)
    return results


def instructions(released, out, timeout):
    """What the instructor does with the zip in Gradescope (printed after `build`)."""
    return (
        f"wrote {out} ({os.path.getsize(out) / 1e6:.0f} MB) for {released.filename}: "
        f"{len(released.exercises)} exercises, {released.max_points:g} points, "
        f"{timeout:g} s per cell.\n"
        f"In Gradescope: a Programming Assignment worth {released.max_points:g} points; "
        f"Configure Autograder: upload this zip, base image Ubuntu 22.04 or 24.04;\n"
        f"Autograder Settings: memory at least 4 GB, 2 CPUs, timeout 40 minutes "
        f"(README.md, For instructors, explains why).")


def caller_path(name):
    """`name` as the user meant it: a file relative to the folder the command was typed
    in (`WORKBOOK_CALLER_DIR`, set by `./workbook`), else unchanged (a number like 07)."""
    path = os.path.join(os.environ.get("WORKBOOK_CALLER_DIR", os.getcwd()), name)
    return path if os.path.isfile(path) else name


NOTEBOOK_HELP = "the released notebook: a path, or a number like 07"


def command_line(module, doc):
    """An argument parser with sub-commands for `python -m <module>`: (parser, commands)."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc.split("\n")[0])
    return parser, parser.add_subparsers(dest="command", required=True)


def main(argv=None):
    """The command line (see the module docstring); returns the exit status."""
    parser, commands = command_line("helpers.grade.gradescope", __doc__)
    build = commands.add_parser("build", help="write the autograder zip of a notebook")
    build.add_argument("notebook", help=NOTEBOOK_HELP)
    build.add_argument("--out", help="the zip to write (default: gradescope_<notebook>.zip)")
    build.add_argument("--timeout", type=float, default=120, help="seconds per cell (120)")
    commands.add_parser("run", help="grade $WORKBOOK_AUTOGRADER_ROOT/submission "
                                    "(default /autograder); what run_autograder calls")
    args = parser.parse_args(argv)
    if args.command == "run":
        run()
        return 0
    caller = os.environ.get("WORKBOOK_CALLER_DIR", os.getcwd())
    try:
        notebook = caller_path(args.notebook)
        stem = os.path.splitext(os.path.basename(find_notebook(notebook)))[0]
        out = os.path.join(caller, args.out or f"gradescope_{stem}.zip")
        released = build_zip(notebook, out, args.timeout)
    except ValueError as error:
        print(f"building the autograder failed: {error}", file=sys.stderr)
        return 2
    print(instructions(released, out, args.timeout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
