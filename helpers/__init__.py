"""Helpers for the deep-learning workbook.

The package is small on purpose: a student should be able to open any function a
notebook calls and read it. Importing `helpers` has no side effects: nothing is
seeded, no TensorFlow is imported and no plot style is set until `setup()` runs.

Modules:
    helpers.data     data sets shipped in `data/` or inside installed packages
                     (with sha256 verification) and seeded generators (a package:
                     the registry and loaders, `dates`, `shapes`).
    helpers.plots    small plotting functions that return Figures.
    helpers.progress live training progress: `Progress` for `model.fit` (a Keras
                     callback), `Loop` for a loop written by hand.
    helpers.text     character ids, n-gram baselines and scores in nats per
                     character, shared by the language-model notebooks.
    helpers.notebook_format  the notebook format: solution markers, test lines,
                     setup cells, success lines.
    helpers.checks   the exercise checks, one module per notebook.
    helpers.release  makes the student copies in `notebooks/` from `solutions/`.
    helpers.grade    grades a class's submissions of a notebook into a CSV
                     (a package; its pytest plugin is helpers.grade.plugin).
"""

import contextlib
import os
import random
import re
import sys
import tempfile

__all__ = ["setup", "budget", "expect", "is_quick", "LearningCheckError"]

#: Environment variable that switches every notebook to quick mode.
QUICK_ENV = "WORKBOOK_QUICK"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class LearningCheckError(AssertionError):
    """Raised by `expect()` when a trained model falls below its floor."""

    def _render_traceback_(self):
        # Jupyter (IPython) shows this instead of a traceback: the message is the news.
        from helpers import notebook_format

        return notebook_format.shown_error(self)


def is_quick():
    """Tells whether the workbook runs in quick mode.

    Quick mode is what the tests use: the same notebook with smaller data and
    fewer epochs. It is on when the environment variable `WORKBOOK_QUICK` is
    `1` (or `true`, `yes`, `on`); the default is full mode.

    Returns:
        `True` in quick mode, `False` in full mode.

    Example:

    >>> import os
    >>> os.environ["WORKBOOK_QUICK"] = "1"
    >>> is_quick()
    True
    """
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{QUICK_ENV} is set to {value!r}, which is neither on nor off. "
        f"Set it to 1 for quick mode, or unset it (or set it to 0) for full mode."
    )


def budget(*, full, quick):
    """Picks a size for the current mode.

    Notebooks choose every size (epochs, number of examples, ...) with this one
    function so that the difference between quick and full mode sits in one
    visible place.

    Args:
        full: value used in full mode (a student's default run).
        quick: value used in quick mode (tests). Must be of the same type
            as `full`.

    Returns:
        `quick` in quick mode, otherwise `full`.

    Example:

    >>> EPOCHS = budget(full=15, quick=1)
    """
    if type(full) is not type(quick):
        raise TypeError(
            f"budget() needs full and quick of the same type, received "
            f"full={full!r} ({type(full).__name__}) and quick={quick!r} "
            f"({type(quick).__name__}). Pass e.g. budget(full=15, quick=1)."
        )
    return quick if is_quick() else full


def expect(name, value, *, full, quick, higher_is_better=True):
    """Checks a learning result against the floor for the current mode.

    When the result is good enough it prints one line with the number and the
    limit of the mode it ran in, e.g. `test accuracy: 0.913 (full-mode floor 0.88):
    reached`. The number and the limit differ between modes and runs; the tests
    compare the rest of the line (tests/sanitize.cfg replaces the part in
    brackets and the number before it). When the result is not good enough it
    raises `LearningCheckError` with the number and the floor.

    Args:
        name: what was measured, e.g. `"test accuracy"`.
        value: the measured number (a Python or NumPy scalar, or a 0-d tensor).
        full: the floor in full mode.
        quick: the floor in quick mode.
        higher_is_better: `True` for accuracies (value must reach the floor),
            `False` for losses and errors (value must stay at or under it).

    Returns:
        None, so that a call at the end of a cell adds no output.

    Example:

    >>> expect("test accuracy", 0.91, full=0.87, quick=0.70)
    test accuracy: 0.91 (full-mode floor 0.87): reached
    >>> expect("validation loss", 0.35, full=0.4, quick=0.6, higher_is_better=False)
    validation loss: 0.35 (full-mode ceiling 0.4): stayed under
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"expect() needs a non-empty name string, received {name!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"expect({name!r}, ...) needs a number, received {type(value).__name__}: "
            f"{value!r}. Pass a scalar, e.g. float(accuracy)."
        ) from None
    for label, floor in (("full", full), ("quick", quick)):
        if not isinstance(floor, (int, float)) or isinstance(floor, bool):
            raise TypeError(
                f"expect({name!r}, ...) needs a number for {label}=, received {floor!r}."
            )
    mode = "quick" if is_quick() else "full"
    floor = quick if mode == "quick" else full
    ok = number >= floor if higher_is_better else number <= floor
    if number != number:  # NaN never passes
        ok = False
    if not ok:
        side, limit = ("below", "floor") if higher_is_better else ("above", "ceiling")
        raise LearningCheckError(
            f"{name} is {number:.4f}, {side} the {mode}-mode {limit} of {floor}. "
            f"Check the cells above (learning rate, epochs, data preprocessing) "
            f"and run the training cell again."
        )
    limit, outcome = ("floor", "reached") if higher_is_better else ("ceiling", "stayed under")
    print(f"{name}: {number:.4g} ({mode}-mode {limit} {floor}): {outcome}")


#: The versions the workbook is tested with, as (major, minor): from Colab's, the oldest
#: (.ci/colab-constraints.txt, tested by `./workbook colab`), to the pins of
#: requirements.txt, the newest (tested by `./workbook test`). A test keeps them in step.
TESTED_VERSIONS = {"TensorFlow": ((2, 20), (2, 21)), "Keras": ((3, 13), (3, 15))}


def _major_minor(version):
    """`"2.21.0rc1"` -> `(2, 21)`; None when the version does not start with two numbers."""
    match = re.match(r"(\d+)\.(\d+)", str(version))
    return (int(match.group(1)), int(match.group(2))) if match else None


def untested_versions_note(versions):
    """A one-line note when a version is outside the tested range, else None.

    Args:
        versions: `{"TensorFlow": "2.21.0", "Keras": "3.15.1"}`, names as in
            `TESTED_VERSIONS`.

    Returns:
        None when every version is in its tested range; otherwise one line naming the
        versions found and the tested ones.

    Example:

    >>> print(untested_versions_note({"TensorFlow": "2.19.0", "Keras": "3.15.1"}))
    Untested: TensorFlow 2.19.0; the workbook is tested with TensorFlow 2.20-2.21, Keras 3.13-3.15.
    """
    outside = []
    for name, version in versions.items():
        low, high = TESTED_VERSIONS[name]
        found = _major_minor(version)
        if found is None or not low <= found <= high:
            outside.append(f"{name} {version}")
    if not outside:
        return None
    tested = ", ".join(f"{name} {low[0]}.{low[1]}-{high[0]}.{high[1]}"
                       for name, (low, high) in TESTED_VERSIONS.items())
    return f"Untested: {' and '.join(outside)}; the workbook is tested with {tested}."


#: TensorFlow's C++ log lines and the line absl prints before them. TensorFlow 2.21 writes
#: absl's format, `I0000 00:00:17.1 10075 port.cc:153] oneDNN ...`; TensorFlow 2.20
#: (Colab's) also writes its own, `2026-12-06 15:07:23.340606: E external/local_xla/...
#: cuda_platform.cc:51] failed call to cuInit: ...`.
NATIVE_LOG_LINE = re.compile(r"^([IWEF]\d{4} [\d:]+\.\d+ +\d+ \S+:\d+\] |"
                              r"\d{4}-\d\d-\d\d [\d:]+\.\d+: [IWEF] \S+:\d+\] |"
                              r"WARNING: All log messages before absl::InitializeLog\(\))")


@contextlib.contextmanager
def _native_start_up_lines_hidden():
    """Keeps TensorFlow's C++ start-up lines (oneDNN, CUDA stubs, cuInit) out of sight.

    TensorFlow 2.21 writes them straight to the process's stderr (file descriptor
    2) while it is imported and looks for devices, whatever TF_CPP_MIN_LOG_LEVEL
    says, and Jupyter shows that stream in the cell. Inside this block, file
    descriptor 2 goes to a temporary file; afterwards every line that is not such
    a log line is passed on to `sys.stderr`, so real errors still show.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines() if line and not NATIVE_LOG_LINE.match(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def setup(seed=42, *, deterministic=False):
    """Seeds everything and prints a one-line report of the environment.

    Run it once, at the top of every notebook, before any other cell that uses
    randomness. It seeds Python, NumPy, TensorFlow and Keras, quietens
    TensorFlow's C++ log lines, selects matplotlib's headless-safe defaults and
    reports the versions, the device and the mode. A second line appears only when
    TensorFlow or Keras is outside the versions the workbook is tested with
    (`TESTED_VERSIONS`).

    Args:
        seed: the integer seed.
        deterministic: also ask TensorFlow for deterministic kernels (slower;
            some GPU operations refuse to run with it).

    Returns:
        None (the report is printed).

    Example:

    >>> setup()
    TensorFlow 2.21.0 | Keras 3.15.1 | CPU (2 cores) | full mode | seed 42
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"setup() needs a non-negative integer seed, received {seed!r}.")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["PYTHONHASHSEED"] = str(seed)

    import numpy as np

    with _native_start_up_lines_hidden():
        import tensorflow as tf
        import keras

        gpus = tf.config.list_physical_devices("GPU")
        # oneDNN says once per process, on the first transpose of a bool tensor, that
        # it handles bools only with AVX-512; a masked LSTM does that transpose.
        tf.transpose(tf.zeros((1, 1), tf.bool))

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # also seeds Python, NumPy and TF
    if deterministic:
        tf.config.experimental.enable_op_determinism()

    from helpers import plots

    plots.use_style()

    if gpus:
        device = f"GPU x{len(gpus)}"
    else:
        device = f"CPU ({os.cpu_count()} cores)"
    mode = "quick" if is_quick() else "full"
    line = (
        f"TensorFlow {tf.__version__} | Keras {keras.__version__} | {device} | "
        f"{mode} mode | seed {seed}"
    )
    print(line)
    note = untested_versions_note({"TensorFlow": tf.__version__, "Keras": keras.__version__})
    if note:
        print(note)
