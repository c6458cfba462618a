"""The workbook's notebook format, in one place.

A solution notebook (`solutions/NN_slug.ipynb`) is laid out like this:

* **Setup cells** open it: the Colab setup cell (its first line starts with
  `COLAB_SETUP_MARKER`) down to the cell that calls `helpers.setup()`, usually
  the next one (see `count_setup_cells`). The grader restores them all from the
  released notebook.
* **Exercises**: a solution cell defines one graded function whose body lies
  between `BEGIN_SOLUTION` and `END_SOLUTION`, or one graded class with such a
  block in each method the student writes; the release step replaces every
  block with the `STUB` lines. The next code cell is the test cell; its first line is the
  test line, e.g. `# TEST: 02.3 conv2d_forward [3 pts]`, and it calls the check
  of the same name. Grading reads the exercise id, name and points from that line.
* A check that passes prints the success line, e.g.
  `02.3 conv2d_forward: all 8 cases passed`.

The release step, the grader, the tests and the before-stop checks all read the
format through this module; nothing else parses a test line.

The format has a version, `FORMAT_VERSION`: the release step writes it into each
student notebook's metadata (`metadata["workbook"]["format"]`), and the grader
says when a submission was made from a notebook of another version. Grading's
feedback records carry it too. Raise it when a change here means that notebooks
released before cannot be graded as they are.

Example:

>>> parse_test_line("# TEST: 02.3 conv2d_forward [3 pts]\\ncheck.conv2d_forward(f)")
TestLine(id='02.3', name='conv2d_forward', points=3)
>>> success_line("02.3", "conv2d_forward", 8)
'02.3 conv2d_forward: all 8 cases passed'
"""

import re
from collections import namedtuple

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
#: What the release step puts in place of a solution block (at its indentation).
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
#: What a check says, and what grading reports, for an exercise that still holds its stub.
NOT_ATTEMPTED = "not attempted yet"
#: The first line of the Colab setup cell starts with this.
COLAB_SETUP_MARKER = "# Workbook setup:"
#: The last setup cell calls this.
SETUP_CALL = "helpers.setup()"
#: A cell whose outputs nbval runs but does not compare carries this line.
IGNORE_OUTPUT = "# NBVAL_IGNORE_OUTPUT"

#: The version of this format (markers, test lines, stub, feedback records).
#: Notebooks released before versions existed count as version 1.
FORMAT_VERSION = 2

TestLine = namedtuple("TestLine", "id name points")
TestLine.__doc__ = "An exercise as its test cell's first line names it: id, name and points."

Exercise = namedtuple("Exercise", "id name points test_index source anchor")
Exercise.__doc__ = """One graded exercise of a notebook.

Fields:
    id, name, points: from the test line.
    test_index: the test cell's position among the notebook's code cells.
    source: the test cell's source.
    anchor: the source of the code cell before it (the solution cell).
"""

_TEST_LINE = re.compile(r"# TEST: (\d\d\.\d+) (\w+) \[(\d+(?:\.\d+)?) pts?\]\s*$")
_CLAIMED_ID = re.compile(r"\s*#\s*TEST:\s*(\S+)")
_CHECK_IMPORT = re.compile(r"^from helpers\.checks import (\w+) as check$", re.MULTILINE)
_CHECK_CALL = re.compile(r"^check\.(\w+)\((\w+)\)$", re.MULTILINE)
_SUCCESS_LINE = re.compile(r"(\d\d\.\d+) (\w+): all (\d+) cases? passed$")


def workbook_metadata(version=FORMAT_VERSION, generated_from=None):
    """The notebook metadata the release step writes under `"workbook"`."""
    metadata = {"format": version}
    if generated_from:
        metadata["generated_from"] = generated_from
    return metadata


def format_version(notebook_metadata):
    """The format version a notebook was released with, from its metadata (a dict).

    Returns:
        The version (an int): 1 for a notebook released before versions existed,
        None when the metadata has no workbook entry at all (an editor dropped it,
        or the notebook never came from the workbook).
    """
    workbook = (notebook_metadata or {}).get("workbook")
    if not isinstance(workbook, dict):
        return None
    version = workbook.get("format", 1)
    return version if isinstance(version, int) else None


#: The width check messages are wrapped to in a notebook: JupyterLab's output area at its
#: default size shows about 100 characters of monospace text.
MESSAGE_WIDTH = 90

_LABEL = re.compile(r"^(\s+[\w ]{1,30}:\s+|Hint:\s+)")


def wrap_message(text, width=MESSAGE_WIDTH):
    """Wraps a check's message on word boundaries for a notebook's output area.

    Lines that fit are kept as they are. A longer line breaks between words; an
    indented line with a label (`  expected: ...`, `  received: ...`) or a `Hint:` line
    continues aligned after its label, so that expected and received values stay one
    under the other. A single word longer than the width (a long array) is not broken.

    Example:

    >>> print(wrap_message("  expected: " + "1.0, " * 20, width=40))
      expected: 1.0, 1.0, 1.0, 1.0, 1.0,
                1.0, 1.0, 1.0, 1.0, 1.0,
                1.0, 1.0, 1.0, 1.0, 1.0,
                1.0, 1.0, 1.0, 1.0, 1.0,
    """
    import textwrap

    lines = []
    for line in text.split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        label = _LABEL.match(line)
        indent = " " * len(label.group(0)) if label else " " * (len(line) - len(line.lstrip()))
        if label and not line.startswith("Hint:"):  # a value: keep (...) and [...] whole
            line = _keep_groups_whole(line)
        lines += [part.replace("\xa0", " ") for part in textwrap.wrap(
            line, width, subsequent_indent=indent, break_long_words=False,
            break_on_hyphens=False, drop_whitespace=True)]
    return "\n".join(lines)


def _keep_groups_whole(line):
    """The line with the spaces inside brackets made non-breaking (for `textwrap`), so that
    `(shape (4, 5, 6, 3), dtype float64)` or an array's values never break apart."""
    depth, kept = 0, []
    for char in line:
        depth += char in "([{"
        depth -= char in ")]}" and depth > 0
        kept.append("\xa0" if char == " " and depth else char)
    return "".join(kept)


def shown_error(error):
    """What Jupyter shows for a failed check: its class in red and its wrapped message,
    for `_render_traceback_` (one string: no traceback from inside helpers)."""
    return [wrap_message(f"\x1b[0;31m{type(error).__name__}\x1b[0m: {error}")]


def first_line(source):
    """The first line of a cell's source."""
    return source.split("\n", 1)[0]


def parse_test_line(source):
    """Reads the test line at the top of a cell.

    Args:
        source: a code cell's source.

    Returns:
        A `TestLine(id, name, points)`, points an int (or a float such as 0.5),
        or None when the first line is not a well-formed test line.
    """
    match = _TEST_LINE.match(first_line(source))
    if not match:
        return None
    exercise_id, name, points = match.groups()
    return TestLine(exercise_id, name, float(points) if "." in points else int(points))


def claimed_exercise_id(source):
    """The exercise id a cell's first line claims, however loosely it is written.

    A student may edit a test line (`#TEST: 01.9 ...`, extra spaces, points
    changed, blank lines above it); the grader still knows which exercise the
    cell belongs to.

    Args:
        source: a code cell's source.

    Returns:
        The id as written (e.g. `"01.9"`) on the first line that is not blank,
        or None.
    """
    match = _CLAIMED_ID.match(source)
    return match.group(1) if match else None


def parse_check_call(source):
    """Reads which check a test cell runs.

    A test cell reads, after its test line:

        from helpers.checks import cnn_pipeline as check
        check.conv2d_forward(conv2d_forward)

    Returns:
        `(module, check_name, argument)`, e.g. `("cnn_pipeline", "conv2d_forward",
        "conv2d_forward")`, or None when the cell does not have that form.
    """
    module, call = _CHECK_IMPORT.search(source), _CHECK_CALL.search(source)
    if not module or not call:
        return None
    return module.group(1), call.group(1), call.group(2)


def format_test_line(exercise_id, name, points):
    """The test line for an exercise, e.g. `# TEST: 01.9 softmax [2 pts]`."""
    return f"# TEST: {exercise_id} {name} [{points:g} pt{'s' if points != 1 else ''}]"


def success_line(exercise_id, name, cases):
    """The one line a check prints when every case passed."""
    return f"{exercise_id} {name}: all {cases} case{'s' if cases != 1 else ''} passed"


def parse_success_line(text):
    """Reads a success line back: `(id, name, cases)`, or None if `text` is not one."""
    match = _SUCCESS_LINE.match(text.strip())
    return (match.group(1), match.group(2), int(match.group(3))) if match else None


def strip_solution(source, where="cell"):
    """Replaces every solution block by the stub: what the release step does to a cell.

    A block is the lines from a line that is `BEGIN_SOLUTION` (indented or not) to a
    line that is `END_SOLUTION`; it becomes the `STUB` lines at the indentation of its
    BEGIN line.

    Args:
        source: the cell's source text.
        where: used in error messages, e.g. `"solutions/01_foundations.ipynb cell 12"`.

    Returns:
        The student version of the source (the same text when it holds no block).

    Raises:
        ValueError: a block is not closed, or closed without being opened, or nested.

    Example:

    >>> strip_solution("def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n    ### END SOLUTION")
    'def f(x):\\n    # YOUR CODE HERE\\n    raise NotImplementedError()'
    """
    out, inside = [], False
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped == BEGIN_SOLUTION:
            if inside:
                raise ValueError(
                    f"{where}, line {number}: {BEGIN_SOLUTION} inside another solution block.")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + stub_line for stub_line in STUB]
        elif stripped == END_SOLUTION:
            if not inside:
                raise ValueError(f"{where}, line {number}: {END_SOLUTION} without "
                                 f"{BEGIN_SOLUTION}.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN_SOLUTION} is never closed by {END_SOLUTION}.")
    return "\n".join(out)


def is_solution_cell(source):
    """Tells whether a code cell holds a solution block (as `strip_solution` reads them).

    Raises:
        ValueError: the cell's markers are unbalanced.
    """
    return strip_solution(source) != source


def defines(source, name):
    """Tells whether a cell defines the graded function or class `name` (`def name(` or
    `class name` at the start of a line)."""
    return re.search(rf"^(def {re.escape(name)}\s*\(|class {re.escape(name)}\b)", source,
                     re.MULTILINE) is not None


def count_setup_cells(code_sources):
    """How many code cells at the top of a notebook set it up.

    They run from the Colab setup cell to the first cell that calls
    `helpers.setup()`.

    Args:
        code_sources: the sources of the notebook's code cells, in order.

    Returns:
        The number of setup cells.

    Raises:
        ValueError: the first code cell is not the Colab setup cell, or no
            cell calls `helpers.setup()` before the first test cell.
    """
    if not code_sources or not code_sources[0].startswith(COLAB_SETUP_MARKER):
        raise ValueError(f"the first code cell must be the setup cell starting with "
                         f"{COLAB_SETUP_MARKER!r}.")
    for index, source in enumerate(code_sources):
        if parse_test_line(source):
            break
        if SETUP_CALL in source:
            return index + 1
    raise ValueError(f"no code cell calls {SETUP_CALL} before the first test cell.")


def code_sources(nb):
    """The sources of a notebook's code cells (an nbformat notebook), in order."""
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def exercises(code):
    """The graded exercises of a notebook, in order.

    Args:
        code: the sources of the notebook's code cells (see `code_sources`).

    Returns:
        A list of `Exercise(id, name, points, test_index, source, anchor)`.

    Raises:
        ValueError: an exercise id appears twice.
    """
    found, seen = [], set()
    for index, source in enumerate(code):
        line = parse_test_line(source)
        if line is None:
            continue
        if line.id in seen:
            raise ValueError(f"exercise {line.id} has two test cells.")
        seen.add(line.id)
        anchor = code[index - 1] if index else ""
        found.append(Exercise(*line, index, source, anchor))
    return found
