"""Checks for notebook 00, getting started: standardize, one_hot, numerical_gradient.

Each check runs the student's function on the cases of its `_name_cases()` and
compares the results with an independent oracle: TensorFlow's own operations
(`tf.nn.moments`, `tf.one_hot`, `tf.GradientTape`) or values worked out by hand.
Known wrong answers are listed in each exercise's `_NAME_MISTAKES` table,
computed by its switch oracle `_name_answer` and named in the message.

Use it from the notebook's test cells:

    from helpers.checks import getting_started as check
    check.standardize(standardize)
"""


import numpy as np

from helpers.checks.core import exercise, import_tensorflow, mistakes_from

__all__ = ["standardize", "one_hot", "numerical_gradient"]


# ---------------------------------------------------------------------------
# 00.1 standardize
# ---------------------------------------------------------------------------

def _standardize_cases():
    """(case name, images, eps or None for the default) for 00.1."""
    rng = np.random.default_rng(0)
    # Three channels with very different offsets and scales, like R, G, B planes
    # of photos taken in different light.
    random_batch = rng.normal(size=(4, 5, 6, 3)) * [1.0, 10.0, 0.5] + [0.0, 100.0, -3.0]
    # Images that differ a lot from each other, so per-image statistics differ
    # from batch statistics.
    random_batch += rng.normal(size=(4, 1, 1, 3)) * [2.0, 20.0, 1.0]
    one_image = rng.uniform(0.0, 255.0, size=(1, 4, 4, 2))
    gray = rng.integers(0, 256, size=(3, 6, 6, 1)).astype(np.float32)
    constant = rng.normal(size=(2, 3, 3, 3)) * 2.0 + 1.0
    constant[..., 1] = 3.0
    # Channel 0 is +-1e-3 (mean 0, std 1e-3), so eps=1e-3 halves it.
    tiny = np.stack([np.tile([1e-3, -1e-3], 4).reshape(2, 2, 2),
                     5.0 + rng.normal(size=(2, 2, 2))], axis=-1)
    return [
        ("random batch (4, 5, 6, 3)", random_batch, None),
        ("batch of one image", one_image, None),
        ("single channel, float32", gray, None),
        ("a constant channel", constant, None),
        ("eps=1e-3 and a channel with std 1e-3", tiny, 1e-3),
    ]


def _moments_tf(images, axes):
    tf = import_tensorflow()
    mean, variance = tf.nn.moments(tf.constant(images, tf.float64), axes=axes, keepdims=True)
    return mean.numpy(), variance.numpy()


def _standardize_answer(images, eps=1e-7, *, axes=(0, 1, 2), ddof=0, divide="std + eps",
                        ignore_eps=False):
    """Standardized images, (x - mean) / (std + eps), with one mean and one standard
    deviation per channel over axes 0, 1 and 2, in float64.

    Args:
        images: an array (batch, height, width, channels).
        eps: added to the standard deviation.
        axes: the axes the statistics are taken over; other axes take them over all
            axes, per image, per pixel position or along the channels.
        ddof: 1 gives the sample standard deviation.
        divide: what x - mean is divided by: "var + eps", "sqrt(var + eps)" or
            "nothing" in place of "std + eps".
        ignore_eps: True uses 1e-7 whatever eps is.
    """
    x = np.asarray(images, np.float64)
    eps = 1e-7 if ignore_eps else eps
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, ddof=ddof, keepdims=True)
    if divide == "nothing":
        return x - mean
    if divide == "var + eps":
        return (x - mean) / (var + eps)
    if divide == "sqrt(var + eps)":
        return (x - mean) / np.sqrt(var + eps)
    return (x - mean) / (np.sqrt(var) + eps)


_STANDARDIZE_MISTAKES = {
    "one mean and std over all axes (channels mixed together) instead of one per channel":
        {"axes": (0, 1, 2, 3)},
    "statistics per image (axes 1, 2) instead of over batch, height and width (axes 0, 1, 2)":
        {"axes": (1, 2)},
    "statistics per image over all its pixels and channels (axes 1, 2, 3) instead of per "
    "channel over axes 0, 1, 2": {"axes": (1, 2, 3)},
    "statistics over the batch axis only (one per pixel position) instead of over axes 0, "
    "1, 2": {"axes": (0,)},
    "statistics along the channel axis (axis -1) instead of per channel over axes 0, 1, 2":
        {"axes": (3,)},
    "only subtracted the mean, did not divide by the standard deviation": {"divide": "nothing"},
    "divided by the variance instead of the standard deviation": {"divide": "var + eps"},
    "sample standard deviation (ddof=1) instead of the population one (ddof=0)": {"ddof": 1},
    "eps added to the variance under the square root instead of to the standard deviation":
        {"divide": "sqrt(var + eps)"},
    "the eps argument is ignored (a fixed 1e-7 is used)": {"ignore_eps": True},
}


@exercise("00.1")
def standardize(ex):
    """Checks `standardize(images, eps=1e-7)`: per-channel zero mean, unit variance.

    The oracle is `tf.nn.moments` over axes (0, 1, 2), in float64.
    """
    for case, images, eps in _standardize_cases():
        if eps is None:
            received = ex.call(case, images)
            eps = 1e-7
        else:
            received = ex.call(case, images, eps=eps)
        mean, variance = _moments_tf(images, [0, 1, 2])
        expected = (np.asarray(images, np.float64) - mean) / (np.sqrt(variance) + eps)
        float32 = np.asarray(images).dtype == np.float32
        ex.compare(
            case, received, expected,
            rtol=1e-4 if float32 else 1e-5, atol=1e-5 if float32 else 1e-6,
            mistakes=mistakes_from(_standardize_answer, _STANDARDIZE_MISTAKES, images, eps),
            hint="the result must keep the shape (batch, height, width, channels); "
                 "compute one mean and one std per channel over axes 0, 1 and 2, with "
                 "keepdims=True so they broadcast, and use (x - mean) / (std + eps).",
            nonfinite_hint="a channel whose values are all equal has std 0: the eps "
                           "added to the std is what keeps the division finite.",
        )


# ---------------------------------------------------------------------------
# 00.2 one_hot
# ---------------------------------------------------------------------------

def _one_hot_cases():
    """(case, labels, num_classes, error) for 00.2: error is None for a case compared with
    `tf.one_hot`, or the exception that labels outside [0, num_classes) must raise."""
    return [
        ("4 labels, 4 classes", np.array([2, 0, 3, 1]), 4, None),
        ("classes 2, 3 and 5 never appear", np.array([0, 0, 4, 1, 4]), 6, None),
        ("uint8 labels as in Fashion-MNIST", np.array([9, 0, 5], dtype=np.uint8), 10, None),
        ("a single label", np.array([7]), 10, None),
        ("labels given as a Python list", [1, 0, 2, 1], 3, None),
        ("label equal to num_classes", np.array([0, 3, 4]), 4, ValueError),
        ("a negative label", np.array([1, -1, 2]), 3, ValueError),
    ]


def _one_hot_tf(labels, num_classes):
    tf = import_tensorflow()
    return tf.one_hot(np.asarray(labels, np.int64), num_classes, dtype=tf.float32).numpy()


def _one_hot_answer(labels, num_classes, *, shift=0, transpose=False):
    """One-hot rows: row i is 1.0 in column labels[i] and 0.0 elsewhere, float32.

    Args:
        shift: moves every 1 by this many columns (wrapping around): -1 and 1 are the
            off-by-one mistakes.
        transpose: True gives one row per class and one column per label.
    """
    columns = (np.asarray(labels, np.int64) + shift) % num_classes
    rows = np.eye(num_classes, dtype=np.float32)[columns]
    return rows.T if transpose else rows


_ONE_HOT_MISTAKES = {
    "off by one: label k marked in column k - 1": {"shift": -1},
    "off by one: label k marked in column k + 1": {"shift": 1},
    "transposed: row k marks the labels equal to k, not the label of example k":
        {"transpose": True},
}


@exercise("00.2")
def one_hot(ex):
    """Checks `one_hot(labels, num_classes)`: float32 rows with a single 1.

    The oracle is `tf.one_hot`. Labels outside `[0, num_classes)` must raise
    ValueError.
    """
    for case, labels, num_classes, error in _one_hot_cases():
        if error is not None:
            ex.call_expecting_error(
                case, error,
                f"labels {labels.tolist()} with num_classes={num_classes} hold a label "
                f"outside [0, {num_classes})",
                labels, num_classes,
                hint="check the range of the labels yourself and raise ValueError with a "
                     "message that says which label is wrong; note that a negative index "
                     "does not fail in NumPy, it counts from the end.",
            )
            continue
        received = ex.call(case, labels, num_classes)
        n = len(labels)
        if isinstance(received, np.ndarray) and received.shape != (n, num_classes):
            if received.shape == (num_classes, n):
                problem = "transposed"
                hint = "one row per label and one column per class."
            elif received.ndim == 2 and received.shape[0] == n:
                problem = f"{received.shape[1]} columns, expected num_classes = {num_classes}"
                hint = ("the number of columns comes from num_classes, even when some "
                        "classes never appear in labels.")
            else:
                problem = "one row per label and one column per class was expected"
                hint = "the result has shape (n, num_classes)."
            ex.fail(
                case,
                f"wrong shape ({problem}).\n  expected shape: {(n, num_classes)}\n  "
                f"received shape: {received.shape}",
                hint,
            )
        ex.compare(
            case, received, _one_hot_tf(labels, num_classes), rtol=0, atol=1e-6,
            mistakes=mistakes_from(_one_hot_answer, _ONE_HOT_MISTAKES, labels, num_classes),
            hint="row i is all zeros except a 1 in column labels[i].",
        )
        ex.require(
            case, received.dtype == np.float32,
            f"expected dtype float32, received dtype {received.dtype}.",
            "Keras works in float32: create the array with dtype=np.float32 or convert "
            "it with .astype(np.float32).",
        )


# ---------------------------------------------------------------------------
# 00.3 numerical_gradient
# ---------------------------------------------------------------------------

def _shape_guard(f, shape):
    """Wraps a test function so that a call with the wrong shape says so."""

    def guarded(x):
        x = np.asarray(x)
        if x.shape != shape:
            raise ValueError(
                f"f expects an array of x's shape {shape}, received shape {x.shape}. "
                f"Pass f a (perturbed) copy of x with the same shape."
            )
        return f(x)

    return guarded


def _gradient_tf(f_tf, x):
    tf = import_tensorflow()
    variable = tf.constant(x, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(variable)
        value = f_tf(variable)
    return tape.gradient(value, variable).numpy()


def _numerical_gradient_cases():
    """(case, f, x, eps or None for the default, expected, note) for 00.3.

    f checks the shape of its argument (`_shape_guard`). The expected gradient
    comes from `tf.GradientTape` on the same function written in TF, except for
    the cubic with a large eps, worked out by hand:
    ((x + h)^3 - (x - h)^3) / (2h) = 3x^2 + h^2 exactly. The note ends the hint.
    """
    tf = import_tensorflow()
    w = np.array([[0.5, -1.0, 2.0, 0.3],
                  [1.5, 0.2, -0.7, 1.1],
                  [-0.4, 0.8, 0.6, -1.3]])
    v = np.array([1.0, -2.0, 0.5, 1.5])
    squares = np.array([1.0, -2.0, 0.5, 3.0])
    waves = np.linspace(-1.5, 1.5, 12).reshape(2, 2, 3)
    cubic = np.array([-1.0, 0.5, 2.0])
    # Entries that float32 cannot move by 1e-5 exactly: steps taken in float32 are off.
    narrow = np.array([[0.7, -1.3], [2.1, 0.45]], np.float32)
    return [
        ("sum of squares, 1-D x", _shape_guard(lambda x: np.sum(x ** 2), squares.shape),
         squares, None, _gradient_tf(lambda x: tf.reduce_sum(x ** 2), squares), ""),
        ("log-sum-exp of a matrix product, 2-D x",
         _shape_guard(lambda x: np.log(np.sum(np.exp(x @ v))), w.shape), w, None,
         _gradient_tf(lambda x: tf.math.log(tf.reduce_sum(tf.exp(tf.linalg.matvec(x, v)))),
                      w), ""),
        ("sin(x) * exp(x / 2), 3-D x",
         _shape_guard(lambda x: np.sum(np.sin(x) * np.exp(x / 2)), waves.shape), waves, None,
         _gradient_tf(lambda x: tf.reduce_sum(tf.sin(x) * tf.exp(x / 2)), waves), ""),
        ("cubic with a large eps=0.1", _shape_guard(lambda x: np.sum(x ** 3), cubic.shape),
         cubic, 0.1, 3 * cubic ** 2 + 0.1 ** 2,
         " With eps=0.1 the central difference of x^3 is 3x^2 + eps^2."),
        ("float32 x: the steps and the result are float64",
         _shape_guard(lambda x: np.sum(x ** 3 - x), narrow.shape), narrow, None,
         _gradient_tf(lambda x: tf.reduce_sum(x ** 3 - x), narrow.astype(np.float64)),
         " For a float32 x, copy it as float64 (x.astype(np.float64)): x + 1e-5 in "
         "float32 is rounded, so the step would not be eps."),
    ]


def _numerical_gradient_answer(f, x, eps=1e-5, *, difference="central", half=True, power=1,
                               each_entry=True, ignore_eps=False, keep_dtype=False):
    """The central difference of a scalar function f at x, one entry at a time, in
    float64: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each entry i.

    Args:
        f: a function of an array of x's shape, returning a number.
        difference: "forward" gives (f(x + eps e_i) - f(x)) / eps, "backward"
            (f(x) - f(x - eps e_i)) / eps.
        half: False divides by eps in place of 2 eps.
        power: 2 divides by eps ** 2 in place of eps.
        each_entry: False moves every entry at once: each entry of the result is
            (f(x + eps) - f(x - eps)) / (2 eps).
        ignore_eps: True uses 1e-5 whatever eps is.
        keep_dtype: True moves the entries in x's own dtype (x.copy() of a float32 x),
            so that f sees float32 points; None where x is float64 (no such mistake).
    """
    eps = 1e-5 if ignore_eps else eps
    if keep_dtype:
        x = np.asarray(x)
        if x.dtype == np.float64:
            return None
        grad = np.zeros(x.shape)
        for index in np.ndindex(*x.shape):
            up, down = x.copy(), x.copy()
            up[index] += eps
            down[index] -= eps
            grad[index] = (f(up) - f(down)) / (2 * eps)
        return grad
    x = np.asarray(x, np.float64)
    if not each_entry:
        return np.full(x.shape, (f(x + eps) - f(x - eps)) / (2 * eps))
    here = f(x)
    grad = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        step = np.zeros(x.shape)
        step[index] = eps
        up, down = f(x + step), f(x - step)
        if difference == "forward":
            grad[index] = (up - here) / eps
        elif difference == "backward":
            grad[index] = (here - down) / eps
        else:
            grad[index] = (up - down) / ((2 if half else 1) * eps ** power)
    return grad


_NUMERICAL_GRADIENT_MISTAKES = {
    "forward difference (f(x + eps) - f(x)) / eps, whose error shrinks only like eps (the "
    "central difference's shrinks like eps^2)": {"difference": "forward"},
    "backward difference (f(x) - f(x - eps)) / eps instead of the central difference":
        {"difference": "backward"},
    "missing the 1/2: the two points are 2 * eps apart": {"half": False},
    "divided by eps twice": {"power": 2},
    "divided by eps squared": {"half": False, "power": 2},
    "every entry of x moved at once instead of one entry at a time": {"each_entry": False},
    "the eps argument is ignored (a fixed, smaller step is used)": {"ignore_eps": True},
    "the entries were moved in x's own dtype, float32 (x.copy()): x + eps is rounded to "
    "float32, so the step is not eps; work on float64 copies (x.astype(np.float64))":
        {"keep_dtype": True},
}


@exercise("00.3")
def numerical_gradient(ex):
    """Checks `numerical_gradient(f, x, eps=1e-5)`: central differences of a scalar f.

    The oracle is `tf.GradientTape` on the same functions written in TF. One
    case uses a cubic and a large eps, where the central difference is worked
    out by hand: ((x + h)^3 - (x - h)^3) / (2h) = 3x^2 + h^2 exactly. Another
    gives a float32 x: the steps and the result must be float64.
    """
    hint = ("for each entry i, evaluate f at x with only entry i moved by +eps and by "
            "-eps (on copies of x, in float64), and divide the difference by the "
            "distance between the two points.")
    for case, f, x, eps, expected, note in _numerical_gradient_cases():
        if eps is None:
            received = ex.call(case, f, x)
            eps = 1e-5
        else:
            received = ex.call(case, f, x, eps=eps)
        ex.compare(case, received, expected, rtol=1e-6, atol=1e-8,
                   mistakes=mistakes_from(_numerical_gradient_answer,
                                          _NUMERICAL_GRADIENT_MISTAKES, f, x, eps),
                   hint=hint + note)
        ex.require(case, received.dtype == np.float64,
                   f"the values are right, but the result has dtype {received.dtype}; the "
                   f"docstring asks for float64.",
                   "make the result with np.zeros(x.shape) (float64), not np.zeros_like(x), "
                   "which keeps the dtype of x.")
