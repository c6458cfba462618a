"""Mutation tests of helpers.checks.foundations (notebook 01).

For every exercise: the reference passes and prints exactly its success line,
plausible wrong versions fail with a message that says why, and the release
stub ("raise NotImplementedError()") is reported as not attempted yet.
"""

import numpy as np
import pytest

from helpers.checks import foundations as check
from helpers.checks.core import CheckError, NotAttemptedError

from mutants import assert_enough_mutants, assert_rejected, mutant_ids

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


def softmax(logits):
    e = np.exp(logits - np.max(logits, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


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


def mlp_backward(x, y, params, cache):
    dz2 = (cache["probs"] - y) / len(x)
    dz1 = (dz2 @ params["w2"].T) * (cache["z1"] > 0)
    return {"w2": cache["a1"].T @ dz2, "b2": dz2.sum(axis=0),
            "w1": x.T @ dz1, "b1": dz1.sum(axis=0)}


def gd_step(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}


REFERENCES = {
    "sigmoid": (sigmoid, "01.1 sigmoid: all 5 cases passed"),
    "sigmoid_grad": (sigmoid_grad, "01.2 sigmoid_grad: all 5 cases passed"),
    "tanh": (tanh, "01.3 tanh: all 5 cases passed"),
    "tanh_grad": (tanh_grad, "01.4 tanh_grad: all 5 cases passed"),
    "relu": (relu, "01.5 relu: all 6 cases passed"),
    "relu_grad": (relu_grad, "01.6 relu_grad: all 6 cases passed"),
    "leaky_relu": (leaky_relu, "01.7 leaky_relu: all 5 cases passed"),
    "leaky_relu_grad": (leaky_relu_grad, "01.8 leaky_relu_grad: all 5 cases passed"),
    "softmax": (softmax, "01.9 softmax: all 5 cases passed"),
    "mse": (mse, "01.10 mse: all 4 cases passed"),
    "mae": (mae, "01.11 mae: all 4 cases passed"),
    "binary_cross_entropy": (binary_cross_entropy,
                             "01.12 binary_cross_entropy: all 4 cases passed"),
    "categorical_cross_entropy": (categorical_cross_entropy,
                                  "01.13 categorical_cross_entropy: all 4 cases passed"),
    "dense_forward": (dense_forward, "01.14 dense_forward: all 4 cases passed"),
    "mlp_backward": (mlp_backward, "01.15 mlp_backward: all 3 cases passed"),
    "gd_step": (gd_step, "01.16 gd_step: all 4 cases passed"),
}


@pytest.mark.parametrize("name", list(REFERENCES))
def test_reference_passes_with_one_stable_line(name, capsys):
    fn, line = REFERENCES[name]
    getattr(check, name)(fn)
    assert capsys.readouterr().out == line + "\n"


@pytest.mark.parametrize("name", list(REFERENCES))
def test_stub_is_not_attempted(name):
    fn = REFERENCES[name][0]

    def stub(*args, **kwargs):
        raise NotImplementedError()

    stub.__name__ = fn.__name__
    exercise_id = REFERENCES[name][1].split()[0]
    with pytest.raises(NotAttemptedError, match=f"{exercise_id} {name}: not attempted yet"):
        getattr(check, name)(stub)


def test_a_call_instead_of_the_function_is_explained():
    with pytest.raises(CheckError, match=r"check\.relu\(relu\)"):
        check.relu(relu(np.ones(3)))


# ---------------------------------------------------------------- mutants ---

def _naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _mlp_no_mask(x, y, params, cache):
    dz2 = (cache["probs"] - y) / len(x)
    dz1 = dz2 @ params["w2"].T
    return {"w2": cache["a1"].T @ dz2, "b2": dz2.sum(axis=0),
            "w1": x.T @ dz1, "b1": dz1.sum(axis=0)}


def _mlp_not_divided(x, y, params, cache):
    grads = mlp_backward(x, y, params, cache)
    return {k: g * len(x) for k, g in grads.items()}


def _mlp_bias_not_summed(x, y, params, cache):
    dz2 = (cache["probs"] - y) / len(x)
    dz1 = (dz2 @ params["w2"].T) * (cache["z1"] > 0)
    return {"w2": cache["a1"].T @ dz2, "b2": dz2, "w1": x.T @ dz1, "b1": dz1}


def _mlp_bias_mean(x, y, params, cache):
    dz2 = (cache["probs"] - y) / len(x)
    dz1 = (dz2 @ params["w2"].T) * (cache["z1"] > 0)
    return {"w2": cache["a1"].T @ dz2, "b2": dz2.mean(axis=0),
            "w1": x.T @ dz1, "b1": dz1.mean(axis=0)}


def _mlp_missing_key(x, y, params, cache):
    grads = mlp_backward(x, y, params, cache)
    del grads["b1"]
    return grads


def _gd_in_place(params, grads, lr):
    for k in params:
        params[k] -= lr * grads[k]
    return params


def _gd_same_dict(params, grads, lr):
    for k in params:
        params[k] = params[k] - lr * grads[k]
    return params


def _softmax_no_keepdims(logits):
    e = np.exp(logits - np.max(logits, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1)


MUTANTS = [
    # sigmoid
    ("sigmoid", _naive_sigmoid, "values are right, but NumPy warned: overflow"),
    ("sigmoid", lambda x: np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x))),
     "computes both a and b"),
    ("sigmoid", lambda x: sigmoid(-x), r"exp\(x\) instead of exp\(-x\)"),
    ("sigmoid", lambda x: np.exp(x) / (1 + np.exp(x)), "NaN or infinite"),
    # sigmoid_grad
    ("sigmoid_grad", sigmoid, r"returns sigmoid\(x\) itself"),
    ("sigmoid_grad", lambda x: x * (1 - x), r"x \* \(1 - x\)"),
    ("sigmoid_grad", lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2, "NaN or infinite"),
    # tanh
    ("tanh", lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)), "exp only ever"),
    ("tanh", lambda x: 2 * sigmoid(x) - 1, r"tanh\(x / 2\)"),
    ("tanh", sigmoid, r"returns sigmoid\(x\), not tanh"),
    # tanh_grad
    ("tanh_grad", lambda x: 1 - x**2, r"1 - x \*\* 2"),
    ("tanh_grad", lambda x: 1 - tanh(x), "needs squaring"),
    ("tanh_grad", tanh, r"returns tanh\(x\) itself"),
    # relu
    ("relu", lambda x: x, "negatives not set to 0"),
    ("relu", np.abs, r"returns \|x\|"),
    ("relu", lambda x: np.minimum(x, 0), "keeps the negative part"),
    ("relu", lambda x: np.putmask(x, x < 0, 0) or x, "changed its input `x` in place"),
    # relu_grad
    ("relu_grad", lambda x: (x >= 0).astype(float), "gives 1 at x = 0"),
    ("relu_grad", relu, r"returns relu\(x\) itself"),
    ("relu_grad", lambda x: x > 0, "expected floating-point values, received dtype bool"),
    # leaky_relu
    ("leaky_relu", lambda x, alpha=0.01: relu(x), "plain relu"),
    ("leaky_relu", lambda x, alpha=0.01: np.where(x > 0, x, 0.01 * x), "alpha ignored"),
    ("leaky_relu", lambda x, alpha=0.01: np.where(x > 0, alpha * x, x), "positive side"),
    # leaky_relu_grad
    ("leaky_relu_grad", lambda x, alpha=0.01: np.where(x >= 0, 1.0, alpha), "gives 1 at x = 0"),
    ("leaky_relu_grad", lambda x, alpha=0.01: relu_grad(x), "relu's derivative"),
    ("leaky_relu_grad", lambda x, alpha=0.01: np.where(x > 0, 1.0, 0.01), "alpha ignored"),
    # softmax
    ("softmax", lambda z: np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True),
     "subtract each row's maximum"),
    ("softmax", lambda z: softmax(np.swapaxes(z, 0, -1)).swapaxes(0, -1) if z.ndim > 1
     else softmax(z), "over axis 0"),
    ("softmax", lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(), "whole array"),
    ("softmax", _softmax_no_keepdims, "without keepdims=True"),
    ("softmax", lambda z: softmax(np.swapaxes(z, 1, -1)).swapaxes(1, -1) if z.ndim > 2
     else softmax(z), "over axis 1 instead of the last axis"),
    # mse
    ("mse", lambda t, p: np.sum((t - p) ** 2), "summed instead of averaged"),
    ("mse", lambda t, p: np.sqrt(np.mean((t - p) ** 2)), "RMSE"),
    ("mse", lambda t, p: np.mean(np.sum((t - p) ** 2, axis=-1)), "squared errors summed"),
    ("mse", lambda t, p: (t - p) ** 2, "expected a single number"),
    # mae
    ("mae", lambda t, p: np.sum(np.abs(t - p)), "summed instead of averaged"),
    ("mae", lambda t, p: np.mean(t - p), "absolute value missing"),
    ("mae", mse, "squared errors instead of absolute"),
    # binary_cross_entropy
    ("binary_cross_entropy", lambda t, p: -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)),
     "Clip the predictions"),
    ("binary_cross_entropy", lambda t, p: -binary_cross_entropy(t, p), "minus sign missing"),
    ("binary_cross_entropy", lambda t, p: binary_cross_entropy(p, t), "arguments swapped"),
    ("binary_cross_entropy", lambda t, p: binary_cross_entropy(t, p) * np.size(t),
     "summed instead of averaged"),
    ("binary_cross_entropy",
     lambda t, p: -np.mean(t * np.log(np.clip(p, EPS, 1 - EPS))), "only the y_true"),
    ("binary_cross_entropy", lambda t, p: -np.mean(
        t * np.log(np.clip(p, 1e-12, 1)) + (1 - t) * np.log(np.clip(1 - p, 1e-12, 1))),
     "eps = 1e-7 exactly"),
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
    ("mlp_backward", _mlp_no_mask, "ReLU mask missing"),
    ("mlp_backward", _mlp_not_divided, "not divided by the batch size"),
    ("mlp_backward", _mlp_bias_not_summed, "bias gradients not summed over the batch"),
    ("mlp_backward", _mlp_bias_mean, "bias gradients averaged"),
    ("mlp_backward", lambda x, y, params, cache: {
        k: -g for k, g in mlp_backward(x, y, params, cache).items()}, "sign flipped"),
    ("mlp_backward", _mlp_missing_key, "the returned dict has no 'b1'"),
    ("mlp_backward", lambda x, y, params, cache: list(mlp_backward(x, y, params, cache)
                                                      .values()), "expected a dict"),
    # gd_step
    ("gd_step", lambda params, grads, lr: {k: params[k] + lr * grads[k] for k in params},
     "gradient added instead of subtracted"),
    ("gd_step", lambda params, grads, lr: {k: params[k] - grads[k] for k in params},
     "lr ignored"),
    ("gd_step", lambda params, grads, lr: {k: params[k] - 0.1 * grads[k] for k in params},
     r"case 'four MLP parameters, lr=0.5', params\['w1'\]: values differ"),
    ("gd_step", _gd_in_place, "changed its input `params` in place"),
    ("gd_step", _gd_same_dict, "changed its input `params` in place"),
    ("gd_step", lambda params, grads, lr: [params[k] - lr * grads[k] for k in params],
     "expected a dict of new parameters"),
]


@pytest.mark.parametrize("name, wrong, message", MUTANTS, ids=mutant_ids(MUTANTS))
def test_wrong_version_fails_with_reason(name, wrong, message):
    assert_rejected(check, name, wrong, message)


def test_every_exercise_has_at_least_three_mutants():
    assert_enough_mutants(MUTANTS, REFERENCES)


def test_messages_name_the_exercise_and_the_case():
    with pytest.raises(CheckError) as info:
        check.softmax(lambda z: np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True))
    message = str(info.value)
    assert message.startswith("01.9 softmax, case 'large logits': ")
    assert "Hint:" in message


def test_float32_student_results_are_accepted(capsys):
    check.sigmoid(lambda x: sigmoid(x).astype(np.float32))
    check.softmax(lambda z: softmax(z.astype(np.float32)))
    check.categorical_cross_entropy(
        lambda t, p: categorical_cross_entropy(t.astype(np.float32), p.astype(np.float32)))
    assert capsys.readouterr().out.count("passed") == 3
