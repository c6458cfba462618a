"""Unit tests of helpers' core: is_quick, budget, expect, setup."""

import random

import numpy as np
import pytest

import helpers


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


def test_expect_prints_the_same_line_in_both_modes(monkeypatch, capsys):
    lines = []
    for mode, value in (("0", 0.90), ("1", 0.75)):
        monkeypatch.setenv("WORKBOOK_QUICK", mode)
        assert helpers.expect("test accuracy", value, full=0.87, quick=0.7) is None
        lines.append(capsys.readouterr().out)
    assert lines[0] == lines[1] == "test accuracy: reached the floor for this mode\n"


def test_expect_raises_below_the_floor_with_the_number(monkeypatch):
    monkeypatch.setenv("WORKBOOK_QUICK", "0")
    with pytest.raises(helpers.LearningCheckError, match=r"0\.8000, below the full-mode floor"):
        helpers.expect("test accuracy", 0.8, full=0.87, quick=0.7)


def test_expect_lower_is_better_for_losses(monkeypatch, capsys):
    monkeypatch.setenv("WORKBOOK_QUICK", "1")
    helpers.expect("loss", 0.3, full=0.2, quick=0.5, higher_is_better=False)
    assert "stayed within" in capsys.readouterr().out
    with pytest.raises(helpers.LearningCheckError, match="above the quick-mode floor"):
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
    assert capsys.readouterr().out.count("reached the floor") == 2
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
