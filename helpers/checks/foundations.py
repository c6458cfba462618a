"""Checks for notebook 01, foundations: activations, softmax, losses, a dense layer,
backpropagation through a two-layer MLP and a gradient-descent step.

Each function takes the student's function, runs it on fixed cases and compares
the results with an independent oracle: TensorFlow's own operations, autodiff
(`tf.GradientTape`) and `keras.losses` / `keras.layers.Dense`. Known wrong
answers (softmax over the wrong axis, a loss summed instead of averaged, a
missing ReLU mask, ...) are recognised and named in the message.

Example:

>>> from helpers.checks import foundations as check
>>> check.sigmoid(sigmoid)
01.1 sigmoid: all 5 cases passed
"""

import warnings

import numpy as np

from helpers.checks.core import exercise, import_keras, import_tensorflow, quiet, random_values
from helpers.checks.references import sigmoid as _sigmoid

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


#: Elementwise cases shared by the activations and their derivatives.
def _elementwise_cases():
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
            mistakes={
                "exp(x) instead of exp(-x), which gives 1 - sigmoid(x)": 1 - _sigmoid(x),
                "tanh(x) instead of sigmoid(x)": np.tanh(x),
            },
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


@exercise("01.2")
def sigmoid_grad(ex):
    """Checks `sigmoid_grad(x)`, the derivative of sigmoid at x, against autodiff."""
    tf = import_tensorflow()
    for case, x in _elementwise_cases():
        s = _sigmoid(x)
        ex.compare(
            case, ex.call(case, x), _tf_derivative(tf.sigmoid, x),
            mistakes={
                "returns sigmoid(x) itself, not its derivative": s,
                "x * (1 - x): the formula needs sigmoid(x) in place of x": x * (1 - x),
                "sigmoid(x) * (1 + sigmoid(x)): the sign inside is wrong": s * (1 + s),
                "1 - sigmoid(x) ** 2, which is the tanh-style formula": 1 - s**2,
            },
            hint="sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x)); it peaks at 0.25 at x = 0.",
            nonfinite_hint=_NONFINITE_EXP + " (Here: call your stable sigmoid.)",
        )


@exercise("01.3")
def tanh(ex):
    """Checks `tanh(x)` against `tf.tanh`, including x = +-1000."""
    tf = import_tensorflow()
    for case, x in _elementwise_cases():
        ex.compare(
            case, ex.call(case, x), _tf_op(tf.tanh, x),
            mistakes={
                "returns sigmoid(x), not tanh(x)": _sigmoid(x),
                "2 * sigmoid(x) - 1, which is tanh(x / 2): the argument needs doubling":
                    2 * _sigmoid(x) - 1,
                "sign flipped: that is tanh(-x)": -np.tanh(x),
            },
            hint="tanh(x) = (e^x - e^-x) / (e^x + e^-x): 0 at 0, between -1 and 1.",
            nonfinite_hint=_NONFINITE_EXP,
        )


@exercise("01.4")
def tanh_grad(ex):
    """Checks `tanh_grad(x)`, the derivative of tanh at x, against autodiff."""
    tf = import_tensorflow()
    for case, x in _elementwise_cases():
        t = np.tanh(x)
        ex.compare(
            case, ex.call(case, x), _tf_derivative(tf.tanh, x),
            mistakes={
                "1 - x ** 2: the formula needs tanh(x) in place of x": quiet(lambda: 1 - x**2),
                "1 - tanh(x): the tanh needs squaring": 1 - t,
                "returns tanh(x) itself, not its derivative": t,
            },
            hint="tanh'(x) = 1 - tanh(x)**2; it is 1 at x = 0 and falls to 0 for large |x|.",
            nonfinite_hint=_NONFINITE_EXP + " (Here: build on your tanh.)",
        )


def _with_zero_cases():
    """Cases for the piecewise functions: exact zeros matter (the kink)."""
    return _elementwise_cases() + [("exact zeros among others", np.array([-2.0, 0.0, 2.0, 0.0]))]


@exercise("01.5")
def relu(ex):
    """Checks `relu(x)` against `tf.nn.relu`."""
    tf = import_tensorflow()
    for case, x in _with_zero_cases():
        ex.compare(
            case, ex.call(case, x), _tf_op(tf.nn.relu, x),
            mistakes={
                "returns x unchanged (negatives not set to 0)": x,
                "keeps the negative part, min(x, 0), instead of the positive": np.minimum(x, 0),
                "returns |x|: negatives must become 0, not positive": np.abs(x),
            },
            hint="relu(x) = max(x, 0) elementwise (np.maximum, not the built-in max).",
        )


@exercise("01.6")
def relu_grad(ex):
    """Checks `relu_grad(x)` against autodiff of `tf.nn.relu` (0 at x = 0, as TF)."""
    tf = import_tensorflow()
    for case, x in _with_zero_cases():
        ex.compare(
            case, ex.call(case, x), _tf_derivative(tf.nn.relu, x),
            mistakes={
                "gives 1 at x = 0; TensorFlow (and this workbook) uses 0 there (x > 0, "
                "not x >= 0)": (x >= 0).astype(float),
                "returns relu(x) itself, not its derivative": np.maximum(x, 0),
                "the step is reversed (1 for negative x)": (x < 0).astype(float),
            },
            hint="relu'(x) is 1 where x > 0 and 0 elsewhere, as a float array.",
        )


def _leaky_cases():
    return [
        ("default alpha, mixed signs", np.array([-3.0, -1.0, -0.5, 0.25, 1.0, 3.0]), None),
        ("default alpha, exact zeros", np.array([-2.0, 0.0, 2.0, 0.0]), None),
        ("alpha=0.2, 2-D batch", random_values(3, (4, 3), scale=2.0), 0.2),
        ("alpha=0.3, batch of one", random_values(4, (1, 5), scale=2.0), 0.3),
        ("alpha=0.01, large magnitudes", np.array([-1000.0, -5.0, 5.0, 1000.0]), 0.01),
    ]


@exercise("01.7")
def leaky_relu(ex):
    """Checks `leaky_relu(x, alpha=0.01)` against `tf.nn.leaky_relu`."""
    tf = import_tensorflow()
    for case, x, alpha in _leaky_cases():
        a = 0.01 if alpha is None else alpha
        out = ex.call(case, x) if alpha is None else ex.call(case, x, alpha=alpha)
        ex.compare(
            case, out, _tf_op(lambda t: tf.nn.leaky_relu(t, alpha=a), x),
            mistakes={
                "plain relu: negative inputs must keep a slope of alpha": np.maximum(x, 0),
                "alpha ignored: 0.01 used whatever alpha was passed": np.where(x > 0, x, 0.01 * x),
                "alpha applied to the positive side instead of the negative side":
                    np.where(x > 0, a * x, x),
            },
            hint="leaky_relu(x) is x where x > 0 and alpha * x elsewhere; use the "
                 "alpha argument (default 0.01).",
        )


@exercise("01.8")
def leaky_relu_grad(ex):
    """Checks `leaky_relu_grad(x, alpha=0.01)` against autodiff (alpha at x = 0, as TF)."""
    tf = import_tensorflow()
    for case, x, alpha in _leaky_cases():
        a = 0.01 if alpha is None else alpha
        out = ex.call(case, x) if alpha is None else ex.call(case, x, alpha=alpha)
        ex.compare(
            case, out, _tf_derivative(lambda t: tf.nn.leaky_relu(t, alpha=a), x),
            mistakes={
                "gives 1 at x = 0; TensorFlow uses alpha there (x > 0, not x >= 0)":
                    np.where(x >= 0, 1.0, a),
                "relu's derivative: negative inputs must get a slope of alpha, not 0":
                    (x > 0).astype(float),
                "alpha ignored: 0.01 used whatever alpha was passed": np.where(x > 0, 1.0, 0.01),
                "returns leaky_relu(x) itself, not its derivative": np.where(x > 0, x, a * x),
            },
            hint="the derivative is 1 where x > 0 and alpha elsewhere, as a float array.",
        )


# ---------------------------------------------------------------- softmax ---

def _np_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def _softmax_mistakes(x):
    """Softmax as the common mistakes compute it (call under _quiet: some overflow)."""
    top = x.max()
    mistakes = {
        "normalised over the whole array instead of over the last axis of each row":
            np.exp(x - top) / np.exp(x - top).sum(),
        "exp taken but not normalised (the sum must divide)": np.exp(x),
    }
    if x.ndim >= 2:
        mistakes["softmax over axis 0 (across the batch) instead of the last axis"] = \
            _np_softmax(x, axis=0)
    if x.ndim >= 3:
        mistakes["softmax over axis 1 instead of the last axis (use axis=-1)"] = \
            _np_softmax(x, axis=1)
    if x.ndim == 2 and x.shape[0] == x.shape[1]:
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        mistakes["sums taken without keepdims=True, so they broadcast along the "
                 "wrong axis"] = e / e.sum(axis=-1)
        e = np.exp(x - x.max(axis=-1))
        mistakes["max taken without keepdims=True, so each column gets another "
                 "row's max subtracted"] = e / e.sum(axis=-1, keepdims=True)
    return mistakes


@exercise("01.9")
def softmax(ex):
    """Checks `softmax(logits)` over the last axis against `tf.nn.softmax`."""
    tf = import_tensorflow()
    cases = [
        ("one vector", np.array([1.0, 2.0, 3.0, 0.5])),
        ("square batch (4, 4)", random_values(5, (4, 4), scale=2.0)),
        ("batch of one", random_values(6, (1, 5), scale=2.0)),
        ("3-D (2, 3, 4)", random_values(7, (2, 3, 4), scale=2.0)),
        ("large logits", np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -999.0],
                                   [1000.0, 0.0, -1000.0]])),
    ]
    for case, x in cases:
        ex.compare(
            case, ex.call(case, x), _tf_op(tf.nn.softmax, x),
            mistakes=quiet(_softmax_mistakes, x),
            hint="each slice along the last axis must be exp(x) / sum(exp(x)) over that "
                 "axis; use axis=-1 and keepdims=True.",
            nonfinite_hint="exp(1000) overflows to inf and inf/inf is NaN. Softmax does "
                           "not change when you subtract the same number from every "
                           "logit of a row: subtract each row's maximum first.",
        )


# ----------------------------------------------------------------- losses ---

def _regression_cases():
    return [
        ("1-D batch", np.array([1.0, -2.0, 3.0, 0.5]), np.array([1.5, -1.0, 2.0, 0.5])),
        ("2-D (batch, outputs)", random_values(8, (5, 3), scale=2.0),
         random_values(9, (5, 3), scale=2.0)),
        ("batch of one", np.array([[2.0, -1.0, 0.0]]), np.array([[1.0, 1.0, 0.5]])),
        ("perfect predictions", np.array([[0.5, 1.0], [2.0, -3.0]]),
         np.array([[0.5, 1.0], [2.0, -3.0]])),
    ]


def _swap_hint(name):
    return f"{name}(y_true, y_pred) takes the true values first, like keras.losses."


@exercise("01.10")
def mse(ex):
    """Checks `mse(y_true, y_pred)` against `keras.losses.mean_squared_error` (batch mean)."""
    keras = import_keras()
    for case, y_true, y_pred in _regression_cases():
        d = y_true - y_pred
        expected = np.mean(np.asarray(keras.losses.mean_squared_error(y_true, y_pred)))
        ex.compare(
            case, ex.call(case, y_true, y_pred), expected, kind="scalar",
            mistakes={
                "squared errors summed instead of averaged": np.sum(d**2),
                "squared errors summed over the outputs of each example, then averaged "
                "over the batch (Keras averages over both)": np.mean(np.sum(d**2, axis=-1)),
                "square root taken: that is the RMSE": np.sqrt(np.mean(d**2)),
                "absolute errors instead of squared errors (that is the MAE)": np.mean(np.abs(d)),
            },
            hint="MSE is the mean, over every entry, of (y_true - y_pred) ** 2.",
        )


@exercise("01.11")
def mae(ex):
    """Checks `mae(y_true, y_pred)` against `keras.losses.mean_absolute_error` (batch mean)."""
    keras = import_keras()
    for case, y_true, y_pred in _regression_cases():
        d = y_true - y_pred
        expected = np.mean(np.asarray(keras.losses.mean_absolute_error(y_true, y_pred)))
        ex.compare(
            case, ex.call(case, y_true, y_pred), expected, kind="scalar",
            mistakes={
                "absolute errors summed instead of averaged": np.sum(np.abs(d)),
                "absolute errors summed over the outputs of each example, then averaged "
                "over the batch (Keras averages over both)": np.mean(np.sum(np.abs(d), axis=-1)),
                "absolute value missing: positive and negative errors cancel": np.mean(d),
                "squared errors instead of absolute errors (that is the MSE)": np.mean(d**2),
            },
            hint="MAE is the mean, over every entry, of |y_true - y_pred|.",
        )


def _bce_terms(y_true, y_pred):
    p = np.clip(y_pred, EPS, 1 - EPS)
    return -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))


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


@exercise("01.12")
def binary_cross_entropy(ex):
    """Checks `binary_cross_entropy(y_true, y_pred)` against `keras.losses`."""
    keras = import_keras()
    cases = [
        ("1-D labels", np.array([1.0, 0.0, 1.0, 0.0, 1.0]), np.array([0.9, 0.2, 0.6, 0.4, 0.3])),
        ("2-D multi-label (batch, 3)", np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0],
                                                 [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
         np.array([[0.8, 0.1, 0.7], [0.3, 0.2, 0.9], [0.6, 0.55, 0.05], [0.25, 0.7, 0.4]])),
        ("batch of one", np.array([[0.0, 1.0]]), np.array([[0.35, 0.8]])),
        ("predictions exactly 0 and 1", np.array([[1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]]),
         np.array([[1.0, 0.0, 0.0, 1.0], [0.7, 1.0, 0.0, 0.2]])),
    ]
    for case, y_true, y_pred in cases:
        terms = _bce_terms(y_true, y_pred)
        expected = np.mean(np.asarray(keras.losses.binary_crossentropy(y_true, y_pred)))
        mistakes = {
            "summed instead of averaged": np.sum(terms),
            "minus sign missing: a loss of log-probabilities must be >= 0": -np.mean(terms),
            "arguments swapped: called as (y_pred, y_true)": quiet(
                lambda: np.mean(_bce_terms(y_pred, y_true))),
            "only the y_true * log(y_pred) term: the (1 - y_true) * log(1 - y_pred) term "
            "for the negatives is missing": quiet(
                lambda: -np.mean(y_true * np.log(np.clip(y_pred, EPS, 1 - EPS)))),
        }
        if y_true.ndim == 2:
            mistakes["summed over the outputs of each example, then averaged over the "
                     "batch (Keras averages over both)"] = np.mean(np.sum(terms, axis=-1))
        hint = _cross_entropy_hint(
            "binary_cross_entropy", case, "BCE = -mean(y_true * log(p) + (1 - y_true) * "
            "log(1 - p)) with p the clipped predictions.")
        ex.compare(case, ex.call(case, y_true, y_pred), expected, kind="scalar",
                   mistakes=mistakes, hint=hint, nonfinite_hint=_CLIP_HINT)


@exercise("01.13")
def categorical_cross_entropy(ex):
    """Checks `categorical_cross_entropy(y_true, y_pred)` against `keras.losses`."""
    keras = import_keras()
    cases = [
        ("one-hot labels (4, 3)", np.eye(3)[[0, 2, 1, 2]],
         np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25], [0.4, 0.4, 0.2]])),
        ("soft labels", np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]]),
         np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])),
        ("batch of one", np.array([[0.0, 0.0, 1.0, 0.0]]), np.array([[0.1, 0.2, 0.6, 0.1]])),
        ("predictions exactly 0 and 1", np.eye(4)[[0, 1, 2]],
         np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0]])),
    ]
    for case, y_true, y_pred in cases:
        p = np.clip(y_pred, EPS, 1 - EPS)
        per_example = -np.sum(y_true * np.log(p), axis=-1)
        expected = np.mean(np.asarray(keras.losses.categorical_crossentropy(y_true, y_pred)))
        mistakes = {
            "summed over the batch instead of averaged": np.sum(per_example),
            "averaged over classes as well as over the batch: sum over the classes, then "
            "average over the batch": np.mean(y_true * -np.log(p)),
            "minus sign missing: a loss of log-probabilities must be >= 0": -np.mean(per_example),
            "arguments swapped: called as (y_pred, y_true)": np.mean(
                -np.sum(y_pred * np.log(np.clip(y_true, EPS, 1 - EPS)), axis=-1)),
        }
        hint = _cross_entropy_hint(
            "categorical_cross_entropy", case, "CCE = mean over the batch of -sum(y_true * "
            "log(p)) over the classes, with p the clipped predictions.")
        ex.compare(case, ex.call(case, y_true, y_pred), expected, kind="scalar",
                   mistakes=mistakes, hint=hint, nonfinite_hint=_CLIP_HINT)


# ------------------------------------------------------------ dense layer ---

def _np_relu(z):
    return np.maximum(z, 0.0)


@exercise("01.14")
def dense_forward(ex):
    """Checks `dense_forward(x, w, b, activation=None)` against `keras.layers.Dense`."""
    keras = import_keras()
    rng = np.random.default_rng(10)

    def layer_output(x, w, b, name):
        layer = keras.layers.Dense(w.shape[1], activation=name, dtype="float64")
        layer.build((None, w.shape[0]))
        layer.set_weights([w, b])
        return np.asarray(layer(x))

    x1, w1, b1 = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2,))
    x2, w2, b2 = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=(3,))
    x3 = rng.normal(size=(1, 4))
    linear = layer_output(x1, w1, b1, None)
    cases = [
        ("no activation (default)", (x1, w1, b1), {}, linear, None),
        ("activation=None", (x1, w1, b1), {"activation": None}, linear, None),
        ("tanh activation", (x2, w2, b2), {"activation": np.tanh},
         layer_output(x2, w2, b2, "tanh"), np.tanh),
        ("relu activation, batch of one", (x3, w2, b2), {"activation": _np_relu},
         layer_output(x3, w2, b2, "relu"), _np_relu),
    ]
    for case, args, kwargs, expected, act in cases:
        x, w, b = args
        mistakes = {"bias missing": (act or (lambda z: z))(x @ w)}
        if act is not None:
            mistakes["activation not applied"] = x @ w + b
            mistakes["activation applied before the bias was added"] = act(x @ w) + b
        ex.compare(
            case, ex.call(case, *args, **kwargs), expected,
            mistakes=mistakes,
            hint="the layer computes activation(x @ w + b): (batch, in) @ (in, out) + (out,); "
                 "activation=None means no activation.",
        )


# ------------------------------------------------------------ the MLP ---

def _reference_forward(x, params):
    """The forward pass whose cache the student's mlp_backward receives."""
    z1 = x @ params["w1"] + params["b1"]
    a1 = np.maximum(z1, 0.0)
    z2 = a1 @ params["w2"] + params["b2"]
    probs = _np_softmax(z2)
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


_GRAD_KEYS = ("w2", "b2", "w1", "b1")  # compared from the output back to the input


def _mlp_mistakes(x, y, params, cache):
    """Gradients as the common mistakes would compute them, one dict per mistake."""
    n = len(x)
    z1, a1, probs = cache["z1"], cache["a1"], cache["probs"]

    def grads(dz2, mask=True, bias=np.sum):
        dz1 = dz2 @ params["w2"].T
        if mask:
            dz1 = dz1 * (z1 > 0)
        return {"w2": a1.T @ dz2, "b2": bias(dz2, axis=0),
                "w1": x.T @ dz1, "b1": bias(dz1, axis=0)}

    dz2 = (probs - y) / n

    def unsummed(d, axis):
        return d

    return {
        "not divided by the batch size (the loss is a mean over the batch)":
            grads(probs - y),
        "ReLU mask missing: gradient flowed through hidden units whose z1 <= 0":
            grads(dz2, mask=False),
        "bias gradients not summed over the batch": grads(dz2, bias=unsummed),
        "bias gradients averaged over the batch; the 1/N is already in (probs - y) / N, "
        "so sum them": grads(dz2, bias=np.mean),
        "sign flipped: the output gradient is probs - y, not y - probs": grads(-dz2),
    }


@exercise("01.15")
def mlp_backward(ex):
    """Checks `mlp_backward(x, y, params, cache)` against tf.GradientTape.

    The student's function receives a cache made by the reference forward pass:
    a dict with `"z1"`, `"a1"`, `"z2"` and `"probs"`.
    """
    cases = [
        ("4 examples, 5 inputs, 6 hidden, 3 classes", _mlp_case(20, 4, 5, 6, 3)),
        ("batch of one", _mlp_case(21, 1, 4, 5, 3)),
        ("32 examples, 8 inputs, 16 hidden, 10 classes", _mlp_case(22, 32, 8, 16, 10)),
    ]
    for case, (x, y, params) in cases:
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
        wrong = _mlp_mistakes(x, y, params, cache)
        for key in _GRAD_KEYS:
            ex.compare(
                case, grads[key], expected[key], part=f"grads['{key}']",
                mistakes={name: value[key] for name, value in wrong.items()},
                hint=f"grads['{key}'] must have the shape of params['{key}'] "
                     f"{params[key].shape}. Work backwards from dz2 = (probs - y) / N; "
                     "bias gradients sum over the batch axis.",
            )


# ------------------------------------------------------- gradient descent ---

@exercise("01.16")
def gd_step(ex):
    """Checks `gd_step(params, grads, lr)`: a new dict of params - lr * grads."""
    rng = np.random.default_rng(30)
    mlp = {"w1": (6, 4), "b1": (4,), "w2": (4, 3), "b2": (3,)}
    cases = [
        ("two parameters, lr=0.1", {"w": (3, 2), "b": (2,)}, 0.1),
        ("four MLP parameters, lr=0.5", mlp, 0.5),
        ("float32 arrays, lr=0.01", {"w": (2, 2)}, 0.01),
        ("lr=0 changes nothing", {"w": (2, 3), "b": (3,)}, 0.0),
    ]
    for case, shapes, lr in cases:
        dtype = np.float32 if "float32" in case else np.float64
        params = {k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()}
        grads = {k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()}
        new = ex.call(case, params, grads, lr)  # fails if params or grads change in place
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
        for key in shapes:
            p, g = params[key], grads[key]
            ex.compare(
                case, new[key], p - dtype(lr) * g, part=f"params['{key}']",
                rtol=1e-6 if dtype is np.float64 else 1e-5,
                mistakes={
                    "gradient added instead of subtracted: descent goes against the "
                    "gradient": p + lr * g,
                    "lr ignored: the step must be scaled by the learning rate": p - g,
                },
                hint="each new parameter is params[key] - lr * grads[key].",
            )
