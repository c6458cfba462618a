"""Checks for notebook 01, foundations: activations, softmax, losses, a dense layer,
backpropagation through a two-layer MLP and a gradient-descent step.

Each check runs the student's function on the cases of its `_name_cases()` and
compares the results with an independent oracle: TensorFlow's own operations,
autodiff (`tf.GradientTape`) and `keras.losses` / `keras.layers.Dense`. Known
wrong answers (softmax over the wrong axis, a loss summed instead of averaged, a
missing ReLU mask, ...) are listed in each exercise's `_NAME_MISTAKES` table,
computed by its switch oracle `_name_answer` and named in the message.

Example:

>>> from helpers.checks import foundations as check
>>> check.sigmoid(sigmoid)
01.1 sigmoid: all 5 cases passed
"""

import warnings

import numpy as np

from helpers.checks.core import (exercise, import_keras, import_tensorflow, mistakes_from,
                                 random_values)
from helpers.checks.references import sigmoid as _sigmoid
from helpers.checks.references import softmax as _softmax

#: Keras's fuzz factor: cross-entropies clip probabilities to [EPS, 1 - EPS].
EPS = 1e-7


# ---------------------------------------------------------------- oracles ---


def _tf_op(op, x):
    """Applies a TF op to a float64 copy of x and returns NumPy."""
    tf = import_tensorflow()
    return op(tf.constant(x, dtype=tf.float64)).numpy()


def _tf_derivative(op, x):
    """Elementwise derivative of an elementwise TF op at x, by autodiff."""
    tf = import_tensorflow()
    t = tf.constant(x, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = op(t)
    return tape.gradient(y, t).numpy()


def _elementwise_cases():
    """(case, x): the cases of the activations and their derivatives, 01.1 to 01.6."""
    return [
        ("zeros", np.zeros(4)),
        ("mixed signs", np.array([-3.0, -1.0, -0.5, 0.25, 1.0, 3.0])),
        ("2-D batch", random_values(1, (4, 3), scale=2.0)),
        ("batch of one", random_values(2, (1, 5), scale=2.0)),
        ("large magnitudes", np.array([-1000.0, -50.0, -5.0, 5.0, 50.0, 1000.0])),
    ]


_NONFINITE_EXP = (
    "np.exp overflows to inf above about 709, and inf/inf is NaN. Rearrange the "
    "formula so that exp only ever sees numbers <= 0, or build on a function you "
    "already made stable."
)


# ------------------------------------------------------------ activations ---

def _sigmoid_answer(x, *, sign=-1.0, function="sigmoid"):
    """Sigmoid of `x`, 1 / (1 + exp(-x)), computed without overflow.

    Args:
        sign: the sign of x inside the exp; 1.0 gives 1 / (1 + exp(x)) = 1 - sigmoid(x).
        function: "tanh" gives tanh(x) instead.
    """
    if function == "tanh":
        return np.tanh(x)
    return _sigmoid(-sign * x)


_SIGMOID_MISTAKES = {
    "exp(x) instead of exp(-x), which gives 1 - sigmoid(x)": {"sign": 1.0},
    "tanh(x) instead of sigmoid(x)": {"function": "tanh"},
}


@exercise("01.1")
def sigmoid(ex):
    """Checks `sigmoid(x)` against `tf.sigmoid`, including x = +-1000 without overflow."""
    tf = import_tensorflow()
    for case, x in _elementwise_cases():
        with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn"):
            warnings.simplefilter("always")
            out = ex.call(case, x)
        overflow = [w for w in caught if "overflow" in str(w.message)]
        ex.compare(
            case, out, _tf_op(tf.sigmoid, x),
            mistakes=mistakes_from(_sigmoid_answer, _SIGMOID_MISTAKES, x),
            hint="sigmoid(x) = 1 / (1 + exp(-x)); it is 0.5 at 0 and rises to 1.",
            nonfinite_hint=_NONFINITE_EXP,
        )
        ex.require(
            case, not overflow,
            f"the values are right, but NumPy warned: {overflow[0].message if overflow else ''}. "
            "A stable sigmoid computes no exp that overflows.",
            "np.exp(1000) is inf. Note that np.where(cond, a, b) computes both a and b "
            "on every element, so an overflowing branch still warns. Arrange the "
            "computation so exp only ever sees numbers <= 0 (e.g. work with -|x|).",
        )


def _sigmoid_grad_answer(x, *, of_x=False, sign=-1.0, tanh_style=False, derivative=True):
    """The derivative of sigmoid at `x`: s * (1 - s), with s = sigmoid(x).

    Args:
        of_x: True puts x in place of s: x * (1 - x).
        sign: the sign inside the bracket; 1.0 gives s * (1 + s).
        tanh_style: True gives tanh's formula, 1 - s ** 2.
        derivative: False gives s itself.
    """
    s = x if of_x else _sigmoid(x)
    if not derivative:
        return s
    if tanh_style:
        return 1 - s ** 2
    return s * (1 + sign * s)


_SIGMOID_GRAD_MISTAKES = {
    "returns sigmoid(x) itself, not its derivative": {"derivative": False},
    "x * (1 - x): the formula needs sigmoid(x) in place of x": {"of_x": True},
    "sigmoid(x) * (1 + sigmoid(x)): the sign inside is wrong": {"sign": 1.0},
    "1 - sigmoid(x) ** 2, which is the tanh-style formula": {"tanh_style": True},
}


@exercise("01.2")
def sigmoid_grad(ex):
    """Checks `sigmoid_grad(x)`, the derivative of sigmoid at x, against autodiff."""
    tf = import_tensorflow()
    for case, x in _elementwise_cases():
        ex.compare(
            case, ex.call(case, x), _tf_derivative(tf.sigmoid, x),
            mistakes=mistakes_from(_sigmoid_grad_answer, _SIGMOID_GRAD_MISTAKES, x),
            hint="sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x)); it peaks at 0.25 at x = 0.",
            nonfinite_hint=_NONFINITE_EXP + " (Here: call your stable sigmoid.)",
        )


def _tanh_answer(x, *, scale=1.0, function="tanh"):
    """Tanh of `x`.

    Args:
        scale: multiplies x inside the tanh; 0.5 gives tanh(x / 2) = 2 * sigmoid(x) - 1,
            -1.0 gives tanh(-x).
        function: "sigmoid" gives sigmoid(x) instead.
    """
    if function == "sigmoid":
        return _sigmoid(x)
    return np.tanh(scale * x)


_TANH_MISTAKES = {
    "returns sigmoid(x), not tanh(x)": {"function": "sigmoid"},
    "2 * sigmoid(x) - 1, which is tanh(x / 2): the argument needs doubling": {"scale": 0.5},
    "sign flipped: that is tanh(-x)": {"scale": -1.0},
}


@exercise("01.3")
def tanh(ex):
    """Checks `tanh(x)` against `tf.tanh`, including x = +-1000."""
    tf = import_tensorflow()
    for case, x in _elementwise_cases():
        ex.compare(
            case, ex.call(case, x), _tf_op(tf.tanh, x),
            mistakes=mistakes_from(_tanh_answer, _TANH_MISTAKES, x),
            hint="tanh(x) = (e^x - e^-x) / (e^x + e^-x): 0 at 0, between -1 and 1.",
            nonfinite_hint=_NONFINITE_EXP,
        )


def _tanh_grad_answer(x, *, of_x=False, power=2, derivative=True):
    """The derivative of tanh at `x`: 1 - t ** 2, with t = tanh(x).

    Args:
        of_x: True puts x in place of t: 1 - x ** 2.
        power: the power of t; 1 gives 1 - t.
        derivative: False gives t itself.
    """
    t = x if of_x else np.tanh(x)
    return 1 - t ** power if derivative else t


_TANH_GRAD_MISTAKES = {
    "1 - x ** 2: the formula needs tanh(x) in place of x": {"of_x": True},
    "1 - tanh(x): the tanh needs squaring": {"power": 1},
    "returns tanh(x) itself, not its derivative": {"derivative": False},
}


@exercise("01.4")
def tanh_grad(ex):
    """Checks `tanh_grad(x)`, the derivative of tanh at x, against autodiff."""
    tf = import_tensorflow()
    for case, x in _elementwise_cases():
        ex.compare(
            case, ex.call(case, x), _tf_derivative(tf.tanh, x),
            mistakes=mistakes_from(_tanh_grad_answer, _TANH_GRAD_MISTAKES, x),
            hint="tanh'(x) = 1 - tanh(x)**2; it is 1 at x = 0 and falls to 0 for large |x|.",
            nonfinite_hint=_NONFINITE_EXP + " (Here: build on your tanh.)",
        )


def _with_zero_cases():
    """(case, x) for 01.5 and 01.6, the piecewise functions: exact zeros matter (the kink)."""
    return _elementwise_cases() + [("exact zeros among others", np.array([-2.0, 0.0, 2.0, 0.0]))]


def _relu_answer(x, *, slope=0.0, keep="positive"):
    """Relu of `x`: x where x > 0, else 0.

    Args:
        slope: the slope for x <= 0; 1.0 gives x unchanged, -1.0 gives |x|.
        keep: "negative" keeps the negative part, min(x, 0), instead.
    """
    if keep == "negative":
        return np.minimum(x, 0)
    return np.where(x > 0, x, slope * x)


_RELU_MISTAKES = {
    "returns x unchanged (negatives not set to 0)": {"slope": 1.0},
    "keeps the negative part, min(x, 0), instead of the positive": {"keep": "negative"},
    "returns |x|: negatives must become 0, not positive": {"slope": -1.0},
}


@exercise("01.5")
def relu(ex):
    """Checks `relu(x)` against `tf.nn.relu`: a new array, `x` unchanged (its docstring)."""
    tf = import_tensorflow()
    for case, x in _with_zero_cases():
        ex.compare(
            case, ex.call(case, x), _tf_op(tf.nn.relu, x),
            mistakes=mistakes_from(_relu_answer, _RELU_MISTAKES, x),
            hint="relu(x) = max(x, 0) elementwise (np.maximum, not the built-in max).",
        )
    for case, x in _with_zero_cases():  # values first: a wrong value says more
        ex.call(case, x, returns_new=True)


def _relu_grad_answer(x, *, at_zero=0.0, reverse=False, derivative=True):
    """The derivative of relu at `x`: 1.0 where x > 0, else 0.0 (0 at x = 0, as TensorFlow).

    Args:
        at_zero: the value at x = 0; 1.0 is the x >= 0 mistake.
        reverse: True gives 1.0 where x < 0 instead.
        derivative: False gives relu(x) itself.
    """
    if not derivative:
        return np.maximum(x, 0.0)
    step = (x < 0) if reverse else (x > 0)
    return np.where(x == 0, at_zero, step.astype(float))


_RELU_GRAD_MISTAKES = {
    "gives 1 at x = 0; TensorFlow (and this workbook) uses 0 there (x > 0, not x >= 0)":
        {"at_zero": 1.0},
    "returns relu(x) itself, not its derivative": {"derivative": False},
    "the step is reversed (1 for negative x)": {"reverse": True},
}


@exercise("01.6")
def relu_grad(ex):
    """Checks `relu_grad(x)` against autodiff of `tf.nn.relu` (0 at x = 0, as TF)."""
    tf = import_tensorflow()
    for case, x in _with_zero_cases():
        ex.compare(
            case, ex.call(case, x), _tf_derivative(tf.nn.relu, x),
            mistakes=mistakes_from(_relu_grad_answer, _RELU_GRAD_MISTAKES, x),
            hint="relu'(x) is 1 where x > 0 and 0 elsewhere, as a float array.",
        )


def _leaky_relu_cases():
    """(case, x, alpha or None for the default 0.01) for 01.7 and 01.8."""
    return [
        ("default alpha, mixed signs", np.array([-3.0, -1.0, -0.5, 0.25, 1.0, 3.0]), None),
        ("default alpha, exact zeros", np.array([-2.0, 0.0, 2.0, 0.0]), None),
        ("alpha=0.2, 2-D batch", random_values(3, (4, 3), scale=2.0), 0.2),
        ("alpha=0.3, batch of one", random_values(4, (1, 5), scale=2.0), 0.3),
        ("alpha=0.01, large magnitudes", np.array([-1000.0, -5.0, 5.0, 1000.0]), 0.01),
    ]


def _leaky_relu_answer(x, alpha, *, slope=None, swap_sides=False):
    """Leaky relu of `x`: x where x > 0, else alpha * x.

    Args:
        slope: a slope used in place of alpha; 0.0 gives relu, 0.01 ignores alpha.
        swap_sides: True multiplies the positive side by alpha instead.
    """
    alpha = alpha if slope is None else slope
    if swap_sides:
        return np.where(x > 0, alpha * x, x)
    return np.where(x > 0, x, alpha * x)


_LEAKY_RELU_MISTAKES = {
    "plain relu: negative inputs must keep a slope of alpha": {"slope": 0.0},
    "alpha ignored: 0.01 used whatever alpha was passed": {"slope": 0.01},
    "alpha applied to the positive side instead of the negative side": {"swap_sides": True},
}


@exercise("01.7")
def leaky_relu(ex):
    """Checks `leaky_relu(x, alpha=0.01)` against `tf.nn.leaky_relu`."""
    tf = import_tensorflow()
    for case, x, alpha in _leaky_relu_cases():
        a = 0.01 if alpha is None else alpha
        out = ex.call(case, x) if alpha is None else ex.call(case, x, alpha=alpha)
        ex.compare(
            case, out, _tf_op(lambda t: tf.nn.leaky_relu(t, alpha=a), x),
            mistakes=mistakes_from(_leaky_relu_answer, _LEAKY_RELU_MISTAKES, x, a),
            hint="leaky_relu(x) is x where x > 0 and alpha * x elsewhere; use the "
                 "alpha argument (default 0.01).",
        )


def _leaky_relu_grad_answer(x, alpha, *, slope=None, at_zero=None, derivative=True):
    """The derivative of leaky relu at `x`: 1.0 where x > 0, else alpha (alpha at x = 0,
    as TensorFlow).

    Args:
        slope: a slope used in place of alpha; 0.0 gives relu's derivative, 0.01
            ignores alpha.
        at_zero: the value at x = 0, if not the slope; 1.0 is the x >= 0 mistake.
        derivative: False gives leaky_relu(x) itself.
    """
    if not derivative:
        return np.where(x > 0, x, alpha * x)
    alpha = alpha if slope is None else slope
    grad = np.where(x > 0, 1.0, alpha)
    return grad if at_zero is None else np.where(x == 0, at_zero, grad)


_LEAKY_RELU_GRAD_MISTAKES = {
    "gives 1 at x = 0; TensorFlow uses alpha there (x > 0, not x >= 0)": {"at_zero": 1.0},
    "relu's derivative: negative inputs must get a slope of alpha, not 0": {"slope": 0.0},
    "alpha ignored: 0.01 used whatever alpha was passed": {"slope": 0.01},
    "returns leaky_relu(x) itself, not its derivative": {"derivative": False},
}


@exercise("01.8")
def leaky_relu_grad(ex):
    """Checks `leaky_relu_grad(x, alpha=0.01)` against autodiff (alpha at x = 0, as TF)."""
    tf = import_tensorflow()
    for case, x, alpha in _leaky_relu_cases():
        a = 0.01 if alpha is None else alpha
        out = ex.call(case, x) if alpha is None else ex.call(case, x, alpha=alpha)
        ex.compare(
            case, out, _tf_derivative(lambda t: tf.nn.leaky_relu(t, alpha=a), x),
            mistakes=mistakes_from(_leaky_relu_grad_answer, _LEAKY_RELU_GRAD_MISTAKES, x, a),
            hint="the derivative is 1 where x > 0 and alpha elsewhere, as a float array.",
        )


# ---------------------------------------------------------------- softmax ---

def _softmax_cases():
    """(case, logits) for 01.9."""
    return [
        ("one vector", np.array([1.0, 2.0, 3.0, 0.5])),
        ("square batch (4, 4)", random_values(5, (4, 4), scale=2.0)),
        ("batch of one", random_values(6, (1, 5), scale=2.0)),
        ("3-D (2, 3, 4)", random_values(7, (2, 3, 4), scale=2.0)),
        ("large logits", np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -999.0],
                                   [1000.0, 0.0, -1000.0]])),
    ]


def _softmax_answer(x, *, axis=-1, normalise=True, max_keepdims=True, sum_keepdims=True):
    """Softmax of `x` along the last axis, each slice's largest value subtracted first.

    Args:
        axis: the axis normalised over; 0 and 1 are wrong axes, None normalises over
            the whole array.
        normalise: False gives exp(x), divided by no sum.
        max_keepdims: False takes the max without keepdims=True, so that it broadcasts
            along the wrong axis.
        sum_keepdims: False takes the sum without keepdims=True, likewise.

    Returns:
        The softmax, or None where NumPy raises (an axis that `x` lacks, or a
        reduction without keepdims that does not broadcast): that mistake gives no
        result on `x`.
    """
    if not normalise:
        return np.exp(x)
    try:
        e = np.exp(x - np.max(x, axis=axis, keepdims=max_keepdims))
        return e / np.sum(e, axis=axis, keepdims=sum_keepdims)
    except ValueError:  # NumPy's AxisError is a ValueError too
        return None


_SOFTMAX_MISTAKES = {
    "normalised over the whole array instead of over the last axis of each row":
        {"axis": None},
    "exp taken but not normalised (the sum must divide)": {"normalise": False},
    "softmax over axis 0 (across the batch) instead of the last axis": {"axis": 0},
    "softmax over axis 1 instead of the last axis (use axis=-1)": {"axis": 1},
    "sums taken without keepdims=True, so they broadcast along the wrong axis":
        {"sum_keepdims": False},
    "max taken without keepdims=True, so each column gets another row's max subtracted":
        {"max_keepdims": False},
}


@exercise("01.9")
def softmax(ex):
    """Checks `softmax(logits)` over the last axis against `tf.nn.softmax`."""
    tf = import_tensorflow()
    for case, x in _softmax_cases():
        ex.compare(
            case, ex.call(case, x), _tf_op(tf.nn.softmax, x),
            mistakes=mistakes_from(_softmax_answer, _SOFTMAX_MISTAKES, x),
            hint="each slice along the last axis must be exp(x) / sum(exp(x)) over that "
                 "axis; use axis=-1 and keepdims=True.",
            nonfinite_hint="exp(1000) overflows to inf and inf/inf is NaN. Softmax does "
                           "not change when you subtract the same number from every "
                           "logit of a row: subtract each row's maximum first "
                           "(np.max(x, axis=-1, keepdims=True)). The maximum of the whole "
                           "array is not enough: a row far below it underflows to all "
                           "zeros, and 0/0 is NaN.",
        )


# ----------------------------------------------------------------- losses ---

def _regression_cases():
    """(case, y_true, y_pred) for 01.10 and 01.11."""
    return [
        ("1-D batch", np.array([1.0, -2.0, 3.0, 0.5]), np.array([1.5, -1.0, 2.0, 0.5])),
        ("2-D (batch, outputs)", random_values(8, (5, 3), scale=2.0),
         random_values(9, (5, 3), scale=2.0)),
        ("batch of one", np.array([[2.0, -1.0, 0.0]]), np.array([[1.0, 1.0, 0.5]])),
        ("perfect predictions", np.array([[0.5, 1.0], [2.0, -3.0]]),
         np.array([[0.5, 1.0], [2.0, -3.0]])),
    ]


def _reduce_loss(terms, reduction):
    """Reduces a loss's terms (one per entry) to one number.

    Args:
        reduction: "mean" averages every entry; "sum" adds every entry; "mean of sums"
            sums over the last axis (each example's outputs), then averages over the batch.
    """
    if reduction == "mean of sums":
        return np.mean(np.sum(terms, axis=-1))
    return np.sum(terms) if reduction == "sum" else np.mean(terms)


def _mse_answer(y_true, y_pred, *, power=2, reduction="mean", root=False):
    """Mean squared error: the mean of (y_true - y_pred) ** 2 over every entry, as Keras.

    Args:
        power: the power of |y_true - y_pred|; 1 gives the MAE.
        reduction: "sum" or "mean of sums" in place of "mean" (see `_reduce_loss`).
        root: True takes the square root: the RMSE.
    """
    loss = _reduce_loss(np.abs(y_true - y_pred) ** power, reduction)
    return np.sqrt(loss) if root else loss


_MSE_MISTAKES = {
    "squared errors summed instead of averaged": {"reduction": "sum"},
    "squared errors summed over the outputs of each example, then averaged over the batch "
    "(Keras averages over both)": {"reduction": "mean of sums"},
    "square root taken: that is the RMSE": {"root": True},
    "absolute errors instead of squared errors (that is the MAE)": {"power": 1},
}


def _swap_hint(name):
    return f"{name}(y_true, y_pred) takes the true values first, like keras.losses."


@exercise("01.10")
def mse(ex):
    """Checks `mse(y_true, y_pred)` against `keras.losses.mean_squared_error` (batch mean)."""
    keras = import_keras()
    for case, y_true, y_pred in _regression_cases():
        expected = np.mean(np.asarray(keras.losses.mean_squared_error(y_true, y_pred)))
        ex.compare(
            case, ex.call(case, y_true, y_pred), expected, kind="scalar",
            mistakes=mistakes_from(_mse_answer, _MSE_MISTAKES, y_true, y_pred),
            hint="MSE is the mean, over every entry, of (y_true - y_pred) ** 2.",
        )


def _mae_answer(y_true, y_pred, *, absolute=True, power=1, reduction="mean"):
    """Mean absolute error: the mean of |y_true - y_pred| over every entry, as Keras.

    Args:
        absolute: False leaves out the absolute value.
        power: the power of the errors; 2 gives the MSE.
        reduction: "sum" or "mean of sums" in place of "mean" (see `_reduce_loss`).
    """
    errors = y_true - y_pred
    return _reduce_loss((np.abs(errors) if absolute else errors) ** power, reduction)


_MAE_MISTAKES = {
    "absolute errors summed instead of averaged": {"reduction": "sum"},
    "absolute errors summed over the outputs of each example, then averaged over the batch "
    "(Keras averages over both)": {"reduction": "mean of sums"},
    "absolute value missing: positive and negative errors cancel": {"absolute": False},
    "squared errors instead of absolute errors (that is the MSE)": {"power": 2},
}


@exercise("01.11")
def mae(ex):
    """Checks `mae(y_true, y_pred)` against `keras.losses.mean_absolute_error` (batch mean)."""
    keras = import_keras()
    for case, y_true, y_pred in _regression_cases():
        expected = np.mean(np.asarray(keras.losses.mean_absolute_error(y_true, y_pred)))
        ex.compare(
            case, ex.call(case, y_true, y_pred), expected, kind="scalar",
            mistakes=mistakes_from(_mae_answer, _MAE_MISTAKES, y_true, y_pred),
            hint="MAE is the mean, over every entry, of |y_true - y_pred|.",
        )


_CLIP_HINT = (
    "log(0) is -inf, and 0 * log(0) is NaN. Clip the predictions to [eps, 1 - eps] with "
    "eps = 1e-7 (np.clip) before taking any log."
)


def _cross_entropy_hint(name, case, formula):
    """The hint of a cross-entropy case: argument order, the formula, and eps where it matters."""
    hint = f"{_swap_hint(name)} {formula}"
    if "exactly" in case:
        hint += (" Clip with eps = 1e-7 exactly (Keras's epsilon): another eps gives "
                 "another large value for a confident wrong prediction.")
    return hint


def _binary_cross_entropy_cases():
    """(case, y_true, y_pred) for 01.12."""
    return [
        ("1-D labels", np.array([1.0, 0.0, 1.0, 0.0, 1.0]), np.array([0.9, 0.2, 0.6, 0.4, 0.3])),
        ("2-D multi-label (batch, 3)", np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0],
                                                 [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
         np.array([[0.8, 0.1, 0.7], [0.3, 0.2, 0.9], [0.6, 0.55, 0.05], [0.25, 0.7, 0.4]])),
        ("batch of one", np.array([[0.0, 1.0]]), np.array([[0.35, 0.8]])),
        ("predictions exactly 0 and 1", np.array([[1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]]),
         np.array([[1.0, 0.0, 0.0, 1.0], [0.7, 1.0, 0.0, 0.2]])),
        ("soft labels in [0, 1]", np.array([[0.9, 0.2, 0.4], [0.1, 0.7, 1.0]]),
         np.array([[0.8, 0.3, 0.6], [0.25, 0.55, 0.9]])),
    ]


def _binary_cross_entropy_answer(y_true, y_pred, *, sign=-1.0, swap=False, negatives=True,
                                 reduction="mean", by_label=None):
    """Binary cross-entropy, as Keras: the mean over every entry of
    -(y_true * log(p) + (1 - y_true) * log(1 - p)), with p = y_pred clipped to [EPS, 1 - EPS].

    Args:
        sign: the sign in front; 1.0 leaves out the minus.
        swap: True swaps the arguments, as a call (y_pred, y_true) does.
        negatives: False leaves out the (1 - y_true) * log(1 - p) term.
        reduction: "sum" or "mean of sums" in place of "mean" (see `_reduce_loss`).
        by_label: "== 1" takes log(p) where y_true == 1 and log(1 - p) elsewhere; "round"
            where y_true >= 0.5: right for hard labels only.
    """
    if swap:
        y_true, y_pred = y_pred, y_true
    p = np.clip(y_pred, EPS, 1 - EPS)
    if by_label is not None:
        positive = y_true == 1 if by_label == "== 1" else y_true >= 0.5
        return sign * _reduce_loss(np.where(positive, np.log(p), np.log(1 - p)), reduction)
    terms = y_true * np.log(p)
    if negatives:
        terms = terms + (1 - y_true) * np.log(1 - p)
    return sign * _reduce_loss(terms, reduction)


_BINARY_CROSS_ENTROPY_MISTAKES = {
    "summed instead of averaged": {"reduction": "sum"},
    "minus sign missing: a loss of log-probabilities must be >= 0": {"sign": 1.0},
    "arguments swapped: called as (y_pred, y_true)": {"swap": True},
    "only the y_true * log(y_pred) term: the (1 - y_true) * log(1 - y_pred) term for the "
    "negatives is missing": {"negatives": False},
    "summed over the outputs of each example, then averaged over the batch (Keras averages "
    "over both)": {"reduction": "mean of sums"},
    "log(y_pred) taken where y_true == 1 and log(1 - y_pred) elsewhere: with soft labels in "
    "[0, 1] both terms count, weighted by y_true and 1 - y_true": {"by_label": "== 1"},
    "y_true rounded to 0 or 1: with soft labels in [0, 1] both terms count, weighted by "
    "y_true and 1 - y_true": {"by_label": "round"},
}


@exercise("01.12")
def binary_cross_entropy(ex):
    """Checks `binary_cross_entropy(y_true, y_pred)` against `keras.losses`."""
    keras = import_keras()
    for case, y_true, y_pred in _binary_cross_entropy_cases():
        expected = np.mean(np.asarray(keras.losses.binary_crossentropy(y_true, y_pred)))
        ex.compare(
            case, ex.call(case, y_true, y_pred), expected, kind="scalar",
            mistakes=mistakes_from(_binary_cross_entropy_answer, _BINARY_CROSS_ENTROPY_MISTAKES,
                                   y_true, y_pred),
            hint=_cross_entropy_hint(
                "binary_cross_entropy", case, "BCE = -mean(y_true * log(p) + (1 - y_true) * "
                "log(1 - p)) with p the clipped predictions."),
            nonfinite_hint=_CLIP_HINT,
        )


def _categorical_cross_entropy_cases():
    """(case, y_true, y_pred) for 01.13."""
    return [
        ("one-hot labels (4, 3)", np.eye(3)[[0, 2, 1, 2]],
         np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25], [0.4, 0.4, 0.2]])),
        ("soft labels", np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]]),
         np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])),
        ("batch of one", np.array([[0.0, 0.0, 1.0, 0.0]]), np.array([[0.1, 0.2, 0.6, 0.1]])),
        ("predictions exactly 0 and 1", np.eye(4)[[0, 1, 2]],
         np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0]])),
    ]


def _categorical_cross_entropy_answer(y_true, y_pred, *, sign=-1.0, swap=False,
                                      reduction="mean of sums", true_class_only=False):
    """Categorical cross-entropy, as Keras: the mean over the batch of
    -sum(y_true * log(p)) over the classes, with p = y_pred clipped to [EPS, 1 - EPS].

    Args:
        sign: the sign in front; 1.0 leaves out the minus.
        swap: True swaps the arguments, as a call (y_pred, y_true) does.
        reduction: "sum" or "mean" in place of "mean of sums" (see `_reduce_loss`).
        true_class_only: True keeps only the log-probability of each row's largest label
            (its argmax), as if the labels were one-hot.
    """
    if swap:
        y_true, y_pred = y_pred, y_true
    p = np.clip(y_pred, EPS, 1 - EPS)
    if true_class_only:
        y_true = np.eye(y_true.shape[-1])[np.argmax(y_true, axis=-1)]
    return sign * _reduce_loss(y_true * np.log(p), reduction)


_CATEGORICAL_CROSS_ENTROPY_MISTAKES = {
    "summed over the batch instead of averaged": {"reduction": "sum"},
    "averaged over classes as well as over the batch: sum over the classes, then average "
    "over the batch": {"reduction": "mean"},
    "minus sign missing: a loss of log-probabilities must be >= 0": {"sign": 1.0},
    "arguments swapped: called as (y_pred, y_true)": {"swap": True},
    "only the log-probability of each row's argmax class: with soft labels every class "
    "counts, weighted by y_true": {"true_class_only": True},
}


@exercise("01.13")
def categorical_cross_entropy(ex):
    """Checks `categorical_cross_entropy(y_true, y_pred)` against `keras.losses`."""
    keras = import_keras()
    for case, y_true, y_pred in _categorical_cross_entropy_cases():
        expected = np.mean(np.asarray(keras.losses.categorical_crossentropy(y_true, y_pred)))
        ex.compare(
            case, ex.call(case, y_true, y_pred), expected, kind="scalar",
            mistakes=mistakes_from(_categorical_cross_entropy_answer,
                                   _CATEGORICAL_CROSS_ENTROPY_MISTAKES, y_true, y_pred),
            hint=_cross_entropy_hint(
                "categorical_cross_entropy", case, "CCE = mean over the batch of -sum(y_true * "
                "log(p)) over the classes, with p the clipped predictions."),
            nonfinite_hint=_CLIP_HINT,
        )


# ------------------------------------------------------------ dense layer ---

def _np_relu(z):
    return np.maximum(z, 0.0)


def _dense_layer_output(x, w, b, activation):
    """The output of a float64 `keras.layers.Dense` with weights w, b and the activation
    of that name (None for none)."""
    keras = import_keras()
    layer = keras.layers.Dense(w.shape[1], activation=activation, dtype="float64")
    layer.build((None, w.shape[0]))
    layer.set_weights([w, b])
    return np.asarray(layer(x))


def _dense_forward_cases():
    """(case, (x, w, b), keyword arguments, expected) for 01.14."""
    rng = np.random.default_rng(10)
    x1, w1, b1 = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2,))
    x2, w2, b2 = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=(3,))
    x3 = rng.normal(size=(1, 4))
    linear = _dense_layer_output(x1, w1, b1, None)
    return [
        ("no activation (default)", (x1, w1, b1), {}, linear),
        ("activation=None", (x1, w1, b1), {"activation": None}, linear),
        ("tanh activation", (x2, w2, b2), {"activation": np.tanh},
         _dense_layer_output(x2, w2, b2, "tanh")),
        ("relu activation, batch of one", (x3, w2, b2), {"activation": _np_relu},
         _dense_layer_output(x3, w2, b2, "relu")),
    ]


def _dense_forward_answer(x, w, b, activation=None, *, bias=True, activate=True,
                          bias_last=False):
    """A dense layer's output, activation(x @ w + b); activation None is the identity.

    Args:
        bias: False leaves out b.
        activate: False leaves out the activation.
        bias_last: True adds b after the activation: activation(x @ w) + b.
    """
    act = activation if activation is not None and activate else (lambda z: z)
    if not bias:
        return act(x @ w)
    return act(x @ w) + b if bias_last else act(x @ w + b)


_DENSE_FORWARD_MISTAKES = {
    "bias missing": {"bias": False},
    "activation not applied": {"activate": False},
    "activation applied before the bias was added": {"bias_last": True},
}


@exercise("01.14")
def dense_forward(ex):
    """Checks `dense_forward(x, w, b, activation=None)` against `keras.layers.Dense`."""
    for case, args, kwargs, expected in _dense_forward_cases():
        ex.compare(
            case, ex.call(case, *args, **kwargs), expected,
            mistakes=mistakes_from(_dense_forward_answer, _DENSE_FORWARD_MISTAKES,
                                   *args, **kwargs),
            hint="the layer computes activation(x @ w + b): (batch, in) @ (in, out) + (out,); "
                 "activation=None means no activation.",
        )


# ------------------------------------------------------------ the MLP ---

def _reference_forward(x, params):
    """The forward pass whose cache the student's mlp_backward receives."""
    z1 = x @ params["w1"] + params["b1"]
    a1 = np.maximum(z1, 0.0)
    z2 = a1 @ params["w2"] + params["b2"]
    probs = _softmax(z2)
    return probs, {"z1": z1, "a1": a1, "z2": z2, "probs": probs}


def _autodiff_mlp_grads(x, y, params):
    """Gradients of the mean categorical cross-entropy by tf.GradientTape."""
    tf = import_tensorflow()
    variables = {k: tf.Variable(v, dtype=tf.float64) for k, v in params.items()}
    with tf.GradientTape() as tape:
        z1 = tf.matmul(x, variables["w1"]) + variables["b1"]
        z2 = tf.matmul(tf.nn.relu(z1), variables["w2"]) + variables["b2"]
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z2))
    grads = tape.gradient(loss, variables)
    return {k: g.numpy() for k, g in grads.items()}


def _mlp_case(seed, n, d, h, c):
    """x (n, d), one-hot y (n, c) and the params of a d-h-c MLP, from `seed`."""
    rng = np.random.default_rng(seed)
    params = {
        "w1": rng.normal(0, 1 / np.sqrt(d), size=(d, h)),
        "b1": rng.normal(0, 0.5, size=(h,)),
        "w2": rng.normal(0, 1 / np.sqrt(h), size=(h, c)),
        "b2": rng.normal(0, 0.5, size=(c,)),
    }
    x = rng.normal(size=(n, d))
    y = np.eye(c)[rng.integers(0, c, size=n)]
    return x, y, params


def _mlp_backward_cases():
    """(case, x, y, params) for 01.15."""
    return [
        ("4 examples, 5 inputs, 6 hidden, 3 classes", *_mlp_case(20, 4, 5, 6, 3)),
        ("batch of one", *_mlp_case(21, 1, 4, 5, 3)),
        ("32 examples, 8 inputs, 16 hidden, 10 classes", *_mlp_case(22, 32, 8, 16, 10)),
    ]


_GRAD_KEYS = ("w2", "b2", "w1", "b1")  # compared from the output back to the input


def _mlp_backward_answer(x, y, params, cache, key, *, batch_mean=True, mask=True,
                         bias_reduction="sum", sign=1.0):
    """The gradient of the mean categorical cross-entropy with respect to params[key],
    by backpropagation from dz2 = (probs - y) / N.

    Args:
        x, y, params, cache: as the student's `mlp_backward` receives them.
        key: the parameter, "w1", "b1", "w2" or "b2".
        batch_mean: False leaves out the 1 / N.
        mask: False leaves out the ReLU mask (z1 > 0) of the hidden layer.
        bias_reduction: how bias gradients reduce over the batch: "mean" averages
            them, None leaves one per example.
        sign: -1.0 starts from y - probs.
    """
    dz2 = sign * (cache["probs"] - y) / (len(x) if batch_mean else 1)
    dz1 = dz2 @ params["w2"].T
    if mask:
        dz1 = dz1 * (cache["z1"] > 0)
    reduce = {"sum": np.sum, "mean": np.mean, None: lambda dz, axis: dz}[bias_reduction]
    grads = {"w2": cache["a1"].T @ dz2, "b2": reduce(dz2, axis=0),
             "w1": x.T @ dz1, "b1": reduce(dz1, axis=0)}
    return grads[key]


_MLP_BACKWARD_MISTAKES = {
    "not divided by the batch size (the loss is a mean over the batch)": {"batch_mean": False},
    "ReLU mask missing: gradient flowed through hidden units whose z1 <= 0": {"mask": False},
    "bias gradients not summed over the batch": {"bias_reduction": None},
    "bias gradients averaged over the batch; the 1/N is already in (probs - y) / N, so sum "
    "them": {"bias_reduction": "mean"},
    "sign flipped: the output gradient is probs - y, not y - probs": {"sign": -1.0},
}


@exercise("01.15")
def mlp_backward(ex):
    """Checks `mlp_backward(x, y, params, cache)` against tf.GradientTape.

    The student's function receives a cache made by the reference forward pass:
    a dict with `"z1"`, `"a1"`, `"z2"` and `"probs"`.
    """
    for case, x, y, params in _mlp_backward_cases():
        probs, cache = _reference_forward(x, params)
        grads = ex.call(case, x, y, params, cache)
        ex.require(
            case, isinstance(grads, dict),
            f"expected a dict of gradients, received {type(grads).__name__}.",
            'return {"w1": ..., "b1": ..., "w2": ..., "b2": ...}.',
        )
        missing = [k for k in _GRAD_KEYS if k not in grads]
        ex.require(
            case, not missing,
            f"the returned dict has no {', '.join(repr(k) for k in missing)}; "
            f"it has {sorted(grads, key=str)}.",
            'return {"w1": ..., "b1": ..., "w2": ..., "b2": ...}, one gradient per parameter.',
        )
        expected = _autodiff_mlp_grads(x, y, params)
        for key in _GRAD_KEYS:
            ex.compare(
                case, grads[key], expected[key], part=f"grads['{key}']",
                mistakes=mistakes_from(_mlp_backward_answer, _MLP_BACKWARD_MISTAKES,
                                       x, y, params, cache, key),
                hint=f"grads['{key}'] must have the shape of params['{key}'] "
                     f"{params[key].shape}. Work backwards from dz2 = (probs - y) / N; "
                     "bias gradients sum over the batch axis.",
            )


# ------------------------------------------------------- gradient descent ---

def _gd_step_cases():
    """(case, params, grads, lr) for 01.16: dicts of random arrays, float32 where the case
    says so."""
    rng = np.random.default_rng(30)
    mlp = {"w1": (6, 4), "b1": (4,), "w2": (4, 3), "b2": (3,)}
    cases = []
    for case, shapes, lr in [
        ("two parameters, lr=0.1", {"w": (3, 2), "b": (2,)}, 0.1),
        ("four MLP parameters, lr=0.5", mlp, 0.5),
        ("float32 arrays, lr=0.01", {"w": (2, 2)}, 0.01),
        ("lr=0 changes nothing", {"w": (2, 3), "b": (3,)}, 0.0),
    ]:
        dtype = np.float32 if "float32" in case else np.float64
        params = {k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()}
        grads = {k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()}
        cases.append((case, params, grads, lr))
    return cases


def _gd_step_answer(params, grads, lr, key, *, sign=-1.0, scale_by_lr=True):
    """The new value of params[key] after one step of gradient descent,
    params[key] - lr * grads[key].

    Args:
        params, grads, lr: as the student's `gd_step` receives them.
        key: the parameter.
        sign: 1.0 adds the step instead (gradient ascent).
        scale_by_lr: False leaves out lr.
    """
    step = lr * grads[key] if scale_by_lr else grads[key]
    return params[key] + sign * step


_GD_STEP_MISTAKES = {
    "gradient added instead of subtracted: descent goes against the gradient": {"sign": 1.0},
    "lr ignored: the step must be scaled by the learning rate": {"scale_by_lr": False},
}


@exercise("01.16")
def gd_step(ex):
    """Checks `gd_step(params, grads, lr)`: a new dict of new arrays params - lr * grads,
    the inputs unchanged (even with lr=0)."""
    for case, params, grads, lr in _gd_step_cases():
        # Fails if params or grads change in place, or if a new value is a params array.
        new = ex.call(case, params, grads, lr, returns_new=True)
        ex.require(
            case, isinstance(new, dict),
            f"expected a dict of new parameters, received {type(new).__name__}.",
            "return a dict with the same keys as params.",
        )
        ex.require(
            case, set(new) == set(params),
            f"the returned dict has keys {sorted(new, key=str)}, expected "
            f"{sorted(params)} (the keys of params).",
            "return one entry per parameter, with the same keys as params.",
        )
        for key, p in params.items():
            dtype = p.dtype.type
            ex.compare(
                case, new[key], p - dtype(lr) * grads[key], part=f"params['{key}']",
                rtol=1e-6 if dtype is np.float64 else 1e-5,
                mistakes=mistakes_from(_gd_step_answer, _GD_STEP_MISTAKES, params, grads, lr,
                                       key),
                hint="each new parameter is params[key] - lr * grads[key].",
            )
