"""Checks for notebook 00, getting started: standardize, one_hot, numerical_gradient.

Each function takes the student's function, runs it on a few fixed cases and
compares the results with an independent oracle: TensorFlow's own operations
(`tf.nn.moments`, `tf.one_hot`, `tf.GradientTape`) or values worked out by hand.
Known wrong answers are computed too, so that a message can name the mistake.

Use it from the notebook's test cells:

    from helpers.checks import getting_started as check
    check.standardize(standardize)
"""


import numpy as np

from helpers.checks.core import exercise, import_tensorflow

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


def _standardize_mistakes(x, eps):
    """Known wrong answers to 00.1, computed with TF's moments."""
    x64 = np.asarray(x, np.float64)
    mistakes = {}
    for description, axes in (
        ("one mean and std over all axes (channels mixed together) instead of one "
         "per channel", [0, 1, 2, 3]),
        ("statistics per image (axes 1, 2) instead of over batch, height and width "
         "(axes 0, 1, 2)", [1, 2]),
        ("statistics per image over all its pixels and channels (axes 1, 2, 3) instead "
         "of per channel over axes 0, 1, 2", [1, 2, 3]),
        ("statistics over the batch axis only (one per pixel position) instead of over "
         "axes 0, 1, 2", [0]),
        ("statistics along the channel axis (axis -1) instead of per channel over "
         "axes 0, 1, 2", [3]),
    ):
        mean, variance = _moments_tf(x64, axes)
        mistakes[description] = (x64 - mean) / (np.sqrt(variance) + eps)
    mean, variance = _moments_tf(x64, [0, 1, 2])
    std = np.sqrt(variance)
    count = x64.shape[0] * x64.shape[1] * x64.shape[2]
    sample_std = np.sqrt(variance * count / max(count - 1, 1))
    mistakes.update({
        "only subtracted the mean, did not divide by the standard deviation": x64 - mean,
        "divided by the variance instead of the standard deviation":
            (x64 - mean) / (variance + eps),
        "sample standard deviation (ddof=1) instead of the population one (ddof=0)":
            (x64 - mean) / (sample_std + eps),
        "eps added to the variance under the square root instead of to the standard "
        "deviation": (x64 - mean) / np.sqrt(variance + eps),
        "the eps argument is ignored (a fixed 1e-7 is used)": (x64 - mean) / (std + 1e-7),
    })
    return mistakes


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
            mistakes=_standardize_mistakes(images, eps),
            hint="the result must keep the shape (batch, height, width, channels); "
                 "compute one mean and one std per channel over axes 0, 1 and 2, with "
                 "keepdims=True so they broadcast, and use (x - mean) / (std + eps).",
            nonfinite_hint="a channel whose values are all equal has std 0: the eps "
                           "added to the std is what keeps the division finite.",
        )


# ---------------------------------------------------------------------------
# 00.2 one_hot
# ---------------------------------------------------------------------------

def _one_hot_tf(labels, num_classes):
    tf = import_tensorflow()
    return tf.one_hot(np.asarray(labels, np.int64), num_classes, dtype=tf.float32).numpy()


def _rows(labels, num_classes, shift):
    """One-hot rows with every label moved by `shift` columns (wrapping around)."""
    columns = (np.asarray(labels, np.int64) + shift) % num_classes
    return np.eye(num_classes, dtype=np.float32)[columns]


@exercise("00.2")
def one_hot(ex):
    """Checks `one_hot(labels, num_classes)`: float32 rows with a single 1.

    The oracle is `tf.one_hot`. Labels outside `[0, num_classes)` must raise
    ValueError.
    """
    cases = [
        ("4 labels, 4 classes", np.array([2, 0, 3, 1]), 4),
        ("classes 2, 3 and 5 never appear", np.array([0, 0, 4, 1, 4]), 6),
        ("uint8 labels as in Fashion-MNIST", np.array([9, 0, 5], dtype=np.uint8), 10),
        ("a single label", np.array([7]), 10),
        ("labels given as a Python list", [1, 0, 2, 1], 3),
    ]
    for case, labels, num_classes in cases:
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
        mistakes = {
            "off by one: label k marked in column k - 1": _rows(labels, num_classes, -1),
            "off by one: label k marked in column k + 1": _rows(labels, num_classes, 1),
        }
        if n == num_classes:
            mistakes["transposed: row k marks the labels equal to k, not the label of "
                     "example k"] = _one_hot_tf(labels, num_classes).T
        ex.compare(
            case, received, _one_hot_tf(labels, num_classes), rtol=0, atol=1e-6,
            mistakes=mistakes,
            hint="row i is all zeros except a 1 in column labels[i].",
        )
        ex.require(
            case, received.dtype == np.float32,
            f"expected dtype float32, received dtype {received.dtype}.",
            "Keras works in float32: create the array with dtype=np.float32 or convert "
            "it with .astype(np.float32).",
        )
    for case, labels, num_classes in [
        ("label equal to num_classes", np.array([0, 3, 4]), 4),
        ("a negative label", np.array([1, -1, 2]), 3),
    ]:
        ex.call_expecting_error(
            case, ValueError,
            f"labels {labels.tolist()} with num_classes={num_classes} hold a label "
            f"outside [0, {num_classes})",
            labels, num_classes,
            hint="check the range of the labels yourself and raise ValueError with a "
                 "message that says which label is wrong; note that a negative index does "
                 "not fail in NumPy, it counts from the end.",
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


def _each_entry(f, x, step):
    """Calls step(f, x, index) for every entry of x; returns an array of x's shape."""
    out = np.zeros(x.shape, np.float64)
    for index in np.ndindex(*x.shape):
        out[index] = step(f, x, index)
    return out


def _moved(x, index, delta):
    y = np.array(x, np.float64)
    y[index] += delta
    return y


def _gradient_mistakes(f, x, eps):
    """Known wrong finite differences for 00.3."""
    def forward(f, x, i):
        return (f(_moved(x, i, eps)) - f(x)) / eps

    def backward(f, x, i):
        return (f(x) - f(_moved(x, i, -eps))) / eps

    def difference(f, x, i):
        return f(_moved(x, i, eps)) - f(_moved(x, i, -eps))

    two_sided = _each_entry(f, x, difference)
    everything = (f(x + eps) - f(x - eps)) / (2 * eps)
    return {
        "forward difference (f(x + eps) - f(x)) / eps, whose error shrinks only like "
        "eps (the central difference's shrinks like eps^2)": _each_entry(f, x, forward),
        "backward difference (f(x) - f(x - eps)) / eps instead of the central "
        "difference": _each_entry(f, x, backward),
        "missing the 1/2: the two points are 2 * eps apart": two_sided / eps,
        "divided by eps twice": two_sided / (2 * eps * eps),
        "divided by eps squared": two_sided / (eps * eps),
        "every entry of x moved at once instead of one entry at a time":
            np.full(x.shape, everything),
    }


@exercise("00.3")
def numerical_gradient(ex):
    """Checks `numerical_gradient(f, x, eps=1e-5)`: central differences of a scalar f.

    The oracle is `tf.GradientTape` on the same functions written in TF. One
    case uses a cubic and a large eps, where the central difference is worked
    out by hand: ((x + h)^3 - (x - h)^3) / (2h) = 3x^2 + h^2 exactly.
    """
    tf = import_tensorflow()
    w = np.array([[0.5, -1.0, 2.0, 0.3],
                  [1.5, 0.2, -0.7, 1.1],
                  [-0.4, 0.8, 0.6, -1.3]])
    v = np.array([1.0, -2.0, 0.5, 1.5])
    cases = [
        ("sum of squares, 1-D x", np.array([1.0, -2.0, 0.5, 3.0]),
         lambda x: np.sum(x ** 2), lambda x: tf.reduce_sum(x ** 2)),
        ("log-sum-exp of a matrix product, 2-D x", w,
         lambda x: np.log(np.sum(np.exp(x @ v))),
         lambda x: tf.math.log(tf.reduce_sum(tf.exp(tf.linalg.matvec(x, v))))),
        ("sin(x) * exp(x / 2), 3-D x",
         np.linspace(-1.5, 1.5, 12).reshape(2, 2, 3),
         lambda x: np.sum(np.sin(x) * np.exp(x / 2)),
         lambda x: tf.reduce_sum(tf.sin(x) * tf.exp(x / 2))),
    ]
    hint = ("for each entry i, evaluate f at x with only entry i moved by +eps and by "
            "-eps (on copies of x, in float64), and divide the difference by the "
            "distance between the two points.")
    for case, x, f_np, f_tf in cases:
        f = _shape_guard(f_np, x.shape)
        received = ex.call(case, f, x)
        ex.compare(case, received, _gradient_tf(f_tf, x), rtol=1e-6, atol=1e-8,
                   mistakes=_gradient_mistakes(f, x, 1e-5), hint=hint)

    case, eps = "cubic with a large eps=0.1", 0.1
    x = np.array([-1.0, 0.5, 2.0])
    f = _shape_guard(lambda x: np.sum(x ** 3), x.shape)
    received = ex.call(case, f, x, eps=eps)
    mistakes = _gradient_mistakes(f, x, eps)
    mistakes["the eps argument is ignored (a fixed, smaller step is used)"] = 3 * x ** 2
    ex.compare(case, received, 3 * x ** 2 + eps ** 2, rtol=1e-6, atol=1e-8,
               mistakes=mistakes,
               hint=hint + " With eps=0.1 the central difference of x^3 is 3x^2 + eps^2.")
