"""The released notebook: the grader finds it and reads its setup and test cells."""

import glob
import os
from collections import namedtuple

import nbformat

from helpers import notebook_format

#: The workbook's folder: it holds `notebooks/` and the `helpers` package.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

Released = namedtuple("Released", "path filename setup exercises max_points format",
                      defaults=(notebook_format.FORMAT_VERSION,))
Released.__doc__ = """The released notebook, as the grader needs it.

Fields:
    path, filename: where it is and its file name.
    setup: the sources of its setup cells.
    exercises: its `notebook_format.Exercise`s, in notebook order.
    max_points: the sum of their points.
    format: the format version it was released with (`notebook_format.format_version`).
"""


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

    The setup cells are found by their markers, not by position: they run from
    the Colab setup cell to the cell that calls `helpers.setup()`, however many
    cells that is (see `notebook_format.count_setup_cells`).

    Args:
        path: the released (student) notebook, e.g. `notebooks/01_foundations.ipynb`.

    Returns:
        A `Released`.

    Raises:
        ValueError: the notebook does not open with its setup cells, has no
            test cells or repeats an exercise id.
    """
    nb = nbformat.read(path, as_version=4)
    code = notebook_format.code_sources(nb)
    try:
        setup_cells = notebook_format.count_setup_cells(code)
        exercises = notebook_format.exercises(code)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    if not exercises:
        example = notebook_format.format_test_line("01.9", "softmax", 2)
        raise ValueError(f"{path}: expected test cells whose first line reads like "
                         f"{example!r}; found none.")
    return Released(path, os.path.basename(path), code[:setup_cells], exercises,
                    sum(ex.points for ex in exercises),
                    notebook_format.format_version(nb.metadata) or notebook_format.FORMAT_VERSION)
