"""Scoring a run and writing the gradebook (CSV) and the feedback files."""

import os
import re

from helpers.notebook_format import parse_test_line


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


def write_feedback(path, student, released, points, messages, status, restored):
    """Writes one student's feedback file."""
    total = sum(points.values())
    lines = [f"{released.filename}: feedback for {student}",
             f"total: {total:g} of {released.max_points:g} points", f"status: {status}", ""]
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
        The gradebook, a pandas DataFrame indexed by student.
    """
    import pandas as pd  # only the instructor's side needs pandas

    os.makedirs(feedback, exist_ok=True)
    rows, used_names = {}, set()
    for student in students:
        points, messages = results.get(student, ({ex.id: 0 for ex in released.exercises}, {}))
        if student not in results:
            messages = {ex.id: "not graded: " + "; ".join(statuses[student])
                        for ex in released.exercises}
        status = "; ".join(statuses[student]) or "graded"
        rows[student] = {**points, "total": sum(points.values()), "max": released.max_points,
                         "status": status}
        name = _safe_name(student)
        while name.lower() in used_names:  # two ids that differ only in odd characters
            name += "_"
        used_names.add(name.lower())
        write_feedback(os.path.join(feedback, name + ".txt"), student,
                       released, points, messages, status, restored[student])
    columns = [ex.id for ex in released.exercises] + ["total", "max", "status"]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table.index.name = "student"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    table.to_csv(out)
    return table
