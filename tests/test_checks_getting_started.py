"""Mutation tests of helpers.checks.getting_started (notebook 00): the tests of every
exercise (tests/mutants.py) on the references and wrong versions below.
"""

import numpy as np
import pytest
import tensorflow as tf

from helpers.checks import getting_started as check

from mutants import CheckTests

# Wrong versions that divide by a zero standard deviation warn (that is what the check
# must catch).
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# ------------------------------------------------------------ references ---

def standardize(images, eps=1e-7, *, axes=(0, 1, 2), ddof=0, divide="std + eps",
                in_place=False):
    """The solution; the switches make the known mistakes (see MUTANTS)."""
    mean = images.mean(axis=axes, keepdims=True)
    var = images.var(axis=axes, keepdims=True, ddof=ddof)
    scale = {"std + eps": lambda: np.sqrt(var) + eps, "nothing": lambda: 1.0,
             "var + eps": lambda: var + eps, "sqrt(var + eps)": lambda: np.sqrt(var + eps),
             "std": lambda: np.sqrt(var)}[divide]()
    if in_place:
        images -= mean
        images /= scale
        return images
    return (images - mean) / scale


def one_hot(labels, num_classes, *, shift=0, as_array=True, check_range="both",
            transpose=None, in_place=False):
    """The solution; the switches make the known mistakes (see MUTANTS)."""
    labels = np.asarray(labels) if as_array else labels
    if labels.size and ((check_range == "both" and labels.min() < 0)
                        or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), received {labels}")
    out = np.zeros((len(labels), num_classes), dtype=np.float32)
    out[np.arange(len(labels)), (labels.astype(np.int64) + shift) % num_classes] = 1.0
    if in_place and isinstance(labels, np.ndarray):
        labels[...] = 0
    if transpose == "always" or (transpose == "unless square" and out.shape[0] != out.shape[1]):
        return out.T.copy()
    return out


_DIFFERENCES = {  # the step quotient of numerical_gradient, and known mistakes
    "central": lambda up, down, here, eps: (up - down) / (2 * eps),
    "forward": lambda up, down, here, eps: (up - here) / eps,
    "backward": lambda up, down, here, eps: (here - down) / eps,
    "no half": lambda up, down, here, eps: (up - down) / eps,
    "eps twice": lambda up, down, here, eps: (up - down) / (2 * eps) / eps,
    "eps squared": lambda up, down, here, eps: (up - down) / eps ** 2,
}


def numerical_gradient(f, x, eps=1e-5, *, kind="central", dtype=np.float64, in_place=False):
    """The solution; the switches make the known mistakes (see MUTANTS)."""
    x = x.astype(dtype) if dtype != np.float64 else x
    grad = np.zeros(x.shape, dtype=dtype)
    for index in np.ndindex(*x.shape):
        if in_place:  # moves x itself and back: not bitwise the original value
            x[index] += eps
            up = f(x)
            x[index] -= 2 * eps
            down = f(x)
            x[index] += eps
        else:
            plus, minus = x.astype(dtype), x.astype(dtype)
            plus[index] += eps
            minus[index] -= eps
            up, down = f(plus), f(minus)
        here = f(x) if kind in ("forward", "backward") else None
        grad[index] = _DIFFERENCES[kind](up, down, here, eps)
    return grad


def gradient_in_x_dtype(f, x, eps=1e-5, *, steps="x's dtype"):
    """Central differences that keep x's dtype: for the steps (x.copy()), or for the result
    (np.zeros_like(x)) with float64 steps."""
    grad = np.zeros(x.shape) if steps == "x's dtype" else np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        up = x.copy() if steps == "x's dtype" else x.astype(np.float64)
        down = up.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (f(up) - f(down)) / (2 * eps)
    return grad


REFERENCES = {
    "standardize": standardize,
    "one_hot": one_hot,
    "numerical_gradient": numerical_gradient,
}


# ---------------------------------------------------------------- mutants ---

MUTANTS = [
    # standardize
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, axes=None),
     "common mistake: one mean and std over all axes"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, axes=(1, 2)),
     r"common mistake: statistics per image \(axes 1, 2\)"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, axes=(1, 2, 3)),
     "common mistake: statistics per image over all its pixels"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, axes=0),
     "common mistake: statistics over the batch axis only"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, axes=-1),
     "common mistake: statistics along the channel axis"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, divide="nothing"),
     "did not divide by the standard deviation"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, divide="var + eps"),
     "divided by the variance instead"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, ddof=1),
     r"sample standard deviation \(ddof=1\)"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, divide="sqrt(var + eps)"),
     "eps added to the variance under the"),
    ("standardize", lambda images, eps=1e-7: standardize(images),
     "the eps argument is ignored"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, divide="std"),
     r"(?s)case 'a constant channel': .*NaN or infinite.*std 0"),
    ("standardize", lambda images, eps=1e-7: None, "returned None"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps).tolist(),
     "expected a NumPy array, received list"),
    ("standardize", lambda images, eps=1e-7: tf.constant(standardize(images, eps)),
     "returned a TensorFlow tensor"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps)[..., 0], "wrong shape"),
    ("standardize", lambda images, eps=1e-7: np.round(standardize(images, eps)).astype(np.int64),
     "expected floating-point values"),
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, in_place=True),
     "changed its input `images` in place"),
    # one_hot
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes, transpose="always"),
     "common mistake: transposed"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes,
                                                    transpose="unless square"),
     r"(?s)'classes 2, 3 and 5 never appear': wrong shape \(transposed\).*one row per label"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes, shift=-1),
     r"off by one: label k marked in column k - 1"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes, shift=1),
     r"off by one: label k marked in column k \+ 1"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, int(np.max(labels)) + 1),
     r"(?s)5 columns, expected num_classes = 6.*even when some classes never appear"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes).astype(np.float64),
     "expected dtype float32, received dtype float64"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes).astype(np.int64),
     "expected floating-point values, received dtype int"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes, as_array=False),
     r"'labels given as a Python list': your function raised AttributeError"),
    ("one_hot", lambda labels, num_classes: np.eye(num_classes, dtype=np.float32)[
        np.asarray(labels)],  # np.eye(k)[-1] silently gives the last row
     r"'label equal to num_classes': .*must raise ValueError; it raised IndexError"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes, check_range="upper"),
     r"'a negative label': .*must raise ValueError; it returned a result instead"),
    ("one_hot", lambda labels, num_classes: None, "returned None"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes).tolist(),
     "expected a NumPy array, received list"),
    ("one_hot", lambda labels, num_classes: tf.one_hot(labels, num_classes),
     "returned a TensorFlow tensor"),
    ("one_hot", lambda labels, num_classes: one_hot(labels, num_classes, in_place=True),
     "changed its input `labels` in place"),
    # numerical_gradient
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps, kind="forward"),
     "common mistake: forward difference"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps, kind="forward"),
     r"case 'sum of squares, 1-D x': your result matches a common mistake: forward"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps, kind="backward"),
     "common mistake: backward difference"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps, kind="no half"),
     "common mistake: missing the 1/2"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps,
                                                                    kind="eps twice"),
     "common mistake: divided by eps twice"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps,
                                                                    kind="eps squared"),
     "common mistake: divided by eps squared"),
    ("numerical_gradient", lambda f, x, eps=1e-5: np.full(
        x.shape, (f(x + eps) - f(x - eps)) / (2 * eps)), "every entry of x moved at once"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x),
     r"'cubic with a large eps=0.1'.*the eps argument is ignored"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps,
                                                                    dtype=np.float32),
     r"(?s)values differ.*in float64"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(
        lambda y: f(y), x.ravel(), eps).reshape(x.shape),
     r"raised ValueError: f expects an array of x's shape \(3, 4\), received shape \(12,\)"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps, in_place=True),
     "changed its input `x` in place"),
    ("numerical_gradient", gradient_in_x_dtype,
     r"'float32 x: .*common mistake: the entries were moved in x's own dtype, float32"),
    ("numerical_gradient", lambda f, x, eps=1e-5: gradient_in_x_dtype(f, x, eps, steps="float64"),
     r"'float32 x: .*the values are right, but the result has dtype float32"),
    ("numerical_gradient", lambda f, x, eps=1e-5: None, "returned None"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps).tolist(),
     "expected a NumPy array, received list"),
    ("numerical_gradient", lambda f, x, eps=1e-5: tf.constant(numerical_gradient(f, x, eps)),
     "returned a TensorFlow tensor"),
    ("numerical_gradient", lambda f, x, eps=1e-5: numerical_gradient(f, x, eps).ravel(),
     "wrong shape"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("standardize", lambda images, eps=1e-7: standardize(images, eps, axes=None),
     "00.1 standardize, case 'random batch (4, 5, 6, 3)': your result matches a common "
     "mistake: one mean and std over all axes (channels mixed together) instead of one per "
     "channel.\n  expected: [-1.0696,  1.4159,", ["\n  received: [-0.6945,  2.0249,"]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES
