"""Preparing a submission: restore the released cells, disable shell commands."""

import difflib
import os
import re
from collections import namedtuple

import nbformat

from helpers import notebook_format as fmt
from helpers.notebook_format import claimed_exercise_id, first_line

#: Magics that only time, capture or configure; every other magic and `!` is disabled.
HARMLESS_MAGICS = {"matplotlib", "time", "timeit", "capture", "config", "precision",
                   "pprint", "who", "whos", "autoreload", "aimport", "load_ext", "reload_ext"}
MAGIC = re.compile(r"^(\s*)(?:[\w.]+\s*=\s*)?(!(?!=)|%%?(?=\w))(\w*)")

Cell = namedtuple("Cell", "source label exercise")
Cell.__doc__ = """A prepared cell.

Fields:
    source: what runs.
    label: names the cell in messages, e.g. `the test cell of 01.3 tanh`.
    exercise: the exercise id of a test cell, else None.
"""


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


def _looks_like(source, released):
    """Tells whether a student's cell is (an edited copy of) a released cell."""
    if first_line(source).strip() == first_line(released).strip():
        return True
    return difflib.SequenceMatcher(None, source, released).ratio() >= 0.6


def _test_cell(ex):
    """The released test cell of an exercise, as a prepared `Cell`."""
    return Cell(ex.source, f"the test cell of {ex.id} {ex.name}", ex.id)


def prepare(sources, released):
    """Builds the cells that are run for one submission.

    The released setup cells come first. The student's own copies of them
    (as many code cells at the top as the released notebook has setup cells,
    when they look like the released ones) are dropped; every other code cell
    is kept, with shell commands disabled. For each exercise the last cell
    whose first line names its id becomes the test cell, with the released
    source; other cells naming it stop counting (their first line gets a
    `# not graded:` prefix). A missing test cell is put back after the last
    cell that defines the graded function or class (`def name(`, `class name`),
    else after the released cell that preceded it, else after the previous
    exercise's test cell.

    Args:
        sources: the sources of the submission's code cells.
        released: the `Released` notebook.

    Returns:
        A pair: a list of `Cell`s, and the set of exercise ids whose test cell
        was restored.
    """
    setup = [Cell(src, f"setup cell {i + 1}", None) for i, src in enumerate(released.setup)]
    body = []
    for number, source in enumerate(sources, start=1):
        if number <= len(released.setup) and _looks_like(source, released.setup[number - 1]):
            continue
        label = f"code cell {number} (`{first_line(source).strip()[:40]}`)"
        body.append(Cell(neutralise(source), label, None))
    by_id = {ex.id: ex for ex in released.exercises}
    claims = {}
    for index, cell in enumerate(body):
        exercise_id = claimed_exercise_id(cell.source)
        if exercise_id is not None:
            claims.setdefault(exercise_id, []).append(index)
    restored = set()
    for exercise_id, indices in claims.items():
        for index in indices:
            cell = body[index]
            if exercise_id in by_id and index == indices[-1]:
                ex = by_id[exercise_id]
                if cell.source.strip() != ex.source.strip():
                    restored.add(ex.id)
                body[index] = _test_cell(ex)
            else:
                body[index] = cell._replace(source="# not graded: " + cell.source)
    previous = -1
    for ex in released.exercises:
        placed = [i for i, cell in enumerate(body) if cell.exercise == ex.id]
        if placed:
            previous = placed[0]
            continue
        after = [i for i, c in enumerate(body)
                 if c.exercise is None and fmt.defines(c.source, ex.name)]
        after = after or [i for i, c in enumerate(body) if c.source == ex.anchor]
        position = after[-1] + 1 if after else previous + 1
        body.insert(position, _test_cell(ex))
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
