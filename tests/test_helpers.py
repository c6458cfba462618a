"""Unit tests of helpers/__init__.py: is_quick, budget, expect, setup and its report."""

import os
import random
import re

import nbformat
import numpy as np
import pytest

import helpers
from helpers import notebook_format as fmt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("value, quick", [("1", True), ("true", True), ("YES", True),
                                          ("0", False), ("", False), ("off", False)])
def test_is_quick_reads_the_environment(monkeypatch, value, quick):
    monkeypatch.setenv("WORKBOOK_QUICK", value)
    assert helpers.is_quick() is quick


def test_is_quick_defaults_to_full_mode(monkeypatch):
    monkeypatch.delenv("WORKBOOK_QUICK", raising=False)
    assert helpers.is_quick() is False


def test_is_quick_rejects_an_unclear_value(monkeypatch):
    monkeypatch.setenv("WORKBOOK_QUICK", "maybe")
    with pytest.raises(ValueError, match="WORKBOOK_QUICK is set to 'maybe'.*Set it to 1"):
        helpers.is_quick()


def test_budget_picks_by_mode(monkeypatch):
    monkeypatch.setenv("WORKBOOK_QUICK", "1")
    assert helpers.budget(full=15, quick=1) == 1
    monkeypatch.setenv("WORKBOOK_QUICK", "0")
    assert helpers.budget(full=15, quick=1) == 15


def test_budget_needs_both_values_of_one_type():
    with pytest.raises(TypeError, match="same type"):
        helpers.budget(full=15, quick=1.5)
    with pytest.raises(TypeError):
        helpers.budget(full=15)  # quick is required


def _sanitized(text):
    """`text` as nbval compares it: with the replacements of tests/sanitize.cfg."""
    import configparser
    import os
    import re

    config = configparser.ConfigParser()
    config.read(os.path.join(os.path.dirname(__file__), "sanitize.cfg"))
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def test_expect_shows_the_number_and_the_limit_and_compares_the_same_in_both_modes(
        monkeypatch, capsys):
    lines = []
    for mode, value in (("0", 0.9130), ("1", 0.75)):
        monkeypatch.setenv("WORKBOOK_QUICK", mode)
        assert helpers.expect("test accuracy", value, full=0.87, quick=0.7) is None
        lines.append(capsys.readouterr().out)
    assert lines == ["test accuracy: 0.913 (full-mode floor 0.87): reached\n",
                     "test accuracy: 0.75 (quick-mode floor 0.7): reached\n"]
    assert _sanitized(lines[0]) == _sanitized(lines[1]) == \
        "test accuracy: <number> (<mode> limit): reached\n"
    monkeypatch.setenv("WORKBOOK_QUICK", "1")
    helpers.expect("DQN mean return", np.float64(500.0), full=475, quick=60)
    helpers.expect("MAE minus naive", -0.5923, full=-0.5, quick=-0.3, higher_is_better=False)
    out = capsys.readouterr().out
    assert out == ("DQN mean return: 500 (quick-mode floor 60): reached\n"
                   "MAE minus naive: -0.5923 (quick-mode ceiling -0.3): stayed under\n")
    assert _sanitized(out) == ("DQN mean return: <number> (<mode> limit): reached\n"
                               "MAE minus naive: <number> (<mode> limit): stayed under\n")


def test_expect_raises_below_the_floor_with_the_number(monkeypatch):
    monkeypatch.setenv("WORKBOOK_QUICK", "0")
    with pytest.raises(helpers.LearningCheckError, match=r"0\.8000, below the full-mode floor"):
        helpers.expect("test accuracy", 0.8, full=0.87, quick=0.7)


def test_expect_lower_is_better_for_losses(monkeypatch, capsys):
    monkeypatch.setenv("WORKBOOK_QUICK", "1")
    helpers.expect("loss", 0.3, full=0.2, quick=0.5, higher_is_better=False)
    assert "(quick-mode ceiling 0.5): stayed under" in capsys.readouterr().out
    with pytest.raises(helpers.LearningCheckError, match="above the quick-mode ceiling"):
        helpers.expect("loss", 0.6, full=0.2, quick=0.5, higher_is_better=False)


def test_expect_never_passes_nan():
    with pytest.raises(helpers.LearningCheckError):
        helpers.expect("test accuracy", float("nan"), full=0.0, quick=0.0)


def test_expect_rejects_bad_arguments():
    with pytest.raises(TypeError, match="needs a number"):
        helpers.expect("accuracy", "high", full=0.9, quick=0.5)
    with pytest.raises(TypeError, match="non-empty name"):
        helpers.expect("", 0.9, full=0.9, quick=0.5)
    with pytest.raises(TypeError, match="for full="):
        helpers.expect("accuracy", 0.9, full="0.9", quick=0.5)


def test_expect_accepts_numpy_and_tensor_scalars(capsys):
    import tensorflow as tf

    helpers.expect("a", np.float32(0.9), full=0.5, quick=0.5)
    helpers.expect("b", tf.constant(0.9), full=0.5, quick=0.5)
    assert capsys.readouterr().out.count("floor 0.5): reached") == 2
    with pytest.raises(helpers.LearningCheckError, match="0.4000"):
        helpers.expect("c", tf.constant(0.4), full=0.5, quick=0.5)


def test_setup_seeds_everything_and_reports(capsys):
    import keras
    import tensorflow as tf

    assert helpers.setup(seed=7) is None
    first = (random.random(), np.random.rand(), float(tf.random.uniform(())),
             float(keras.random.uniform(())))
    helpers.setup(seed=7)
    second = (random.random(), np.random.rand(), float(tf.random.uniform(())),
              float(keras.random.uniform(())))
    assert first == second
    out = capsys.readouterr().out
    line = out.splitlines()[0]
    assert out == f"{line}\n{line}\n"
    assert f"TensorFlow {tf.__version__} | Keras {keras.__version__}" in line
    assert "quick mode" in line and "seed 7" in line


@pytest.mark.parametrize("seed", [-1, 1.5, "42", True])
def test_setup_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="non-negative integer seed"):
        helpers.setup(seed)


def test_importing_helpers_has_no_side_effects():
    import subprocess
    import sys

    code = ("import sys, helpers, helpers.data, helpers.checks, helpers.release; "
            "print('tensorflow' in sys.modules, 'matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def _run_in_a_student_kernel(sources):
    """Runs cells in a fresh Jupyter kernel as a student's JupyterLab would start it.

    The kernel gets a student's environment (no TF_CPP_MIN_LOG_LEVEL, which the
    tests set), and everything it sends back is collected: stdout, stderr (which
    ipykernel captures at the file-descriptor level, where TensorFlow's C++ log
    lines go), results and errors. nbval does not show that stderr; this does.

    Returns:
        One list of `(kind, text)` per cell.
    """
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL",)}
    env["WORKBOOK_QUICK"] = "1"
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        results = []
        for source in sources:
            msg_id = client.execute(source)
            outputs = []
            while True:
                msg = client.get_iopub_msg(timeout=120)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    outputs.append((content["name"], content["text"]))
                elif kind in ("error", "execute_result", "display_data"):
                    outputs.append((kind, str(content)))
                elif kind == "status" and content["execution_state"] == "idle":
                    break
            results.append(outputs)
        return results
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_the_setup_cells_show_one_line_in_a_student_kernel():
    """What a student sees under the setup cell: the report line and nothing else."""
    nb = nbformat.read(os.path.join(ROOT, "notebooks", "00_getting_started.ipynb"), as_version=4)
    code = fmt.code_sources(nb)
    setup = code[:fmt.count_setup_cells(code)]
    *first, report = _run_in_a_student_kernel(setup)
    assert all(outputs == [] for outputs in first), first
    text = "".join(text for _, text in report)
    assert [kind for kind, _ in report] == ["stdout"], report
    assert re.fullmatch(r"TensorFlow \S+ \| Keras \S+ \| (CPU \(\d+ cores\)|GPU x\d+) \| "
                        r"quick mode \| seed 42\n", text), text


def test_setup_passes_on_stderr_lines_that_are_not_tensorflow_start_up_lines(capfd):
    with helpers._native_start_up_lines_hidden():
        os.write(2, b"I0000 00:00:1795294346.170951   10075 port.cc:153] oneDNN custom ops\n")
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called ...\n")
        # TensorFlow 2.20's own format (Colab's version), on a CPU runtime:
        os.write(2, b"2026-12-06 15:07:23.340606: E external/local_xla/xla/stream_executor/"
                    b"cuda/cuda_platform.cc:51] failed call to cuInit: INTERNAL: CUDA error: "
                    b"Failed call to cuInit: UNKNOWN ERROR (303)\n")
        os.write(2, b"a real problem\n")
        os.write(2, b"2026-12-06 15:07:23: not a log line\n")
    assert capfd.readouterr().err == "a real problem\n2026-12-06 15:07:23: not a log line\n"


@pytest.mark.parametrize("tf_version, keras_version", [
    ("2.21.0", "3.15.1"), ("2.20.0", "3.13.2"), ("2.21.3", "3.14.0")])
def test_no_version_note_in_the_tested_range(tf_version, keras_version):
    assert helpers.untested_versions_note({"TensorFlow": tf_version,
                                           "Keras": keras_version}) is None


@pytest.mark.parametrize("tf_version, keras_version, named", [
    ("2.19.0", "3.15.1", "TensorFlow 2.19.0"),          # older than Colab's
    ("2.21.0", "3.16.0", "Keras 3.16.0"),               # newer than the pins
    ("2.22.0rc1", "3.12.0", "TensorFlow 2.22.0rc1 and Keras 3.12.0"),
    ("nightly", "3.15.1", "TensorFlow nightly")])
def test_version_note_outside_the_tested_range(tf_version, keras_version, named):
    note = helpers.untested_versions_note({"TensorFlow": tf_version, "Keras": keras_version})
    assert note == (f"Untested: {named}; the workbook is tested with TensorFlow 2.20-2.21, "
                    f"Keras 3.13-3.15.")
    assert "\n" not in note and len(note) < 120


def _pinned(path, name):
    with open(os.path.join(ROOT, path)) as f:
        match = re.search(rf"^{name}==(\d+)\.(\d+)", f.read(), re.M | re.I)
    return int(match.group(1)), int(match.group(2))


def test_tested_versions_are_colabs_and_the_pins():
    """The range setup() reports runs from Colab's versions to the pins."""
    for name, package in (("TensorFlow", "tensorflow"), ("Keras", "keras")):
        low, high = helpers.TESTED_VERSIONS[name]
        assert low == _pinned(".ci/colab-constraints.txt", package), name
        assert high == _pinned("requirements.txt", package), name
