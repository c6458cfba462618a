"""Mutation tests of helpers.checks.getting_started (notebook 00).

The reference solutions must pass with exactly the success line; plausible wrong
versions must fail with a message that says why; an untouched stub must be
reported as not attempted yet.
"""

import numpy as np
import pytest
import tensorflow as tf

from helpers.checks import getting_started as check
from helpers.checks.core import CheckError, NotAttemptedError


# ----------------------------------------------------------------------------
# Reference solutions (the same as in solutions/00_getting_started.ipynb)
# ----------------------------------------------------------------------------

def standardize(images, eps=1e-7):
    mean = images.mean(axis=(0, 1, 2), keepdims=True)
    std = images.std(axis=(0, 1, 2), keepdims=True)
    return (images - mean) / (std + eps)


def one_hot(labels, num_classes):
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), received {labels}")
    out = np.zeros((len(labels), num_classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(*x.shape):
        plus, minus = x.astype(np.float64), x.astype(np.float64)
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (f(plus) - f(minus)) / (2 * eps)
    return grad


def stub(*args, **kwargs):
    raise NotImplementedError()


# ----------------------------------------------------------------------------
# The references pass; the stub is not attempted
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, fn, line", [
    ("standardize", standardize, "00.1 standardize: all 5 cases passed"),
    ("one_hot", one_hot, "00.2 one_hot: all 7 cases passed"),
    ("numerical_gradient", numerical_gradient, "00.3 numerical_gradient: all 4 cases passed"),
])
def test_reference_passes_with_one_line(capsys, name, fn, line):
    getattr(check, name)(fn)
    assert capsys.readouterr().out == line + "\n"


@pytest.mark.parametrize("name", ["standardize", "one_hot", "numerical_gradient"])
def test_stub_is_not_attempted(name):
    with pytest.raises(NotAttemptedError, match=f"{name}: not attempted yet"):
        getattr(check, name)(stub)


@pytest.mark.parametrize("name", ["standardize", "one_hot", "numerical_gradient"])
def test_calling_the_function_instead_of_passing_it(name):
    with pytest.raises(CheckError, match="needs your function itself"):
        getattr(check, name)(None)


# ----------------------------------------------------------------------------
# 00.1 standardize
# ----------------------------------------------------------------------------

def _standardized(axis, ddof=0, divide="std", eps_inside=False):
    def wrong(images, eps=1e-7):
        mean = images.mean(axis=axis, keepdims=True)
        var = images.var(axis=axis, keepdims=True, ddof=ddof)
        if divide == "none":
            return images - mean
        if divide == "var":
            return (images - mean) / (var + eps)
        if eps_inside:
            return (images - mean) / np.sqrt(var + eps)
        return (images - mean) / (np.sqrt(var) + eps)
    return wrong


STANDARDIZE_MUTANTS = [
    (_standardized(None), "common mistake: one mean and std over all axes"),
    (_standardized((1, 2)), r"common mistake: statistics per image \(axes 1, 2\)"),
    (_standardized((1, 2, 3)), "common mistake: statistics per image over all its pixels"),
    (_standardized(0), "common mistake: statistics over the batch axis only"),
    (_standardized(-1), "common mistake: statistics along the channel axis"),
    (_standardized((0, 1, 2), divide="none"), "did not divide by the standard deviation"),
    (_standardized((0, 1, 2), divide="var"), "divided by the variance instead"),
    (_standardized((0, 1, 2), ddof=1), r"sample standard deviation \(ddof=1\)"),
    (_standardized((0, 1, 2), eps_inside=True), "eps added to the variance under the"),
    (lambda images, eps=1e-7: standardize(images), "the eps argument is ignored"),
]


@pytest.mark.parametrize("wrong, message", STANDARDIZE_MUTANTS)
def test_standardize_mistakes_are_named(wrong, message):
    with pytest.raises(CheckError, match=message):
        check.standardize(wrong)


def test_standardize_without_eps_reports_the_constant_channel():
    def no_eps(images, eps=1e-7):
        return (images - images.mean(axis=(0, 1, 2))) / images.std(axis=(0, 1, 2))

    with np.errstate(all="ignore"), pytest.raises(
        CheckError, match=r"(?s)case 'a constant channel': .*NaN or infinite.*std 0"
    ):
        check.standardize(no_eps)


def test_standardize_returns_wrong_types():
    with pytest.raises(CheckError, match="returned None"):
        check.standardize(lambda images, eps=1e-7: None)
    with pytest.raises(CheckError, match="expected a NumPy array, received list"):
        check.standardize(lambda images, eps=1e-7: standardize(images, eps).tolist())
    with pytest.raises(CheckError, match="returned a TensorFlow tensor"):
        check.standardize(lambda images, eps=1e-7: tf.constant(standardize(images, eps)))
    with pytest.raises(CheckError, match="wrong shape"):
        check.standardize(lambda images, eps=1e-7: standardize(images, eps)[..., 0])
    with pytest.raises(CheckError, match="expected floating-point values"):
        check.standardize(lambda images, eps=1e-7: np.round(standardize(images, eps))
                          .astype(np.int64))


def test_standardize_in_place_is_reported():
    def in_place(images, eps=1e-7):
        images -= images.mean(axis=(0, 1, 2))
        images /= images.std(axis=(0, 1, 2)) + eps
        return images

    with pytest.raises(CheckError, match="changed its input `images` in place"):
        check.standardize(in_place)


# ----------------------------------------------------------------------------
# 00.2 one_hot
# ----------------------------------------------------------------------------

def test_one_hot_transposed():
    with pytest.raises(CheckError, match="common mistake: transposed"):
        check.one_hot(lambda labels, num_classes: one_hot(labels, num_classes).T.copy())


def test_one_hot_transposed_non_square_is_a_shape_error():
    def transposed(labels, num_classes):
        out = one_hot(labels, num_classes).T.copy()
        return out if out.shape[0] != out.shape[1] else out.T.copy()

    with pytest.raises(CheckError, match=r"(?s)'classes 2, 3 and 5 never appear': wrong "
                                         r"shape \(transposed\).*one row per label"):
        check.one_hot(transposed)


@pytest.mark.parametrize("shift, message", [
    (-1, r"off by one: label k marked in column k - 1"),
    (1, r"off by one: label k marked in column k \+ 1"),
])
def test_one_hot_off_by_one(shift, message):
    def shifted(labels, num_classes):
        labels = np.asarray(labels)
        out = np.zeros((len(labels), num_classes), np.float32)
        out[np.arange(len(labels)), (labels.astype(np.int64) + shift) % num_classes] = 1
        return out

    with pytest.raises(CheckError, match=message):
        check.one_hot(shifted)


def test_one_hot_columns_from_the_labels():
    def from_max(labels, num_classes):
        labels = np.asarray(labels)
        return one_hot(labels, int(labels.max()) + 1)

    with pytest.raises(CheckError, match=r"(?s)5 columns, expected num_classes = 6.*even "
                                         r"when some classes never appear"):
        check.one_hot(from_max)


def test_one_hot_float64_and_integers():
    with pytest.raises(CheckError, match="expected dtype float32, received dtype float64"):
        check.one_hot(lambda labels, k: one_hot(labels, k).astype(np.float64))
    with pytest.raises(CheckError, match="expected floating-point values, received dtype int"):
        check.one_hot(lambda labels, k: one_hot(labels, k).astype(np.int64))


def test_one_hot_list_input_must_work():
    def array_only(labels, num_classes):
        out = np.zeros((len(labels), num_classes), np.float32)
        out[np.arange(len(labels)), labels.astype(int)] = 1
        return out

    with pytest.raises(CheckError, match=r"'labels given as a Python list': your function "
                                         r"raised AttributeError"):
        check.one_hot(array_only)


def test_one_hot_without_range_check():
    def unchecked(labels, num_classes):  # np.eye(k)[-1] silently gives the last row
        return np.eye(num_classes, dtype=np.float32)[np.asarray(labels)]

    with pytest.raises(CheckError, match=r"'label equal to num_classes': .*must raise "
                                         r"ValueError; it raised IndexError"):
        check.one_hot(unchecked)

    def upper_only(labels, num_classes):
        labels = np.asarray(labels)
        if np.any(labels >= num_classes):
            raise ValueError("label too large")
        return np.eye(num_classes, dtype=np.float32)[labels]

    with pytest.raises(CheckError, match=r"'a negative label': .*must raise ValueError; "
                                         r"it returned a result instead"):
        check.one_hot(upper_only)


def test_one_hot_returns_wrong_types():
    with pytest.raises(CheckError, match="returned None"):
        check.one_hot(lambda labels, k: None)
    with pytest.raises(CheckError, match="expected a NumPy array, received list"):
        check.one_hot(lambda labels, k: one_hot(labels, k).tolist())
    with pytest.raises(CheckError, match="returned a TensorFlow tensor"):
        check.one_hot(lambda labels, k: tf.one_hot(labels, k))


def test_one_hot_in_place_is_reported():
    def in_place(labels, num_classes):
        out = one_hot(labels, num_classes)
        if isinstance(labels, np.ndarray):
            labels[...] = 0
        return out

    with pytest.raises(CheckError, match="changed its input `labels` in place"):
        check.one_hot(in_place)


# ----------------------------------------------------------------------------
# 00.3 numerical_gradient
# ----------------------------------------------------------------------------

def _differences(kind):
    def wrong(f, x, eps=1e-5):
        grad = np.zeros(x.shape)
        for index in np.ndindex(*x.shape):
            plus, minus = x.astype(np.float64), x.astype(np.float64)
            plus[index] += eps
            minus[index] -= eps
            if kind == "forward":
                grad[index] = (f(plus) - f(x)) / eps
            elif kind == "backward":
                grad[index] = (f(x) - f(minus)) / eps
            elif kind == "no half":
                grad[index] = (f(plus) - f(minus)) / eps
            elif kind == "eps twice":
                grad[index] = (f(plus) - f(minus)) / (2 * eps) / eps
            elif kind == "eps squared":
                grad[index] = (f(plus) - f(minus)) / eps ** 2
        return grad
    return wrong


@pytest.mark.parametrize("kind, message", [
    ("forward", r"common mistake: forward difference"),
    ("backward", r"common mistake: backward difference"),
    ("no half", r"common mistake: missing the 1/2"),
    ("eps twice", r"common mistake: divided by eps twice"),
    ("eps squared", r"common mistake: divided by eps squared"),
])
def test_numerical_gradient_mistakes_are_named(kind, message):
    with pytest.raises(CheckError, match=message):
        check.numerical_gradient(_differences(kind))


def test_numerical_gradient_forward_difference_is_caught_even_with_default_eps():
    with pytest.raises(CheckError, match=r"case 'sum of squares, 1-D x': your result "
                                         r"matches a common mistake: forward"):
        check.numerical_gradient(_differences("forward"))


def test_numerical_gradient_all_entries_at_once():
    def at_once(f, x, eps=1e-5):
        return np.full(x.shape, (f(x + eps) - f(x - eps)) / (2 * eps))

    with pytest.raises(CheckError, match="every entry of x moved at once"):
        check.numerical_gradient(at_once)


def test_numerical_gradient_fixed_step():
    def fixed(f, x, eps=1e-5):
        return numerical_gradient(f, x)

    with pytest.raises(CheckError, match=r"'cubic with a large eps=0.1'.*the eps argument "
                                         r"is ignored"):
        check.numerical_gradient(fixed)


def test_numerical_gradient_in_float32_is_too_inaccurate():
    def float32(f, x, eps=1e-5):
        x = x.astype(np.float32)
        grad = np.zeros(x.shape, np.float32)
        for index in np.ndindex(*x.shape):
            plus, minus = x.copy(), x.copy()
            plus[index] += eps
            minus[index] -= eps
            grad[index] = (f(plus) - f(minus)) / (2 * eps)
        return grad

    with pytest.raises(CheckError, match=r"(?s)values differ.*in float64"):
        check.numerical_gradient(float32)


def test_numerical_gradient_flattened_x_is_explained():
    def flat(f, x, eps=1e-5):
        return numerical_gradient(lambda y: f(y), x.ravel(), eps).reshape(x.shape)

    with pytest.raises(CheckError, match=r"raised ValueError: f expects an array of x's "
                                         r"shape \(3, 4\), received shape \(12,\)"):
        check.numerical_gradient(flat)


def test_numerical_gradient_changing_x_in_place_is_reported():
    def in_place(f, x, eps=1e-5):
        grad = np.zeros(x.shape)
        for index in np.ndindex(*x.shape):
            x[index] += eps
            up = f(x)
            x[index] -= 2 * eps
            down = f(x)
            x[index] += eps  # not bitwise the original value
            grad[index] = (up - down) / (2 * eps)
        return grad

    with pytest.raises(CheckError, match="changed its input `x` in place"):
        check.numerical_gradient(in_place)


def test_numerical_gradient_returns_wrong_types():
    with pytest.raises(CheckError, match="returned None"):
        check.numerical_gradient(lambda f, x, eps=1e-5: None)
    with pytest.raises(CheckError, match="expected a NumPy array, received list"):
        check.numerical_gradient(lambda f, x, eps=1e-5: numerical_gradient(f, x, eps).tolist())
    with pytest.raises(CheckError, match="returned a TensorFlow tensor"):
        check.numerical_gradient(
            lambda f, x, eps=1e-5: tf.constant(numerical_gradient(f, x, eps)))
    with pytest.raises(CheckError, match="wrong shape"):
        check.numerical_gradient(lambda f, x, eps=1e-5: numerical_gradient(f, x, eps).ravel())
