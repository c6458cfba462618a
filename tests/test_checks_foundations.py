"""Mutation tests of helpers.checks.foundations (notebook 01): the tests of every
exercise (tests/mutants.py) on the references and wrong versions below, then one
message read in full and float32 results that must pass.
"""

import numpy as np
import pytest

from helpers.checks import foundations as check

from mutants import CheckTests

EPS = 1e-7

# Several wrong versions overflow on purpose (that is what the checks must catch).
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# ------------------------------------------------------------ references ---

def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    return 2 * sigmoid(2 * x) - 1


def tanh_grad(x):
    return 1 - tanh(x) ** 2


def relu(x):
    return np.maximum(x, 0)


def relu_grad(x):
    return (x > 0).astype(float)


def leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x)


def leaky_relu_grad(x, alpha=0.01):
    return np.where(x > 0, 1.0, alpha)


def softmax(logits, *, keepdims=True):
    e = np.exp(logits - np.max(logits, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=keepdims)


def mse(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2)


def mae(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred))


def binary_cross_entropy(y_true, y_pred):
    p = np.clip(y_pred, EPS, 1 - EPS)
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))


def categorical_cross_entropy(y_true, y_pred):
    p = np.clip(y_pred, EPS, 1 - EPS)
    return np.mean(-np.sum(y_true * np.log(p), axis=-1))


def dense_forward(x, w, b, activation=None):
    z = x @ w + b
    return z if activation is None else activation(z)


def mlp_backward(x, y, params, cache, *, mask=True, batch_mean=True, bias_reduce="sum"):
    dz2 = (cache["probs"] - y) / (len(x) if batch_mean else 1)
    dz1 = (dz2 @ params["w2"].T) * ((cache["z1"] > 0) if mask else 1)
    reduce = {"sum": np.sum, "mean": np.mean, None: lambda g, axis: g}[bias_reduce]
    return {"w2": cache["a1"].T @ dz2, "b2": reduce(dz2, axis=0),
            "w1": x.T @ dz1, "b1": reduce(dz1, axis=0)}


def gd_step(params, grads, lr, *, update="new dict"):
    if update == "new dict":
        return {k: params[k] - lr * grads[k] for k in params}
    for k in params:  # the caller's dict changed: its arrays, or its entries
        if update == "in place":
            params[k] -= lr * grads[k]
        else:
            params[k] = params[k] - lr * grads[k]
    return params


REFERENCES = {
    "sigmoid": sigmoid,
    "sigmoid_grad": sigmoid_grad,
    "tanh": tanh,
    "tanh_grad": tanh_grad,
    "relu": relu,
    "relu_grad": relu_grad,
    "leaky_relu": leaky_relu,
    "leaky_relu_grad": leaky_relu_grad,
    "softmax": softmax,
    "mse": mse,
    "mae": mae,
    "binary_cross_entropy": binary_cross_entropy,
    "categorical_cross_entropy": categorical_cross_entropy,
    "dense_forward": dense_forward,
    "mlp_backward": mlp_backward,
    "gd_step": gd_step,
}


# ---------------------------------------------------------------- mutants ---

MUTANTS = [
    # sigmoid
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), "values are right, but NumPy warned: overflow"),
    ("sigmoid", lambda x: np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x))),
     "computes both a and b"),
    ("sigmoid", lambda x: sigmoid(-x), r"exp\(x\) instead of exp\(-x\)"),
    ("sigmoid", lambda x: np.exp(x) / (1 + np.exp(x)), "NaN or infinite"),
    ("sigmoid", np.tanh, r"tanh\(x\) instead of sigmoid\(x\)"),
    # sigmoid_grad
    ("sigmoid_grad", sigmoid, r"returns sigmoid\(x\) itself"),
    ("sigmoid_grad", lambda x: x * (1 - x), r"x \* \(1 - x\)"),
    ("sigmoid_grad", lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2, "NaN or infinite"),
    ("sigmoid_grad", lambda x: sigmoid(x) * (1 + sigmoid(x)), "the sign inside is wrong"),
    ("sigmoid_grad", lambda x: 1 - sigmoid(x) ** 2, "the tanh-style formula"),
    # tanh
    ("tanh", lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)), "exp only ever"),
    ("tanh", lambda x: 2 * sigmoid(x) - 1, r"tanh\(x / 2\)"),
    ("tanh", sigmoid, r"returns sigmoid\(x\), not tanh"),
    ("tanh", lambda x: -tanh(x), r"sign flipped: that is tanh\(-x\)"),
    # tanh_grad
    ("tanh_grad", lambda x: 1 - x**2, r"1 - x \*\* 2"),
    ("tanh_grad", lambda x: 1 - tanh(x), "needs squaring"),
    ("tanh_grad", tanh, r"returns tanh\(x\) itself"),
    # relu
    ("relu", lambda x: x, "negatives not set to 0"),
    ("relu", np.abs, r"returns \|x\|"),
    ("relu", lambda x: np.minimum(x, 0), "keeps the negative part"),
    ("relu", lambda x: np.putmask(x, x < 0, 0) or x, "changed its input `x` in place"),
    ("relu", lambda x: x if np.all(x >= 0) else np.maximum(x, 0),  # x itself, not a new array
     r"case 'zeros': your function returned the input `x` itself, or a view of it"),
    # relu_grad
    ("relu_grad", lambda x: (x >= 0).astype(float), "gives 1 at x = 0"),
    ("relu_grad", relu, r"returns relu\(x\) itself"),
    ("relu_grad", lambda x: x > 0, "expected floating-point values, received dtype bool"),
    ("relu_grad", lambda x: (x < 0).astype(float), "the step is reversed"),
    # leaky_relu
    ("leaky_relu", lambda x, alpha=0.01: relu(x), "plain relu"),
    ("leaky_relu", lambda x, alpha=0.01: np.where(x > 0, x, 0.01 * x), "alpha ignored"),
    ("leaky_relu", lambda x, alpha=0.01: np.where(x > 0, alpha * x, x), "positive side"),
    # leaky_relu_grad
    ("leaky_relu_grad", lambda x, alpha=0.01: np.where(x >= 0, 1.0, alpha), "gives 1 at x = 0"),
    ("leaky_relu_grad", lambda x, alpha=0.01: relu_grad(x), "relu's derivative"),
    ("leaky_relu_grad", lambda x, alpha=0.01: np.where(x > 0, 1.0, 0.01), "alpha ignored"),
    ("leaky_relu_grad", leaky_relu, r"returns leaky_relu\(x\) itself"),
    # softmax
    ("softmax", lambda z: np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True),
     "subtract each row's maximum"),
    ("softmax", lambda z: softmax(np.swapaxes(z, 0, -1)).swapaxes(0, -1) if z.ndim > 1
     else softmax(z), "over axis 0"),
    ("softmax", lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(), "whole array"),
    ("softmax", lambda z: softmax(z, keepdims=False), "without keepdims=True"),
    ("softmax", lambda z: softmax(np.swapaxes(z, 1, -1)).swapaxes(1, -1) if z.ndim > 2
     else softmax(z), "over axis 1 instead of the last axis"),
    ("softmax", np.exp, "exp taken but not normalised"),
    ("softmax", lambda z: np.exp(z - np.max(z)) / np.sum(np.exp(z - np.max(z)), axis=-1,
                                                         keepdims=True),
     r"(?s)case 'large logits': .*NaN.*The maximum of the whole array is not enough"),
    ("softmax", lambda z: softmax(z - np.max(z, axis=-1)), "max taken without keepdims=True"),
    # mse
    ("mse", lambda t, p: np.sum((t - p) ** 2), "summed instead of averaged"),
    ("mse", lambda t, p: np.sqrt(np.mean((t - p) ** 2)), "RMSE"),
    ("mse", lambda t, p: np.mean(np.sum((t - p) ** 2, axis=-1)), "squared errors summed"),
    ("mse", lambda t, p: (t - p) ** 2, "expected a single number"),
    ("mse", mae, r"absolute errors instead of squared errors \(that is the MAE\)"),
    # mae
    ("mae", lambda t, p: np.sum(np.abs(t - p)), "summed instead of averaged"),
    ("mae", lambda t, p: np.mean(t - p), "absolute value missing"),
    ("mae", mse, "squared errors instead of absolute"),
    ("mae", lambda t, p: np.mean(np.sum(np.abs(t - p), axis=-1)),
     "absolute errors summed over the outputs of each example"),
    # binary_cross_entropy
    ("binary_cross_entropy", lambda t, p: -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)),
     "Clip the predictions"),
    ("binary_cross_entropy", lambda t, p: -binary_cross_entropy(t, p), "minus sign missing"),
    ("binary_cross_entropy", lambda t, p: binary_cross_entropy(p, t), "arguments swapped"),
    ("binary_cross_entropy", lambda t, p: binary_cross_entropy(t, p) * np.size(t),
     "summed instead of averaged"),
    ("binary_cross_entropy",
     lambda t, p: -np.mean(t * np.log(np.clip(p, EPS, 1 - EPS))), "only the y_true"),
    ("binary_cross_entropy", lambda t, p: binary_cross_entropy(t, p) * np.shape(t)[-1],
     "summed over the outputs of each example, then averaged over the batch"),
    ("binary_cross_entropy", lambda t, p: -np.mean(
        t * np.log(np.clip(p, 1e-12, 1)) + (1 - t) * np.log(np.clip(1 - p, 1e-12, 1))),
     "eps = 1e-7 exactly"),
    ("binary_cross_entropy", lambda t, p: -np.mean(np.where(
        t == 1, np.log(np.clip(p, EPS, 1 - EPS)), np.log(np.clip(1 - p, EPS, 1 - EPS)))),
     r"'soft labels in \[0, 1\]': .*common mistake: log\(y_pred\) taken where y_true == 1"),
    ("binary_cross_entropy", lambda t, p: binary_cross_entropy(np.round(t), p),
     r"'soft labels in \[0, 1\]': .*common mistake: y_true rounded to 0 or 1"),
    # categorical_cross_entropy
    ("categorical_cross_entropy", lambda t, p: np.mean(-np.sum(t * np.log(p), axis=-1)),
     "Clip the predictions"),
    ("categorical_cross_entropy",
     lambda t, p: -np.mean(t * np.log(np.clip(p, EPS, 1 - EPS))), "averaged over classes"),
    ("categorical_cross_entropy", lambda t, p: categorical_cross_entropy(t, p) * len(t),
     "summed over the batch"),
    ("categorical_cross_entropy", lambda t, p: categorical_cross_entropy(p, t),
     "arguments swapped"),
    ("categorical_cross_entropy", lambda t, p: -categorical_cross_entropy(t, p),
     "minus sign missing"),
    ("categorical_cross_entropy", lambda t, p: -np.mean(np.log(np.clip(
        p[np.arange(len(p)), np.argmax(t, axis=-1)], EPS, 1 - EPS))),
     r"'soft labels': .*common mistake: only the log-probability of each row's argmax"),
    # dense_forward
    ("dense_forward", lambda x, w, b, activation=None: dense_forward(x, w, 0 * b, activation),
     "bias missing"),
    ("dense_forward", lambda x, w, b, activation=None: x @ w + b, "activation not applied"),
    ("dense_forward", lambda x, w, b, activation=None: activation(x @ w + b),
     "raised TypeError: 'NoneType' object is not callable"),
    ("dense_forward", lambda x, w, b, activation=None:
     dense_forward(x, w, 0 * b, activation) + b, "activation applied before the bias"),
    ("dense_forward", lambda x, w, b, activation=None: dense_forward(x, w.T, b, activation),
     "raised ValueError"),
    # mlp_backward
    ("mlp_backward", lambda *a: mlp_backward(*a, mask=False), "ReLU mask missing"),
    ("mlp_backward", lambda *a: mlp_backward(*a, batch_mean=False),
     "not divided by the batch size"),
    ("mlp_backward", lambda *a: mlp_backward(*a, bias_reduce=None),
     "bias gradients not summed over the batch"),
    ("mlp_backward", lambda *a: mlp_backward(*a, bias_reduce="mean"), "bias gradients averaged"),
    ("mlp_backward", lambda x, y, params, cache: {
        k: -g for k, g in mlp_backward(x, y, params, cache).items()}, "sign flipped"),
    ("mlp_backward", lambda *a: {k: g for k, g in mlp_backward(*a).items() if k != "b1"},
     "the returned dict has no 'b1'"),
    ("mlp_backward", lambda x, y, params, cache: list(mlp_backward(x, y, params, cache)
                                                      .values()), "expected a dict"),
    # gd_step
    ("gd_step", lambda params, grads, lr: {k: params[k] + lr * grads[k] for k in params},
     "gradient added instead of subtracted"),
    ("gd_step", lambda params, grads, lr: {k: params[k] - grads[k] for k in params},
     "lr ignored"),
    ("gd_step", lambda params, grads, lr: {k: params[k] - 0.1 * grads[k] for k in params},
     r"case 'four MLP parameters, lr=0.5', params\['w1'\]: values differ"),
    ("gd_step", lambda params, grads, lr: gd_step(params, grads, lr, update="in place"),
     "changed its input `params` in place"),
    ("gd_step", lambda params, grads, lr: gd_step(params, grads, lr, update="same dict"),
     "changed its input `params` in place"),
    ("gd_step", lambda params, grads, lr: [params[k] - lr * grads[k] for k in params],
     "expected a dict of new parameters"),
    ("gd_step", lambda params, grads, lr: {k: params[k] - lr * grads[k] if lr else params[k]
                                           for k in params},  # lr=0: the arrays of params
     r"case 'lr=0 changes nothing': your function returned the input `params` itself"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("softmax", lambda z: np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True),
     "01.9 softmax, case 'large logits': ", ["Hint:"]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


def test_float32_student_results_are_accepted(capsys):
    check.sigmoid(lambda x: sigmoid(x).astype(np.float32))
    check.softmax(lambda z: softmax(z.astype(np.float32)))
    check.categorical_cross_entropy(
        lambda t, p: categorical_cross_entropy(t.astype(np.float32), p.astype(np.float32)))
    assert capsys.readouterr().out.count("passed") == 3
