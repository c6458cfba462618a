"""The release step: makes the student copies in notebooks/ from solutions/.

For every `solutions/NN_slug.ipynb` it writes `notebooks/NN_slug.ipynb` where
  * each solution block (between `notebook_format.BEGIN_SOLUTION` and
    `END_SOLUTION`) becomes the `notebook_format.STUB` lines (same indentation);
  * outputs and execution counts are cleared;
  * a hidden comment in the first cell and the notebook metadata say the file is
    generated and must not be edited by hand; the metadata also holds the format
    version (`notebook_format.FORMAT_VERSION`).

It also stamps two things into the solutions themselves from the settings in
pyproject.toml (`[tool.workbook]`): the Colab setup cell and the "Open in Colab"
link. The setup cell clones `repository`; a notebook named in
`[tool.workbook.colab-packages]` gets, at the end of its setup cell, the pip install
of the pinned packages it needs that Colab cannot import (see `colab_packages`).

Usage:
    python -m helpers.release            write notebooks/ (and refresh the stamps)
    python -m helpers.release --check    change nothing; exit 1 and list what is
                                         out of date (the sync test runs this)
"""

import argparse
import copy
import glob
import json
import os
import re
import sys
import tomllib

import nbformat

from helpers import notebook_format as fmt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The kernel every notebook names, exactly as JupyterLab writes it (so that opening a
#: notebook does not mark it as changed).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+")

SETUP_CELL = fmt.COLAB_SETUP_MARKER + ''' in Colab this fetches the workbook and installs helpers; elsewhere it does nothing.
import os, sys

WORKBOOK_REPOSITORY = "{repository}"
if "google.colab" in sys.modules:
    import importlib, subprocess
    workbook_dir = os.path.abspath("dl-workbook")
    if not os.path.isdir(workbook_dir):
        repository = os.environ.get("WORKBOOK_REPOSITORY", WORKBOOK_REPOSITORY)
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", repository, workbook_dir],
                       check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        workbook_dir], check=True)
        importlib.invalidate_caches()
    os.environ["WORKBOOK_DATA"] = os.path.join(workbook_dir, "data")'''

#: Added to the setup cell of a notebook with Colab packages, inside its Colab branch.
PACKAGES_BLOCK = '''
    # Packages this notebook needs beyond Colab's own: pip installs those it cannot import.
    import importlib.util
    packages = {{{packages}}}  # import name: pinned requirement
    missing = [pin for name, pin in packages.items() if importlib.util.find_spec(name) is None]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)
        importlib.invalidate_caches()'''

#: A pinned requirement, as requirements.txt writes it: `name==version`.
PINNED = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([A-Za-z0-9.+!_-]+)")


class ReleaseError(ValueError):
    """A solution notebook cannot be released as it is."""


def settings(root=ROOT):
    """Reads `[tool.workbook]` from pyproject.toml.

    Returns:
        A dict: `repository` (URL) and `branch`, and `colab_packages`, which maps a
        notebook's file name without `.ipynb` (e.g. `"11_reinforcement_learning"`) to
        the pinned requirements its Colab setup cell installs when missing (e.g.
        `["gymnasium==1.4.0"]`), from the table `[tool.workbook.colab-packages]`.

    Raises:
        ReleaseError: a Colab package is not pinned as `name==version`.
    """
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        config = tomllib.load(f)["tool"]["workbook"]
    packages = config.get("colab-packages", {})
    for notebook, pins in packages.items():
        bad = [pin for pin in pins if not isinstance(pin, str) or not PINNED.fullmatch(pin)] \
            if isinstance(pins, list) else [pins]
        if bad:
            raise ReleaseError(
                f"pyproject.toml [tool.workbook.colab-packages] {notebook}: expected a list "
                f"of pinned requirements as in requirements.txt, e.g. [\"gymnasium==1.4.0\"]; "
                f"{bad[0]!r} is not one."
            )
    return {"repository": config["repository"].rstrip("/"), "branch": config["branch"],
            "colab_packages": {notebook: list(pins) for notebook, pins in packages.items()}}


def colab_packages(filename, config):
    """The pinned requirements a notebook's Colab setup cell installs when missing.

    Args:
        filename: the notebook's file name, e.g. `"11_reinforcement_learning.ipynb"`.
        config: from `settings`.

    Returns:
        A list such as `["gymnasium==1.4.0"]`, empty for most notebooks.
    """
    return config.get("colab_packages", {}).get(os.path.splitext(filename)[0], [])


def colab_url(filename, config):
    """The "Open in Colab" address of a student notebook."""
    match = re.match(r"https://github\.com/([^/]+/[^/]+?)(\.git)?$", config["repository"])
    if not match:
        raise ReleaseError(
            f"[tool.workbook] repository must be a https://github.com/OWNER/NAME URL for "
            f"Colab links, received {config['repository']!r}."
        )
    return (
        f"https://colab.research.google.com/github/{match.group(1)}/blob/"
        f"{config['branch']}/notebooks/{filename}"
    )


def setup_cell_source(config, packages=()):
    """The exact source of a notebook's first code cell.

    Args:
        config: from `settings`.
        packages: the notebook's Colab packages (`colab_packages`). Each is installed
            in Colab when its import name (the requirement's name, lower case, with
            `-` and `.` as `_`) cannot be found; a notebook without any gets the
            setup cell every notebook shares.
    """
    source = SETUP_CELL.format(repository=config["repository"])
    if packages:
        names = [PINNED.fullmatch(pin).group(1).lower().replace("-", "_").replace(".", "_")
                 for pin in packages]
        table = ", ".join(f'"{name}": "{pin}"' for name, pin in zip(names, packages))
        source += PACKAGES_BLOCK.format(packages=table)
    return source


def stamp_solution(nb, filename, config):
    """Refreshes the setup cell and the Colab link of a solution notebook in place.

    Returns:
        A list of what changed (empty when the stamps were current).
    """
    changes = []
    setup_cells = [c for c in nb.cells
                   if c.cell_type == "code" and c.source.startswith(fmt.COLAB_SETUP_MARKER)]
    if len(setup_cells) != 1:
        raise ReleaseError(
            f"solutions/{filename}: expected exactly one setup cell starting with "
            f"{fmt.COLAB_SETUP_MARKER!r}, found {len(setup_cells)}."
        )
    wanted = setup_cell_source(config, colab_packages(filename, config))
    if setup_cells[0].source != wanted:
        setup_cells[0].source = wanted
        changes.append("setup cell")
    if nb.metadata.get("kernelspec") != KERNELSPEC:
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        changes.append("kernelspec")
    url = colab_url(filename, config)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and COLAB_LINK.search(cell.source):
            new = COLAB_LINK.sub(url, cell.source)
            if new != cell.source:
                cell.source = new
                changes.append("Colab link")
    return changes


def student_copy(nb, filename):
    """Makes the student notebook from a solution notebook (which is not changed)."""
    student = copy.deepcopy(nb)
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "code":
            try:
                cell.source = fmt.strip_solution(cell.source, f"solutions/{filename} cell {index}")
            except ValueError as error:
                raise ReleaseError(str(error)) from None
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    note = (
        f"<!-- Generated from solutions/{filename} by `python -m helpers.release`. "
        f"Do not edit this copy: edit the solution and release again. -->\n"
    )
    first = next((c for c in student.cells if c.cell_type == "markdown"), None)
    if first is not None:
        first.source = note + first.source
    student.metadata["workbook"] = fmt.workbook_metadata(
        generated_from=f"solutions/{filename}")
    return student


def _text(nb):
    return nbformat.writes(nb) + "\n"


def release(root=ROOT, check=False):
    """Releases every solution notebook; with `check=True` only reports.

    Returns:
        A list of problems (check mode) or of files written (write mode).
    """
    config = settings(root)
    solutions = sorted(glob.glob(os.path.join(root, "solutions", "*.ipynb")))
    stems = {os.path.splitext(os.path.basename(path))[0] for path in solutions}
    unknown = sorted(set(config["colab_packages"]) - stems)
    if unknown:
        raise ReleaseError(
            f"pyproject.toml [tool.workbook.colab-packages] names {', '.join(unknown)}, "
            f"which is not a notebook in solutions/: use a notebook's file name without "
            f".ipynb, e.g. {min(stems, default='11_reinforcement_learning')!r}."
        )
    report = []
    expected_names = set()
    for path in solutions:
        filename = os.path.basename(path)
        expected_names.add(filename)
        with open(path, encoding="utf-8") as f:
            original = f.read()
        nb = nbformat.reads(original, as_version=4)
        changes = stamp_solution(nb, filename, config)
        student_text = _text(student_copy(nb, filename))
        target = os.path.join(root, "notebooks", filename)
        current = open(target, encoding="utf-8").read() if os.path.exists(target) else None
        if check:
            if changes:
                report.append(f"solutions/{filename}: out-of-date {' and '.join(changes)}")
            if current != student_text:
                state = "missing" if current is None else "differs from its solution"
                report.append(f"notebooks/{filename}: {state}")
            continue
        if changes:
            with open(path, "w", encoding="utf-8") as f:
                f.write(_text(nb))
            report.append(f"solutions/{filename} ({', '.join(changes)} refreshed)")
        if current != student_text:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as f:
                f.write(student_text)
            report.append(f"notebooks/{filename}")
    for path in sorted(glob.glob(os.path.join(root, "notebooks", "*.ipynb"))):
        if os.path.basename(path) not in expected_names:
            report.append(f"notebooks/{os.path.basename(path)}: has no solution; remove it")
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report, change nothing")
    args = parser.parse_args(argv)
    try:
        report = release(check=args.check)
    except (ReleaseError, json.JSONDecodeError, nbformat.ValidationError) as error:
        print(f"release failed: {error}", file=sys.stderr)
        return 2
    if args.check:
        for line in report:
            print(line)
        if report:
            print("Run `python -m helpers.release` to bring them up to date.")
            return 1
        print("notebooks/ is in sync with solutions/")
        return 0
    print("\n".join(f"wrote {line}" for line in report) or "nothing to do: already in sync")
    return 0


if __name__ == "__main__":
    sys.exit(main())
