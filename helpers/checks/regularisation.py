"""Checks for notebook 09, regularisation and practice: the L1 and L2 penalties,
inverted dropout, early stopping's decision, k-fold splits, random search, bagging,
the bias/variance diagnosis, the F1 score, and two exercises of ML strategy: picking a
model by one optimising metric and satisficing ones, and the four-rate diagnosis with a
train-dev set.

The oracles are the libraries that do the job: `keras.regularizers.L1` and `L2`
for the penalties; `keras.layers.Dropout` for dropout's scale and its inference
behaviour; the real `keras.callbacks.EarlyStopping`, driven epoch by epoch over
fixed loss histories, for `should_stop`; `sklearn.model_selection.KFold` for the
fold sizes; `sklearn.metrics.f1_score` for F1. Where the answer is random (dropout,
random search) the check tests properties and statistics on seeded draws: every
count lies within 5 standard deviations (+1.5) of its expectation, a bound a correct
answer does not miss (the tests run correct answers with other draws on many seeds).
Bagging is checked with fake models that return fixed probabilities, chosen so that
the average's argmax differs from a majority vote, an average of labels and the
first model alone, and with two small Keras models. The two diagnoses and
`pick_model` use values worked by hand. Each exercise's switch oracle
(`_<name>_answer`) computes the known wrong answers of its table (`_<NAME>_MISTAKES`),
so that a message can name the mistake.

Example:

>>> from helpers.checks import regularisation as check
>>> check.should_stop(should_stop)
09.5 should_stop: all 22 cases passed
"""

import copy
import functools
import math

import numpy as np

from helpers.checks.core import (compare_frequencies, count_agrees, describe, exercise,
                                 expected_count, filled_in, first_mismatch, import_keras,
                                 is_int, mistakes_from, random_values,
                                 require_global_generators_untouched, require_own_randomness)

__all__ = [
    "l1_penalty", "l2_penalty", "inverted_dropout", "should_stop", "k_fold_indices",
    "random_search", "bagging_predict", "diagnose", "f1_score", "pick_model",
    "diagnose_mismatch",
]


# ------------------------------------------------------- l1 and l2 penalty ---

def _penalty_cases():
    """(case, weights, strength) for 09.2 and 09.3."""
    return [
        ("a conv kernel (3, 3, 2, 4) and a dense kernel (8, 5), strength 0.001",
         [random_values(902, (3, 3, 2, 4)), random_values(903, (8, 5))], 1e-3),
        ("one dense kernel (4, 3), strength 0.01", [random_values(901, (4, 3))], 0.01),
        ("three arrays, one a vector (6,), strength 0.5",
         [random_values(904, (2, 5), 3.0), random_values(905, (6,)),
          random_values(906, (3, 1, 2), 0.1)], 0.5),
        ("float32 kernels (5, 5) and (5, 2), strength 0.1",
         [random_values(907, (5, 5)).astype(np.float32),
          random_values(908, (5, 2)).astype(np.float32)], 0.1),
        ("all-zero kernels (3, 4) and (2,): penalty 0", [np.zeros((3, 4)), np.zeros(2)], 0.2),
        ("strength 0: penalty 0 whatever the weights", [random_values(909, (4, 4))], 0.0),
        ("a 0-d weight (one number, shape ()) and a kernel (3, 2), strength 0.1",
         [np.array(-2.5), random_values(910, (3, 2))], 0.1),
        ("an empty list of weights: penalty 0", [], 0.01),
    ]


def _keras_penalty(kind, weights, strength):
    """The sum over `weights` of `keras.regularizers.<kind>(strength)(w)`.

    Each array goes in as float32, the dtype of the weights Keras regularises: before
    Keras 3.14 (Colab's 3.13 among them) `L1` multiplies by a float32 strength and
    raises on float64 arrays. Float32 sums are within the comparison's rtol of 1e-5.
    """
    keras = import_keras()
    regulariser = getattr(keras.regularizers, kind)(strength)
    return sum(float(regulariser(np.asarray(w, np.float32))) for w in weights)


def _penalty_answer(weights, strength, kind, *, term=None, mean=False, root=None, half=False,
                    first_only=False, scaled=True):
    """The L1 or L2 penalty of a list of arrays, with switches for known mistakes.

    Computes, in float64, `strength * sum(|w|)` (kind "L1") or `strength * sum(w**2)`
    (kind "L2") over every weight of every array of `weights`.

    Args:
        weights, strength: the case.
        kind: "L1" or "L2", the penalty asked.
        term: what is summed, "abs", "square" or "signed" (w itself), in place of the
            kind's own.
        mean: divides by the number of weights (the mean instead of the sum).
        root: "total" takes the square root of the sum; "each" sums the square root of
            each array's sum (its norm).
        half: multiplies by 1/2.
        first_only: penalises the first array alone.
        scaled: False leaves the strength out.
    """
    function = {"abs": np.abs, "square": np.square, "signed": np.asarray}[
        term or {"L1": "abs", "L2": "square"}[kind]]
    sums = [np.sum(function(np.asarray(w, np.float64)))
            for w in (weights[:1] if first_only else weights)]
    total = sum(np.sqrt(s) for s in sums) if root == "each" else sum(sums)
    if root == "total":
        total = np.sqrt(total)
    if mean:
        if not weights:
            return None  # no weight to divide by: no such mistake
        total /= sum(np.size(w) for w in weights)
    return (strength if scaled else 1.0) * total * (0.5 if half else 1.0)


_L1_PENALTY_MISTAKES = {
    "the squares summed instead of the absolute values (that is the L2 penalty)":
        {"term": "square"},
    "the absolute value left out: the signed weights summed": {"term": "signed"},
    "the mean of |w| instead of the sum (divided by the number of weights)": {"mean": True},
    "only the first array penalised: add up every array of the list": {"first_only": True},
    "the strength l1 left out: the penalty is l1 times the sum": {"scaled": False},
}

_L2_PENALTY_MISTAKES = {
    "a factor 1/2 (the lambda / 2 of some courses): Keras adds l2 * sum(w**2), with no 1/2":
        {"half": True},
    "the mean of w**2 instead of the sum (divided by the number of weights): Keras divides "
    "by nothing": {"mean": True},
    "the square root taken (the norm, not squared): the penalty is the squared norm, the "
    "plain sum of squares": {"root": "total"},
    "the norm of each array (not squared) summed: the penalty is the plain sum of squares":
        {"root": "each"},
    "absolute values instead of squares (that is the L1 penalty)": {"term": "abs"},
    "only the first array penalised: add up every array of the list": {"first_only": True},
    "the strength l2 left out: the penalty is l2 times the sum": {"scaled": False},
}


def _explain_penalty_error(weights):
    """The extra hint for an error on the 0-d weight or the empty list, else None."""
    if not weights:
        return lambda message: ("an empty list has no weight to penalise: the penalty is 0.0 "
                                "(np.concatenate, np.stack and max refuse an empty list; "
                                "sum over the arrays does not).")
    if any(np.ndim(w) == 0 for w in weights):
        return lambda message: ("a weight may be 0-d (one number, shape ()): "
                                "np.sum over the whole array (no axis) works for every "
                                "shape, a loop over rows or a sum over an axis does not.")
    return lambda message: None


def _check_penalty(ex, penalty, table, hint):
    __tracebackhide__ = True
    for case, weights, strength in _penalty_cases():
        out = ex.call_explained(case, _explain_penalty_error(weights), weights, strength)
        ex.compare(case, out, _keras_penalty(penalty, weights, strength), kind="scalar",
                   mistakes=mistakes_from(_penalty_answer, table, weights, strength, penalty),
                   hint=hint, shape_hint="add everything up into one number: the sum over "
                                         "every array of the list.")


@exercise("09.2")
def l1_penalty(ex):
    """Checks `l1_penalty(weights, l1)`: l1 times the sum of |w| over a list of arrays.

    `weights` is a list of float arrays of any shapes, `l1` a float; the result is
    one float, compared with the sum of `keras.regularizers.L1(l1)(w)` over the list,
    on 8 cases: one kernel, a conv and a dense kernel, three arrays, float32 kernels,
    zero kernels, strength 0, a 0-d weight (any shape is a weight) and an empty list
    (penalty 0). The arrays must not be changed.
    """
    _check_penalty(ex, "L1", _L1_PENALTY_MISTAKES,
                   "the penalty is l1 times the sum of the absolute values of every weight "
                   "of every array.")


@exercise("09.3")
def l2_penalty(ex):
    """Checks `l2_penalty(weights, l2)`: l2 times the sum of w**2 over a list of arrays.

    Keras's convention: no 1/2 and no division by the number of weights or examples.
    Compared with the sum of `keras.regularizers.L2(l2)(w)` over the list, on the
    cases of `l1_penalty`.
    """
    _check_penalty(ex, "L2", _L2_PENALTY_MISTAKES,
                   "the penalty is l2 times the sum of the squares of every weight of every "
                   "array: no 1/2, no square root, no mean.")


# ----------------------------------------------------------- inverted_dropout ---

_DROPOUT_HINT = ("in training, draw one uniform number per element from rng "
                 "(rng.random(x.shape)); drop the element (0) when it is below rate, and "
                 "divide the kept ones by 1 - rate. At inference return x unchanged.")


def _signed_values(seed, shape, dtype=np.float64):
    """Values of magnitude in [0.5, 1.5] and random sign: none is 0, so 0 means dropped."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return values.astype(dtype)


@functools.cache
def _keras_dropout_scale(rate):
    """The factor `keras.layers.Dropout(rate)` multiplies kept elements by in training."""
    keras = import_keras()
    x = np.linspace(0.5, 1.5, 1000)
    out = np.asarray(keras.layers.Dropout(rate, seed=9)(x, training=True), np.float64)
    kept = out != 0
    return float(np.median(out[kept] / x[kept])) if kept.any() else 1.0


def _keras_dropout_inference(x, rate):
    keras = import_keras()
    return np.asarray(keras.layers.Dropout(rate)(x, training=False)).astype(x.dtype)


def _inverted_dropout_answer(x, rate, training, kept=None, *, scale="1 / (1 - rate)",
                             inference_scale="1"):
    """Inverted dropout's result for given draws, with switches for known mistakes.

    In training the elements where `kept` is true are divided by 1 - rate and the others
    are 0; at inference the result is x.

    Args:
        x, rate, training: the case.
        kept: bool array of the shape of x, the elements the draws kept (training only).
        scale: what kept elements are multiplied by in training: "1", "1 / rate" or
            "1 - rate" in place of "1 / (1 - rate)".
        inference_scale: what x is multiplied by at inference: "1 / (1 - rate)" or
            "1 - rate" in place of "1".
    """
    factors = {"1": 1.0, "1 - rate": 1.0 - rate, "1 / (1 - rate)": 1.0 / (1.0 - rate),
               "1 / rate": 1.0 / rate if rate else math.inf}
    if not training:
        return x * factors[inference_scale]
    return np.where(kept, x * factors[scale], 0.0)


_INVERTED_DROPOUT_MISTAKES = {
    "the kept elements divided by 1 - rate at inference too: inverted dropout scales in "
    "training only, inference returns x": {"inference_scale": "1 / (1 - rate)"},
    "multiplied by 1 - rate at inference (the original dropout): inverted dropout scales in "
    "training, so inference returns x unchanged": {"inference_scale": "1 - rate"},
    "no rescaling: the kept elements must be divided by 1 - rate, so that the expected value "
    "stays x": {"scale": "1"},
    "the kept elements divided by rate instead of 1 - rate": {"scale": "1 / rate"},
    "the kept elements multiplied by 1 - rate instead of divided by it": {"scale": "1 - rate"},
}


#: The calls of the case whose numbers of dropped elements are counted.
_COUNT_CALLS = 300


def _inverted_dropout_cases():
    """(case, x, rate, training, seed, kind) for 09.4. kind "call": one call, with a
    generator of `seed`; "rng": the draws come from rng (`require_own_randomness`);
    "counts": _COUNT_CALLS calls on a small x, each with its own generator from `seed`,
    whose numbers of dropped elements must follow the binomial law."""
    return [
        ("inference, rate 0.5, x (4, 5)", _signed_values(930, (4, 5)), 0.5, False, 931, "call"),
        ("inference, rate 0.2, float32 x (2, 3, 4)", _signed_values(932, (2, 3, 4), np.float32),
         0.2, False, 933, "call"),
        ("training, rate 0.5, x (200, 500)", _signed_values(934, (200, 500)), 0.5, True,
         935, "call"),
        ("training, rate 0.2, x (100, 40, 25)", _signed_values(936, (100, 40, 25)), 0.2, True,
         937, "call"),
        ("training, rate 0.3, float32 x (400, 250)",
         _signed_values(938, (400, 250), np.float32), 0.3, True, 939, "call"),
        ("training, rate 0.8, x (250, 400)", _signed_values(940, (250, 400)), 0.8, True,
         941, "call"),
        ("training, rate 0: nothing dropped, x (30, 40)", _signed_values(942, (30, 40)), 0.0,
         True, 943, "call"),
        ("the randomness comes from rng: x (60, 80), rate 0.5", _signed_values(944, (60, 80)),
         0.5, True, 945, "rng"),
        (f"the number dropped varies: {_COUNT_CALLS} calls on x (2, 5), rate 0.3",
         _signed_values(946, (2, 5)), 0.3, True, 947, "counts"),
    ]


def _dropout_result(ex, case, out, x):
    """Fails unless `out` is a finite float array of the shape of `x`."""
    __tracebackhide__ = True
    ex.require(case, isinstance(out, np.ndarray),
               f"expected a NumPy array, received {describe(out)}.", _DROPOUT_HINT)
    ex.require(case, out.shape == x.shape,
               f"wrong shape.\n  expected shape: {x.shape}\n  received shape: {out.shape}",
               "return an array of the shape of x.")
    ex.require(case, np.issubdtype(out.dtype, np.floating),
               f"expected floating-point values, received dtype {out.dtype}.",
               "x / (1 - rate) is a float; build the result from it (np.where keeps floats).")
    ex.require(case, bool(np.all(np.isfinite(out))),
               "your result holds NaN or infinite values.", _DROPOUT_HINT)


def _check_inference(ex, case, x, rate, seed):
    """training=False: x unchanged (a new array), as `keras.layers.Dropout` at inference."""
    __tracebackhide__ = True
    out = ex.call(case, x, rate, False, np.random.default_rng(seed), returns_new=True)
    if isinstance(out, np.ndarray) and out.shape == x.shape and np.any((out == 0) & (x != 0)):
        ex.fail(case, f"{int(np.sum((out == 0) & (x != 0)))} of {x.size} elements were set "
                      f"to 0 at inference: with training False nothing is dropped.",
                _DROPOUT_HINT)
    ex.compare(case, out, _keras_dropout_inference(x, rate), hint=_DROPOUT_HINT,
               mistakes=mistakes_from(_inverted_dropout_answer, _INVERTED_DROPOUT_MISTAKES,
                                      x, rate, False))


def _check_values(ex, case, out, x, rate):
    """Every element is 0 or x times Keras's scale 1 / (1 - rate)."""
    __tracebackhide__ = True
    dropped = out == 0
    kept_value = x * _keras_dropout_scale(rate)
    right = dropped | np.isclose(out, kept_value, rtol=1e-5, atol=1e-6)
    if right.all():
        return
    mistakes = mistakes_from(_inverted_dropout_answer, _INVERTED_DROPOUT_MISTAKES, x, rate,
                             True, ~dropped)
    named = [what for what, wrong in mistakes.items()
             if np.allclose(out, wrong, rtol=1e-5, atol=1e-6)]
    if named:
        ex.fail_mistake(case, named, hint=_DROPOUT_HINT)
    where = tuple(int(i) for i in np.argwhere(~right)[0])
    ex.fail(case, f"{int(np.sum(~right))} of {x.size} elements are neither 0 nor x / (1 - rate)"
                  f", first at index {where}: x is {float(x[where]):.6g}, so expected 0 or "
                  f"{float(kept_value[where]):.6g}, received {float(out[where]):.6g}.",
            _DROPOUT_HINT)


def _check_independence(ex, case, dropped):
    """Each element has its own draw: no row (sample) or column dropped or kept whole."""
    __tracebackhide__ = True
    table = dropped.reshape(dropped.shape[0], -1)  # (samples, features)
    for axis, what in ((1, "row (sample)"), (0, "column (feature)")):
        whole = np.all(table, axis=axis) | ~np.any(table, axis=axis)
        if whole.all():
            ex.fail_mistake(case, f"one draw per {what}, all its elements dropped or kept "
                                  f"together. Each element is dropped independently",
                            hint="draw one number per element: rng.random(x.shape).")


def _check_statistics(ex, case, out, x, rate):
    """The dropped fraction is rate and the mean of the output is the mean of x (5 sigma)."""
    __tracebackhide__ = True
    n, count = x.size, int(np.sum(out == 0))
    if not count_agrees(count, n, rate):
        problem = (f"{count} of {n} elements were dropped, expected rate x {n}: "
                   f"{expected_count(n, rate)}.")
        if count_agrees(count, n, 1 - rate):
            ex.fail_mistake(case, "elements dropped with probability 1 - rate (kept with "
                                  "probability rate)", problem, _DROPOUT_HINT)
        ex.fail(case, problem, _DROPOUT_HINT)
    spread = 5.0 * math.sqrt(float(np.sum(x.astype(np.float64) ** 2)) * rate / (1 - rate)) / n
    mean_out, mean_x = float(np.mean(out, dtype=np.float64)), float(np.mean(x, dtype=np.float64))
    ex.require(case, abs(mean_out - mean_x) <= spread + 1e-9,
               f"the mean of the output is {mean_out:.6g}, the mean of x {mean_x:.6g}: inverted "
               f"dropout keeps the expected value, so they must agree within {spread:.3g}.",
               _DROPOUT_HINT)


def _dropped(ex, case, x, rate, rng):
    """One call in training: the result checked (type, shape, 0 or x / (1 - rate)); the
    mask of the dropped elements."""
    __tracebackhide__ = True
    out = ex.call(case, x, rate, True, rng, returns_new=True)
    _dropout_result(ex, case, out, x)
    _check_values(ex, case, out, x, rate)
    return out == 0


def _check_training(ex, case, x, rate, seed):
    __tracebackhide__ = True
    out = ex.call(case, x, rate, True, np.random.default_rng(seed), returns_new=True)
    _dropout_result(ex, case, out, x)
    _check_values(ex, case, out, x, rate)
    _check_independence(ex, case, out == 0)
    _check_statistics(ex, case, out, x, rate)


def _dropped_count_probabilities(n, rate):
    """The binomial law of the number of dropped elements among n: P(0), ..., P(n)."""
    return np.array([math.comb(n, k) * rate ** k * (1 - rate) ** (n - k) for k in range(n + 1)])


def _check_count_spread(ex, case, x, rate, seed):
    """Each element dropped independently: over many calls, the number dropped follows the
    binomial law (n, rate), so it varies; a fixed number (exactly round(rate * n), or per
    row) gives one count every time."""
    __tracebackhide__ = True
    n = x.size
    counts = np.zeros(n + 1, np.int64)
    for child in np.random.SeedSequence(seed).spawn(_COUNT_CALLS):
        counts[int(np.sum(_dropped(ex, case, x, rate, np.random.default_rng(child))))] += 1
    probs = _dropped_count_probabilities(n, rate)
    mistakes = {}
    if np.count_nonzero(counts) == 1:
        fixed = int(np.argmax(counts))
        mistakes[f"exactly {fixed} of the {n} elements dropped in every call (a fixed number "
                 f"picked, e.g. round(rate * n) with rng.choice or a permutation, or a fixed "
                 f"number per row): each element is dropped independently with probability "
                 f"rate, so the number dropped varies from call to call"] = \
            np.eye(n + 1)[fixed]
    compare_frequencies(
        ex, case, counts, _COUNT_CALLS, probs, mistakes=mistakes,
        problem=lambda k: (f"{k} of the {n} elements were dropped in {counts[k]} of "
                           f"{_COUNT_CALLS} calls, expected "
                           f"{expected_count(_COUNT_CALLS, probs[k])}: the number dropped "
                           f"must follow the binomial law of n = {n} independent draws of "
                           f"probability rate = {rate}."),
        hint=_DROPOUT_HINT, observed="numbers of dropped elements", tries="calls")


@exercise("09.4")
def inverted_dropout(ex):
    """Checks `inverted_dropout(x, rate, training, rng)`: dropout as Keras applies it.

    At inference (training False) the result must equal `x`, as
    `keras.layers.Dropout(rate)(x, training=False)` gives. In training the draws are
    free, so the check tests properties on arrays of 100,000 elements with seeded
    generators: every element is 0 or x times the factor Keras's Dropout scales kept
    elements by (1 / (1 - rate)); no row or column is dropped or kept whole (each
    element has its own draw); the number of zeros is within 5 standard deviations
    (+1.5) of rate x size, and the mean of the output within 5 standard deviations of
    the mean of x. Then: rate 0 in training returns x; the draws come from rng alone
    (`require_own_randomness`: one seed gives the same mask whatever NumPy's global
    seed, two seeds different masks); over 300 calls on a (2, 5) array at rate 0.3,
    the number of dropped elements follows the binomial law (n = 10, rate), each
    count within 5 standard deviations (+1.5), which a fixed number of drops per call
    does not. Every result must be a new array (never x itself or a view of it, at
    inference too). Known mistakes (no rescaling, rescaling at inference, scaling by
    rate, dropping with probability 1 - rate, a fixed number dropped, the randomness
    not from rng) are named.
    """
    for case, x, rate, training, seed, kind in _inverted_dropout_cases():
        if kind == "rng":
            require_own_randomness(ex, case, lambda rng: _dropped(ex, case, x, rate, rng),
                                   what="dropped elements")
        elif kind == "counts":
            _check_count_spread(ex, case, x, rate, seed)
        elif not training:
            _check_inference(ex, case, x, rate, seed)
        elif rate == 0:
            ex.compare(case, ex.call(case, x, rate, True, np.random.default_rng(seed),
                                     returns_new=True), x,
                       hint="with rate 0 no element is dropped and 1 - rate is 1: the result "
                            "is x.")
        else:
            _check_training(ex, case, x, rate, seed)


# ---------------------------------------------------------------- should_stop ---

@functools.cache
def _keras_decisions(losses, patience, min_delta):
    """Whether `keras.callbacks.EarlyStopping` stops at the end of each epoch of `losses`.

    The real callback, given a model and driven epoch by epoch (`on_train_begin`, then
    `on_epoch_end(epoch, {"val_loss": loss})`), as `fit` does; `stop_training` is reset
    before each epoch, so that each entry is that epoch's own decision.
    """
    keras = import_keras()
    model = keras.Sequential()
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                             min_delta=min_delta)
    callback.set_model(model)
    callback.on_train_begin()
    decisions = []
    for epoch, loss in enumerate(losses):
        model.stop_training = False
        callback.on_epoch_end(epoch, {"val_loss": loss})
        decisions.append(bool(model.stop_training))
    return tuple(decisions)


def _should_stop_answer(losses, patience, min_delta, *, reference="best", delta=-1,
                        equal=False, reset=True, late=0):
    """The decision at each epoch, by early stopping's rule, with switches for mistakes.

    An epoch improves when its loss is below best - min_delta (best: the loss of the last
    improving epoch; the first epoch improves); training stops at an epoch without
    improvement once patience or more epochs (at least one) have passed since the last
    improvement.

    Args:
        losses, patience, min_delta: the case.
        reference: what a loss is compared with: "previous" (the epoch before) or
            "minimum" (the lowest loss so far) in place of "best".
        delta: the sign of min_delta in the threshold, reference + delta * min_delta: 0
            or 1 in place of -1.
        equal: True counts a loss equal to the threshold as an improvement.
        reset: False never resets the wait counter.
        late: stops when the wait is at least patience + late.
    """
    decisions, best, minimum, previous, wait = [], None, None, None, 0
    for loss in losses:
        ref = {"best": best, "previous": previous, "minimum": minimum}[reference]
        threshold = None if ref is None else ref + delta * min_delta
        improved = threshold is None or loss < threshold or (equal and loss == threshold)
        if improved:
            best = loss
            wait = 0 if reset else wait
        else:
            wait += 1
        decisions.append(not improved and wait >= max(patience + late, 1))
        previous, minimum = loss, loss if minimum is None else min(minimum, loss)
    return decisions


_SHOULD_STOP_MISTAKES = {
    "patience counted one epoch too late: training stops as soon as patience epochs in "
    "a row have not improved": {"late": 1},
    "patience counted one epoch too early: the epoch of the last improvement does not "
    "count as waiting": {"late": -1},
    "min_delta ignored: an improvement must beat best - min_delta": {"delta": 0},
    "min_delta with the wrong sign: an improvement is a loss below best - min_delta, "
    "not below best + min_delta": {"delta": 1},
    "compared with the previous epoch instead of the best so far": {"reference": "previous"},
    "the best moved to every lower loss: it moves only on an improvement (below best - "
    "min_delta)": {"reference": "minimum"},
    "the wait counter is not reset by an improvement": {"reset": False},
    "an equal loss counted as an improvement: an improvement is strictly below best - "
    "min_delta": {"equal": True},
}


def _clear_of_ties(losses, min_delta, margin=1e-4):
    """Tells whether no comparison of a later loss with an earlier one is nearly a tie.

    Keras compares in float32; these sequences keep every loss + min_delta at least
    `margin` from every earlier loss (exact ties with min_delta 0 are fine).
    """
    for i, earlier in enumerate(losses):
        for later in losses[i + 1:]:
            gap = abs(later + min_delta - earlier)
            if gap < margin and not (gap == 0 and min_delta == 0):
                return False
    return True


def _should_stop_cases():
    """(case, losses, patience, min_delta) for 09.5: worked cases, then seeded curves."""
    cases = [
        ("one epoch: the first epoch always improves", (0.7,), 0, 0.0),
        ("patience 0: stops at the first epoch without improvement",
         (1.0, 0.8, 0.6, 0.65), 0, 0.0),
        ("patience 1: the same as patience 0", (1.0, 0.8, 0.6, 0.65), 1, 0.0),
        ("patience 2: a rising loss from the first epoch", (0.3, 0.4, 0.5), 2, 0.0),
        ("patience 3: steady improvement never stops",
         (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.42), 3, 0.0),
        ("patience 3: an improvement on the last epoch", (1.0, 0.9, 0.95, 0.96, 0.89), 3, 0.0),
        ("patience 2: compared with the best, not the previous epoch",
         (0.5, 0.7, 0.65, 0.6), 2, 0.0),
        ("min_delta 0.01, patience 3: a plateau within min_delta is no improvement",
         (0.5, 0.495, 0.492, 0.4905, 0.489), 3, 0.01),
        ("min_delta 0.1, patience 3: the best moves only on an improvement",
         (1.0, 0.95, 0.91, 0.89, 0.85, 0.84, 0.83), 3, 0.1),
        ("patience 1: an equal loss is no improvement", (0.5, 0.5), 1, 0.0),
        ("patience 4: a dip, then a long wait",
         (0.9, 0.7, 0.75, 0.72, 0.69, 0.71, 0.73, 0.70, 0.74), 4, 0.0),
        ("min_delta 0.05, patience 2: improvements just past min_delta",
         (1.0, 0.94, 0.93, 0.88, 0.87, 0.86), 2, 0.05),
    ]
    seed = 950
    while len(cases) < 22:
        rng = np.random.default_rng(seed)
        length = int(rng.integers(6, 15))
        steps = rng.normal(-0.04, 0.03, size=length) + 0.008 * np.arange(length)
        losses = tuple(float(v) for v in np.round(1.0 + np.cumsum(steps), 4))
        patience = int(rng.choice([0, 1, 2, 3, 5]))
        min_delta = float(rng.choice([0.0, 0.005, 0.02]))
        if _clear_of_ties(losses, min_delta):
            cases.append((f"a seeded curve of {length} epochs (seed {seed}), patience "
                          f"{patience}, min_delta {min_delta:g}", losses, patience, min_delta))
        seed += 1
    return cases


def _until_stop(decisions):
    """The decisions up to and including the first stop (the epochs a run has)."""
    return list(decisions[:decisions.index(True) + 1]) if True in decisions else \
        list(decisions)



@exercise("09.5")
def should_stop(ex):
    """Checks `should_stop(val_losses, patience, min_delta=0.0)` against EarlyStopping.

    For each loss history, the student's function is asked after every epoch (the
    history so far) whether training stops there, up to the epoch where
    `keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
    min_delta=min_delta)`, driven over the same history, stops. Its answer must be a
    bool equal to the callback's. All cases run before the first difference is
    reported, so that a mistake is named only when it explains every answer. Cases: 12
    worked histories (one epoch, patience 0 and 1, improvement on the last epoch, a
    plateau within min_delta, the best moving only on an improvement, an equal loss,
    ...) and 10 seeded curves, each kept clear of near ties (Keras compares in float32).
    """
    hint = ("an epoch improves when its loss is below best - min_delta (best: the loss of the "
            "last improving epoch; the first epoch improves); stop at an epoch without "
            "improvement once patience or more epochs have passed since the last improvement.")
    runs = []  # (case, losses, patience, min_delta, expected, received, mistakes)
    for case, losses, patience, min_delta in _should_stop_cases():
        expected = _until_stop(_keras_decisions(losses, patience, min_delta))
        received = []
        for epoch in range(1, len(expected) + 1):
            out = ex.call(case, list(losses[:epoch]), patience, min_delta)
            ex.require(case, isinstance(out, (bool, np.bool_)),
                       f"expected a bool (True or False), received {describe(out)}.",
                       "return the result of a comparison, which is a bool.",
                       part=f"after epoch {epoch}")
            received.append(bool(out))
        runs.append((case, losses, patience, min_delta, expected, received,
                     mistakes_from(_should_stop_answer, _SHOULD_STOP_MISTAKES, losses,
                                   patience, min_delta)))
    # A mistake is named only when it gives the received answers of every run.
    named = [what for what in _SHOULD_STOP_MISTAKES
             if all(mistakes[what][:len(received)] == received
                    for *_, received, mistakes in runs)]
    for case, losses, patience, min_delta, expected, received, _ in runs:
        if received == expected:
            continue
        epoch = first_mismatch(expected, received)
        problem = (f"after epoch {epoch + 1} of the losses {list(losses[:epoch + 1])} "
                   f"(patience {patience}, min_delta {min_delta:g}) EarlyStopping "
                   f"{'stops' if expected[epoch] else 'goes on'}: expected "
                   f"{expected[epoch]}, received {received[epoch]}.")
        if named:
            ex.fail_mistake(case, named, problem, hint)
        ex.fail(case, problem, hint)


# ------------------------------------------------------------- k_fold_indices ---

def _k_fold_indices_cases():
    """(case, n, k, seed) for 09.6."""
    return [
        ("n 10, k 5: five folds of 2", 10, 5, 950),
        ("n 23, k 5: folds of 5, 5, 5, 4, 4", 23, 5, 951),
        ("n 7, k 7: leave one out", 7, 7, 952),
        ("n 100, k 3: folds of 34, 33, 33", 100, 3, 953),
        ("n 12, k 2: two halves", 12, 2, 954),
        ("n 11, k 4, seed 0: folds of 3, 3, 3, 2", 11, 4, 0),
    ]


def _kfold_sizes(n, k):
    """The validation fold sizes of `sklearn.model_selection.KFold(k)` on n samples."""
    from sklearn.model_selection import KFold

    return [len(val) for _, val in KFold(k).split(np.zeros((n, 1)))]


def _k_fold_indices_answer(n, k, seed, *, shuffle="permutation", sizes="kfold"):
    """The k folds (train_idx, val_idx) of n samples, with switches for known mistakes.

    Cuts `np.random.default_rng(seed).permutation(n)` into k consecutive validation
    folds, the first n % k of them one sample longer; each fold trains on the others.

    Args:
        n, k, seed: the case.
        shuffle: None cuts 0, 1, ..., n - 1 unshuffled; "legacy" shuffles with NumPy's
            legacy generator (`np.random.seed(seed)`, then `np.random.permutation(n)`);
            "choice" with `np.random.default_rng(seed).choice(n, n, replace=False)`.
        sizes: "floor" makes every fold n // k long (the n % k remaining samples are in
            none); "last" puts the remainder in the last fold.
    """
    order = {"permutation": lambda: np.random.default_rng(seed).permutation(n),
             "legacy": lambda: np.random.RandomState(seed).permutation(n),
             "choice": lambda: np.random.default_rng(seed).choice(n, n, replace=False),
             None: lambda: np.arange(n)}[shuffle]()
    size, rest = divmod(n, k)
    lengths = {"kfold": [size + 1] * rest + [size] * (k - rest), "floor": [size] * k,
               "last": [size] * (k - 1) + [size + rest]}[sizes]
    folds = np.split(order[:sum(lengths)], np.cumsum(lengths)[:-1])
    return [(np.setdiff1d(order, fold), fold) for fold in folds]


#: Descriptions with {size} (n // k) and {rest} (n % k), filled in by `filled_in`.
_K_FOLD_INDICES_MISTAKES = {
    "folds of n // k = {size} each drop the n % k = {rest} remaining samples":
        {"sizes": "floor"},
    "the remainder put in the last fold": {"sizes": "last"},
    "no shuffle, the folds cut from 0, 1, ..., n - 1": {"shuffle": None},
    "shuffled by NumPy's legacy global generator (np.random.seed(seed), then "
    "np.random.permutation(n)): shuffle with np.random.default_rng(seed).permutation(n), "
    "which also leaves the global generator alone": {"shuffle": "legacy"},
    "shuffled with rng.choice(n, n, replace=False), another order than the one asked: "
    "shuffle with np.random.default_rng(seed).permutation(n)": {"shuffle": "choice"},
}


def _split_pairs(ex, case, result, k):
    """Fails unless the result is a list of k pairs of 1-D int arrays; returns them."""
    __tracebackhide__ = True
    ex.require(case, isinstance(result, (list, tuple)) and len(result) == k,
               f"expected a list of k = {k} pairs (train_idx, val_idx), received "
               f"{describe(result)}.", "return one pair per fold: [(train_idx, val_idx), ...].")
    pairs = []
    for i, pair in enumerate(result):
        part = f"fold {i}"
        ex.require(case, isinstance(pair, (list, tuple)) and len(pair) == 2,
                   f"expected a pair (train_idx, val_idx), received {describe(pair)}.",
                   "each fold is a pair of arrays, (train_idx, val_idx).", part)
        for name, value in zip(("train_idx", "val_idx"), pair):
            ex.require(case, isinstance(value, np.ndarray) and value.ndim == 1 and
                       np.issubdtype(value.dtype, np.integer),
                       f"{name} must be a 1-D int NumPy array, received {describe(value)}.",
                       "slices of the permutation are int arrays; np.concatenate joins "
                       "them.", part)
        pairs.append(tuple(pair))
    return pairs


def _check_partition(ex, case, vals, n, k, mistakes):
    """The validation folds: in range, no overlap, no sample left out, KFold's sizes."""
    __tracebackhide__ = True
    every = np.concatenate(vals)
    ex.require(case, every.size == 0 or (every.min() >= 0 and every.max() < n),
               f"a validation index is outside [0, {n}).", "index the n samples 0 .. n - 1.")
    counts = np.bincount(every, minlength=n)
    twice = np.flatnonzero(counts > 1)
    ex.require(case, twice.size == 0,
               f"the validation folds overlap: sample {int(twice[0]) if twice.size else 0} "
               f"is in {int(counts[twice[0]]) if twice.size else 0} of them.",
               "cut the permutation into consecutive pieces that do not overlap.")
    sizes, expected = [len(v) for v in vals], _kfold_sizes(n, k)
    if sizes == expected:
        return
    named = [what for what, pairs in mistakes.items() if [len(v) for _, v in pairs] == sizes]
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        problem = (f"{missing.size} sample(s) are in no validation fold, e.g. sample "
                   f"{int(missing[0])}: every sample is validated once.\n  fold sizes "
                   f"expected: {expected}\n  received: {sizes}")
        hint = ("the first n % k folds hold n // k + 1 samples, the others n // k "
                "(np.array_split does that).")
    else:
        problem = f"fold sizes differ from KFold's.\n  expected: {expected}\n  received: {sizes}"
        hint = "the first n % k folds hold one sample more (np.array_split does that)."
    if named:
        ex.fail_mistake(case, named, problem, hint)
    ex.fail(case, problem, hint)


def _check_training_sets(ex, case, pairs, n):
    """Each fold trains on exactly the samples outside its validation fold."""
    __tracebackhide__ = True
    for i, (train, val) in enumerate(pairs):
        part = f"fold {i}"
        expected = np.setdiff1d(np.arange(n), val)
        if np.array_equal(np.sort(train), np.sort(val)):
            ex.fail_mistake(case, "train_idx equals val_idx. A fold trains on every sample "
                                  "outside its validation fold", part=part)
        ex.require(case, train.size == expected.size and
                   np.array_equal(np.sort(train), expected),
                   f"train_idx must hold each sample outside val_idx once: "
                   f"{expected.size} samples, received {train.size}"
                   f"{' (some in val_idx too)' if np.isin(train, val).any() else ''}.",
                   "join the other folds: np.concatenate of every fold but fold i.", part)


def _check_folds(ex, case, vals, folds, mistakes):
    """Fold i's validation set is the i-th piece of the permutation (as sets)."""
    __tracebackhide__ = True
    for i, (val, fold) in enumerate(zip(vals, folds)):
        if np.array_equal(np.sort(val), np.sort(fold)):
            continue
        problem = (f"the validation set is not piece {i} of the permutation.\n  expected "
                   f"(sorted): {describe(np.sort(fold), limit=10)}\n  received (sorted): "
                   f"{describe(np.sort(val), limit=10)}")
        hint = ("shuffle with np.random.default_rng(seed).permutation(n), then cut that order "
                "into consecutive folds.")
        named = [what for what, pairs in mistakes.items()
                 if all(np.array_equal(np.sort(v), np.sort(wrong))
                        for v, (_, wrong) in zip(vals, pairs))]
        if named:
            ex.fail_mistake(case, named, problem, hint, f"fold {i}")
        ex.fail(case, problem, hint, f"fold {i}")


@exercise("09.6")
def k_fold_indices(ex):
    """Checks `k_fold_indices(n, k, seed)`: shuffled k-fold splits.

    The result must be a list of k pairs (train_idx, val_idx) of 1-D int arrays. In
    this order: the validation folds lie in [0, n), do not overlap and leave no
    sample out; their sizes are those of `sklearn.model_selection.KFold(k)` (the
    first n % k folds one larger); each train_idx is exactly the other samples; and
    fold i's validation set is the i-th consecutive piece of
    `np.random.default_rng(seed).permutation(n)` (sets: the order inside an array is
    free). Six cases: folds of equal size, remainders, leave-one-out, k = 2, seed 0.
    """
    for case, n, k, seed in _k_fold_indices_cases():
        pairs = _split_pairs(ex, case, ex.call(case, n, k, seed), k)
        vals = [val for _, val in pairs]
        mistakes = mistakes_from(_k_fold_indices_answer, filled_in(
            _K_FOLD_INDICES_MISTAKES, size=n // k, rest=n % k), n, k, seed)
        _check_partition(ex, case, vals, n, k, mistakes)
        _check_training_sets(ex, case, pairs, n)
        bounds = np.cumsum(_kfold_sizes(n, k))[:-1]
        _check_folds(ex, case, vals, np.split(np.random.default_rng(seed).permutation(n),
                                              bounds), mistakes)


# --------------------------------------------------------------- random_search ---

_SEARCH_SPACE = {
    "learning_rate": ("log", 1e-4, 1e-1),
    "dropout": ("uniform", 0.05, 0.5),
    "units": [32, 64, 128, 256],
    "activation": ["relu", "tanh", "gelu"],
}
_WIDE_SPACE = {
    "weight_decay": ("log", 1e-6, 1.0),
    "momentum": ("uniform", 0.8, 0.99),
    "rate": [0.0, 0.25, 0.5],
}

_SEARCH_HINT = ("make one generator, rng = np.random.default_rng(seed); for each trial and "
                "name draw rng.uniform(low, high) for a uniform range, exp(rng.uniform(log "
                "low, log high)) for a log range, and an element picked with "
                "rng.integers(len(choices)) for a list.")


def _require_trials(ex, case, trials, space, n_trials):
    """Fails unless `trials` is a list of n_trials dicts with space's keys and valid values."""
    __tracebackhide__ = True
    ex.require(case, isinstance(trials, list) and len(trials) == n_trials,
               f"expected a list of n_trials = {n_trials} dicts, received {describe(trials)}.",
               "return a list with one dict per trial.")
    for t, trial in enumerate(trials):
        part = f"trial {t}"
        ex.require(case, isinstance(trial, dict) and set(trial) == set(space),
                   f"expected a dict with the keys {sorted(space)}, received "
                   f"{describe(trial)}.", "each trial maps every name of space to a value.",
                   part)
        for name, spec in space.items():
            value = trial[name]
            if isinstance(spec, list):
                ex.require(case, _is_choice(value, spec),
                           f"{name} = {describe(value)} is not one of the choices {spec}.",
                           "pick an element of the list, e.g. choices[rng.integers(len("
                           "choices))].", part)
                continue
            kind, low, high = spec
            ex.require(case, isinstance(value, (float, np.floating)),
                       f"{name} (a {kind} range) must be a float, received "
                       f"{describe(value)}.", "a range gives a float: rng.uniform(...) "
                                              "(wrapped in float(...) if you like).", part)
            ex.require(case, low <= value <= high,
                       f"{name} = {float(value):.6g} is outside its range [{low:g}, {high:g}].",
                       _SEARCH_HINT, part)


def _is_choice(value, choices):
    """Tells whether `value` is one of `choices` (a single value, not an array)."""
    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        return False
    return any(value is c or (isinstance(value, bool) == isinstance(c, bool) and value == c)
               for c in choices)


def _unit_values(trials, name, spec):
    """The draws of one hyperparameter mapped to [0, 1]: where in its range (or log
    range), or for a list the index of the choice over the number of choices."""
    values = [trial[name] for trial in trials]
    if isinstance(spec, list):
        return np.array([next(i for i, c in enumerate(spec) if c == v) for v in values],
                        np.float64) / len(spec)
    kind, low, high = spec
    values = np.asarray(values, np.float64)
    if kind == "log":
        return (np.log(values) - math.log(low)) / (math.log(high) - math.log(low))
    return (values - low) / (high - low)


def _random_search_answer(spec, *, drawn=None, last_choice=True):
    """How often each outcome of one hyperparameter's draws comes, with switches for known
    mistakes.

    For a list, each choice comes with probability 1 / len(choices); for a range, the
    draws fall in each quarter of the range ("uniform") or of its log range ("log") with
    probability 1/4.

    Args:
        spec: a list of choices, or (kind, low, high) with kind "uniform" or "log".
        drawn: "uniform" or "log": a range drawn that way whatever its kind (a log draw
            of a range that reaches 0 or below gives NaN: no such mistake).
        last_choice: False never draws the last choice of a list.

    Returns:
        The probabilities, one per choice or per quarter.
    """
    if isinstance(spec, list):
        drawn_from = len(spec) if last_choice else len(spec) - 1
        return np.array([1 / drawn_from] * drawn_from + [0.0] * (len(spec) - drawn_from))
    kind, low, high = spec
    quarters = np.linspace(0.0, 1.0, 5)
    bounds = low * (high / low) ** quarters if kind == "log" else low + (high - low) * quarters
    if (drawn or kind) == "log":
        return np.diff(np.log(bounds / low) / np.log(high / low))
    return np.diff((bounds - low) / (high - low))


#: Descriptions with {name} (the hyperparameter), filled in by `filled_in`.
_RANDOM_SEARCH_MISTAKES = {
    "{name} drawn uniform where log-uniform is asked": {"drawn": "uniform"},
    "{name} drawn log-uniform where uniform is asked": {"drawn": "log"},
    "the last choice never drawn (rng.integers(len(choices)) already leaves out its high "
    "end)": {"last_choice": False},
}


def _random_search_cases():
    """(case, space, n_trials, seeds) for 09.7: the structure of each result, then one seed
    twice and another (three seeds), then statistics (1,000 trials or more)."""
    return [
        ("one trial of a space with one uniform range [-1, 1]",
         {"x": ("uniform", -1.0, 1.0)}, 1, (960,)),
        ("0 trials: an empty list", _SEARCH_SPACE, 0, (961,)),
        ("the same seed twice, then another seed: 20 trials", _SEARCH_SPACE, 20,
         (962, 962, 963)),
        ("2,000 trials of a log range, a uniform range and two lists", _SEARCH_SPACE, 2000,
         (964,)),
        ("1,500 trials of a wide log range [1e-6, 1], a uniform range and a list of floats",
         _WIDE_SPACE, 1500, (965,)),
        ("the notebook's space: int bounds (units uniform in [64, 256]) still give floats",
         {"learning_rate": ("log", 1e-4, 1e-1), "units": ("uniform", 64, 256)}, 5, (966,)),
    ]




def _check_search_statistics(ex, case, trials, space):
    """Ranges uniform (in log space for "log"), choices equally likely, names independent."""
    __tracebackhide__ = True
    n = len(trials)
    for name, spec in space.items():
        if isinstance(spec, list):
            counts = [sum(1 for trial in trials if trial[name] == c) for c in spec]
            problem = (f"{name}: the choices {spec} were drawn {counts} times, expected "
                       f"{expected_count(n, 1 / len(spec))} each.")
        else:
            counts = np.histogram(_unit_values(trials, name, spec), bins=4,
                                  range=(0, 1))[0].tolist()
            where = "log space (log(value) uniform)" if spec[0] == "log" else "the range"
            problem = (f"{name}: the {n} draws per quarter of {where} are {counts}, "
                       f"expected {expected_count(n, 0.25)} in each.")
        compare_frequencies(
            ex, case, counts, n, np.full(len(counts), 1 / len(counts)),
            mistakes=mistakes_from(_random_search_answer, filled_in(
                _RANDOM_SEARCH_MISTAKES, name=name), spec),
            problem=lambda worst: problem, hint=_SEARCH_HINT, observed="draws",
            tries=f"draws of {name}")
    names = list(space)
    units = {name: _unit_values(trials, name, space[name]) for name in names}
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            r = float(np.corrcoef(units[first], units[second])[0, 1])
            ex.require(case, abs(r) <= 5.0 / math.sqrt(n),
                       f"the draws of {first} and {second} are correlated (correlation "
                       f"{r:.3f}; independent draws give at most {5.0 / math.sqrt(n):.3f}): "
                       f"each hyperparameter needs its own random number.", _SEARCH_HINT)


@exercise("09.7")
def random_search(ex):
    """Checks `random_search(space, n_trials, seed)`: random hyperparameter settings.

    Structure: a list of n_trials dicts with the keys of `space`, a float within
    [low, high] for each range (int bounds too, as the notebook's units) and an element
    of the list for each list; 0 trials give an empty list; NumPy's and Python's global
    generators are left as they were (every draw comes from
    `np.random.default_rng(seed)`). Then reproducibility (one seed twice gives equal lists),
    seed dependence (two seeds give different lists) and statistics on 2,000 and
    1,500 trials: for a "uniform" range the draws per quarter of the range, for a
    "log" range per quarter of its log range, and for a list the draws of each choice
    lie within 5 standard deviations (+1.5) of their expectation; the draws of two
    names are uncorrelated (|r| <= 5 / sqrt(n)). Known mistakes (uniform where log is
    asked, the seed ignored, a grid, one random number for every name, a choice never
    drawn) are named.
    """
    for case, space, n_trials, seeds in _random_search_cases():
        runs = [require_global_generators_untouched(
                    ex, case, lambda: ex.call(case, space, n_trials, seed), hint=_SEARCH_HINT)
                for seed in seeds]
        for trials in runs:
            _require_trials(ex, case, trials, space, n_trials)
        if len(runs) > 1:
            ex.require(case, runs[0] == runs[1],
                       "two calls with the same seed gave different settings: the seed "
                       "ignored (np.random.* functions or an unseeded generator).",
                       "draw everything from rng = np.random.default_rng(seed).")
            ex.require(case, runs[0] != runs[2],
                       "two calls with different seeds gave the same settings: the seed "
                       "changes nothing (a grid or fixed values instead of random draws, or "
                       "a generator with a fixed seed).",
                       "draw everything from rng = np.random.default_rng(seed).")
        if n_trials >= 1000:
            _check_search_statistics(ex, case, runs[0], space)


# ------------------------------------------------------------- bagging_predict ---

class _FixedModel:
    """A stand-in model: returns fixed class probabilities for the n inputs it is given
    (called like a Keras model, `model(x)`; `predict` works too)."""

    def __init__(self, probabilities):
        self.probabilities = np.asarray(probabilities, np.float64)

    def __call__(self, x):
        if len(x) != len(self.probabilities):
            raise ValueError(f"this model expects {len(self.probabilities)} inputs, "
                             f"received {len(x)}: pass x itself.")
        return self.probabilities.copy()

    def predict(self, x, **kwargs):
        return self(x)

    def __repr__(self):
        return f"<a model returning probabilities of shape {self.probabilities.shape}>"


#: Three members on 5 samples: the average's argmax (0, 0, 1, 1, 2) differs from the
#: majority vote (1, 0, 2, 1, 2), the rounded average of labels (1, 1, 2, 1, 1) and the
#: first member (1, 2, 2, 1, 2).
_THREE_MEMBERS = [
    [[0.40, 0.60, 0.00], [0.25, 0.05, 0.70], [0.10, 0.30, 0.60], [0.34, 0.36, 0.30],
     [0.05, 0.05, 0.90]],
    [[0.45, 0.55, 0.00], [0.50, 0.20, 0.30], [0.20, 0.20, 0.60], [0.10, 0.80, 0.10],
     [0.50, 0.45, 0.05]],
    [[0.90, 0.10, 0.00], [0.60, 0.10, 0.30], [0.00, 0.90, 0.10], [0.10, 0.20, 0.70],
     [0.30, 0.10, 0.60]],
]


def _dirichlet_members(seed, members, n, classes):
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.full(classes, 0.7), size=n) for _ in range(members)]


def _keras_members(seed, features, classes):
    """Two small Keras classifiers (Dense + softmax) with fixed seeded weights."""
    keras = import_keras()
    members = []
    for i in range(2):
        model = keras.Sequential([keras.Input((features,)),
                                  keras.layers.Dense(classes, activation="softmax")])
        model.set_weights([random_values(seed + 2 * i, (features, classes), 1.5),
                           random_values(seed + 2 * i + 1, (classes,))])
        members.append(model)
    return members


def _bagging_predict_cases():
    """(case, models, x) for 09.8."""
    x5 = random_values(970, (5, 2))
    x40 = random_values(971, (40, 3))
    x12 = random_values(972, (12, 6)).astype(np.float32)
    dirichlet = _dirichlet_members(973, 5, 40, 4)
    return [
        ("3 models, 5 samples, 3 classes: average, vote and first model disagree",
         [_FixedModel(p) for p in _THREE_MEMBERS], x5),
        ("5 models, 40 samples, 4 classes", [_FixedModel(p) for p in dirichlet], x40),
        ("one model: its own argmax", [_FixedModel(dirichlet[0])], x40),
        ("two Keras models (Dense, softmax) and a function, 12 samples, 4 classes",
         [*_keras_members(974, 6, 4), _FixedModel(_dirichlet_members(976, 1, 12, 4)[0])], x12),
        ("one sample, 3 models: still an array of shape (1,)",
         [_FixedModel(p[:1]) for p in _THREE_MEMBERS], x5[:1]),
    ]


def _bagging_predict_answer(probabilities, *, combine="average", members=None, axis=1,
                            argmax=True):
    """The bagged labels from the members' probabilities, with switches for known mistakes.

    Averages the probabilities (members, n, C) over the members and takes the argmax over
    the classes: one label per sample.

    Args:
        probabilities: the members' probabilities, an array (members, n, C).
        combine: "vote" (a majority vote of the members' labels), "rounded labels" or
            "floored labels" (the mean of the labels, rounded or rounded down) or "most
            confident" (the label of the member with the highest probability) in place
            of "average".
        members: uses the first `members` members alone.
        axis: the axis of the average the argmax runs over, 0 (the samples) in place of 1.
        argmax: False returns the average probabilities.
    """
    probabilities = probabilities[:members]
    labels = probabilities.argmax(axis=2)  # (members, n)
    if combine == "vote":
        return np.array([np.bincount(column, minlength=probabilities.shape[2]).argmax()
                         for column in labels.T])
    if combine == "rounded labels":
        return np.rint(labels.mean(axis=0))
    if combine == "floored labels":
        return np.floor(labels.mean(axis=0))
    if combine == "most confident":
        return probabilities.max(axis=2).argmax(axis=0).choose(labels)
    average = probabilities.mean(axis=0)
    return average.argmax(axis=axis) if argmax else average


_BAGGING_PREDICT_MISTAKES = {
    "a majority vote of the models' labels: average the probabilities, then take the "
    "argmax": {"combine": "vote"},
    "the average of the models' labels (rounded): average the probabilities, not the "
    "labels": {"combine": "rounded labels"},
    "the average of the models' labels (rounded down): average the probabilities, not "
    "the labels": {"combine": "floored labels"},
    "only the first model used: average over every model of the list": {"members": 1},
    "the label of the most confident model: average the probabilities over the models":
        {"combine": "most confident"},
    "the argmax over the samples (axis 0): take it over the classes, axis 1": {"axis": 0},
    "the average probabilities returned: return the argmax over the classes, one label per "
    "sample": {"argmax": False},
}


def _explain_bagging_error(message):
    if "has no attribute" in message or "not callable" in message:
        return "call each model on x as model(x); it returns probabilities of shape (n, C)."
    return None


@exercise("09.8")
def bagging_predict(ex):
    """Checks `bagging_predict(models, x)`: the argmax of the models' average probabilities.

    The result must be an int array (n,) equal to the argmax over classes of the mean of
    `np.asarray(model(x))` over the models. Cases: three fake models (callables with fixed
    probabilities) where the average's argmax differs from a majority vote, an average of
    labels and the first model alone; five fake models on 40 samples; one model; two
    small Keras models with a fake one; one sample (the result still of shape (1,)).
    Known mistakes are named.
    """
    for case, models, x in _bagging_predict_cases():
        probabilities = np.stack([np.asarray(model(x), np.float64) for model in models])
        out = ex.call_explained(case, _explain_bagging_error, models, x, copy_inputs=False)
        ex.compare(case, out, probabilities.mean(axis=0).argmax(axis=1),
                   mistakes=mistakes_from(_bagging_predict_answer, _BAGGING_PREDICT_MISTAKES,
                                          probabilities),
                   hint="average the probabilities over the models (one (n, C) array), then "
                        "take the argmax over the classes (axis 1).",
                   shape_hint="return one label per sample: an int array of shape (n,).")


# ----------------------------------------------------------------- diagnose ---

def _diagnose_cases():
    """(case, train_err, dev_err, human_err, (avoidable_bias, variance, focus)) for 09.1,
    the expected entries worked by hand."""
    return [
        ("bias larger: train 0.15, dev 0.17, human 0.02", 0.15, 0.17, 0.02,
         (0.13, 0.02, "bias")),
        ("variance larger: train 0.03, dev 0.12, human 0.02", 0.03, 0.12, 0.02,
         (0.01, 0.09, "variance")),
        ("the human level decides: train 0.08, dev 0.12, human 0.06", 0.08, 0.12, 0.06,
         (0.02, 0.04, "variance")),
        ("both large, bias larger: train 0.2, dev 0.3, human 0.05", 0.2, 0.3, 0.05,
         (0.15, 0.1, "bias")),
        ("errors in percent: train 9.0, dev 10.5, human 1.0", 9.0, 10.5, 1.0,
         (8.0, 1.5, "bias")),
        ("a tie goes to bias: train 0.25, dev 0.375, human 0.125", 0.25, 0.375, 0.125,
         (0.125, 0.125, "bias")),
        ("better than humans on the training set: train 0.01, dev 0.05, human 0.02",
         0.01, 0.05, 0.02, (-0.01, 0.04, "variance")),
    ]


def _diagnose_answer(train_err, dev_err, human_err, key, *, from_human=True, bias_sign=1,
                     clip=False, variance_from="train", variance_sign=1, larger=True,
                     tie="bias"):
    """One entry of the diagnosis, with switches for known mistakes.

    "avoidable_bias" is train_err - human_err, "variance" dev_err - train_err, and
    "focus" the larger gap, "bias" on a tie. The focus is decided on the right gaps,
    so that a mistake in a gap is named at that gap only.

    Args:
        train_err, dev_err, human_err: the case.
        key: the entry, "avoidable_bias", "variance" or "focus".
        from_human: False measures the avoidable bias from 0.
        bias_sign, variance_sign: -1 flips the sign of that gap.
        clip: clips the avoidable bias at 0.
        variance_from: "human" measures the variance from the human level.
        larger: False chooses the smaller gap (a tie still goes to "bias").
        tie: the focus on a tie, "variance" in place of "bias".
    """
    if key == "avoidable_bias":
        bias = bias_sign * (train_err - (human_err if from_human else 0.0))
        return max(bias, 0.0) if clip else bias
    if key == "variance":
        return variance_sign * (dev_err - (human_err if variance_from == "human" else train_err))
    bias, variance = train_err - human_err, dev_err - train_err
    if bias == variance:
        return tie
    return "bias" if (bias > variance) == larger else "variance"


_DIAGNOSE_MISTAKES = {
    "measured from 0 instead of from the human level: avoidable bias is train_err - "
    "human_err": {"from_human": False},
    "the sign flipped: avoidable bias is train_err - human_err": {"bias_sign": -1},
    "clipped at 0: keep train_err - human_err as it is, negative when the model beats the "
    "human level": {"clip": True},
    "measured from the human level: variance is dev_err - train_err":
        {"variance_from": "human"},
    "the sign flipped: variance is dev_err - train_err": {"variance_sign": -1},
    'a tie sent to "variance"': {"tie": "variance"},
    "the smaller gap chosen": {"larger": False},
}


@exercise("09.1")
def diagnose(ex):
    """Checks `diagnose(train_err, dev_err, human_err)` on values worked by hand.

    The result must be a dict with exactly the keys "avoidable_bias" (a number,
    train - human), "variance" (a number, dev - train) and "focus" ("bias" if
    avoidable_bias >= variance, else "variance"). Seven cases: bias larger, variance
    larger, the human level deciding the focus, errors in percent, a tie (exact in
    binary: 0.125 each, which goes to "bias"), a model better than humans on the
    training set (a negative avoidable bias, kept as it is).
    """
    keys = {"avoidable_bias", "variance", "focus"}
    for case, train, dev, human, (bias, variance, focus) in _diagnose_cases():
        out = ex.call(case, train, dev, human)
        ex.require(case, isinstance(out, dict) and set(out) == keys,
                   f"expected a dict with the keys {sorted(keys)}, received {describe(out)}.",
                   'return {"avoidable_bias": ..., "variance": ..., "focus": ...}.')
        ex.compare(case, out["avoidable_bias"], bias, kind="scalar", part='"avoidable_bias"',
                   mistakes=mistakes_from(_diagnose_answer, _DIAGNOSE_MISTAKES, train, dev,
                                          human, "avoidable_bias"),
                   hint="avoidable bias = train_err - human_err.")
        ex.compare(case, out["variance"], variance, kind="scalar", part='"variance"',
                   mistakes=mistakes_from(_diagnose_answer, _DIAGNOSE_MISTAKES, train, dev,
                                          human, "variance"),
                   hint="variance = dev_err - train_err.")
        _compare_choice(ex, case, out["focus"], focus,
                        mistakes_from(_diagnose_answer, _DIAGNOSE_MISTAKES, train, dev, human,
                                      "focus"),
                        f"expected {focus!r} (avoidable bias {bias:.4g}, variance "
                        f"{variance:.4g})",
                        'focus on the larger gap: "bias" if avoidable_bias >= variance, else '
                        '"variance" (the exact strings).', part='"focus"')


# ----------------------------------------------------------------- f1_score ---

def _f1_score_cases():
    """(case, y_true, y_pred) for 09.9."""
    rng = np.random.default_rng(980)
    y50, p50 = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    rare = (rng.random(200) < 0.1).astype(np.int64)
    found = np.where(rng.random(200) < 0.7, rare, 0) | (rng.random(200) < 0.05)
    some = np.array([0, 1, 1, 0, 1, 0, 0, 1], np.int32)
    return [
        ("50 random labels and predictions", y50, p50),
        ("200 samples, 10% positive, most of them found", rare, found.astype(np.int64)),
        ("int32 labels, 8 samples", some, np.array([1, 1, 0, 0, 1, 0, 1, 0], np.int32)),
        ("perfect predictions: F1 1", y50, y50.copy()),
        ("every sample predicted positive", y50, np.ones(50, np.int64)),
        ("all wrong: no true positive, F1 0", np.array([1, 0, 1, 0, 0]),
         np.array([0, 1, 0, 1, 1])),
        ("no predicted positives, some actual ones: F1 0", y50, np.zeros(50, np.int64)),
        ("no positives at all (labels and predictions all 0): F1 0", np.zeros(20, np.int64),
         np.zeros(20, np.int64)),
    ]


def _f1_score_answer(y_true, y_pred, *, accuracy=False, mean="harmonic", tn_for=None,
                     positive=1, macro=False):
    """The F1 score of binary labels, with switches for known mistakes.

    F1 = 2PR / (P + R) for the class `positive`, with precision P = TP / (TP + FP) and
    recall R = TP / (TP + FN); 0.0 when TP is 0.

    Args:
        y_true, y_pred: the case, 0/1 labels.
        accuracy: returns the accuracy instead.
        mean: "arithmetic" takes (P + R) / 2, "half" takes PR / (P + R).
        tn_for: "fn" or "fp": the true negatives counted in place of the false negatives
            or of the false positives.
        positive: the class counted as positive, 0 in place of 1.
        macro: averages the F1 of every class found in y_true or y_pred (as
            `sklearn.metrics.f1_score(average="macro")`).
    """
    if accuracy:
        return float(np.mean(y_true == y_pred))
    if macro:
        return float(np.mean([_f1_score_answer(y_true, y_pred, positive=c)
                              for c in np.union1d(y_true, y_pred)]))
    true, predicted = y_true == positive, y_pred == positive
    tp, tn = int(np.sum(true & predicted)), int(np.sum(~true & ~predicted))
    fp, fn = int(np.sum(~true & predicted)), int(np.sum(true & ~predicted))
    fp, fn = (tn if tn_for == "fp" else fp), (tn if tn_for == "fn" else fn)
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    if mean == "arithmetic":
        return (precision + recall) / 2
    f1 = 2 * precision * recall / (precision + recall)
    return f1 / 2 if mean == "half" else f1


_F1_SCORE_MISTAKES = {
    "the accuracy instead of F1": {"accuracy": True},
    "the arithmetic mean (P + R) / 2: F1 is the harmonic mean 2PR / (P + R)":
        {"mean": "arithmetic"},
    "F1 not doubled: P R / (P + R) is half of F1": {"mean": "half"},
    "true negatives counted where false negatives belong: F1 = 2TP / (2TP + FP + FN)":
        {"tn_for": "fn"},
    "true negatives counted where false positives belong: F1 = 2TP / (2TP + FP + FN), TN "
    "does not enter": {"tn_for": "fp"},
    "the F1 of class 0: the positive class is 1": {"positive": 0},
    "the average of the F1 of both classes: the F1 of class 1 alone is asked":
        {"macro": True},
}


@exercise("09.9")
def f1_score(ex):
    """Checks `f1_score(y_true, y_pred)`: F1 of binary 0/1 labels, class 1 positive.

    The result, one float, is compared with `sklearn.metrics.f1_score(y_true, y_pred,
    zero_division=0.0)`, which gives 0.0 when there is no true positive. Cases: random
    labels, an imbalanced set, int32 labels, perfect predictions, all predicted
    positive, all wrong, no predicted positives, no positives at all. Known mistakes
    (accuracy, the arithmetic mean, TN in place of FP or FN, class 0, the macro
    average, NaN from 0 / 0) are named.
    """
    from sklearn.metrics import f1_score as sklearn_f1

    for case, y_true, y_pred in _f1_score_cases():
        out = ex.call(case, y_true, y_pred)
        ex.compare(case, out, sklearn_f1(y_true, y_pred, zero_division=0.0), kind="scalar",
                   mistakes=mistakes_from(_f1_score_answer, _F1_SCORE_MISTAKES, y_true, y_pred),
                   hint="count TP, FP and FN for class 1; F1 = 2TP / (2TP + FP + FN), the "
                        "harmonic mean of precision and recall.",
                   nonfinite_hint="when TP is 0, precision or recall is 0 / 0 or both are 0, "
                                  "and 2PR / (P + R) is 0 / 0: return 0.0 when TP is 0.")


# ---------------------------------------------------------------- pick_model ---

_NG_CLASSIFIERS = [{"name": "A", "accuracy": 0.90, "running_time_ms": 80},
                   {"name": "B", "accuracy": 0.92, "running_time_ms": 95},
                   {"name": "C", "accuracy": 0.95, "running_time_ms": 1500}]


def _pick_model_cases():
    """(case, results, optimise, satisfice, expected name) for 09.10, worked by hand."""
    two_limits = [
        {"name": "small", "accuracy": 0.86, "latency_ms": 40, "memory_mb": 50},
        {"name": "wide", "accuracy": 0.91, "latency_ms": 60, "memory_mb": 300},
        {"name": "deep", "accuracy": 0.93, "latency_ms": 150, "memory_mb": 120},
        {"name": "medium", "accuracy": 0.89, "latency_ms": 90, "memory_mb": 180},
        {"name": "huge", "accuracy": 0.97, "latency_ms": 400, "memory_mb": 900},
        {"name": "tiny", "accuracy": 0.80, "latency_ms": 20, "memory_mb": 30},
    ]
    wake_word = [
        {"name": "kws-big", "f1": 0.93, "false_alarms_per_day": 0.5},
        {"name": "kws-small", "f1": 0.80, "false_alarms_per_day": 0.25},
        {"name": "kws-medium", "f1": 0.88, "false_alarms_per_day": 1.0},
        {"name": "kws-large", "f1": 0.90, "false_alarms_per_day": 2.5},
    ]
    return [
        ("three classifiers, running time <= 100 ms", _NG_CLASSIFIERS, "accuracy",
         {"running_time_ms": 100}, "B"),
        ("a model exactly at the limit meets it (<=)",
         [{"name": "edge", "accuracy": 0.93, "latency_ms": 100},
          {"name": "slow", "accuracy": 0.95, "latency_ms": 150},
          {"name": "lean", "accuracy": 0.88, "latency_ms": 90},
          {"name": "fast", "accuracy": 0.91, "latency_ms": 60}], "accuracy",
         {"latency_ms": 100}, "edge"),
        ("two limits, latency <= 100 and memory <= 200: both must hold", two_limits,
         "accuracy", {"latency_ms": 100, "memory_mb": 200}, "medium"),
        ("the best model comes first; F1 optimised, false alarms per day <= 1", wake_word,
         "f1", {"false_alarms_per_day": 1}, "kws-big"),
        ("a tie for the best: the earlier model wins",
         [{"name": "slow", "accuracy": 0.95, "latency_ms": 300},
          {"name": "first", "accuracy": 0.92, "latency_ms": 70},
          {"name": "second", "accuracy": 0.92, "latency_ms": 50},
          {"name": "weak", "accuracy": 0.85, "latency_ms": 20}], "accuracy",
         {"latency_ms": 100}, "first"),
        ("no model meets the limit: None", _NG_CLASSIFIERS, "accuracy",
         {"running_time_ms": 50}, None),
        ("no limit at all (satisfice is {}): the best of all", _NG_CLASSIFIERS, "accuracy",
         {}, "C"),
        ("an empty list of results: None", [], "accuracy", {"running_time_ms": 100}, None),
    ]


def _pick_model_answer(results, optimise, satisfice, *, limits="all", strict=False,
                       lower_bounds=False, tie="first", minimise=False, returns="name",
                       none_met="None", order="filter", first_met=False):
    """The model `pick_model` chooses, with switches for known mistakes.

    With no switch: among the models whose value for every key of `satisfice` is <= its
    limit, the name of the one with the largest `optimise`, the earliest on a tie;
    None when no model (or none at all) meets the limits.

    Args:
        results, optimise, satisfice: the case.
        limits: which limits are checked: "none", "first" (the first key only), "last"
            (the last key only) or "any" (one limit met is enough).
        strict: `<` in place of `<=`.
        lower_bounds: the limits read as lower bounds (`>=`).
        tie: "last" picks the last of tied models.
        minimise: picks the smallest value of `optimise`.
        returns: "dict" returns the model's dict, "index" its index in `results`.
        none_met: "best" returns the best of all models when none meets the limits.
        order: "best then check" takes the best of all models, then returns it if it
            meets the limits, else None.
        first_met: returns the first model that meets the limits.
    """
    keys = list(satisfice)
    if limits == "first":
        keys = keys[:1]
    elif limits == "last":
        keys = keys[-1:]
    elif limits == "none":
        keys = []

    def meets(key, model):
        if lower_bounds:
            return model[key] >= satisfice[key]
        return model[key] < satisfice[key] if strict else model[key] <= satisfice[key]

    def ok(model):
        checks = [meets(key, model) for key in keys]
        return any(checks) if limits == "any" and checks else all(checks)

    def best_of(indices):
        chosen, best = None, None
        for i in indices:
            value = -results[i][optimise] if minimise else results[i][optimise]
            if chosen is None or value > best or (tie == "last" and value == best):
                chosen, best = i, value
        return chosen

    everyone = range(len(results))
    if order == "best then check":
        chosen = best_of(everyone)
        chosen = chosen if chosen is not None and ok(results[chosen]) else None
    else:
        passing = [i for i in everyone if ok(results[i])]
        chosen = passing[0] if first_met and passing else best_of(passing)
        if chosen is None and none_met == "best":
            chosen = best_of(everyone)
    if chosen is None:
        return None
    return {"name": results[chosen]["name"], "dict": results[chosen],
            "index": chosen}[returns]


_PICK_MODEL_MISTAKES = {
    "the limits ignored: the best of all models, whatever its satisficing metrics":
        {"limits": "none"},
    "`<` instead of `<=`: a model exactly at a limit meets it": {"strict": True},
    "only the first limit checked: every limit of `satisfice` must hold": {"limits": "first"},
    "only the last limit checked (a flag overwritten in the loop?): every limit must hold":
        {"limits": "last"},
    "one limit met was enough: every limit must hold": {"limits": "any"},
    "the limits read as lower bounds (>=): each is an upper limit, value <= limit":
        {"lower_bounds": True},
    "the last of tied models: on a tie the earlier model in the list wins": {"tie": "last"},
    "the smallest value chosen: the optimising metric is maximised": {"minimise": True},
    "the model's dict returned: return its name, results[i][\"name\"]": {"returns": "dict"},
    "the model's index returned: return its name, results[i][\"name\"]": {"returns": "index"},
    "the best of all models returned when none meets the limits: return None then":
        {"none_met": "best"},
    "the first model that meets the limits returned: the best of those that meet them is "
    "asked": {"first_met": True},
    "the best model of all taken first, then checked: filter by the limits first, then "
    "take the best of the models that remain": {"order": "best then check"},
}


def _same_choice(received, expected):
    """Tells whether a received choice (a name, None, an index or a dict) is `expected`,
    with its type: never trusts `==` on something else than a str, an int or a dict."""
    if expected is None:
        return received is None
    if isinstance(expected, str):
        return isinstance(received, str) and received == expected
    if is_int(expected):
        return is_int(received) and received == expected
    try:
        return isinstance(received, dict) and bool(received == expected)
    except Exception:  # noqa: BLE001 (arrays in a student's dict)
        return False


def _compare_choice(ex, case, received, expected, mistakes, problem, hint, part=None):
    """Fails `case` unless `received` is the choice `expected` (a name, a focus, None),
    naming the known mistakes whose choice it is; `problem` says what was expected."""
    __tracebackhide__ = True
    if _same_choice(received, expected):
        return
    problem = f"{problem}, received {describe(received)}."
    named = [what for what, wrong in mistakes.items()
             if not _same_choice(wrong, expected) and _same_choice(received, wrong)]
    if named:
        ex.fail_mistake(case, named, problem, hint, part=part)
    ex.fail(case, problem, hint, part=part)


@exercise("09.10")
def pick_model(ex):
    """Checks `pick_model(results, optimise, satisfice)` on cases worked by hand.

    The result must be the name (a str) of the model with the largest `optimise` among
    those whose every satisficing metric is <= its limit, the earlier model on a tie,
    None when no model meets the limits or the list is empty. Eight cases: the three
    classifiers of Ng's lecture on satisficing and optimising metrics, a model exactly at
    the limit, two limits that must both hold, another metric to optimise with the best
    model first, a tie, no model meeting the limit, no limit at all, an empty list. The
    list and the dicts must come back unchanged.
    """
    for case, results, optimise, satisfice, expected in _pick_model_cases():
        passed = copy.deepcopy((results, satisfice))
        out = ex.call(case, *passed[:1], optimise, passed[1], copy_inputs=False)
        ex.require(case, passed == (results, satisfice),
                   "your function changed its input `results` or `satisfice` in place "
                   "(sorted the list, removed a model or changed a value).",
                   "leave the inputs as they are: loop over them, or use sorted(...), which "
                   "makes a new list.")
        shown = "None (no model meets every limit)" if expected is None else repr(expected)
        _compare_choice(ex, case, out, expected,
                        mistakes_from(_pick_model_answer, _PICK_MODEL_MISTAKES, results,
                                      optimise, satisfice),
                        f"expected {shown}",
                        "keep the models whose every satisficing metric is <= its limit, then "
                        "return the name of the one with the largest optimising metric (the "
                        "first of tied ones), or None if no model is left.")


# --------------------------------------------------------- diagnose_mismatch ---

_FOCUS_ORDER = ("bias", "variance", "data_mismatch")


def _diagnose_mismatch_cases():
    """(case, human, train, train_dev, dev, (avoidable_bias, variance, data_mismatch,
    focus)) for 09.11, the expected entries worked by hand (ties in exact binary
    fractions)."""
    return [
        ("data mismatch largest: human 0, train 0.01, train-dev 0.015, dev 0.1",
         0.0, 0.01, 0.015, 0.1, (0.01, 0.005, 0.085, "data_mismatch")),
        ("variance largest: human 0.01, train 0.01, train-dev 0.09, dev 0.1",
         0.01, 0.01, 0.09, 0.1, (0.0, 0.08, 0.01, "variance")),
        ("bias largest, mismatch close: human 0.02, train 0.12, train-dev 0.13, dev 0.2",
         0.02, 0.12, 0.13, 0.2, (0.1, 0.01, 0.07, "bias")),
        ("errors in percent: human 1, train 2, train-dev 2.5, dev 9.5",
         1.0, 2.0, 2.5, 9.5, (1.0, 0.5, 7.0, "data_mismatch")),
        ("a three-way tie goes to bias: human 0, train 0.125, train-dev 0.25, dev 0.375",
         0.0, 0.125, 0.25, 0.375, (0.125, 0.125, 0.125, "bias")),
        ("variance and mismatch tie above bias: variance first: human 0.0625, train 0.125, "
         "train-dev 0.25, dev 0.375", 0.0625, 0.125, 0.25, 0.375,
         (0.0625, 0.125, 0.125, "variance")),
        ("the dev data easier than the training data: human 0.02, train 0.03, train-dev 0.1, "
         "dev 0.06", 0.02, 0.03, 0.1, 0.06, (0.01, 0.07, -0.04, "variance")),
        ("better than humans on the training set: human 0.05, train 0.03, train-dev 0.04, "
         "dev 0.045", 0.05, 0.03, 0.04, 0.045, (-0.02, 0.01, 0.005, "variance")),
    ]


def _diagnose_mismatch_answer(human_err, train_err, train_dev_err, dev_err, key, *,
                              from_human=True, clip=False, variance_to="train_dev",
                              mismatch_from="train_dev", swap=False, mismatch_sign=1,
                              smallest=False, tie="first", candidates=_FOCUS_ORDER):
    """One entry of the four-rate diagnosis, with switches for known mistakes.

    "avoidable_bias" is train - human, "variance" train_dev - train, "data_mismatch"
    dev - train_dev, and "focus" the name of the largest gap ("bias", "variance",
    "data_mismatch"), the earlier in that order on a tie. The focus is decided on the
    right gaps, so that a mistake in a gap is named at that gap only.

    Args:
        human_err, train_err, train_dev_err, dev_err: the case.
        key: the entry, "avoidable_bias", "variance", "data_mismatch" or "focus".
        from_human: False measures the avoidable bias from 0.
        clip: clips the avoidable bias at 0.
        variance_to: "dev" measures the variance up to the dev error (09.1's dev - train).
        mismatch_from: "train" measures the data mismatch from the training error.
        swap: variance and data mismatch swapped (dev - train_dev as the variance).
        mismatch_sign: -1 flips the sign of the data mismatch.
        smallest: the focus on the smallest gap.
        tie: "last" sends a tie to the later of the tied gaps.
        candidates: the gaps the focus chooses from (09.1's two: no "data_mismatch").
    """
    if key == "avoidable_bias":
        bias = train_err - (human_err if from_human else 0.0)
        return max(bias, 0.0) if clip else bias
    if key == "variance":
        if swap:
            return dev_err - train_dev_err
        return (dev_err if variance_to == "dev" else train_dev_err) - train_err
    if key == "data_mismatch":
        if swap:
            return train_dev_err - train_err
        return mismatch_sign * (dev_err - (train_err if mismatch_from == "train"
                                           else train_dev_err))
    gaps = {"bias": train_err - human_err, "variance": train_dev_err - train_err,
            "data_mismatch": dev_err - train_dev_err}
    names = list(candidates)[::-1] if tie == "last" else list(candidates)
    pick = min if smallest else max
    return pick(names, key=lambda name: gaps[name])  # the first of equal gaps wins


_DIAGNOSE_MISMATCH_MISTAKES = {
    "measured from 0 instead of from the human level: avoidable bias is train_err - "
    "human_err": {"from_human": False},
    "clipped at 0: keep train_err - human_err as it is, negative when the model beats the "
    "human level": {"clip": True},
    "measured up to the dev error (09.1's dev - train): with a train-dev set, variance is "
    "train_dev_err - train_err": {"variance_to": "dev"},
    "measured from the training error: data mismatch is dev_err - train_dev_err":
        {"mismatch_from": "train"},
    "variance and data mismatch swapped: variance is train_dev_err - train_err (same "
    "distribution, unseen images), data mismatch dev_err - train_dev_err": {"swap": True},
    "the sign flipped: data mismatch is dev_err - train_dev_err": {"mismatch_sign": -1},
    "the smallest gap chosen: focus on the largest": {"smallest": True},
    "a tie sent to the later gap: ties go to the earlier in the order bias, variance, "
    "data_mismatch": {"tie": "last"},
    "data mismatch left out of the focus (09.1's rule): the focus is the largest of the "
    "three gaps": {"candidates": ("bias", "variance")},
}


@exercise("09.11")
def diagnose_mismatch(ex):
    """Checks `diagnose_mismatch(human_err, train_err, train_dev_err, dev_err)` on values
    worked by hand.

    The result must be a dict with exactly the keys "avoidable_bias" (train - human),
    "variance" (train_dev - train), "data_mismatch" (dev - train_dev), each a number, and
    "focus": "bias", "variance" or "data_mismatch", the largest gap, the earlier in that
    order on a tie. Eight cases: each gap largest, errors in percent, a three-way tie and
    a tie of variance and mismatch (exact in binary), a negative data mismatch (dev data
    easier than the training data) and a negative avoidable bias, both kept as they are.
    """
    keys = {"avoidable_bias", "variance", "data_mismatch", "focus"}
    hints = {"avoidable_bias": "avoidable bias = train_err - human_err.",
             "variance": "variance = train_dev_err - train_err: the same distribution as "
                         "training, on images the model has not seen.",
             "data_mismatch": "data mismatch = dev_err - train_dev_err: both unseen, "
                              "from two distributions."}
    for case, human, train, train_dev, dev, expected in _diagnose_mismatch_cases():
        out = ex.call(case, human, train, train_dev, dev)
        ex.require(case, isinstance(out, dict) and set(out) == keys,
                   f"expected a dict with the keys {sorted(keys)}, received {describe(out)}.",
                   'return {"avoidable_bias": ..., "variance": ..., "data_mismatch": ..., '
                   '"focus": ...}.')
        for key, value in zip(("avoidable_bias", "variance", "data_mismatch"), expected):
            ex.compare(case, out[key], value, kind="scalar", part=f'"{key}"',
                       mistakes=mistakes_from(_diagnose_mismatch_answer,
                                              _DIAGNOSE_MISMATCH_MISTAKES, human, train,
                                              train_dev, dev, key),
                       hint=hints[key])
        bias, variance, mismatch, focus = expected
        _compare_choice(ex, case, out["focus"], focus,
                        mistakes_from(_diagnose_mismatch_answer, _DIAGNOSE_MISMATCH_MISTAKES,
                                      human, train, train_dev, dev, "focus"),
                        f"expected {focus!r} (avoidable bias {bias:.4g}, variance "
                        f"{variance:.4g}, data mismatch {mismatch:.4g})",
                        'focus on the largest gap: "bias", "variance" or "data_mismatch" (the '
                        'exact strings), the earlier in that order on a tie.', part='"focus"')
