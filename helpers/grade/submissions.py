"""The submissions: one per student, in either layout, read without trusting them."""

import json
import os
from collections import namedtuple

import nbformat

from helpers import notebook_format

Submission = namedtuple("Submission", "student path notes")
Submission.__doc__ = "A student's notebook (None when there is none) and notes for the status."


class NotANotebook(ValueError):
    """A submission that cannot be read as a Jupyter notebook; the message says why."""


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
    cells = _read_notebook(path).get("cells")
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


def read_format(path):
    """The format version of the notebook a submission was made from (see
    `notebook_format.format_version`): None when its metadata does not say.

    Raises:
        NotANotebook: as for `read_code_cells`.
    """
    metadata = _read_notebook(path).get("metadata")
    return notebook_format.format_version(metadata if isinstance(metadata, dict) else None)


def _read_notebook(path):
    """Reads a submitted file as a notebook's JSON (a dict), converting nbformat 3."""
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
    return data
