"""Scoring a run and writing the gradebook (CSV) and the feedback files."""

import os
import re
from collections import namedtuple

from helpers.notebook_format import FORMAT_VERSION, NOT_ATTEMPTED, parse_test_line

ExerciseResult = namedtuple("ExerciseResult", "exercise name points max_points message status")
ExerciseResult.__doc__ = """One exercise of one graded submission: what every exporter writes.

The CSV (`write_gradebook`), the feedback files, Gradescope's results.json
(`helpers.grade.gradescope`) and GitHub Classroom's per-exercise checks
(`helpers.grade.classroom`) all come from these.

Fields:
    exercise: its id, e.g. `"01.3"`.
    name: the graded function's name, e.g. `"tanh"`.
    points: the points earned (all or nothing).
    max_points: the points its test cell is worth.
    message: None when it passed, else the check's message or what happened.
    status: one of `STATUSES`.
"""

#: The `status` of an `ExerciseResult`, from its message (the messages of `_message` and
#: the checks' "not attempted yet" start with these words).
STATUSES = ("passed", "failed", "not attempted", "timeout", "kernel died", "not run",
            "not graded")


def _message(record, timeout):
    """What a failed cell's record means, in words for the student."""
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
        line = parse_test_line(record.get("first_line", ""))
        if line and index < len(cells) and cells[index].exercise == line.id:
            tests[line.id] = record
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
    """A file name for a student's feedback: odd characters become `_`."""
    return re.sub(r"[^\w.@+-]+", "_", student).strip("._") or "student"


#: Said of an exercise whose test cell the grader restored from the released notebook.
RESTORED_NOTE = "your test cell was edited or missing: the released one was run"


def feedback_record(student, released, points, messages, status, restored):
    """One student's feedback as data: what the feedback file says, and what
    `./workbook check` shows.

    Args:
        student: the student id.
        released: the `Released` notebook.
        points: exercise id -> points earned.
        messages: exercise id -> the message of each exercise that did not pass.
        status: the status column's text.
        restored: the ids of the exercises whose test cell was restored.

    Returns:
        A dict: `format` (`notebook_format.FORMAT_VERSION`), `notebook`, `student`,
        `total`, `max`, `status`, and `exercises`, one dict per exercise in notebook
        order with `id`, `name`, `points`, `max`, `passed`, `restored` and `message`
        (None when it passed; at most 3000 characters).
    """
    exercises = []
    for ex in released.exercises:
        message = messages.get(ex.id)
        if message is not None and len(message) > 3000:
            message = message[:3000] + " ..."
        exercises.append({"id": ex.id, "name": ex.name, "points": points.get(ex.id, 0),
                          "max": ex.points, "passed": ex.id not in messages,
                          "restored": ex.id in restored, "message": message})
    return {"format": FORMAT_VERSION, "notebook": released.filename, "student": student,
            "total": sum(points.values()), "max": released.max_points, "status": status,
            "exercises": exercises}


def exercise_status(message):
    """The `ExerciseResult.status` of an exercise whose message is `message` (None: passed)."""
    if message is None:
        return "passed"
    first = (message.splitlines() or [""])[0]
    if f": {NOT_ATTEMPTED}" in first:
        return "not attempted"
    for status in ("timeout", "not run", "not graded"):
        if first.startswith(status + ":"):
            return status
    return "kernel died" if first.startswith("the kernel died") else "failed"


def exercise_results(record):
    """The `ExerciseResult`s of one submission, in notebook order, from its
    `feedback_record`."""
    return [ExerciseResult(ex["id"], ex["name"], ex["points"], ex["max"], ex["message"],
                           exercise_status(ex["message"])) for ex in record["exercises"]]


def feedback_text(record):
    """The text of a feedback file, from a `feedback_record`."""
    lines = [f"{record['notebook']}: feedback for {record['student']}",
             f"total: {record['total']:g} of {record['max']:g} points",
             f"status: {record['status']}", ""]
    for ex in record["exercises"]:
        line = f"{ex['id']} {ex['name']}: {ex['points']:g} of {ex['max']:g} points"
        line += ", passed" if ex["passed"] else ""
        if ex["restored"]:
            line += f" ({RESTORED_NOTE})"
        lines.append(line)
        if ex["message"] is not None:
            lines += ["    " + m for m in ex["message"].splitlines()]
    return "\n".join(lines) + "\n"


def write_gradebook(out, feedback, released, students, results, statuses, restored):
    """Writes the gradebook CSV and one feedback file per student.

    A student without a result (no notebook, not a notebook, could not be
    prepared) gets zero points, and every exercise's message says why.

    Args:
        out: the CSV file to write.
        feedback: the folder for one `<student>.txt` per student.
        released: the `Released` notebook.
        students: every student, in the order of the rows.
        results: student -> `(points, messages)` as `score` returns them, for
            each student whose notebook was run.
        statuses: student -> the notes of the status column (a list).
        restored: student -> the ids of the exercises whose test cell was restored.

    Returns:
        A pair: the gradebook, a pandas DataFrame indexed by student, and each
        student's `feedback_record` (a dict by student).
    """
    import pandas as pd  # only the instructor's side needs pandas

    os.makedirs(feedback, exist_ok=True)
    rows, records, used_names = {}, {}, set()
    for student in students:
        points, messages = results.get(student, ({ex.id: 0 for ex in released.exercises}, {}))
        if student not in results:
            messages = {ex.id: "not graded: " + "; ".join(statuses[student])
                        for ex in released.exercises}
        status = "; ".join(statuses[student]) or "graded"
        records[student] = feedback_record(student, released, points, messages, status,
                                           restored[student])
        exercises = exercise_results(records[student])  # what the other exporters write too
        rows[student] = {**{ex.exercise: ex.points for ex in exercises},
                         "total": sum(ex.points for ex in exercises),
                         "max": released.max_points,
                         "status": status}
        name = _safe_name(student)
        while name.lower() in used_names:  # two ids that differ only in odd characters
            name += "_"
        used_names.add(name.lower())
        with open(os.path.join(feedback, name + ".txt"), "w", encoding="utf-8") as f:
            f.write(feedback_text(records[student]))
    columns = [ex.id for ex in released.exercises] + ["total", "max", "status"]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table.index.name = "student"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    table.to_csv(out)
    return table, records
