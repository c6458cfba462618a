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
the square root it is on). The schedules are compared with
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
08.7 adam_step: all 3 cases passed
"""

import functools
import math

import numpy as np

from helpers.checks.core import exercise, describe, import_keras, import_tensorflow

__all__ = [
    "sgd_step", "momentum_step", "nesterov_step", "adagrad_step", "rmsprop_step",
    "adadelta_step", "adam_step", "step_decay", "cosine_decay_with_warmup",
    "clip_by_global_norm",
]

STEPS = 6


# ---------------------------------------------------------------- helpers ---

@functools.cache
def _keras_trajectory(optimizer, options, shapes, seed, slots):
    """Runs `keras.optimizers.<optimizer>(**options)` for STEPS steps on float64 weights.

    Args:
        optimizer: the class name, e.g. "Adam".
        options: the constructor's keyword arguments, as a tuple of (name, value).
        shapes: one shape per weight array.
        seed: seeds the starting weights and the gradients of every step.
        slots: the suffixes of the optimiser's state variables, in the exercise's
            order, e.g. ("momentum", "velocity").

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
        before = [state(i) for i in range(len(shapes))]
        opt.apply_gradients(zip([tf.constant(g) for g in grads], variables))
        steps.append([(g, b, state(i)) for i, (g, b) in enumerate(zip(grads, before))])
    return steps


def _check_steps(ex, cases, optimizer, slots, names, mistakes, hint, extra=lambda t, a: a):
    """Checks an update step over STEPS steps of every case against Keras.

    Args:
        ex: the Exercise.
        cases: (case, keras options dict, shapes, seed, args, hyper) where `args`
            are the positional hyperparameters passed to the student (empty for
            the defaults) and `hyper` all of them by name, for `mistakes`.
        optimizer: the Keras class name.
        slots: the Keras state variables' suffixes, in the order of `names[1:]`.
        names: the names of the returned values, e.g. ("w", "m").
        mistakes: function (g, before, t, hyper) -> {description: after}, where
            before and after are tuples like `names` and hyper has one more key,
            "default", true when the student's defaults are used.
        hint: what to look at when values differ.
        extra: function (t, args) -> the arguments after the state (Adam puts t first).
    """
    __tracebackhide__ = True
    for case, options, shapes, seed, args, hyper in cases:
        trajectory = _keras_trajectory(optimizer, tuple(sorted(options.items())), shapes,
                                       seed, slots)
        records = []  # (label, received, expected, known mistakes), one per step and array
        for t, step in enumerate(trajectory, start=1):
            for i, (g, before, after) in enumerate(step):
                out = ex.call(case, before[0], g, *before[1:], *extra(t, args))
                if len(names) == 1:
                    out = (out,)
                else:
                    ex.require(case, isinstance(out, (tuple, list)) and len(out) == len(names),
                               f"expected {len(names)} values ({', '.join(names)}), received "
                               f"{describe(out)}.",
                               f"return the tuple ({', '.join(names)}): the new weights and "
                               f"the new state, which the caller passes back at the next step.")
                with np.errstate(all="ignore"):
                    wrong = mistakes(g, before, t, {**hyper, "default": not args})
                for j in range(len(names)):
                    for k in range(j + 1, len(names)):
                        swapped = list(after)
                        swapped[j], swapped[k] = after[k], after[j]
                        wrong[f"{names[j]} and {names[k]} swapped: return "
                              f"({', '.join(names)}) in this order"] = tuple(swapped)
                where = f" (weight array {i + 1} of {len(shapes)}, shape {shapes[i]})" \
                    if len(shapes) > 1 else ""
                records.append((f"after step {t} of {STEPS}{where}", out, after, wrong))
        _compare_records(ex, case, records, names, hint)


def _matches(received, value):
    """Tells whether a received value equals a known one (False when it cannot say)."""
    try:
        received, value = np.asarray(received, np.float64), np.asarray(value, np.float64)
        return received.shape == value.shape and np.allclose(received, value, rtol=1e-5,
                                                             atol=1e-6, equal_nan=True)
    except (TypeError, ValueError):
        return False


def _compare_records(ex, case, records, names, hint, kind="array"):
    """Compares every record of a case in order, naming only the mistakes that explain
    the student's results at every record (at one step several mistakes can give the
    same value: from zero state, momentum ignored is the right answer)."""
    __tracebackhide__ = True
    explains = [{what for what in records[0][3]
                 if all(_matches(out[j], wrong[what][j]) for _, out, _, wrong in records)}
                for j in range(len(names))]
    for label, out, after, wrong in records:
        for j, name in enumerate(names):
            known = {what: wrong[what][j] for what in wrong if what in explains[j]}
            ex.compare(case, out[j], after[j], kind=kind, part=f"{name} {label}".strip(),
                       mistakes=known, hint=hint)


def _hyper(**values):
    return values


# ------------------------------------------------------------------- sgd_step ---

@exercise("08.1")
def sgd_step(ex):
    """Checks `sgd_step(w, g, lr)`: one step of plain gradient descent.

    `w` (the weights) and `g` (their gradient) are float arrays of one shape and `lr`
    a float; the result is the new weights `w - lr * g`, a new array (`w` is not
    changed), compared with `keras.optimizers.SGD(learning_rate=lr)` over 6 steps.
    """
    cases = [
        ("lr 0.1, one matrix (3, 2)", {"learning_rate": 0.1}, ((3, 2),), 1, (0.1,), {"lr": 0.1}),
        ("lr 0.5, a matrix (2, 3) and a bias (3,)", {"learning_rate": 0.5}, ((2, 3), (3,)), 2,
         (0.5,), {"lr": 0.5}),
        ("lr 0.01, a vector (5,)", {"learning_rate": 0.01}, ((5,),), 3, (0.01,), {"lr": 0.01}),
    ]

    def mistakes(g, before, t, h):
        w, lr = before[0], h["lr"]
        return {"the step goes up the gradient: gradient descent subtracts lr * g":
                (w + lr * g,),
                "lr ignored: the step is the gradient times the learning rate": (w - g,),
                "divided by lr instead of multiplied": (w - g / lr,)}

    _check_steps(ex, cases, "SGD", (), ("w",), mistakes,
                 "the weights move against the gradient, by the learning rate times it.")


# ----------------------------------------------------------- momentum_step ---

def _momentum_cases(seed):
    return [
        ("lr 0.1, momentum 0.9, one matrix (3, 2)", {"learning_rate": 0.1, "momentum": 0.9},
         ((3, 2),), seed, (0.1, 0.9), _hyper(lr=0.1, momentum=0.9)),
        ("lr 0.05, momentum 0.5, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.05, "momentum": 0.5}, ((2, 3), (3,)), seed + 1, (0.05, 0.5),
         _hyper(lr=0.05, momentum=0.5)),
        ("lr 0.3, momentum 0.99, a vector (4,)", {"learning_rate": 0.3, "momentum": 0.99},
         ((4,),), seed + 2, (0.3, 0.99), _hyper(lr=0.3, momentum=0.99)),
    ]


def _momentum_mistakes(g, before, t, h, nesterov=False):
    """Known wrong (w, m) of a momentum or Nesterov step."""
    w, m = before
    lr, mu = h["lr"], h["momentum"]
    new_m = mu * m - lr * g
    torch_m = mu * (m / -lr) + g  # PyTorch's buffer: the sum of gradients, lr applied later
    found = {
        "the momentum state in PyTorch's form (m = momentum * m + g, w = w - lr * m): the "
        "weights come out the same, but Keras's state holds momentum * m - lr * g, "
        "velocity already scaled by the learning rate": (
            w - lr * (g + mu * torch_m) if nesterov else w - lr * torch_m, torch_m),
        "momentum ignored in the state: the new m keeps momentum times the old m":
            (w - (1 + mu) * lr * g if nesterov else w - lr * g, -lr * g),
        "dampened gradient (1 - momentum) * lr * g: Keras adds the full lr * g":
            (w + mu * m - (1 - mu) * lr * g, mu * m - (1 - mu) * lr * g),
    }
    if nesterov:
        found.update({
            "Nesterov's look-ahead missing: w + m, or the old m in the look-ahead (the "
            "same thing), is plain momentum; Nesterov steps by momentum times the new m, "
            "minus lr * g": (w + new_m, new_m),
            "the gradient term missing from the Nesterov step: w moves by momentum * m "
            "(the new m) minus lr * g": (w + mu * new_m, new_m),
        })
    else:
        found.update({
            "the weights moved with the old m: update m first, then add the new m to w":
                (w + m, new_m),
            "the step goes up the gradient: m subtracts lr * g": (w + mu * m + lr * g,
                                                                  mu * m + lr * g),
        })
    return found


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
    _check_steps(ex, _momentum_cases(10), "SGD", ("momentum",), ("w", "m"),
                 _momentum_mistakes,
                 "the state m decays by the momentum and takes away lr * g; the weights "
                 "then move by the new m.")


@exercise("08.3")
def nesterov_step(ex):
    """Checks `nesterov_step(w, g, m, lr, momentum)`: Nesterov momentum, as Keras does it.

    Same arguments and result (w, m) as `momentum_step`: m = momentum * m - lr * g,
    then w = w + momentum * m - lr * g (with the new m: a step along the momentum's
    look-ahead), compared with `keras.optimizers.SGD(learning_rate=lr,
    momentum=momentum, nesterov=True)` over 6 steps.
    """
    cases = [(case, {**options, "nesterov": True}, *rest)
             for case, options, *rest in _momentum_cases(20)]
    _check_steps(ex, cases, "SGD", ("momentum",), ("w", "m"),
                 functools.partial(_momentum_mistakes, nesterov=True),
                 "m is updated as in momentum_step; the weights then move by the momentum "
                 "times the new m (the look-ahead) plus the plain gradient step.")


# ------------------------------------------------------------ adagrad_step ---

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
    cases = [
        ("lr 0.1, default eps, accumulator from 0.1, one matrix (3, 2)",
         {"learning_rate": 0.1}, ((3, 2),), 30, (0.1,), _hyper(lr=0.1, eps=1e-7)),
        ("lr 0.5, eps 0.5, accumulator from 0.1, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.5, "epsilon": 0.5}, ((2, 3), (3,)), 31, (0.5, 0.5),
         _hyper(lr=0.5, eps=0.5)),
        ("lr 0.2, eps 0.1, accumulator from 1.0, a vector (4,)",
         {"learning_rate": 0.2, "epsilon": 0.1, "initial_accumulator_value": 1.0}, ((4,),),
         32, (0.2, 0.1), _hyper(lr=0.2, eps=0.1)),
    ]

    def mistakes(g, before, t, h):
        w, acc = before
        lr, eps = h["lr"], h["eps"]
        new = acc + g ** 2
        return {
            "eps added outside the square root (PyTorch's form): Keras divides by "
            "sqrt(acc + eps)": (w - lr * g / (np.sqrt(new) + eps), new),
            "the step uses the accumulator from before this step's g**2 was added":
                (w - lr * g / np.sqrt(acc + eps), new),
            "no square root: the step divides by sqrt(acc + eps)":
                (w - lr * g / (new + eps), new),
            "the accumulator adds g instead of g**2": (w - lr * g / np.sqrt(acc + g + eps),
                                                       acc + g),
            "a moving average instead of a sum (that is RMSprop)": (
                w - lr * g / np.sqrt(0.9 * acc + 0.1 * g ** 2 + eps), 0.9 * acc + 0.1 * g ** 2),
        }

    _check_steps(ex, cases, "Adagrad", ("accumulator",), ("w", "acc"), mistakes,
                 "acc grows by this step's squared gradient; the step is lr * g over the "
                 "square root of the new acc plus eps (eps inside the root, as in Keras).")


# ------------------------------------------------------------ rmsprop_step ---

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
    cases = [
        ("lr 0.01, default rho and eps, one matrix (3, 2)", {"learning_rate": 0.01},
         ((3, 2),), 40, (0.01,), _hyper(lr=0.01, rho=0.9, eps=1e-7)),
        ("lr 0.1, rho 0.5, eps 0.1, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.1, "rho": 0.5, "epsilon": 0.1}, ((2, 3), (3,)), 41,
         (0.1, 0.5, 0.1), _hyper(lr=0.1, rho=0.5, eps=0.1)),
        ("lr 0.05, rho 0.99, eps 0.01, a vector (4,)",
         {"learning_rate": 0.05, "rho": 0.99, "epsilon": 0.01}, ((4,),), 42,
         (0.05, 0.99, 0.01), _hyper(lr=0.05, rho=0.99, eps=0.01)),
    ]

    def mistakes(g, before, t, h):
        w, v = before
        lr, rho, eps = h["lr"], h["rho"], h["eps"]
        new = rho * v + (1 - rho) * g ** 2
        swapped = (1 - rho) * v + rho * g ** 2
        return {
            "eps added outside the square root: Keras divides by sqrt(v + eps)":
                (w - lr * g / (np.sqrt(new) + eps), new),
            "rho and 1 - rho swapped: rho weighs the old average": (
                w - lr * g / np.sqrt(swapped + eps), swapped),
            "the step uses v from before this step's gradient was averaged in":
                (w - lr * g / np.sqrt(v + eps), new),
            "a running sum instead of a moving average (that is Adagrad)":
                (w - lr * g / np.sqrt(v + g ** 2 + eps), v + g ** 2),
            "no square root: the step divides by sqrt(v + eps)": (w - lr * g / (new + eps),
                                                                  new),
        }

    _check_steps(ex, cases, "RMSprop", ("velocity",), ("w", "v"), mistakes,
                 "v is a moving average of g**2 weighted by rho; the step is lr * g over "
                 "the square root of the new v plus eps (eps inside the root, as in Keras).")


# ----------------------------------------------------------- adadelta_step ---

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
    cases = [
        ("default lr 1.0, rho 0.95 and eps 1e-7, one matrix (3, 2)", {"learning_rate": 1.0},
         ((3, 2),), 50, (), _hyper(lr=1.0, rho=0.95, eps=1e-7)),
        ("lr 0.5, rho 0.8, eps 0.01, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.5, "rho": 0.8, "epsilon": 0.01}, ((2, 3), (3,)), 51,
         (0.5, 0.8, 0.01), _hyper(lr=0.5, rho=0.8, eps=0.01)),
        ("lr 2.0, rho 0.9, eps 1e-3, a vector (4,)",
         {"learning_rate": 2.0, "rho": 0.9, "epsilon": 1e-3}, ((4,),), 52,
         (2.0, 0.9, 1e-3), _hyper(lr=2.0, rho=0.9, eps=1e-3)),
    ]

    def mistakes(g, before, t, h):
        w, acc_g, acc_dx = before
        lr, rho, eps = h["lr"], h["rho"], h["eps"]
        new_g = rho * acc_g + (1 - rho) * g ** 2
        dx = -np.sqrt(acc_dx + eps) / np.sqrt(new_g + eps) * g
        new_dx = rho * acc_dx + (1 - rho) * dx ** 2
        scaled = rho * acc_dx + (1 - rho) * (lr * dx) ** 2
        no_eps = -np.sqrt(acc_dx) / np.sqrt(new_g + eps) * g
        old_g = -np.sqrt(acc_dx + eps) / np.sqrt(acc_g + eps) * g
        found = {}
        if h["default"]:
            found["Keras's default lr 0.001 used: this exercise follows the paper, whose "
                  "update has no learning rate, so the default is lr = 1.0"] = (
                w + 0.001 * dx, new_g, new_dx)
        return {
            **found,
            "lr ignored: the update is lr * dx": (w + dx, new_g, new_dx),
            "acc_dx accumulates lr * dx: Keras averages the squared update before the "
            "learning rate": (w + lr * dx, new_g, scaled),
            "eps missing from the numerator: with acc_dx starting at 0, sqrt(acc_dx) is 0 "
            "and the weights never move": (w + lr * no_eps, new_g,
                                           rho * acc_dx + (1 - rho) * no_eps ** 2),
            "the update uses acc_g from before this step's gradient":
                (w + lr * old_g, new_g, rho * acc_dx + (1 - rho) * old_g ** 2),
            "the sign of the update: dx goes against the gradient":
                (w - lr * dx, new_g, new_dx),
        }

    _check_steps(ex, cases, "Adadelta", ("accumulated_grad", "accumulated_delta_var"),
                 ("w", "acc_g", "acc_dx"), mistakes,
                 "update acc_g first; the update dx scales g by the ratio of the two RMS "
                 "values (each with eps inside its root); acc_dx averages dx**2 before lr "
                 "scales dx.")


# --------------------------------------------------------------- adam_step ---

def _adam(g, m, v, t, lr, b1, b2, eps, correct=True):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g ** 2
    alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) if correct else lr
    return alpha, m, v


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
    cases = [
        ("defaults, one matrix (3, 2)", {}, ((3, 2),), 60, (),
         _hyper(lr=0.001, b1=0.9, b2=0.999, eps=1e-7)),
        ("lr 0.1, beta1 0.5, beta2 0.8, eps 0.1, a matrix (2, 3) and a bias (3,)",
         {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.8, "epsilon": 0.1},
         ((2, 3), (3,)), 61, (0.1, 0.5, 0.8, 0.1), _hyper(lr=0.1, b1=0.5, b2=0.8, eps=0.1)),
        ("lr 0.01, beta1 0.8, beta2 0.99, eps 0.01, a vector (4,)",
         {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 0.01}, ((4,),),
         62, (0.01, 0.8, 0.99, 0.01), _hyper(lr=0.01, b1=0.8, b2=0.99, eps=0.01)),
    ]

    def mistakes(g, before, t, h):
        w, m, v = before
        lr, b1, b2, eps = h["lr"], h["b1"], h["b2"], h["eps"]
        alpha, m1, v1 = _adam(g, m, v, t, lr, b1, b2, eps)
        found = {}
        for what, step, correct in (
                (("no bias correction: the step size is lr * sqrt(1 - beta2**t) / "
                  "(1 - beta1**t)"), t, False),
                ("t counted from 0: t is the number of this step, 1 at the first step",
                 t - 1, True),
                (("t one ahead: t is the number of this step, 1 at the first step (do "
                  "not add 1)"), t + 1, True)):
            a, mm, vv = _adam(g, m, v, step, lr, b1, b2, eps, correct)
            found[what] = (w - a * mm / (np.sqrt(vv) + eps), mm, vv)
        found["eps inside the square root: Keras divides by sqrt(v) + eps"] = (
            w - alpha * m1 / np.sqrt(v1 + eps), m1, v1)
        m_hat, v_hat = m1 / (1 - b1 ** t), v1 / (1 - b2 ** t)
        found["eps added to sqrt(v_hat) (the paper's Algorithm 1 and PyTorch): Keras folds "
              "the bias correction into the step size and adds eps to sqrt(v)"] = (
            w - lr * m_hat / (np.sqrt(v_hat) + eps), m1, v1)
        a, mm, vv = _adam(g, m, v, t, lr, b2, b1, eps)
        found["beta1 and beta2 swapped: beta1 (0.9 by default) averages g, beta2 (0.999) "
              "averages g**2"] = (w - a * mm / (np.sqrt(vv) + eps), mm, vv)
        return found

    _check_steps(ex, cases, "Adam", ("momentum", "velocity"), ("w", "m", "v"), mistakes,
                 "update m and v first; the step size folds in the bias correction of step "
                 "t, and eps is added to sqrt(v), outside the root.",
                 extra=lambda t, a: (t, *a))


# ------------------------------------------------------------- step_decay ---

@functools.cache
def _keras_schedule(kind, steps, **options):
    keras = import_keras()
    schedule = getattr(keras.optimizers.schedules, kind)(**options)
    return tuple(float(schedule(np.int64(s))) for s in range(steps))


def _check_schedule(ex, cases, oracle, mistakes, hint):
    """Compares the student's schedule with `oracle` at every step of each case."""
    __tracebackhide__ = True
    for case, args, steps in cases:
        expected = oracle(args, steps)
        records = [(f"step {step}", (ex.call(case, step, *args),), (expected[step],),
                    {what: (value,) for what, value in mistakes(step, *args).items()})
                   for step in range(steps)]
        _compare_records(ex, case, records, ("",), hint, kind="scalar")


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
    cases = [("initial 0.1, halved every 10 steps", (0.1, 0.5, 10), 36),
             ("initial 1.0, times 0.96 every 3 steps", (1.0, 0.96, 3), 13),
             ("initial 0.01, divided by 10 every step", (0.01, 0.1, 1), 6)]

    def oracle(args, steps):
        lr, rate, every = args
        return _keras_schedule("ExponentialDecay", steps, initial_learning_rate=np.float64(lr),
                               decay_steps=every, decay_rate=rate, staircase=True)

    def mistakes(step, lr, rate, every):
        return {
            "not a staircase: the exponent step / decay_steps must be rounded down":
                lr * rate ** (step / every),
            "off by one: the first drop comes at step decay_steps, not one step earlier":
                lr * rate ** ((step + 1) // every),
            "rounded up instead of down: the rate stays at initial_lr for the first "
            "decay_steps steps": lr * rate ** math.ceil(step / every),
            "decayed at every step: the exponent counts whole periods of decay_steps":
                lr * rate ** step,
            "one drop too many: at step 0 the rate is initial_lr":
                lr * rate ** (step // every + 1),
        }

    _check_schedule(ex, cases, oracle, mistakes,
                    "the exponent is the number of whole periods of decay_steps completed "
                    "so far.")


# ------------------------------------------------- cosine_decay_with_warmup ---

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
    cases = [("warmup from 0 to 0.1 in 5 steps, decay over 10, default alpha",
              (0.0, 10, 5, 0.1), 19),
             ("warmup from 0.01 to 0.05 in 4 steps, decay over 8, alpha 0.1",
              (0.01, 8, 4, 0.05, 0.1), 16),
             ("no warmup (0 steps), target 0.1, initial 0.2 unused, decay over 6, alpha 0.2",
              (0.2, 6, 0, 0.1, 0.2), 9)]

    def oracle(args, steps):
        initial, decay, warmup, target, *alpha = args
        return _keras_schedule("CosineDecay", steps, initial_learning_rate=np.float64(initial),
                               decay_steps=decay, alpha=alpha[0] if alpha else 0.0,
                               warmup_target=target, warmup_steps=warmup)

    def mistakes(step, initial, decay, warmup, target, alpha=0.0):
        def rate(start=target, bottom=alpha * target, s=step - warmup, clamp=True, ahead=0):
            if step < warmup:
                ramp = (step + ahead) / warmup
                return initial + (target - initial) * ramp
            s = min(s, decay) if clamp else s
            cosine = 0.5 * (1 + math.cos(math.pi * s / decay))
            return (start - bottom) * cosine + bottom

        return {
            "the warmup counted inside the decay: the cosine starts at step warmup_steps, "
            "over step - warmup_steps": rate(s=step),
            "the decay ends at alpha * initial_lr: it goes down to alpha * warmup_target":
                rate(bottom=alpha * initial),
            "the decay does not stop after decay_steps: past its end the rate stays at "
            "alpha * warmup_target": rate(clamp=False),
            "the decay starts from initial_lr: after the warmup it starts from "
            "warmup_target": rate(start=initial, bottom=alpha * initial),
            "the warmup one step ahead: at step 0 the rate is initial_lr":
                rate(ahead=1),
            "alpha ignored: the decay ends at alpha * warmup_target": rate(bottom=0.0),
        }

    _check_schedule(ex, cases, oracle, mistakes,
                    "two phases: a straight line from initial_lr to warmup_target over "
                    "warmup_steps, then half a cosine over decay_steps, counted from the "
                    "end of the warmup and held at its end.")


# ------------------------------------------------------ clip_by_global_norm ---

@exercise("08.10")
def clip_by_global_norm(ex):
    """Checks `clip_by_global_norm(grads, clip_norm)` against `tf.clip_by_global_norm`.

    `grads` is a list of float arrays of any shapes and `clip_norm` > 0. The global
    norm is sqrt of the sum of the squares of every entry of every array; when it
    exceeds clip_norm every array is multiplied by clip_norm / global_norm (one
    factor for all, so the direction is kept), otherwise they come back unchanged.
    The result is the pair (clipped, global_norm): a list of new arrays of the
    input shapes and the norm before clipping, a float. The arrays in `grads` are
    not changed.
    """
    tf = import_tensorflow()
    rng = np.random.default_rng(70)
    cases = [
        ("a matrix (3, 2) and a bias (2,), norm above clip_norm 1.0",
         [rng.normal(0, 1, (3, 2)), rng.normal(0, 1, (2,))], 1.0),
        ("norm below clip_norm 10.0: unchanged", [rng.normal(0, 1, (2, 2)),
                                                   rng.normal(0, 0.5, (3,))], 10.0),
        ("one array much larger than the others, clip_norm 2.0",
         [rng.normal(0, 5, (4,)), rng.normal(0, 0.1, (2, 3)), rng.normal(0, 0.2, (1,))], 2.0),
        ("a single array (5,), clip_norm 0.5", [rng.normal(0, 1, (5,))], 0.5),
        ("all zeros, clip_norm 1.0", [np.zeros((2, 2)), np.zeros(3)], 1.0),
    ]
    for case, grads, clip in cases:
        out = ex.call(case, grads, clip)
        clipped, norm = ex.require_pair(case, out, "(clipped, global_norm)",
                                        "return the list of clipped arrays and the global "
                                        "norm before clipping.")
        ex.require(case, isinstance(clipped, (list, tuple)) and len(clipped) == len(grads),
                   f"clipped must be a list of {len(grads)} arrays, one per gradient; "
                   f"received {describe(clipped)}.",
                   "return the pair (clipped, global_norm): a list with one array per input "
                   "array, then the norm.")
        expected, expected_norm = tf.clip_by_global_norm(
            [tf.constant(g) for g in grads], tf.constant(clip, tf.float64))
        total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
        squares = total ** 2
        for i, (g, want) in enumerate(zip(grads, expected)):
            scale = clip / max(total, clip)
            mistakes = {
                "each array clipped by its own norm: one factor, from the global norm, "
                "scales them all": g * clip / max(float(np.linalg.norm(g)), clip),
                "clipped although the norm is not above clip_norm: arrays within the "
                "limit come back unchanged": g * clip / total if total else g,
                "the norm without the square root: the global norm is the sqrt of the sum "
                "of squares": g * clip / max(squares, clip),
            }
            if scale != 1.0:
                mistakes["not clipped: the global norm is above clip_norm"] = g
            ex.compare(case, clipped[i], np.asarray(want), part=f"clipped[{i}]",
                       mistakes=mistakes,
                       hint="one factor for every array: clip_norm over the global norm, "
                            "only when the norm is above clip_norm.")
        ex.compare(case, norm, float(expected_norm), kind="scalar", part="global_norm",
                   mistakes={"the norm after clipping returned: global_norm is the norm "
                             "before clipping": min(total, clip),
                             "the norm without the square root": squares},
                   hint="the global norm is the square root of the sum of the squares of "
                        "every entry of every array, before clipping.")
