"""Mutation tests of helpers.checks.optimisers (notebook 08): the tests of every exercise
(tests/mutants.py) on the references and wrong versions below, then other correct
answers that must pass and messages read in full.
"""

import math

import numpy as np
import pytest

from helpers.checks import optimisers as check
from helpers.checks.core import CheckError

from mutants import CheckTests


# ------------------------------------------------------------ references ---

def sgd_step(w, g, lr, *, sign=-1, use_lr=True, in_place=False):
    if in_place:
        w -= lr * g
        return w
    return w + sign * (lr if use_lr else 1.0) * g


def momentum_step(w, g, m, lr, momentum, *, torch=False, old_m=False, keep=True, damp=False,
                  order=("w", "m")):
    if torch:
        buf = momentum * (m / -lr) + g
        return w - lr * buf, buf
    new_m = (momentum * m if keep else 0.0) - (1 - momentum if damp else 1.0) * lr * g
    w = w + (m if old_m else new_m)
    return (w, new_m) if order == ("w", "m") else (new_m, w)


def nesterov_step(w, g, m, lr, momentum, *, look_ahead=True, old_m=False, grad_term=True,
                  torch=False):
    if torch:
        buf = momentum * (m / -lr) + g
        return w - lr * (g + momentum * buf), buf
    new_m = momentum * m - lr * g
    if not look_ahead:
        return w + new_m, new_m
    return w + momentum * (m if old_m else new_m) - (lr * g if grad_term else 0.0), new_m


def adagrad_step(w, g, acc, lr, eps=1e-7, *, eps_outside=False, old_acc=False, sqrt=True,
                 square=True):
    new = acc + (g ** 2 if square else g)
    used = acc if old_acc else new
    with np.errstate(invalid="ignore"):  # acc + g may be negative (a wrong version)
        if eps_outside:
            return w - lr * g / (np.sqrt(used) + eps), new
        return w - lr * g / (np.sqrt(used + eps) if sqrt else used + eps), new


def rmsprop_step(w, g, v, lr, rho=0.9, eps=1e-7, *, eps_outside=False, swap=False,
                 old_v=False, running_sum=False):
    a, b = (1 - rho, rho) if swap else (rho, 1 - rho)
    new = v + g ** 2 if running_sum else a * v + b * g ** 2
    used = v if old_v else new
    denominator = np.sqrt(used) + eps if eps_outside else np.sqrt(used + eps)
    with np.errstate(invalid="ignore"):  # 0 / 0 with eps = 0 (a wrong version)
        return w - lr * g / denominator, new


def adadelta_step(w, g, acc_g, acc_dx, lr=1.0, rho=0.95, eps=1e-7, *, use_lr=True,
                  scaled=False, numerator_eps=True, old_g=False, sign=1):
    new_g = rho * acc_g + (1 - rho) * g ** 2
    dx = -np.sqrt(acc_dx + (eps if numerator_eps else 0.0)) / np.sqrt(
        (acc_g if old_g else new_g) + eps) * g
    lr = lr if use_lr else 1.0
    new_dx = rho * acc_dx + (1 - rho) * ((lr * dx) if scaled else dx) ** 2
    return w + sign * lr * dx, new_g, new_dx


def adam_step(w, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7, *, correct=True,
              eps_inside=False, paper=False, t_shift=0, swap=False):
    if swap:
        beta1, beta2 = beta2, beta1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g ** 2
    t = t + t_shift
    if paper:
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    with np.errstate(all="ignore"):
        alpha = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) if correct else lr
        denominator = np.sqrt(v + eps) if eps_inside else np.sqrt(v) + eps
        return w - alpha * m / denominator, m, v


def step_decay(step, initial_lr, decay_rate, decay_steps, *, periods=None):
    periods = periods or (lambda s, n: s // n)
    return initial_lr * decay_rate ** periods(step, decay_steps)


def cosine_decay_with_warmup(step, initial_lr, decay_steps, warmup_steps, warmup_target,
                             alpha=0.0, *, inside=False, bottom_from_initial=False,
                             clamp=True, start_from_initial=False, ramp_shift=0,
                             use_alpha=True):
    if step < warmup_steps:
        return initial_lr + (warmup_target - initial_lr) * (step + ramp_shift) / warmup_steps
    s = step if inside else step - warmup_steps
    s = min(s, decay_steps) if clamp else s
    cosine = 0.5 * (1 + math.cos(math.pi * s / decay_steps))
    start = initial_lr if start_from_initial else warmup_target
    alpha = alpha if use_alpha else 0.0
    bottom = alpha * (initial_lr if bottom_from_initial else warmup_target)
    return (start - bottom) * cosine + bottom


def clip_by_global_norm(grads, clip_norm, *, per_array=False, always=False,
                        return_clipped_norm=False, squared=False, as_array=False,
                        compare_squared=False, same_when_below=False):
    norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    if same_when_below and norm <= clip_norm:
        return grads, norm
    norm = norm ** 2 if squared else norm
    if compare_squared:
        clipped = [g * clip_norm / norm if norm ** 2 > clip_norm else g.copy() for g in grads]
    elif per_array:
        clipped = [g * clip_norm / max(float(np.linalg.norm(g)), clip_norm) for g in grads]
    elif always:
        clipped = [g * clip_norm / norm if norm else g.copy() for g in grads]
    else:
        clipped = [g * clip_norm / max(norm, clip_norm) for g in grads]
    if as_array:
        clipped = np.concatenate([c.ravel() for c in clipped])
    return clipped, (min(norm, clip_norm) if return_clipped_norm else norm)


REFERENCES = {
    "sgd_step": sgd_step,
    "momentum_step": momentum_step,
    "nesterov_step": nesterov_step,
    "adagrad_step": adagrad_step,
    "rmsprop_step": rmsprop_step,
    "adadelta_step": adadelta_step,
    "adam_step": adam_step,
    "step_decay": step_decay,
    "cosine_decay_with_warmup": cosine_decay_with_warmup,
    "clip_by_global_norm": clip_by_global_norm,
}


# ---------------------------------------------------------------- mutants ---

MUTANTS = [
    # sgd_step
    ("sgd_step", lambda *a: sgd_step(*a, sign=1), "the step goes up the gradient"),
    ("sgd_step", lambda *a: sgd_step(*a, use_lr=False), "lr ignored"),
    ("sgd_step", lambda w, g, lr: w - g / lr, "divided by lr instead of multiplied"),
    ("sgd_step", lambda w, g, lr: sgd_step(w, g, lr, in_place=True),
     "changed its input `w` in place"),
    ("sgd_step", lambda *a: sgd_step(*a).tolist(), "expected a NumPy array"),
    # momentum_step
    ("momentum_step", lambda *a: momentum_step(*a, torch=True),
     r"(?s)m after step 1 of 6.*PyTorch's form"),
    ("momentum_step", lambda *a: momentum_step(*a, old_m=True),
     "the weights moved with the old m"),
    ("momentum_step", lambda *a: momentum_step(*a, keep=False),
     "momentum ignored in the state"),
    ("momentum_step", lambda *a: momentum_step(*a, damp=True), "dampened gradient"),
    ("momentum_step", lambda *a: momentum_step(*a, order=("m", "w")),
     r"w and m swapped: return \(w, m\) in this order"),
    ("momentum_step", lambda *a: momentum_step(*a)[0], r"expected 2 values \(w, m\)"),
    ("momentum_step", lambda w, g, m, lr, mu: (w + mu * m + lr * g, mu * m + lr * g),
     "the step goes up the gradient: m subtracts lr"),
    # nesterov_step
    ("nesterov_step", lambda *a: nesterov_step(*a, look_ahead=False),
     "Nesterov's look-ahead missing"),
    ("nesterov_step", lambda *a: nesterov_step(*a, old_m=True),
     r"the old m in the look-ahead \(the same thing\)"),
    ("nesterov_step", lambda *a: nesterov_step(*a, grad_term=False),
     "the gradient term missing"),
    ("nesterov_step", lambda *a: nesterov_step(*a, torch=True), "PyTorch's form"),
    ("nesterov_step", momentum_step, "Nesterov's look-ahead missing"),
    ("nesterov_step", lambda w, g, m, lr, mu: nesterov_step(w, g, 0 * m, lr, mu),
     "momentum ignored in the state"),
    ("nesterov_step", lambda *a: momentum_step(*a, damp=True), "dampened gradient"),
    ("nesterov_step", lambda *a: nesterov_step(*a)[::-1],
     r"w and m swapped: return \(w, m\) in this order"),
    # adagrad_step
    ("adagrad_step", lambda *a: adagrad_step(*a, eps_outside=True),
     r"(?s)case 'lr 0.5, eps 0.5.*w after step 1 of 6.*eps added outside the square root"),
    ("adagrad_step", lambda *a: adagrad_step(*a, old_acc=True),
     "uses the accumulator from before"),
    ("adagrad_step", lambda *a: adagrad_step(*a, sqrt=False), "no square root"),
    ("adagrad_step", lambda *a: adagrad_step(*a, square=False), "adds g instead of g\\*\\*2"),
    ("adagrad_step", lambda w, g, acc, lr, eps=1e-7: adagrad_step(w, g, acc, lr, 1e-7),
     r"case 'lr 0.5, eps 0.5.*values differ"),
    ("adagrad_step", lambda w, g, acc, lr, eps=1e-7: rmsprop_step(w, g, acc, lr, 0.9, eps),
     r"a moving average instead of a sum \(that is RMSprop\)"),
    ("adagrad_step", lambda *a: adagrad_step(*a)[::-1], "w and acc swapped"),
    # rmsprop_step
    ("rmsprop_step", lambda *a: rmsprop_step(*a, eps_outside=True),
     "eps added outside the square root"),
    ("rmsprop_step", lambda *a: rmsprop_step(*a, swap=True), "rho and 1 - rho swapped"),
    ("rmsprop_step", lambda *a: rmsprop_step(*a, old_v=True), "uses v from before"),
    ("rmsprop_step", lambda *a: rmsprop_step(*a, running_sum=True),
     r"a running sum instead of a moving average \(that is Adagrad\)"),
    ("rmsprop_step", lambda w, g, v, lr, rho=0.99, eps=1e-7: rmsprop_step(w, g, v, lr, rho, eps),
     r"case 'lr 0.01, default rho and eps.*values differ"),
    ("rmsprop_step", lambda w, g, v, lr, rho=0.9, eps=1e-7: (
        w - lr * g / (rho * v + (1 - rho) * g ** 2 + eps), rho * v + (1 - rho) * g ** 2),
     "no square root"),
    ("rmsprop_step", lambda *a: rmsprop_step(*a)[::-1], "w and v swapped"),
    # adadelta_step
    ("adadelta_step", lambda *a: adadelta_step(*a, use_lr=False), "lr ignored"),
    ("adadelta_step", lambda *a: adadelta_step(*a, scaled=True),
     "acc_dx accumulates lr \\* dx"),
    ("adadelta_step", lambda *a: adadelta_step(*a, numerator_eps=False),
     "eps missing from the numerator"),
    ("adadelta_step", lambda *a: adadelta_step(*a, old_g=True), "uses acc_g from before"),
    ("adadelta_step", lambda *a: adadelta_step(*a, sign=-1), "the sign of the update"),
    ("adadelta_step", lambda w, g, ag, adx, lr=0.001, rho=0.95, eps=1e-7: adadelta_step(
        w, g, ag, adx, lr, rho, eps), "case 'default lr 1.0.*Keras's default lr 0.001 used"),
    ("adadelta_step", lambda *a: (lambda w, ag, adx: (w, adx, ag))(*adadelta_step(*a)),
     r"acc_g and acc_dx swapped: return \(w, acc_g, acc_dx\) in this order"),
    # adam_step
    ("adam_step", lambda *a: adam_step(*a, correct=False), "no bias correction"),
    ("adam_step", lambda *a: adam_step(*a, eps_inside=True), "eps inside the square root"),
    ("adam_step", lambda *a: adam_step(*a, paper=True),
     r"eps added to sqrt\(v_hat\) \(the paper's Algorithm 1 and PyTorch\)"),
    ("adam_step", lambda *a: adam_step(*a, t_shift=-1), "t counted from 0"),
    ("adam_step", lambda *a: adam_step(*a, t_shift=1), "t one ahead"),
    ("adam_step", lambda *a: adam_step(*a, swap=True), "beta1 and beta2 swapped"),
    ("adam_step", lambda *a: adam_step(*a)[:2], r"expected 3 values \(w, m, v\)"),
    ("adam_step", lambda *a: (lambda w, m, v: (m, w, v))(*adam_step(*a)),
     r"w and m swapped: return \(w, m, v\) in this order"),
    # step_decay
    ("step_decay", lambda *a: step_decay(*a, periods=lambda s, n: s / n),
     "not a staircase"),
    ("step_decay", lambda *a: step_decay(*a, periods=lambda s, n: (s + 1) // n),
     "off by one"),
    ("step_decay", lambda *a: step_decay(*a, periods=lambda s, n: math.ceil(s / n)),
     "rounded up instead of down"),
    ("step_decay", lambda *a: step_decay(*a, periods=lambda s, n: s), "decayed at every step"),
    ("step_decay", lambda *a: step_decay(*a, periods=lambda s, n: s // n + 1),
     "one drop too many"),
    ("step_decay", lambda *a: np.array([step_decay(*a), 0.0]), "expected a single number"),
    # cosine_decay_with_warmup
    ("cosine_decay_with_warmup", lambda *a: cosine_decay_with_warmup(*a, inside=True),
     "the warmup counted inside the decay"),
    ("cosine_decay_with_warmup",
     lambda *a: cosine_decay_with_warmup(*a, bottom_from_initial=True),
     r"the decay ends at alpha \* initial_lr"),
    ("cosine_decay_with_warmup", lambda *a: cosine_decay_with_warmup(*a, clamp=False),
     "the decay does not stop after decay_steps"),
    ("cosine_decay_with_warmup",
     lambda *a: cosine_decay_with_warmup(*a, start_from_initial=True),
     "the decay starts from initial_lr"),
    ("cosine_decay_with_warmup", lambda *a: cosine_decay_with_warmup(*a, ramp_shift=1),
     "the warmup one step ahead"),
    ("cosine_decay_with_warmup", lambda *a: cosine_decay_with_warmup(*a, use_alpha=False),
     "alpha ignored"),
    ("cosine_decay_with_warmup", lambda s, i, d, w, t, alpha=0.5: cosine_decay_with_warmup(
        s, i, d, w, t, alpha), r"case 'warmup from 0 to 0.1 in 5 steps.*step 6"),
    # clip_by_global_norm
    ("clip_by_global_norm", lambda *a: clip_by_global_norm(*a, per_array=True),
     "each array clipped by its own norm"),
    ("clip_by_global_norm", lambda *a: clip_by_global_norm(*a, always=True),
     "clipped although the norm is not above clip_norm"),
    ("clip_by_global_norm", lambda *a: clip_by_global_norm(*a, return_clipped_norm=True),
     "the norm after clipping returned"),
    ("clip_by_global_norm", lambda *a: clip_by_global_norm(*a, squared=True),
     "the norm without the square root"),
    ("clip_by_global_norm", lambda g, c: (clip_by_global_norm(g, c)[0],
                                          clip_by_global_norm(g, c, squared=True)[1]),
     "global_norm: your result matches a common mistake: the norm without the square root"),
    ("clip_by_global_norm", lambda g, c: ([x.copy() for x in g],
                                          clip_by_global_norm(g, c)[1]), "not clipped"),
    ("clip_by_global_norm", lambda *a: clip_by_global_norm(*a, as_array=True),
     "clipped must be a list of 2 arrays"),
    ("clip_by_global_norm", lambda *a: clip_by_global_norm(*a)[0],
     r"clipped must be a list of 2 arrays.*\n.*return the pair \(clipped, global_norm\)"),
    ("clip_by_global_norm", lambda *a: clip_by_global_norm(*a)[1],
     r"expected a pair \(clipped, global_norm\)"),
    ("clip_by_global_norm", lambda *a: clip_by_global_norm(*a, compare_squared=True),
     r"(?s)case 'a 0-d array and a matrix.*the squared norm compared with clip_norm"),
    ("clip_by_global_norm", lambda *a: clip_by_global_norm(*a, same_when_below=True),
     "case 'norm below clip_norm 10.0: unchanged': your function returned the input `.*` "
     "itself, or a view of it"),
    ("clip_by_global_norm", lambda grads, c: (lambda norm: (
        [g * c / max(norm, c) for g in grads], norm))(
        float(np.linalg.norm(np.concatenate([g.ravel() for g in grads])))),
     r"case 'no gradients \(an empty list\).*raised ValueError: need at least one array"),
    # the edge case of the update steps: 0-d weights, an all-zero state, zero gradients
    ("sgd_step", lambda w, g, lr: np.array([w[i] - lr * g[i] for i in range(len(w))]),
     r"case 'lr 0.1, a 0-d weight.*raised TypeError: len\(\) of unsized object"),
    ("sgd_step", lambda *a: np.atleast_1d(sgd_step(*a)),
     r"(?s)case 'lr 0.1, a 0-d weight.*wrong shape.*expected shape: \(\)"),
    ("momentum_step", lambda w, g, m, lr, mu: tuple(np.array(x) for x in zip(*[
        momentum_step(w[i], g[i], m[i], lr, mu) for i in range(len(w))])),
     r"case 'lr 0.1, momentum 0.9, a 0-d weight.*raised TypeError: len\(\) of unsized"),
    ("adagrad_step", lambda w, g, acc, lr, eps=0.0: adagrad_step(w, g, acc, lr, eps),
     r"(?s)case 'lr 0.1, default eps, accumulator from 0.*NaN"),
    ("rmsprop_step", lambda w, g, v, lr, rho=0.9, eps=0.0: rmsprop_step(w, g, v, lr, rho, eps),
     r"(?s)case 'lr 0.01, default rho and eps, a 0-d weight.*NaN"),
    ("adam_step", lambda w, g, m, v, t, lr=0.001, b1=0.9, b2=0.999, eps=0.0: adam_step(
        w, g, m, v, t, lr, b1, b2, eps), r"(?s)case 'defaults, a 0-d weight.*NaN"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("adam_step", lambda *a: adam_step(*a, eps_inside=True),
     "08.7 adam_step, case 'lr 0.1, beta1 0.5, beta2 0.8, eps 0.1",
     ["w after step 1 of 6 (weight array 1 of 2, shape (2, 3))",
      "common mistake: eps inside the square root", "expected:", "received:"]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


# ------------------------------------------------------- other right answers ---

def _adam_paper_form(w, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
    """Keras's Adam written with m_hat and v_hat: eps scaled by sqrt(1 - beta2**t)."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps / np.sqrt(1 - beta2 ** t)), m, v


def _clip_in_float64_arrays(grads, clip_norm):
    """0-d results as 0-d arrays (not NumPy numbers), the norm through np.linalg.norm."""
    norm = float(np.linalg.norm([np.linalg.norm(g) for g in grads])) if grads else 0.0
    scale = clip_norm / max(norm, clip_norm)
    return [np.array(g * scale) for g in grads], norm


def _adagrad_pytorch_names(param, grad, state_sum, lr, eps=1e-7):
    """Adagrad with PyTorch's names (eps inside the root, as the docstring asks)."""
    state_sum = state_sum + grad * grad
    return param - lr * grad * (state_sum + eps) ** -0.5, state_sum


def test_other_correct_answers_pass(capsys):
    check.adam_step(_adam_paper_form)
    check.momentum_step(lambda w, g, m, lr, mu: [w + (mu * m - lr * g), mu * m - lr * g])
    check.step_decay(lambda s, lr, r, n: float(lr * r ** np.floor(s / n)))
    check.clip_by_global_norm(lambda g, c: (tuple(clip_by_global_norm(g, c)[0]),
                                            np.float64(clip_by_global_norm(g, c)[1])))
    check.clip_by_global_norm(_clip_in_float64_arrays)
    check.sgd_step(lambda w, g, lr: np.subtract(w, lr * g, dtype=np.float64))
    check.adagrad_step(_adagrad_pytorch_names)
    assert capsys.readouterr().out.count("passed") == 7


# ---------------------------------------------------------- messages in full ---


def test_a_mistake_in_a_later_step_names_that_step():
    def late(w, g, m, lr, momentum):
        w, m = momentum_step(w, g, m, lr, momentum)
        return (w + 1e-3 if np.any(m != -lr * g) else w), m

    with pytest.raises(CheckError, match="w after step 2 of 6"):
        check.momentum_step(late)
