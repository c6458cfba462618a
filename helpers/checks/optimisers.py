"""Checks for notebook 08, optimisers: one update step of SGD, momentum, Nesterov
momentum, Adagrad, RMSprop, Adadelta and Adam in Keras's own form, two learning-rate
schedules and clipping by the global norm.

Each update step is a pure NumPy function of one weight array, its gradient and the
optimiser's state, which it returns updated. The oracle is the matching
`keras.optimizers` class run on float64 `keras.Variable`s with fixed, seeded
gradients for 6 steps (`apply_gradients`); before every step the student's function
gets the weights and state Keras holds at that point, and its new weights and state
are compared with Keras's after the step ("after step 3 of 6"). Each exercise is run
with its default hyperparameters (the student's defaults must be Keras's) and with
other ones, chosen so that known mistakes show (a large epsilon shows which side of
the square root it is on), and on an edge case: a 0-d weight beside a vector, from an
all-zero state, with half of each gradient 0 for the first 2 steps (0 / 0 unless eps,
with its default value, is where it belongs). Every result must be new arrays: none may
be an input or a view of one. The schedules are compared with
`keras.optimizers.schedules.ExponentialDecay(staircase=True)` and `CosineDecay` at
every step of a range that goes past their end, clipping with `tf.clip_by_global_norm`.

Keras's formulas differ from the papers and from PyTorch in places, and the
exercises follow Keras: the momentum state holds `momentum * m - lr * g` (PyTorch's
holds the sum of gradients and multiplies by lr later); Nesterov steps by
`momentum * m_new - lr * g`; Adagrad's accumulator starts at 0.1 and its epsilon, like
RMSprop's and Adadelta's, sits inside the square root; Adadelta has a learning rate
(1.0 in the paper and here, 0.001 by default in Keras); Adam folds the bias correction
into the step size and adds epsilon to sqrt(v), not to the corrected sqrt(v_hat).

Example:

>>> from helpers.checks import optimisers as check
>>> check.adam_step(adam_step)
08.7 adam_step: all 4 cases passed
"""

import functools
import itertools
import math

import numpy as np

from helpers.checks.core import (exercise, describe, import_keras, import_tensorflow,
                                 mistakes_from, quiet)

__all__ = [
    "sgd_step", "momentum_step", "nesterov_step", "adagrad_step", "rmsprop_step",
    "adadelta_step", "adam_step", "step_decay", "cosine_decay_with_warmup",
    "clip_by_global_norm",
]

STEPS = 6

#: The edge case every update step gets: 0-d weights (the docstrings allow any shape) and,
#: from an all-zero state, gradients 0 in half the entries for 2 steps (0 / 0 unless eps
#: is where it belongs, with its default value).
_EDGE = "a 0-d weight and a vector (3,), all-zero state, half of each gradient 0 for 2 steps"


# ---------------------------------------------------------------- helpers ---

@functools.cache
def _keras_trajectory(optimizer, options, shapes, seed, slots, zero_steps=0):
    """Runs `keras.optimizers.<optimizer>(**options)` for STEPS steps on float64 weights.

    Args:
        optimizer: the class name, e.g. "Adam".
        options: the constructor's keyword arguments, as a tuple of (name, value).
        shapes: one shape per weight array.
        seed: seeds the starting weights and the gradients of every step.
        slots: the suffixes of the optimiser's state variables, in the exercise's
            order, e.g. ("momentum", "velocity").
        zero_steps: in this many first steps, the first half (rounded up) of the
            entries of every gradient is 0, so that from an all-zero state those
            entries of the state stay 0: 0 / 0 unless eps is where it belongs.

    Returns:
        A list of STEPS steps, each a list (one per weight array) of
        (gradient, state before, state after), where a state is the tuple
        (w, *slots).
    """
    keras, tf = import_keras(), import_tensorflow()
    rng = np.random.default_rng(seed)
    variables = [keras.Variable(rng.normal(0.0, 1.0, shape), dtype="float64", name=f"w{i}")
                 for i, shape in enumerate(shapes)]
    opt = getattr(keras.optimizers, optimizer)(**dict(options))
    opt.build(variables)
    slot_vars = [[next(v for v in opt.variables if v.path.endswith(f"/w{i}_{slot}"))
                  for slot in slots] for i in range(len(shapes))]

    def state(i):
        return tuple(np.array(v.numpy()) for v in [variables[i], *slot_vars[i]])

    steps = []
    for _ in range(STEPS):
        grads = [rng.normal(0.0, 1.0, shape) for shape in shapes]
        if len(steps) < zero_steps:
            for g in grads:
                g.reshape(-1)[:(g.size + 1) // 2] = 0.0
        before = [state(i) for i in range(len(shapes))]
        opt.apply_gradients(zip([tf.constant(g) for g in grads], variables))
        steps.append([(g, b, state(i)) for i, (g, b) in enumerate(zip(grads, before))])
    return steps


def _check_steps(ex, cases, optimizer, slots, names, answer, table, hint,
                 extra=lambda t, a: a):
    """Checks an update step over STEPS steps of every case against Keras.

    Args:
        ex: the Exercise.
        cases: (case, keras options dict, shapes, seed, args[, zero_steps]) where
            `args` are the hyperparameters passed to the student (empty for the
            defaults) and `zero_steps` as for `_keras_trajectory` (0 when left out).
        optimizer: the Keras class name.
        slots: the Keras state variables' suffixes, in the order of `names[1:]`.
        names: the names of the returned values, e.g. ("w", "m").
        answer: the exercise's switch oracle, called with the student's arguments (and
            `part`, the index of the value it returns, when it returns several).
        table: the exercise's mistakes, {description: switches of `answer`}.
        hint: what to look at when values differ.
        extra: function (t, args) -> the arguments after the state (Adam puts t first).
    """
    __tracebackhide__ = True
    for case, options, shapes, seed, args, *zero_steps in cases:
        trajectory = _keras_trajectory(optimizer, tuple(sorted(options.items())), shapes,
                                       seed, slots, *zero_steps)
        records = []  # (label, received, expected, inputs), one per step and array
        for t, step in enumerate(trajectory, start=1):
            for i, (g, before, after) in enumerate(step):
                inputs = (before[0], g, *before[1:], *extra(t, args))
                out = ex.call(case, *inputs, returns_new=True)
                if len(names) > 1:
                    ex.require(case, isinstance(out, (tuple, list)) and len(out) == len(names),
                               f"expected {len(names)} values ({', '.join(names)}), received "
                               f"{describe(out)}.",
                               f"return the tuple ({', '.join(names)}): the new weights and "
                               f"the new state, which the caller passes back at the next step.")
                where = f" (weight array {i + 1} of {len(shapes)}, shape {shapes[i]})" \
                    if len(shapes) > 1 else ""
                records.append((f"after step {t} of {STEPS}{where}", out,
                                after if len(names) > 1 else after[0], inputs))
        _compare_records(ex, case, records, names, answer, table, hint)


def _matches(received, value):
    """Tells whether a received value equals a known one (False when it cannot say)."""
    try:
        received, value = np.asarray(received, np.float64), np.asarray(value, np.float64)
        return received.shape == value.shape and np.allclose(received, value, rtol=1e-5,
                                                             atol=1e-6, equal_nan=True)
    except (TypeError, ValueError):
        return False


def _kind(received, expected, kind):
    """The `compare` kind for one value: a 0-d expected array may come back as a NumPy
    or Python number (NumPy's arithmetic on 0-d arrays gives one), not as shape (1,)."""
    if kind == "array" and np.ndim(expected) == 0 and not isinstance(received, np.ndarray):
        return "scalar"
    return kind


def _compare_records(ex, case, records, names, answer, table, hint, kind="array"):
    """Compares every record of a case in order, naming only the mistakes that explain
    the student's results at every record (at one step several mistakes can give the
    same value: from zero state, momentum ignored is the right answer).

    A record is (label, received, expected, inputs): results as the exercise returns
    them (one value, or a tuple of one value per name in `names`) and the arguments of
    the switch oracle `answer`, whose mistakes `table` holds. When there are several
    names, `answer(..., part=j)` gives the value at index j.
    """
    __tracebackhide__ = True
    single = len(names) == 1
    parts = [{}] if single else [{"part": j} for j in range(len(names))]

    def value(result, j):
        return result if single else result[j]

    explained = [{what: switches for what, switches in table.items()
                  if all(_matches(value(out, j), quiet(answer, *inputs, **parts[j], **switches))
                         for _, out, _, inputs in records)}
                 for j in range(len(names))]
    for label, out, expected, inputs in records:
        for j, name in enumerate(names):
            ex.compare(case, value(out, j), value(expected, j),
                       kind=_kind(value(out, j), value(expected, j), kind),
                       part=f"{name} {label}".strip(), hint=hint,
                       mistakes=mistakes_from(answer, explained[j], *inputs, **parts[j]))


def _step_result(values, part, swap):
    """A step's result: the tuple `values` (w, then the state) with the positions in
    `swap` exchanged (None: none), or with `part` only the value at that index."""
    values = list(values)
    if swap:
        j, k = swap
        values[j], values[k] = values[k], values[j]
    return tuple(values) if part is None else values[part]


def _swapped_outputs(names):
    """A table of the results returned in another order, e.g. (m, w) for (w, m): each
    entry's switch is `swap=(j, k)`."""
    return {f"{names[j]} and {names[k]} swapped: return ({', '.join(names)}) in this order":
            {"swap": (j, k)} for j, k in itertools.combinations(range(len(names)), 2)}


# ------------------------------------------------------------------- sgd_step ---

def _sgd_step_cases():
    """(case, Keras options, shapes, seed, (lr,)) for 08.1."""
    return [
        ("lr 0.1, one matrix (3, 2)", {"learning_rate": 0.1}, ((3, 2),), 1, (0.1,)),
        ("lr 0.5, a matrix (2, 3) and a bias (3,)", {"learning_rate": 0.5}, ((2, 3), (3,)), 2,
         (0.5,)),
        ("lr 0.01, a vector (5,)", {"learning_rate": 0.01}, ((5,),), 3, (0.01,)),
        ("lr 0.1, a 0-d weight (a scalar) and a vector (3,), half of each gradient 0",
         {"learning_rate": 0.1}, ((), (3,)), 4, (0.1,), 2),
    ]


def _sgd_step_answer(w, g, lr, *, sign=-1, lr_use="multiply"):
    """One step of gradient descent: w - lr * g.

    Args:
        w, g, lr: the exercise's arguments.
        sign: +1 goes up the gradient.
        lr_use: "multiply" the gradient by lr; a mistake: "ignore" lr, or "divide" by it.
    """
    return w + sign * {"multiply": lr * g, "ignore": g, "divide": g / lr}[lr_use]


_SGD_STEP_MISTAKES = {
    "the step goes up the gradient: gradient descent subtracts lr * g": {"sign": 1},
    "lr ignored: the step is the gradient times the learning rate": {"lr_use": "ignore"},
    "divided by lr instead of multiplied": {"lr_use": "divide"},
}


@exercise("08.1")
def sgd_step(ex):
    """Checks `sgd_step(w, g, lr)`: one step of plain gradient descent.

    `w` (the weights) and `g` (their gradient) are float arrays of one shape and `lr`
    a float; the result is the new weights `w - lr * g`, a new array (`w` is not
    changed), compared with `keras.optimizers.SGD(learning_rate=lr)` over 6 steps.
    """
    _check_steps(ex, _sgd_step_cases(), "SGD", (), ("w",), _sgd_step_answer,
                 _SGD_STEP_MISTAKES,
                 "the weights move against the gradient, by the learning rate times it.")


# ----------------------------------------------------------- momentum_step ---

def _momentum_cases(seed):
    """(case, Keras options, shapes, seed, (lr, momentum)) for 08.2 and 08.3."""
    return [
        ("lr 0.1, momentum 0.9, one matrix (3, 2)", {"learning_rate": 0.1, "momentum": 0.9},
         ((3, 2),), seed, (0.1, 0.9)),
        ("lr 0.05, momentum 0.5, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.05, "momentum": 0.5}, ((2, 3), (3,)), seed + 1, (0.05, 0.5)),
        ("lr 0.3, momentum 0.99, a vector (4,)", {"learning_rate": 0.3, "momentum": 0.99},
         ((4,),), seed + 2, (0.3, 0.99)),
        (f"lr 0.1, momentum 0.9, {_EDGE}",
         {"learning_rate": 0.1, "momentum": 0.9}, ((), (3,)), seed + 3, (0.1, 0.9), 2),
    ]


def _momentum_answer(w, g, m, lr, momentum, *, part=None, nesterov=False, torch=False,
                     keep=True, damp=False, sign=-1, old_m=False, look_ahead=True,
                     grad_term=True, swap=None):
    """One step of SGD with momentum as Keras takes it: the pair (w, m).

    m = momentum * m - lr * g, then w = w + m, or with Nesterov momentum
    w = w + momentum * m - lr * g (with the new m).

    Args:
        w, g, m, lr, momentum: the exercise's arguments.
        nesterov: True for Nesterov momentum (nesterov_step).
        torch: True keeps PyTorch's state, m = momentum * m + g (the sum of gradients,
            from Keras's m / -lr), and multiplies it by lr in the step of w.
        keep: False leaves momentum * m out of the new m.
        damp: True scales the gradient's part of m by (1 - momentum).
        sign: +1 adds lr * g to m instead of subtracting it.
        old_m: True moves w by the old m.
        look_ahead: False moves w by the new m even with Nesterov momentum.
        grad_term: False leaves - lr * g out of the Nesterov step of w.
        part: the index of the value returned (None: the whole result).
        swap: two positions of the result exchanged, e.g. (0, 1).
    """
    if torch:
        buf = momentum * (m / -lr) + g
        return _step_result((w - lr * (g + momentum * buf) if nesterov else w - lr * buf, buf),
                            part, swap)
    new_m = (momentum * m if keep else 0.0) + sign * (1 - momentum if damp else 1.0) * lr * g
    if nesterov and look_ahead:
        w = w + momentum * new_m - (lr * g if grad_term else 0.0)
    else:
        w = w + (m if old_m else new_m)
    return _step_result((w, new_m), part, swap)


_DAMPENED = "dampened gradient (1 - momentum) * lr * g: Keras adds the full lr * g"

#: The mistakes in the state m that momentum_step and nesterov_step share.
_MOMENTUM_STATE_MISTAKES = {
    "the momentum state in PyTorch's form (m = momentum * m + g, w = w - lr * m): the "
    "weights come out the same, but Keras's state holds momentum * m - lr * g, velocity "
    "already scaled by the learning rate": {"torch": True},
    "momentum ignored in the state: the new m keeps momentum times the old m": {"keep": False},
    _DAMPENED: {"damp": True},
}

_MOMENTUM_STEP_MISTAKES = {
    **_MOMENTUM_STATE_MISTAKES,
    "the weights moved with the old m: update m first, then add the new m to w":
        {"old_m": True},
    "the step goes up the gradient: m subtracts lr * g": {"sign": 1},
    **_swapped_outputs(("w", "m")),
}


@exercise("08.2")
def momentum_step(ex):
    """Checks `momentum_step(w, g, m, lr, momentum)`: SGD with momentum, as Keras does it.

    `w`, `g` and the momentum state `m` (zeros before the first step) are float
    arrays of one shape; the result is the pair (w, m) of new arrays with
    m = momentum * m - lr * g, then w = w + m, compared with
    `keras.optimizers.SGD(learning_rate=lr, momentum=momentum)` over 6 steps (its
    weights and its "momentum" variable). Keras's m is a velocity already scaled by
    the learning rate (PyTorch's state is the sum of gradients, multiplied by lr later).
    """
    _check_steps(ex, _momentum_cases(10), "SGD", ("momentum",), ("w", "m"), _momentum_answer,
                 _MOMENTUM_STEP_MISTAKES,
                 "the state m decays by the momentum and takes away lr * g; the weights "
                 "then move by the new m.")


def _nesterov_step_cases():
    """The cases of 08.2 with other seeds, for Keras's SGD with nesterov=True."""
    return [(case, {**options, "nesterov": True}, *rest)
            for case, options, *rest in _momentum_cases(20)]


_NESTEROV_STEP_MISTAKES = {
    **_MOMENTUM_STATE_MISTAKES,
    _DAMPENED: {"damp": True, "look_ahead": False},  # the weights moved as in momentum_step
    "Nesterov's look-ahead missing: w + m, or the old m in the look-ahead (the same thing), "
    "is plain momentum; Nesterov steps by momentum times the new m, minus lr * g":
        {"look_ahead": False},
    "the gradient term missing from the Nesterov step: w moves by momentum * m (the new m) "
    "minus lr * g": {"grad_term": False},
    **_swapped_outputs(("w", "m")),
}


@exercise("08.3")
def nesterov_step(ex):
    """Checks `nesterov_step(w, g, m, lr, momentum)`: Nesterov momentum, as Keras does it.

    Same arguments and result (w, m) as `momentum_step`: m = momentum * m - lr * g,
    then w = w + momentum * m - lr * g (with the new m: a step along the momentum's
    look-ahead), compared with `keras.optimizers.SGD(learning_rate=lr,
    momentum=momentum, nesterov=True)` over 6 steps.
    """
    _check_steps(ex, _nesterov_step_cases(), "SGD", ("momentum",), ("w", "m"),
                 functools.partial(_momentum_answer, nesterov=True), _NESTEROV_STEP_MISTAKES,
                 "m is updated as in momentum_step; the weights then move by the momentum "
                 "times the new m (the look-ahead) plus the plain gradient step.")


# ------------------------------------------------------------ adagrad_step ---

def _adagrad_step_cases():
    """(case, Keras options, shapes, seed, (lr[, eps])) for 08.4."""
    return [
        ("lr 0.1, default eps, accumulator from 0.1, one matrix (3, 2)",
         {"learning_rate": 0.1}, ((3, 2),), 30, (0.1,)),
        ("lr 0.5, eps 0.5, accumulator from 0.1, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.5, "epsilon": 0.5}, ((2, 3), (3,)), 31, (0.5, 0.5)),
        ("lr 0.2, eps 0.1, accumulator from 1.0, a vector (4,)",
         {"learning_rate": 0.2, "epsilon": 0.1, "initial_accumulator_value": 1.0}, ((4,),),
         32, (0.2, 0.1)),
        (f"lr 0.1, default eps, accumulator from 0 (PyTorch's start), {_EDGE}",
         {"learning_rate": 0.1, "initial_accumulator_value": 0.0}, ((), (3,)), 33, (0.1,), 2),
    ]


def _adagrad_step_answer(w, g, acc, lr, eps=1e-7, *, part=None, eps_outside=False,
                         old_acc=False, sqrt=True, square=True, average=False, swap=None):
    """One Adagrad step as Keras takes it: the pair (w, acc).

    acc = acc + g**2, then w = w - lr * g / sqrt(acc + eps).

    Args:
        w, g, acc, lr, eps: the exercise's arguments.
        eps_outside: True adds eps after the square root (PyTorch's form).
        old_acc: True divides by the accumulator from before this step's g**2.
        sqrt: False leaves out the square root.
        square: False accumulates g instead of g**2.
        average: True keeps a moving average, 0.9 * acc + 0.1 * g**2, instead of a sum.
        part: the index of the value returned (None: the whole result).
        swap: two positions of the result exchanged, e.g. (0, 1).
    """
    new = 0.9 * acc + 0.1 * g ** 2 if average else acc + (g ** 2 if square else g)
    used = acc if old_acc else new
    if eps_outside:
        denominator = np.sqrt(used) + eps
    else:
        denominator = np.sqrt(used + eps) if sqrt else used + eps
    return _step_result((w - lr * g / denominator, new), part, swap)


_ADAGRAD_STEP_MISTAKES = {
    "eps added outside the square root (PyTorch's form): Keras divides by sqrt(acc + eps)":
        {"eps_outside": True},
    "the step uses the accumulator from before this step's g**2 was added": {"old_acc": True},
    "no square root: the step divides by sqrt(acc + eps)": {"sqrt": False},
    "the accumulator adds g instead of g**2": {"square": False},
    "a moving average instead of a sum (that is RMSprop)": {"average": True},
    **_swapped_outputs(("w", "acc")),
}


@exercise("08.4")
def adagrad_step(ex):
    """Checks `adagrad_step(w, g, acc, lr, eps=1e-7)`: one Adagrad step, as Keras does it.

    `acc` is the running sum of squared gradients, of the shape of `w`; the caller
    starts it at Keras's `initial_accumulator_value`, 0.1 by default (PyTorch starts at
    0). The result is (w, acc) with acc = acc + g**2, then
    w = w - lr * g / sqrt(acc + eps): Keras adds eps inside the square root
    (PyTorch outside). Compared with `keras.optimizers.Adagrad` over 6 steps, with
    the default eps and with eps = 0.5, which shows where eps goes.
    """
    _check_steps(ex, _adagrad_step_cases(), "Adagrad", ("accumulator",), ("w", "acc"),
                 _adagrad_step_answer, _ADAGRAD_STEP_MISTAKES,
                 "acc grows by this step's squared gradient; the step is lr * g over the "
                 "square root of the new acc plus eps (eps inside the root, as in Keras).")


# ------------------------------------------------------------ rmsprop_step ---

def _rmsprop_step_cases():
    """(case, Keras options, shapes, seed, (lr[, rho, eps])) for 08.5."""
    return [
        ("lr 0.01, default rho and eps, one matrix (3, 2)", {"learning_rate": 0.01},
         ((3, 2),), 40, (0.01,)),
        ("lr 0.1, rho 0.5, eps 0.1, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.1, "rho": 0.5, "epsilon": 0.1}, ((2, 3), (3,)), 41,
         (0.1, 0.5, 0.1)),
        ("lr 0.05, rho 0.99, eps 0.01, a vector (4,)",
         {"learning_rate": 0.05, "rho": 0.99, "epsilon": 0.01}, ((4,),), 42,
         (0.05, 0.99, 0.01)),
        (f"lr 0.01, default rho and eps, {_EDGE}", {"learning_rate": 0.01}, ((), (3,)),
         43, (0.01,), 2),
    ]


def _rmsprop_step_answer(w, g, v, lr, rho=0.9, eps=1e-7, *, part=None, eps_outside=False,
                         rho_swapped=False, old_v=False, running_sum=False, sqrt=True,
                         swap=None):
    """One RMSprop step as Keras takes it (no momentum, not centered): the pair (w, v).

    v = rho * v + (1 - rho) * g**2, then w = w - lr * g / sqrt(v + eps).

    Args:
        w, g, v, lr, rho, eps: the exercise's arguments.
        eps_outside: True adds eps after the square root.
        rho_swapped: True weighs the old v by 1 - rho and g**2 by rho.
        old_v: True divides by v from before this step's gradient.
        running_sum: True keeps a sum, v + g**2, instead of a moving average.
        sqrt: False leaves out the square root.
        part: the index of the value returned (None: the whole result).
        swap: two positions of the result exchanged, e.g. (0, 1).
    """
    keep, add = (1 - rho, rho) if rho_swapped else (rho, 1 - rho)
    new = v + g ** 2 if running_sum else keep * v + add * g ** 2
    used = v if old_v else new
    if eps_outside:
        denominator = np.sqrt(used) + eps
    else:
        denominator = np.sqrt(used + eps) if sqrt else used + eps
    return _step_result((w - lr * g / denominator, new), part, swap)


_RMSPROP_STEP_MISTAKES = {
    "eps added outside the square root: Keras divides by sqrt(v + eps)": {"eps_outside": True},
    "rho and 1 - rho swapped: rho weighs the old average": {"rho_swapped": True},
    "the step uses v from before this step's gradient was averaged in": {"old_v": True},
    "a running sum instead of a moving average (that is Adagrad)": {"running_sum": True},
    "no square root: the step divides by sqrt(v + eps)": {"sqrt": False},
    **_swapped_outputs(("w", "v")),
}


@exercise("08.5")
def rmsprop_step(ex):
    """Checks `rmsprop_step(w, g, v, lr, rho=0.9, eps=1e-7)`: one RMSprop step, as Keras.

    `v` is the moving average of squared gradients (zeros before the first step).
    The result is (w, v) with v = rho * v + (1 - rho) * g**2, then
    w = w - lr * g / sqrt(v + eps): Keras adds eps inside the square root (PyTorch
    and the lecture slides usually outside). Compared with
    `keras.optimizers.RMSprop(learning_rate=lr, rho=rho, epsilon=eps)` (no momentum,
    not centered) over 6 steps, with the defaults and with eps = 0.1 and rho = 0.5.
    """
    _check_steps(ex, _rmsprop_step_cases(), "RMSprop", ("velocity",), ("w", "v"),
                 _rmsprop_step_answer, _RMSPROP_STEP_MISTAKES,
                 "v is a moving average of g**2 weighted by rho; the step is lr * g over "
                 "the square root of the new v plus eps (eps inside the root, as in Keras).")


# ----------------------------------------------------------- adadelta_step ---

def _adadelta_step_cases():
    """(case, Keras options, shapes, seed, () or (lr, rho, eps)) for 08.6."""
    return [
        ("default lr 1.0, rho 0.95 and eps 1e-7, one matrix (3, 2)", {"learning_rate": 1.0},
         ((3, 2),), 50, ()),
        ("lr 0.5, rho 0.8, eps 0.01, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.5, "rho": 0.8, "epsilon": 0.01}, ((2, 3), (3,)), 51,
         (0.5, 0.8, 0.01)),
        ("lr 2.0, rho 0.9, eps 1e-3, a vector (4,)",
         {"learning_rate": 2.0, "rho": 0.9, "epsilon": 1e-3}, ((4,),), 52, (2.0, 0.9, 1e-3)),
        (f"default lr 1.0, rho and eps, {_EDGE}", {"learning_rate": 1.0}, ((), (3,)), 53,
         (), 2),
    ]


def _adadelta_step_answer(w, g, acc_g, acc_dx, lr=None, rho=0.95, eps=1e-7, *, part=None,
                          default_lr=1.0, use_lr=True, scaled=False, numerator_eps=True,
                          old_g=False, sign=1, swap=None):
    """One Adadelta step as Keras takes it: the triple (w, acc_g, acc_dx).

    acc_g = rho * acc_g + (1 - rho) * g**2, dx = -sqrt(acc_dx + eps) / sqrt(acc_g + eps) * g,
    acc_dx = rho * acc_dx + (1 - rho) * dx**2, then w = w + lr * dx.

    Args:
        w, g, acc_g, acc_dx, lr, rho, eps: the exercise's arguments (lr None: the default).
        default_lr: lr when the caller passes none: 1.0, the paper's (Keras's is 0.001).
        use_lr: False leaves lr out of the update.
        scaled: True averages (lr * dx)**2 into acc_dx instead of dx**2.
        numerator_eps: False leaves eps out of sqrt(acc_dx + eps).
        old_g: True divides by acc_g from before this step's gradient.
        sign: -1 moves w the other way.
        part: the index of the value returned (None: the whole result).
        swap: two positions of the result exchanged, e.g. (0, 1).
    """
    lr = default_lr if lr is None else lr
    new_g = rho * acc_g + (1 - rho) * g ** 2
    dx = -np.sqrt(acc_dx + (eps if numerator_eps else 0.0)) / np.sqrt(
        (acc_g if old_g else new_g) + eps) * g
    new_dx = rho * acc_dx + (1 - rho) * (lr * dx if scaled else dx) ** 2
    return _step_result((w + sign * (lr if use_lr else 1.0) * dx, new_g, new_dx), part, swap)


_ADADELTA_STEP_MISTAKES = {
    "Keras's default lr 0.001 used: this exercise follows the paper, whose update has no "
    "learning rate, so the default is lr = 1.0": {"default_lr": 0.001},
    "lr ignored: the update is lr * dx": {"use_lr": False},
    "acc_dx accumulates lr * dx: Keras averages the squared update before the learning "
    "rate": {"scaled": True},
    "eps missing from the numerator: with acc_dx starting at 0, sqrt(acc_dx) is 0 and the "
    "weights never move": {"numerator_eps": False},
    "the update uses acc_g from before this step's gradient": {"old_g": True},
    "the sign of the update: dx goes against the gradient": {"sign": -1},
    **_swapped_outputs(("w", "acc_g", "acc_dx")),
}


@exercise("08.6")
def adadelta_step(ex):
    """Checks `adadelta_step(w, g, acc_g, acc_dx, lr=1.0, rho=0.95, eps=1e-7)`, as Keras.

    `acc_g` and `acc_dx` are moving averages of squared gradients and squared
    updates (zeros before the first step). The result is (w, acc_g, acc_dx) with
    acc_g = rho * acc_g + (1 - rho) * g**2,
    dx = -sqrt(acc_dx + eps) / sqrt(acc_g + eps) * g (the new acc_g, the old acc_dx),
    acc_dx = rho * acc_dx + (1 - rho) * dx**2 (dx before lr), w = w + lr * dx.
    The paper has no learning rate (lr = 1.0, the default here and PyTorch's); Keras
    has one, with default 0.001. Compared with `keras.optimizers.Adadelta` over 6
    steps, with lr 1.0 and the default rho and eps, and with other values.
    """
    _check_steps(ex, _adadelta_step_cases(), "Adadelta",
                 ("accumulated_grad", "accumulated_delta_var"), ("w", "acc_g", "acc_dx"),
                 _adadelta_step_answer, _ADADELTA_STEP_MISTAKES,
                 "update acc_g first; the update dx scales g by the ratio of the two RMS "
                 "values (each with eps inside its root); acc_dx averages dx**2 before lr "
                 "scales dx.")


# --------------------------------------------------------------- adam_step ---

def _adam_step_cases():
    """(case, Keras options, shapes, seed, () or (lr, beta1, beta2, eps)) for 08.7."""
    return [
        ("defaults, one matrix (3, 2)", {}, ((3, 2),), 60, ()),
        ("lr 0.1, beta1 0.5, beta2 0.8, eps 0.1, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.8, "epsilon": 0.1},
         ((2, 3), (3,)), 61, (0.1, 0.5, 0.8, 0.1)),
        ("lr 0.01, beta1 0.8, beta2 0.99, eps 0.01, a vector (4,)",
         {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 0.01}, ((4,),),
         62, (0.01, 0.8, 0.99, 0.01)),
        (f"defaults, {_EDGE}", {}, ((), (3,)), 63, (), 2),
    ]


def _adam_step_answer(w, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7, *,
                      part=None, correct=True, t_shift=0, eps_inside=False, paper=False,
                      betas_swapped=False, swap=None):
    """One Adam step as Keras takes it: the triple (w, m, v).

    m = beta1 * m + (1 - beta1) * g, v = beta2 * v + (1 - beta2) * g**2,
    alpha = lr * sqrt(1 - beta2**t) / (1 - beta1**t), then w = w - alpha * m / (sqrt(v) + eps).

    Args:
        w, g, m, v, t, lr, beta1, beta2, eps: the exercise's arguments.
        correct: False leaves out the bias correction (alpha = lr).
        t_shift: added to t in the bias correction (-1: t counted from 0).
        eps_inside: True divides by sqrt(v + eps).
        paper: True steps by lr * m_hat / (sqrt(v_hat) + eps), the paper's Algorithm 1.
        betas_swapped: True averages g with beta2 and g**2 with beta1.
        part: the index of the value returned (None: the whole result).
        swap: two positions of the result exchanged, e.g. (0, 1).
    """
    if betas_swapped:
        beta1, beta2 = beta2, beta1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g ** 2
    if paper:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        return _step_result((w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v), part, swap)
    step = t + t_shift
    alpha = lr * np.sqrt(1 - beta2 ** step) / (1 - beta1 ** step) if correct else lr
    denominator = np.sqrt(v + eps) if eps_inside else np.sqrt(v) + eps
    return _step_result((w - alpha * m / denominator, m, v), part, swap)


_ADAM_STEP_MISTAKES = {
    "no bias correction: the step size is lr * sqrt(1 - beta2**t) / (1 - beta1**t)":
        {"correct": False},
    "t counted from 0: t is the number of this step, 1 at the first step": {"t_shift": -1},
    "t one ahead: t is the number of this step, 1 at the first step (do not add 1)":
        {"t_shift": 1},
    "eps inside the square root: Keras divides by sqrt(v) + eps": {"eps_inside": True},
    "eps added to sqrt(v_hat) (the paper's Algorithm 1 and PyTorch): Keras folds the bias "
    "correction into the step size and adds eps to sqrt(v)": {"paper": True},
    "beta1 and beta2 swapped: beta1 (0.9 by default) averages g, beta2 (0.999) averages "
    "g**2": {"betas_swapped": True},
    **_swapped_outputs(("w", "m", "v")),
}


@exercise("08.7")
def adam_step(ex):
    """Checks `adam_step(w, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7)`.

    `m` and `v` are the moving averages of the gradient and its square (zeros
    before the first step) and `t` the number of this step, from 1. The result is
    (w, m, v) with m = beta1 * m + (1 - beta1) * g, v = beta2 * v + (1 - beta2) * g**2,
    then, as Keras does it, the bias correction folded into the step size:
    alpha = lr * sqrt(1 - beta2**t) / (1 - beta1**t), w = w - alpha * m / (sqrt(v) + eps).
    (The paper's Algorithm 1 and PyTorch add eps to sqrt(v_hat) instead: the same
    up to eps.) Compared with `keras.optimizers.Adam` over 6 steps, with the defaults
    and with eps = 0.1 or betas far from the defaults, which show the mistakes.
    """
    _check_steps(ex, _adam_step_cases(), "Adam", ("momentum", "velocity"), ("w", "m", "v"),
                 _adam_step_answer, _ADAM_STEP_MISTAKES,
                 "update m and v first; the step size folds in the bias correction of step "
                 "t, and eps is added to sqrt(v), outside the root.",
                 extra=lambda t, a: (t, *a))


# ------------------------------------------------------------- step_decay ---

@functools.cache
def _keras_schedule(kind, steps, **options):
    keras = import_keras()
    schedule = getattr(keras.optimizers.schedules, kind)(**options)
    return tuple(float(schedule(np.int64(s))) for s in range(steps))


def _check_schedule(ex, cases, oracle, answer, table, hint):
    """Compares the student's schedule with `oracle` at every step of each case, naming
    the mistakes of `table` (switches of the switch oracle `answer`)."""
    __tracebackhide__ = True
    for case, args, steps in cases:
        expected = oracle(args, steps)
        records = [(f"step {step}", ex.call(case, step, *args), expected[step], (step, *args))
                   for step in range(steps)]
        _compare_records(ex, case, records, ("",), answer, table, hint, kind="scalar")


def _step_decay_cases():
    """(case, (initial_lr, decay_rate, decay_steps), steps) for 08.8."""
    return [("initial 0.1, halved every 10 steps", (0.1, 0.5, 10), 36),
            ("initial 1.0, times 0.96 every 3 steps", (1.0, 0.96, 3), 13),
            ("initial 0.01, divided by 10 every step", (0.01, 0.1, 1), 6)]


def _step_decay_answer(step, initial_lr, decay_rate, decay_steps, *, periods="whole"):
    """A staircase decay: initial_lr * decay_rate ** floor(step / decay_steps).

    Args:
        step, initial_lr, decay_rate, decay_steps: the exercise's arguments.
        periods: the exponent: "whole" periods, step // decay_steps; a mistake:
            "fraction" (step / decay_steps), "one step ahead" ((step + 1) // decay_steps),
            "rounded up", "every step" (step) or "one more" (step // decay_steps + 1).
    """
    exponent = {"whole": step // decay_steps, "fraction": step / decay_steps,
                "one step ahead": (step + 1) // decay_steps,
                "rounded up": math.ceil(step / decay_steps), "every step": step,
                "one more": step // decay_steps + 1}[periods]
    return initial_lr * decay_rate ** exponent


_STEP_DECAY_MISTAKES = {
    "not a staircase: the exponent step / decay_steps must be rounded down":
        {"periods": "fraction"},
    "off by one: the first drop comes at step decay_steps, not one step earlier":
        {"periods": "one step ahead"},
    "rounded up instead of down: the rate stays at initial_lr for the first decay_steps "
    "steps": {"periods": "rounded up"},
    "decayed at every step: the exponent counts whole periods of decay_steps":
        {"periods": "every step"},
    "one drop too many: at step 0 the rate is initial_lr": {"periods": "one more"},
}


@exercise("08.8")
def step_decay(ex):
    """Checks `step_decay(step, initial_lr, decay_rate, decay_steps)`: a staircase decay.

    `step` is the training step (an int from 0); the result, one float, is
    initial_lr * decay_rate ** floor(step / decay_steps): the rate drops by the
    factor decay_rate once every decay_steps steps and is constant in between.
    Compared with `keras.optimizers.schedules.ExponentialDecay(initial_lr,
    decay_steps, decay_rate, staircase=True)` at every step of three ranges that
    cross several drops.
    """
    def oracle(args, steps):
        lr, rate, every = args
        return _keras_schedule("ExponentialDecay", steps, initial_learning_rate=np.float64(lr),
                               decay_steps=every, decay_rate=rate, staircase=True)

    _check_schedule(ex, _step_decay_cases(), oracle, _step_decay_answer, _STEP_DECAY_MISTAKES,
                    "the exponent is the number of whole periods of decay_steps completed "
                    "so far.")


# ------------------------------------------------- cosine_decay_with_warmup ---

def _cosine_decay_with_warmup_cases():
    """(case, (initial_lr, decay_steps, warmup_steps, warmup_target[, alpha]), steps)."""
    return [("warmup from 0 to 0.1 in 5 steps, decay over 10, default alpha",
             (0.0, 10, 5, 0.1), 19),
            ("warmup from 0.01 to 0.05 in 4 steps, decay over 8, alpha 0.1",
             (0.01, 8, 4, 0.05, 0.1), 16),
            ("no warmup (0 steps), target 0.1, initial 0.2 unused, decay over 6, alpha 0.2",
             (0.2, 6, 0, 0.1, 0.2), 9)]


def _cosine_decay_with_warmup_answer(step, initial_lr, decay_steps, warmup_steps,
                                     warmup_target, alpha=0.0, *, warmup_inside=False,
                                     start="warmup_target", end="alpha * warmup_target",
                                     clamp=True, warmup_ahead=0):
    """A linear warmup from initial_lr to warmup_target, then a cosine decay, as Keras.

    With s = min(step - warmup_steps, decay_steps), the decay is
    (warmup_target - bottom) * 0.5 * (1 + cos(pi * s / decay_steps)) + bottom, with
    bottom = alpha * warmup_target.

    Args:
        step, initial_lr, decay_steps, warmup_steps, warmup_target, alpha: the
            exercise's arguments.
        warmup_inside: True counts the decay from step 0, not from the warmup's end.
        start: where the decay starts: "warmup_target"; a mistake: "initial_lr".
        end: where it ends: "alpha * warmup_target"; a mistake: "alpha * initial_lr"
            or "0".
        clamp: False lets the decay go on past decay_steps.
        warmup_ahead: steps added to the warmup's step.
    """
    if step < warmup_steps:
        return initial_lr + (warmup_target - initial_lr) * (step + warmup_ahead) / warmup_steps
    s = step if warmup_inside else step - warmup_steps
    s = min(s, decay_steps) if clamp else s
    cosine = 0.5 * (1 + math.cos(math.pi * s / decay_steps))
    top = {"warmup_target": warmup_target, "initial_lr": initial_lr}[start]
    bottom = {"alpha * warmup_target": alpha * warmup_target,
              "alpha * initial_lr": alpha * initial_lr, "0": 0.0}[end]
    return (top - bottom) * cosine + bottom


_COSINE_DECAY_WITH_WARMUP_MISTAKES = {
    "the warmup counted inside the decay: the cosine starts at step warmup_steps, over "
    "step - warmup_steps": {"warmup_inside": True},
    "the decay ends at alpha * initial_lr: it goes down to alpha * warmup_target":
        {"end": "alpha * initial_lr"},
    "the decay does not stop after decay_steps: past its end the rate stays at "
    "alpha * warmup_target": {"clamp": False},
    "the decay starts from initial_lr: after the warmup it starts from warmup_target":
        {"start": "initial_lr", "end": "alpha * initial_lr"},
    "the warmup one step ahead: at step 0 the rate is initial_lr": {"warmup_ahead": 1},
    "alpha ignored: the decay ends at alpha * warmup_target": {"end": "0"},
}


@exercise("08.9")
def cosine_decay_with_warmup(ex):
    """Checks `cosine_decay_with_warmup(step, initial_lr, decay_steps, warmup_steps,
    warmup_target, alpha=0.0)`: a linear warmup, then a cosine decay, as Keras does it.

    For step < warmup_steps the result is
    initial_lr + (warmup_target - initial_lr) * step / warmup_steps; after that, with
    s = min(step - warmup_steps, decay_steps), it is
    warmup_target * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha):
    from warmup_target down to alpha * warmup_target, where it stays. With
    warmup_steps = 0 the decay starts at warmup_target at step 0. Compared with
    `keras.optimizers.schedules.CosineDecay(initial_lr, decay_steps, alpha,
    warmup_target=warmup_target, warmup_steps=warmup_steps)` at every step from 0 to
    past the end, with and without alpha and warmup.
    """
    def oracle(args, steps):
        initial, decay, warmup, target, *alpha = args
        return _keras_schedule("CosineDecay", steps, initial_learning_rate=np.float64(initial),
                               decay_steps=decay, alpha=alpha[0] if alpha else 0.0,
                               warmup_target=target, warmup_steps=warmup)

    _check_schedule(ex, _cosine_decay_with_warmup_cases(), oracle,
                    _cosine_decay_with_warmup_answer, _COSINE_DECAY_WITH_WARMUP_MISTAKES,
                    "two phases: a straight line from initial_lr to warmup_target over "
                    "warmup_steps, then half a cosine over decay_steps, counted from the "
                    "end of the warmup and held at its end.")


# ------------------------------------------------------ clip_by_global_norm ---

def _clip_by_global_norm_cases():
    """(case, grads, clip_norm) for 08.10."""
    rng = np.random.default_rng(70)
    return [
        ("a matrix (3, 2) and a bias (2,), norm above clip_norm 1.0",
         [rng.normal(0, 1, (3, 2)), rng.normal(0, 1, (2,))], 1.0),
        ("norm below clip_norm 10.0: unchanged", [rng.normal(0, 1, (2, 2)),
                                                   rng.normal(0, 0.5, (3,))], 10.0),
        ("one array much larger than the others, clip_norm 2.0",
         [rng.normal(0, 5, (4,)), rng.normal(0, 0.1, (2, 3)), rng.normal(0, 0.2, (1,))], 2.0),
        ("a single array (5,), clip_norm 0.5", [rng.normal(0, 1, (5,))], 0.5),
        ("all zeros, clip_norm 1.0", [np.zeros((2, 2)), np.zeros(3)], 1.0),
        ("a 0-d array and a matrix (2, 2) of global norm 3.0, between sqrt(clip_norm) and "
         "clip_norm 4.0: unchanged", _with_norm([rng.normal(0, 1, ()), rng.normal(0, 1, (2, 2))],
                                                3.0), 4.0),
        ("no gradients (an empty list): global norm 0", [], 1.0),
    ]


def _with_norm(grads, norm):
    """The arrays `grads` scaled together to the global norm `norm`."""
    scale = norm / math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    return [g * scale for g in grads]


def _clip_by_global_norm_answer(grads, clip_norm, *, part, per_array=False, always=False,
                                squared=False, clip=True, norm_after=False,
                                compare_squared=False):
    """Gradients clipped by their global norm: one clipped array, or the norm before clipping.

    Args:
        grads, clip_norm: the exercise's arguments.
        part: the index of the clipped array returned, or "global_norm".
        per_array: True clips each array by its own norm.
        always: True scales by clip_norm / norm even when the norm is not above clip_norm.
        squared: True leaves the square root out of the global norm.
        clip: False returns the arrays unchanged.
        norm_after: True returns the norm after clipping.
        compare_squared: True clips (by clip_norm / norm) when the squared norm, not the
            norm, is above clip_norm.
    """
    squares = float(sum(np.sum(g ** 2) for g in grads))
    norm = squares if squared else math.sqrt(squares)
    if part == "global_norm":
        return min(norm, clip_norm) if norm_after else norm
    g = grads[part]
    if per_array:
        return g * clip_norm / max(float(np.linalg.norm(g)), clip_norm)
    if always:
        return g * clip_norm / norm if norm else g
    if compare_squared:
        return g * clip_norm / norm if squares > clip_norm else g
    return g * clip_norm / max(norm, clip_norm) if clip else g


_CLIP_BY_GLOBAL_NORM_MISTAKES = {
    "each array clipped by its own norm: one factor, from the global norm, scales them all":
        {"per_array": True},
    "clipped although the norm is not above clip_norm: arrays within the limit come back "
    "unchanged": {"always": True},
    "the norm without the square root: the global norm is the sqrt of the sum of squares":
        {"squared": True},
    "not clipped: the global norm is above clip_norm": {"clip": False},
    "the norm after clipping returned: global_norm is the norm before clipping":
        {"norm_after": True},
    "the squared norm compared with clip_norm: clip when the norm itself (the square root "
    "of the sum of squares) is above clip_norm": {"compare_squared": True},
}


@exercise("08.10")
def clip_by_global_norm(ex):
    """Checks `clip_by_global_norm(grads, clip_norm)` against `tf.clip_by_global_norm`.

    `grads` is a list of float arrays of any shapes and `clip_norm` > 0. The global
    norm is sqrt of the sum of the squares of every entry of every array; when it
    exceeds clip_norm every array is multiplied by clip_norm / global_norm (one
    factor for all, so the direction is kept), otherwise they come back unchanged.
    The result is the pair (clipped, global_norm): a list of new arrays of the
    input shapes and the norm before clipping, a float. The arrays in `grads` are
    not changed and none is returned itself or as a view (`returns_new`). Cases:
    norms above and below clip_norm, one array much larger than the others, a single
    array, all zeros, a 0-d array with a norm between sqrt(clip_norm) and clip_norm
    (where comparing the squared norm with clip_norm clips, wrongly) and an empty list
    (clipped [] and global norm 0, as `tf.clip_by_global_norm` gives).
    """
    tf = import_tensorflow()
    for case, grads, clip in _clip_by_global_norm_cases():
        out = ex.call(case, grads, clip, returns_new=True)
        clipped, norm = ex.require_pair(case, out, "(clipped, global_norm)",
                                        "return the list of clipped arrays and the global "
                                        "norm before clipping.")
        ex.require(case, isinstance(clipped, (list, tuple)) and len(clipped) == len(grads),
                   f"clipped must be a list of {len(grads)} arrays, one per gradient; "
                   f"received {describe(clipped)}.",
                   "return the pair (clipped, global_norm): a list with one array per input "
                   "array, then the norm.")
        expected, expected_norm = tf.clip_by_global_norm(
            [tf.constant(g) for g in grads], tf.constant(clip, tf.float64)) if grads else ([], 0.0)
        for i, want in enumerate(expected):
            ex.compare(case, clipped[i], np.asarray(want), part=f"clipped[{i}]",
                       kind=_kind(clipped[i], np.asarray(want), "array"),
                       mistakes=mistakes_from(_clip_by_global_norm_answer,
                                              _CLIP_BY_GLOBAL_NORM_MISTAKES, grads, clip,
                                              part=i),
                       hint="one factor for every array: clip_norm over the global norm, "
                            "only when the norm is above clip_norm.")
        ex.compare(case, norm, float(expected_norm), kind="scalar", part="global_norm",
                   mistakes=mistakes_from(_clip_by_global_norm_answer,
                                          _CLIP_BY_GLOBAL_NORM_MISTAKES, grads, clip,
                                          part="global_norm"),
                   hint="the global norm is the square root of the sum of the squares of "
                        "every entry of every array, before clipping.")
