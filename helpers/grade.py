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
  * the setup cells (the first two code cells) and every `# TEST:` cell are restored
    from the released notebook: an edited test cell gets the released source back,
    a deleted one is put back after the cell that defines its graded function, and
    a second copy of a test cell no longer counts;
  * shell escapes (`!cmd`) and magics that run commands (`%pip`, `%conda`, `%%bash`,
    ...) are commented out;
  * outputs and cell metadata are dropped.
Then pytest runs the copies with nbval (`--nbval-lax`) in quick mode, several at a
time (pytest-xdist), with a time limit per cell. A small pytest plugin
(`helpers.grade_plugin`) writes, for every cell, whether it passed and why not. An
exercise earns its points when its test cell passes. A cell that runs too long is
interrupted and the notebook goes on. When a cell kills the kernel (a crash,
`os._exit`, out of memory) or cannot be interrupted, the cells after it are graded
in a second run of the notebook without that cell (at most three runs in all).

Outputs: a CSV with one row per student: the points of every exercise (one column
per exercise id), `total`, `max` (the notebook's maximum) and `status`; and one
feedback text file per student with every exercise's result and message.

Student code runs with the grader's privileges: grade in a container or under a
throw-away account.
"""

import argparse
import difflib
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The first line of a released test cell: `# TEST: 01.9 softmax [2 pts]`.
TEST_LINE = re.compile(r"^# TEST: (\S+) (\S+) \[(\d+(?:\.\d+)?) pts?\]")
#: Any line that looks like a test cell's first line, however a student edited it.
LOOSE_TEST_LINE = re.compile(r"^\s*#\s*TEST:\s*(\S+)")
#: The environment of the grading run (the same as the test suite's, see conftest.py).
GRADING_ENV = {"WORKBOOK_QUICK": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
#: Magics that only time, capture or configure; every other magic and `!` is disabled.
HARMLESS_MAGICS = {"matplotlib", "time", "timeit", "capture", "config", "precision",
                   "pprint", "who", "whos", "autoreload", "aimport", "load_ext", "reload_ext"}
MAGIC = re.compile(r"^(\s*)(?:[\w.]+\s*=\s*)?(!(?!=)|%%?(?=\w))(\w*)")
SETUP_CELLS = 2  # the first code cells of a notebook set it up
MAX_RUNS = 3  # a notebook is run at most this often (re-runs after a lost kernel)

Exercise = namedtuple("Exercise", "id name points source anchor")
Released = namedtuple("Released", "path filename setup exercises")
Submission = namedtuple("Submission", "student path notes")
Cell = namedtuple("Cell", "source label exercise")


class NotANotebook(ValueError):
    """A submission that cannot be read as a Jupyter notebook; the message says why."""


# ---------------------------------------------------------------------------------
# The released notebook


def find_notebook(name, root=ROOT):
    """Finds the released notebook from a path or a number.

    Args:
        name: a path to a `.ipynb` file, or a notebook number or name in
            `notebooks/`, e.g. `"01"` or `"01_foundations"`.
        root: the workbook's folder.

    Returns:
        The path of the notebook.

    Raises:
        ValueError: no such notebook, or the name matches several.
    """
    if os.path.isfile(name):
        return name
    matches = sorted(glob.glob(os.path.join(root, "notebooks", f"{glob.escape(name)}*.ipynb")))
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(os.path.basename(p) for p in
                      sorted(glob.glob(os.path.join(root, "notebooks", "*.ipynb"))))
    what = "matches several notebooks" if matches else "is neither a file nor a notebook number"
    raise ValueError(f"NOTEBOOK {name!r} {what}. Give a path or one of: {known}.")


def read_released(path):
    """Reads the released notebook: its setup cells and its graded exercises.

    Args:
        path: the released (student) notebook, e.g. `notebooks/01_foundations.ipynb`.

    Returns:
        A `Released` with `setup` (the sources of the first two code cells) and
        `exercises`, a list of `Exercise(id, name, points, source, anchor)` in
        notebook order, where `source` is the test cell and `anchor` the code
        cell before it.

    Raises:
        ValueError: the notebook has no `# TEST:` cells or repeats an exercise id.
    """
    nb = nbformat.read(path, as_version=4)
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    exercises = []
    for index, source in enumerate(code):
        match = TEST_LINE.match(source)
        if match and index >= SETUP_CELLS:
            exercise_id, name, points = match.groups()
            points = float(points) if "." in points else int(points)
            exercises.append(Exercise(exercise_id, name, points, source, code[index - 1]))
    ids = [ex.id for ex in exercises]
    if not exercises or len(set(ids)) != len(ids):
        raise ValueError(
            f"{path}: expected test cells whose first line reads like "
            f"'# TEST: 01.9 softmax [2 pts]', each id once; found ids {ids}."
        )
    return Released(path, os.path.basename(path), code[:SETUP_CELLS], exercises)


# ---------------------------------------------------------------------------------
# Finding and reading submissions


def find_submissions(folder, notebook_name, exclude=()):
    """Lists the submissions in a folder, one per student.

    Every sub-folder is a student (named like the folder) and every `.ipynb`
    below it a candidate; every other file directly in `folder` is a student
    (named like the file's stem). Hidden files and folders are skipped, and so
    are the paths in `exclude` (the gradebook and feedback of an earlier run).

    Args:
        folder: the submissions folder.
        notebook_name: the released notebook's file name, preferred when a
            student handed in several notebooks.
        exclude: absolute paths to skip.

    Returns:
        A list of `Submission(student, path, notes)` sorted by student; `path`
        is None when a folder holds no notebook, and `notes` lists what the
        status should say (e.g. a duplicate submission).
    """
    candidates = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith((".", "__")) or os.path.abspath(entry.path) in exclude:
            continue
        if entry.is_dir():
            found = candidates.setdefault(entry.name, [])
            for parent, dirs, files in os.walk(entry.path):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
                found += [os.path.join(parent, f) for f in sorted(files)
                          if f.endswith(".ipynb") and not f.startswith(".")]
        elif entry.is_file():
            candidates.setdefault(os.path.splitext(entry.name)[0], []).append(entry.path)
    submissions = []
    for student, paths in sorted(candidates.items()):
        if not paths:
            submissions.append(Submission(student, None, ["no notebook in folder"]))
            continue
        paths.sort(key=lambda p: (not p.endswith(".ipynb"),
                                  os.path.basename(p) != notebook_name,
                                  os.path.relpath(p, folder)))
        notes = []
        if len(paths) > 1:
            ignored = ", ".join(os.path.relpath(p, folder) for p in paths[1:])
            notes.append(f"duplicate submission: used {os.path.relpath(paths[0], folder)}, "
                         f"ignored {ignored}")
        submissions.append(Submission(student, paths[0], notes))
    return submissions


def read_code_cells(path):
    """Reads the sources of a submission's code cells.

    Args:
        path: the submitted file.

    Returns:
        A list of strings, one per code cell, in order.

    Raises:
        NotANotebook: the file is empty, not text, not JSON or not a notebook.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.strip():
        raise NotANotebook("empty file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotANotebook("not a text file (not UTF-8)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotANotebook(
            f"malformed JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise NotANotebook("valid JSON but not in Jupyter's notebook format (no 'nbformat')")
    if data["nbformat"] != 4:
        try:  # old notebooks (nbformat 3) are converted
            data = nbformat.reads(text, as_version=4)
        except Exception as error:  # noqa: BLE001 - any failure means "not a notebook"
            raise NotANotebook(f"unreadable notebook ({type(error).__name__}: {error})") from None
    cells = data.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise NotANotebook("valid JSON but not in Jupyter's notebook format (no list of cells)")
    sources = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if isinstance(source, list) and all(isinstance(s, str) for s in source):
                source = "".join(source)
            if not isinstance(source, str):
                raise NotANotebook("a code cell's source is not text")
            sources.append(source)
    return sources


# ---------------------------------------------------------------------------------
# Preparing a submission: restore the released cells, disable shell commands


def neutralise(source):
    """Comments out shell escapes and magics that run commands.

    `!cmd`, `x = !cmd` and line magics outside `HARMLESS_MAGICS` (e.g. `%pip`,
    `%conda`, `%run`, `%sx`) become `pass  # [grader] disabled: ...`; a cell
    magic outside them (`%%bash`, `%%script`, `%%writefile`, ...) disables the
    whole cell. This keeps a grading run from installing packages or running
    commands by accident; it is no sandbox (Python can still call `os.system`).

    Args:
        source: a code cell's source.

    Returns:
        The source with those lines disabled.

    Example:

    >>> neutralise("%pip install foo\\nx = 1")
    'pass  # [grader] disabled: %pip install foo\\nx = 1'
    """
    lines = source.split("\n")
    first = next((line for line in lines if line.strip()), "")
    cell_magic = re.match(r"\s*%%(\w*)", first)
    if cell_magic and cell_magic.group(1) not in HARMLESS_MAGICS:
        return "\n".join(["# [grader] disabled this cell: it runs a cell magic"] +
                         [f"# {line}" for line in lines])
    out = []
    for line in lines:
        match = MAGIC.match(line)
        if match and not (match.group(2).startswith("%") and match.group(3) in HARMLESS_MAGICS):
            line = f"{match.group(1)}pass  # [grader] disabled: {line.strip()}"
        out.append(line)
    return "\n".join(out)


def _first_line(source):
    return source.split("\n", 1)[0]


def _looks_like(source, released):
    """Tells whether a student's cell is (an edited copy of) a released cell."""
    if _first_line(source).strip() == _first_line(released).strip():
        return True
    return difflib.SequenceMatcher(None, source, released).ratio() >= 0.6


def prepare(sources, released):
    """Builds the cells that are run for one submission.

    The released setup cells come first. The student's own copies of them
    (the first two code cells, when they look like the released ones) are
    dropped; every other code cell is kept, with shell commands disabled. For
    each exercise the last cell whose first line names its id becomes the
    test cell, with the released source; other cells naming it stop counting
    (their first line gets a `# not graded:` prefix). A missing test cell is
    put back after the last cell that defines the graded function (`def
    name(`), else after the released cell that preceded it, else after the
    previous exercise's test cell.

    Args:
        sources: the sources of the submission's code cells.
        released: the `Released` notebook.

    Returns:
        A pair: a list of `Cell(source, label, exercise)`, where `label` names
        the cell in messages and `exercise` is the exercise id of a test cell
        (else None); and the set of exercise ids whose test cell was restored.
    """
    setup = [Cell(src, f"setup cell {i + 1}", None) for i, src in enumerate(released.setup)]
    body = []
    for number, source in enumerate(sources, start=1):
        if number <= len(released.setup) and _looks_like(source, released.setup[number - 1]):
            continue
        label = f"code cell {number} (`{_first_line(source).strip()[:40]}`)"
        body.append(Cell(neutralise(source), label, None))
    by_id = {ex.id: ex for ex in released.exercises}
    claims = {}
    for index, cell in enumerate(body):
        match = LOOSE_TEST_LINE.match(cell.source)
        if match:
            claims.setdefault(match.group(1), []).append(index)
    restored = set()
    for exercise_id, indices in claims.items():
        for index in indices:
            cell = body[index]
            if exercise_id in by_id and index == indices[-1]:
                ex = by_id[exercise_id]
                if cell.source.strip() != ex.source.strip():
                    restored.add(ex.id)
                body[index] = Cell(ex.source, f"the test cell of {ex.id} {ex.name}", ex.id)
            else:
                body[index] = cell._replace(source="# not graded: " + cell.source)
    previous = -1
    for ex in released.exercises:
        placed = [i for i, cell in enumerate(body) if cell.exercise == ex.id]
        if placed:
            previous = placed[0]
            continue
        defines = re.compile(rf"^def {re.escape(ex.name)}\s*\(", re.M)
        after = [i for i, c in enumerate(body) if c.exercise is None and defines.search(c.source)]
        after = after or [i for i, c in enumerate(body) if c.source == ex.anchor]
        position = after[-1] + 1 if after else previous + 1
        body.insert(position, Cell(ex.source, f"the test cell of {ex.id} {ex.name}", ex.id))
        restored.add(ex.id)
        previous = position
    return setup + body, restored


def write_notebook(cells, path, disabled=()):
    """Writes prepared cells as a notebook; cells in `disabled` become comments."""
    notebook_cells = []
    for index, cell in enumerate(cells):
        source = cell.source
        if index in disabled:
            source = (f"# [grader] not run again: {cell.label} stopped the kernel in an "
                      f"earlier run.")
        notebook_cells.append(nbformat.v4.new_code_cell(source))
    nb = nbformat.v4.new_notebook(cells=notebook_cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    nbformat.write(nb, path)


# ---------------------------------------------------------------------------------
# Running the prepared notebooks with nbval


def run_pytest(notebooks, results, timeout, workers, log_path):
    """Runs prepared notebooks as nbval tests in a subprocess, printing progress.

    Args:
        notebooks: a dict mapping a name to `(path, number of cells, student)`;
            each notebook sits in a folder of its own, named like its name.
        results: the folder where the plugin writes `<name>.jsonl`.
        timeout: seconds allowed per cell.
        workers: notebooks run in parallel.
        log_path: where pytest's own output goes.

    Returns:
        pytest's exit code (0 all passed, 1 some cells failed, else a problem),
        or None when the instructor interrupted the run (Ctrl-C).
    """
    run_dir = os.path.dirname(results)
    ini = os.path.join(run_dir, "pytest.ini")
    with open(ini, "w") as f:
        f.write("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(GRADING_ENV)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
        "-c", ini, "--rootdir", run_dir, "-p", "helpers.grade_plugin", "--grade-results", results,
        "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={timeout}",
        "-n", str(max(1, min(workers, len(notebooks)))), "--dist", "loadfile",
        "-q", "--tb=line", *(path for path, _, _ in notebooks.values()),
    ]
    done = set()
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=run_dir, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while process.poll() is None:
                time.sleep(1)
                for name, (_, cells, student) in notebooks.items():
                    if name not in done and cells - 1 in read_results(results, name):
                        done.add(name)
                        print(f"  {len(done)}/{len(notebooks)} done: {student}", flush=True)
        except KeyboardInterrupt:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
            print("  interrupted: writing the gradebook with what has run", flush=True)
            return None
    return process.returncode


def read_results(results, name):
    """Reads the plugin's records for one notebook: a dict from cell index to record."""
    records = {}
    path = os.path.join(results, f"{name}.jsonl")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                    records[int(record["cell"])] = record  # the last record of a cell wins
                except (ValueError, KeyError, TypeError):
                    continue
    return records


def _lost_kernel_at(records, first_cell):
    """The cell after which the kernel was gone (died or stopped), or None."""
    for index in sorted(i for i in records if i >= first_cell):
        if records[index].get("lost"):
            return index - 1 if records[index]["kind"] == "not run" else index
    return None


def run_all(jobs, work, filename, timeout, workers):
    """Runs every prepared notebook, re-running after a lost kernel.

    When a notebook's kernel died (or hung and had to be stopped) in some cell,
    the notebook is run again with that cell disabled, and the cells after it
    are graded from the new run. A notebook whose kernel did not start is run
    again as it was. At most `MAX_RUNS` runs in all.

    Args:
        jobs: a dict mapping a name to `(student, prepared cells)`.
        work: a temporary folder.
        filename: the file name to give the prepared notebooks.
        timeout: seconds allowed per cell.
        workers: notebooks run in parallel.

    Returns:
        A pair of dicts, both keyed by name: the records (cell index -> record)
        and notes for the status.
    """
    merged = {name: {} for name in jobs}
    notes = {name: [] for name in jobs}
    start = {name: 0 for name in jobs}  # records of earlier cells come from earlier runs
    disabled = {name: set() for name in jobs}
    pending = sorted(jobs)
    for attempt in range(1, MAX_RUNS + 1):
        if not pending:
            break
        if attempt > 1:
            print(f"  re-running {len(pending)} notebook(s) without the cell that stopped "
                  f"the kernel", flush=True)
        run_dir = os.path.join(work, f"run{attempt}")
        results = os.path.join(run_dir, "results")
        os.makedirs(results)
        notebooks = {}
        for name in pending:
            student, cells = jobs[name]
            path = os.path.join(run_dir, "notebooks", name, filename)
            write_notebook(cells, path, disabled[name])
            notebooks[name] = (path, len(cells), student)
        log_path = os.path.join(run_dir, "pytest.log")
        code = run_pytest(notebooks, results, timeout, workers, log_path)
        if code not in (0, 1, None):
            with open(log_path, encoding="utf-8", errors="replace") as f:
                tail = [line.strip() for line in f.read().splitlines() if line.strip()][-3:]
            print(f"pytest exited with code {code}:\n  " + "\n  ".join(tail), file=sys.stderr)
        again = []
        for name in pending:
            cells = jobs[name][1]
            records = {i: r for i, r in read_results(results, name).items() if i >= start[name]}
            if attempt < MAX_RUNS and any(r["kind"] == "no kernel" for r in records.values()):
                again.append(name)  # kernels sometimes fail to start (a port taken): retry
                continue
            merged[name].update(records)
            lost = _lost_kernel_at(records, start[name])
            if lost is None or lost + 1 >= len(cells) or lost < SETUP_CELLS:
                continue
            if attempt == MAX_RUNS:
                notes[name].append("later cells not run")
                continue
            notes[name].append(f"later cells graded in a re-run without {cells[lost].label}")
            start[name] = lost + 1
            disabled[name].add(lost)
            again.append(name)
        pending = again if code is not None else []
    return merged, notes


# ---------------------------------------------------------------------------------
# Scoring and writing the gradebook


def _message(record, timeout):
    kind = record.get("kind")
    if kind == "timeout":
        return (f"timeout: the cell ran longer than {timeout:g} s and was stopped; "
                f"look for an endless loop or work that is far too slow")
    if kind == "kernel died":
        return ("the kernel died while running this cell (a crash, os._exit or "
                "running out of memory)")
    if kind == "not run":
        return "not run: the kernel had died in an earlier cell"
    if kind == "no kernel":
        return f"not run: the kernel did not start ({record.get('message', '')})"
    ename, text = record.get("ename"), record.get("message", "")
    if ename and not ename.endswith(("CheckError", "NotAttemptedError")):
        text = f"{ename}: {text}"
    return text or "the cell failed"


def score(cells, records, released, timeout):
    """Scores one run.

    Args:
        cells: the prepared `Cell`s.
        records: the plugin's records, cell index -> record.
        released: the `Released` notebook.
        timeout: the per-cell time limit, for messages.

    Returns:
        A tuple: points per exercise id, message per failed exercise id, and
        notes for the status.
    """
    points, messages, notes = {}, {}, []
    tests = {}
    for index, record in records.items():
        match = TEST_LINE.match(record.get("first_line", ""))
        if match and index < len(cells) and cells[index].exercise == match.group(1):
            tests[match.group(1)] = record
    for ex in released.exercises:
        record = tests.get(ex.id)
        if record is not None and record.get("passed"):
            points[ex.id] = ex.points
            continue
        points[ex.id] = 0
        messages[ex.id] = (_message(record, timeout) if record else
                           "not run: grading stopped before this cell")
    for index in sorted(records):
        record, label = records[index], cells[index].label if index < len(cells) else "?"
        if record.get("kind") == "no kernel":
            notes.append(_message(record, timeout)[len("not run: "):])
        elif record.get("kind") == "timeout":
            notes.append(f"timeout in {label}")
        elif record.get("kind") == "kernel died":
            notes.append(f"kernel died in {label}")
        elif index < len(released.setup) and not record.get("passed"):
            notes.append(f"setup cell failed: {_message(record, timeout).splitlines()[0][:200]}")
    if len(records) < len(cells) and not any(r.get("kind") == "not run" for r in records.values()):
        notes.append(f"grading incomplete: {len(cells) - len(records)} cell(s) did not run")
    return points, messages, list(dict.fromkeys(notes))


def _safe_name(student):
    return re.sub(r"[^\w.@+-]+", "_", student).strip("._") or "student"


def write_feedback(path, student, released, points, messages, status, restored):
    """Writes one student's feedback file."""
    total = sum(points.values())
    maximum = sum(ex.points for ex in released.exercises)
    lines = [f"{released.filename}: feedback for {student}",
             f"total: {total:g} of {maximum:g} points", f"status: {status}", ""]
    for ex in released.exercises:
        earned = points.get(ex.id, 0)
        line = f"{ex.id} {ex.name}: {earned:g} of {ex.points:g} points"
        line += ", passed" if ex.id not in messages else ""
        if ex.id in restored:
            line += " (your test cell was edited or missing: the released one was run)"
        lines.append(line)
        if ex.id in messages:
            message = messages[ex.id]
            if len(message) > 3000:
                message = message[:3000] + " ..."
            lines += ["    " + m for m in message.splitlines()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


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
        The gradebook, a pandas DataFrame indexed by student.

    Example:

    >>> grade("01", "submissions", "grades.csv")  # doctest: +SKIP
    """
    import pandas as pd  # only the instructor's side needs pandas

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
    maximum = sum(ex.points for ex in released.exercises)
    rows, jobs, statuses, restored = {}, {}, {}, {}
    for number, sub in enumerate(found):
        statuses[sub.student] = list(sub.notes)
        restored[sub.student] = set()
        if sub.path is None:
            continue
        try:
            cells, restored[sub.student] = prepare(read_code_cells(sub.path), released)
            jobs[f"s{number:04d}"] = (sub.student, cells)
        except NotANotebook as error:
            statuses[sub.student].append(f"not a notebook: {error}")
        except Exception as error:  # noqa: BLE001 - never lose a row
            statuses[sub.student].append(f"could not prepare: {type(error).__name__}: {error}")
    records = {key: {} for key in jobs}
    run_notes = {key: [] for key in jobs}
    if jobs:
        with tempfile.TemporaryDirectory(prefix="workbook-grade-") as work:
            try:
                records, run_notes = run_all(jobs, work, released.filename, timeout, workers)
            except Exception as error:  # noqa: BLE001 - never lose a row
                print(f"the grading run failed: {type(error).__name__}: {error}", file=sys.stderr)
            if keep:
                shutil.copytree(work, keep, dirs_exist_ok=True)
    results = {}
    for key, (student, cells) in jobs.items():
        points, messages, notes = score(cells, records[key], released, timeout)
        results[student] = (points, messages)
        statuses[student] += notes + run_notes[key]
    os.makedirs(feedback, exist_ok=True)
    used_names = set()
    for sub in found:
        points, messages = results.get(sub.student, ({ex.id: 0 for ex in released.exercises},
                                                     {}))
        if sub.student not in results:
            messages = {ex.id: "not graded: " + "; ".join(statuses[sub.student])
                        for ex in released.exercises}
        status = "; ".join(statuses[sub.student]) or "graded"
        rows[sub.student] = {**points, "total": sum(points.values()), "max": maximum,
                             "status": status}
        name = _safe_name(sub.student)
        while name.lower() in used_names:  # two ids that differ only in odd characters
            name += "_"
        used_names.add(name.lower())
        write_feedback(os.path.join(feedback, name + ".txt"), sub.student,
                       released, points, messages, status, restored[sub.student])
    columns = [ex.id for ex in released.exercises] + ["total", "max", "status"]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table.index.name = "student"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    table.to_csv(out)
    print(f"wrote {out} ({len(table)} rows; max {maximum:g} points) and feedback in "
          f"{feedback}{os.sep}", flush=True)
    return table


def main(argv=None):
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


if __name__ == "__main__":
    sys.exit(main())
