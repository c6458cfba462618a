"""Checks for notebook 05, recurrent networks: a simple RNN cell and its loop over
time, LSTM and GRU cells in Keras's weight layout, windows of a time series,
sampling with a temperature and a stacked bidirectional LSTM classifier.

Each function takes the student's function, runs it on fixed cases and compares
the results with an independent oracle: Keras's own `SimpleRNN`, `LSTM` and `GRU`
layers given the same weights (in float64), `keras.utils.timeseries_dataset_from_array`,
and for sampling the exact softmax probabilities, which thousands of draws must
follow within a tolerance worked out from the binomial standard deviation. Known
wrong answers (W and U swapped, the state not carried between steps, gates in
another order, the GRU's other update convention, targets one step late, the
temperature applied after the softmax, ...) are computed too, so that a message
can name the mistake. The model builder is checked structurally with
`helpers.checks.keras_models` and its parameter count worked out from the formula.

Example:

>>> from helpers.checks import rnns as check
>>> check.lstm_cell_forward(lstm_cell_forward)
05.3 lstm_cell_forward: all 4 cases passed
"""

import re

import numpy as np

from helpers.checks.core import (exercise, compare_frequencies, describe, import_keras, is_int,
                                 mistakes_from, random_values, require_own_randomness)
from helpers.checks.references import as_float64
from helpers.checks.references import sigmoid as _sigmoid
from helpers.checks.references import softmax as _softmax
from helpers.checks.tensor_modes import tolerances as _tolerances
from helpers.checks.keras_models import (activation_name, activation_of, is_subclassed_model,
                                         layer_names, leaf_layers, require_built_model,
                                         require_probabilities)

__all__ = [
    "rnn_cell_forward", "rnn_forward", "lstm_cell_forward", "gru_cell_forward",
    "make_windows", "sample_with_temperature", "build_stacked_birnn",
]


# ---------------------------------------------------------------- helpers ---

def _keras_rnn(layer, weights, x, initial_state):
    """Runs a Keras recurrent layer (float64) with `weights` on `x` from `initial_state`.

    Returns the layer's outputs as NumPy arrays (a list when it returns states).
    """
    layer.build((None, None, x.shape[-1]))
    layer.set_weights([np.asarray(w, np.float64) for w in weights])
    out = layer(np.asarray(x, np.float64),
                initial_state=[np.asarray(s, np.float64) for s in initial_state])
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else np.asarray(out)


def _state(seed, shape):
    """A hidden state as a layer would leave it: values in (-1, 1)."""
    return np.tanh(random_values(seed, shape))


def _simple_rnn_case(case, seed, batch, steps, n_in, units, dtype=np.float64):
    """(case, x, h0, W, U, b) for 05.1 (steps=None: x is one step) and 05.2."""
    x_shape = (batch, n_in) if steps is None else (batch, steps, n_in)
    values = (random_values(seed, x_shape), _state(seed + 1, (batch, units)),
              random_values(seed + 2, (n_in, units), 0.5),
              random_values(seed + 3, (units, units), 0.5),
              random_values(seed + 4, (units,), 0.3))
    return (case, *(v.astype(dtype) for v in values))


def _check_simple_rnn(ex, cases, answer, table, hint):
    """05.1 and 05.2: every case against keras.layers.SimpleRNN with [W, U, b] from h.

    A case's x is one step (batch, in) for 05.1, a sequence (batch, time, in) for
    05.2 (where the layer returns every state); the switch oracle `answer` and its
    `table` give the known wrong answers, from float64 copies of the inputs.
    """
    __tracebackhide__ = True
    keras = import_keras()
    for case, x, h, W, U, b in cases:
        out = ex.call(case, x, h, W, U, b)
        sequence = x.ndim == 3
        layer = keras.layers.SimpleRNN(W.shape[1], return_sequences=sequence, dtype="float64")
        expected = _keras_rnn(layer, [W, U, b], x if sequence else x[:, None, :], [h])
        rtol, atol = _tolerances(x.dtype)
        ex.compare(case, out, expected, rtol=rtol, atol=atol, hint=hint,
                   mistakes=mistakes_from(answer, table, *as_float64(x, h, W, U, b)))


def _gated_cases(seed, gates, cell_state=False, bias_rows=None):
    """Cases of a gated cell in Keras's layout, the last one in float32.

    Each is (case, x_t, h_prev, [c_prev,] kernel, recurrent_kernel, bias) with
    `gates` blocks of `units` columns in the weights, c_prev for an LSTM
    (`cell_state`) and a bias of shape (gates * units,), or (bias_rows, gates * units).
    """
    shapes = [("batch of 2, 3 inputs, 2 units", 2, 3, 2),
              ("batch of 3, 2 inputs, 4 units", 3, 2, 4),
              ("one example, 4 inputs, 3 units", 1, 4, 3),
              ("float32: batch of 2, 3 inputs, 3 units", 2, 3, 3)]
    cases = []
    for number, (case, batch, n_in, units) in enumerate(shapes):
        first = seed + 10 * number
        width = gates * units
        values = [random_values(first, (batch, n_in)), _state(first + 1, (batch, units))]
        values += [random_values(first + 2, (batch, units))] if cell_state else []
        values += [random_values(first + 3, (n_in, width), 0.5),
                   random_values(first + 4, (units, width), 0.5),
                   random_values(first + 5, (width,) if bias_rows is None else (bias_rows, width),
                                 0.5)]
        dtype = np.float32 if case.startswith("float32") else np.float64
        cases.append((case, *(v.astype(dtype) for v in values)))
    return cases


# ------------------------------------------------------- rnn_cell_forward ---

def _rnn_cell_forward_cases():
    """(case, x_t, h_prev, W, U, b) for 05.1."""
    return [
        _simple_rnn_case("square weights: batch of 2, 3 inputs, 3 units", 10, 2, None, 3, 3),
        _simple_rnn_case("batch of 3, 4 inputs, 2 units", 20, 3, None, 4, 2),
        _simple_rnn_case("one example, 5 inputs, 3 units", 30, 1, None, 5, 3),
        _simple_rnn_case("float32: batch of 2, 2 inputs, 4 units", 40, 2, None, 2, 4,
                         np.float32),
    ]


def _rnn_cell_forward_answer(x, h, W, U, b, *, activation="tanh", bias="inside", use_h=True,
                             swap=False):
    """One step of a simple RNN: tanh(x W + h U + b).

    Args:
        x, h, W, U, b: the exercise's arguments.
        activation: "tanh"; a mistake: "sigmoid", "relu" or "none".
        bias: "inside" the activation; a mistake: "after" it, or "none".
        use_h: False leaves out the previous state h.
        swap: True swaps W and U (no result, None, unless they have one shape).
    """
    if swap:
        if W.shape != U.shape:
            return None
        W, U = U, W
    z = x @ W + (h @ U if use_h else 0.0) + (b if bias == "inside" else 0.0)
    squash = {"tanh": np.tanh, "sigmoid": _sigmoid, "relu": lambda v: np.maximum(v, 0.0),
              "none": lambda v: v}[activation]
    return squash(z) + (b if bias == "after" else 0.0)


_RNN_CELL_FORWARD_MISTAKES = {
    "bias missing: b is added to every row before the tanh": {"bias": "none"},
    "sigmoid instead of tanh: a simple RNN squashes with tanh, into (-1, 1)":
        {"activation": "sigmoid"},
    "relu instead of tanh: a simple RNN squashes with tanh, into (-1, 1)":
        {"activation": "relu"},
    "no activation: the sum must go through tanh": {"activation": "none"},
    "h_prev ignored: the new state depends on the previous one through U": {"use_h": False},
    "the bias added after the tanh instead of inside it": {"bias": "after"},
    "W and U swapped: W (in, units) multiplies the input x_t, U (units, units) the previous "
    "state h_prev": {"swap": True},
}


@exercise("05.1")
def rnn_cell_forward(ex):
    """Checks `rnn_cell_forward(x_t, h_prev, W, U, b)`: one step of a simple RNN.

    `x_t` is (batch, in), `h_prev` (batch, units), `W` (in, units), `U` (units,
    units), `b` (units,); the result, (batch, units), must be
    tanh(x_t W + h_prev U + b), compared with `keras.layers.SimpleRNN(units)`
    given the weights [W, U, b] and run for one step from `initial_state=h_prev`.
    Cases: square weights (in == units, where swapping W and U shows only in the
    values), non-square ones, a batch of one and float32 inputs.
    """
    _check_simple_rnn(
        ex, _rnn_cell_forward_cases(), _rnn_cell_forward_answer, _RNN_CELL_FORWARD_MISTAKES,
        "the new state is tanh(x_t W + h_prev U + b): x_t (batch, in) times W (in, units) "
        "plus h_prev (batch, units) times U (units, units), plus b on every row; the result "
        "is (batch, units).")


# ------------------------------------------------------------ rnn_forward ---

def _rnn_forward_cases():
    """(case, x, h0, W, U, b) for 05.2."""
    return [
        _simple_rnn_case("batch of 2, 5 steps, 3 inputs, 4 units", 50, 2, 5, 3, 4),
        _simple_rnn_case("square weights: batch of 3, 4 steps, 2 inputs, 2 units",
                         60, 3, 4, 2, 2),
        _simple_rnn_case("batch of 4, 2 steps (more examples than steps), 3 inputs, 2 units",
                         70, 4, 2, 3, 2),
        _simple_rnn_case("a single step: batch of 2, 1 step, 2 inputs, 3 units", 80, 2, 1, 2, 3),
        _simple_rnn_case("float32: batch of 1, 6 steps, 2 inputs, 3 units", 90, 1, 6, 2, 3,
                         np.float32),
    ]


def _rnn_forward_answer(x, h0, W, U, b, *, carry=True, keep="all", stack_axis=1,
                        loop_batch=False, swap=False):
    """Every state of a simple RNN over a sequence, (batch, time, units), h0 left out.

    Args:
        x, h0, W, U, b: the exercise's arguments.
        carry: False starts every step from h0.
        keep: "all" the states; a mistake: "last" (only the last one), "shifted" (h0,
            then all but the last), "with h0" (h0, then all) or "all but last".
        stack_axis: the axis the states are stacked along (0 gives (time, batch, units)).
        loop_batch: True loops over the batch axis (as far as the steps go).
        swap: True swaps W and U (no result, None, unless they have one shape).
    """
    if swap:
        if W.shape != U.shape:
            return None
        W, U = U, W
    h, states = h0, []
    for t in range(min(x.shape[:2]) if loop_batch else x.shape[1]):
        h = np.tanh(x[:, t] @ W + (h if carry else h0) @ U + b)
        states.append(h)
    right = np.stack(states, axis=1)
    if stack_axis == 0:
        return right.transpose(1, 0, 2)
    return {"all": right, "last": right[:, -1], "all but last": right[:, :-1],
            "shifted": np.concatenate([h0[:, None], right[:, :-1]], axis=1),
            "with h0": np.concatenate([h0[:, None], right], axis=1)}[keep]


_RNN_FORWARD_MISTAKES = {
    "the state is not carried: each step must use the state of the step before, h0 only at "
    "the first": {"carry": False},
    "only the last state returned: rnn_forward returns the state of every step, shape "
    "(batch, time, units)": {"keep": "last"},
    "states stacked along axis 0, giving (time, batch, units): stack them along axis 1 "
    "(batch, time, units)": {"stack_axis": 0},
    "states shifted by one: h0 is the state before the first step, not one of the outputs, "
    "and the last step's state is missing": {"keep": "shifted"},
    "h0 included: the result holds the state after each of the time steps, not h0":
        {"keep": "with h0"},
    "the last step dropped: there is one state per time step": {"keep": "all but last"},
    "looped over the batch axis: x is (batch, time, in), so the steps run along axis 1 "
    "(x.shape[1] of them)": {"loop_batch": True},
    "W and U swapped: W (in, units) multiplies the input, U (units, units) the previous "
    "state": {"swap": True},
}


@exercise("05.2")
def rnn_forward(ex):
    """Checks `rnn_forward(x, h0, W, U, b)`: a simple RNN over a whole sequence.

    `x` is (batch, time, in) and `h0` (batch, units); the result is every hidden
    state, (batch, time, units), where state t is tanh(x[:, t] W + h_{t-1} U + b)
    with h_{-1} = h0 (h0 itself is not in the result). Compared with
    `keras.layers.SimpleRNN(units, return_sequences=True)` given [W, U, b] and
    `initial_state=h0`, on batches shorter and longer than the sequence, square
    weights, a single step and float32 inputs.
    """
    _check_simple_rnn(
        ex, _rnn_forward_cases(), _rnn_forward_answer, _RNN_FORWARD_MISTAKES,
        "start from h = h0; at each step t (axis 1 of x) the new h is tanh(x[:, t] W + h U + b) "
        "and is kept; the result stacks the kept states along axis 1: (batch, time, units).")


# ------------------------------------------------------ lstm_cell_forward ---

def _lstm_cell_forward_answer(x, h, c, kernel, recurrent_kernel, bias, *, part, order="ifco",
                              squash_c=False, squash_prev=False, h_tanh=True, forget_all=False,
                              swap_out=False):
    """One LSTM step in Keras's layout: the new h (`part="h"`) or the new c (`part="c"`).

    z = x kernel + h recurrent_kernel + bias holds the gates i, f, c (the
    candidate), o; c = f * c_prev + i * g and h = o * tanh(c).

    Args:
        x, h, c, kernel, recurrent_kernel, bias: the exercise's arguments.
        part: "h" or "c", the state returned.
        order: the order the gates are read in ("ifco"; a mistake: another one).
        squash_c: True puts the new c through tanh.
        squash_prev: True puts c_prev through tanh before the forget gate.
        h_tanh: False leaves out the tanh in h = o * tanh(c).
        forget_all: True applies the forget gate to the candidate too.
        swap_out: True returns c for h and h for c.
    """
    z = x @ kernel + h @ recurrent_kernel + bias
    gates = dict(zip(order, np.split(z, 4, axis=-1)))
    i, f, o = (_sigmoid(gates[name]) for name in "ifo")
    g = np.tanh(gates["c"])
    c = np.tanh(c) if squash_prev else c
    c_new = f * (c + i * g) if forget_all else f * c + i * g
    c_new = np.tanh(c_new) if squash_c else c_new
    h_new = o * (np.tanh(c_new) if h_tanh else c_new)
    if swap_out:
        h_new, c_new = c_new, h_new
    return h_new if part == "h" else c_new


_LSTM_CELL_FORWARD_MISTAKES = {
    "(c, h) returned instead of (h, c): h comes first, as in Keras's [output, h, c]":
        {"swap_out": True},
    "gates read in the order i, f, o, c: Keras's kernel holds them as i, f, c, o "
    "(input, forget, candidate, output), each `units` columns wide": {"order": "ifoc"},
    "input and forget gates swapped: Keras's kernel holds the gates as i, f, c, o, so "
    "the first `units` columns are the input gate": {"order": "fico"},
    "the cell state squashed with tanh: c = f * c_prev + i * g stays as it is; tanh is "
    "applied only when computing h": {"squash_c": True},
    "tanh applied to c_prev before the forget gate: c = f * c_prev + i * g takes the "
    "previous cell state as it is": {"squash_prev": True},
    "tanh missing in h: h = o * tanh(c), not o * c": {"h_tanh": False},
    "forget gate applied to the candidate too: f multiplies c_prev only, c = f * c_prev "
    "+ i * g": {"forget_all": True},
}


@exercise("05.3")
def lstm_cell_forward(ex):
    """Checks `lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)`.

    Keras's LSTM layout: `kernel` (in, 4u), `recurrent_kernel` (u, 4u), `bias`
    (4u,), each holding the gates in the order i, f, c (the candidate), o, `u`
    columns each. With z = x_t kernel + h_prev recurrent_kernel + bias: i, f, o =
    sigmoid of their parts, g = tanh of the candidate's, c = f * c_prev + i * g,
    h = o * tanh(c). The result is the pair (h, c), each (batch, u), compared with
    `keras.layers.LSTM(u, return_state=True)` given the same weights and
    `initial_state=[h_prev, c_prev]`: c first, then h.
    """
    keras = import_keras()
    hint = ("z = x_t kernel + h_prev recurrent_kernel + bias, split into 4 blocks of u "
            "columns in the order i, f, c, o; i, f, o go through sigmoid, the candidate "
            "g through tanh; c = f * c_prev + i * g and h = o * tanh(c).")
    for case, x, h, c, kernel, recurrent, bias in _gated_cases(100, gates=4, cell_state=True):
        out = ex.call(case, x, h, c, kernel, recurrent, bias)
        h_out, c_out = ex.require_pair(case, out, "(h, c)",
                                       "return both new states, h first: `return h, c`.")
        layer = keras.layers.LSTM(h.shape[1], return_state=True, dtype="float64")
        _, h_expected, c_expected = _keras_rnn(layer, [kernel, recurrent, bias],
                                               x[:, None, :], [h, c])
        inputs = as_float64(x, h, c, kernel, recurrent, bias)
        rtol, atol = _tolerances(x.dtype)
        for name, received, expected, part in (("c", c_out, c_expected, "c (the second value)"),
                                               ("h", h_out, h_expected, "h (the first value)")):
            ex.compare(case, received, expected, rtol=rtol, atol=atol, hint=hint, part=part,
                       mistakes=mistakes_from(_lstm_cell_forward_answer,
                                              _LSTM_CELL_FORWARD_MISTAKES, *inputs, part=name))


# ------------------------------------------------------- gru_cell_forward ---

def _gru_cell_forward_answer(x, h, kernel, recurrent_kernel, bias, *, order="zrh",
                             z_keeps_old=True, reset_after=True, input_bias=True,
                             recurrent_bias=True, recurrent_bias_in_r=True):
    """One GRU step in Keras's layout, with its default reset_after=True.

    Args:
        x, h, kernel, recurrent_kernel, bias: the exercise's arguments.
        order: the order the gates are read in ("zrh"; a mistake: another one).
        z_keeps_old: False gives h = (1 - z) * h_prev + z * h_tilde.
        reset_after: False applies r to h_prev before the matrix product.
        input_bias, recurrent_bias: False leaves out bias[0], bias[1].
        recurrent_bias_in_r: False adds the candidate's recurrent bias outside r.
    """
    x_part = x @ kernel + (bias[0] if input_bias else 0.0)
    rec_bias = bias[1] if recurrent_bias else np.zeros_like(bias[1])
    xs = dict(zip(order, np.split(x_part, 3, axis=-1)))
    ks = dict(zip(order, np.split(recurrent_kernel, 3, axis=-1)))
    bs = dict(zip(order, np.split(rec_bias, 3, axis=-1)))
    z = _sigmoid(xs["z"] + h @ ks["z"] + bs["z"])
    r = _sigmoid(xs["r"] + h @ ks["r"] + bs["r"])
    if not reset_after:
        candidate = np.tanh(xs["h"] + (r * h) @ ks["h"] + bs["h"])
    elif recurrent_bias_in_r:
        candidate = np.tanh(xs["h"] + r * (h @ ks["h"] + bs["h"]))
    else:
        candidate = np.tanh(xs["h"] + bs["h"] + r * (h @ ks["h"]))
    return z * h + (1 - z) * candidate if z_keeps_old else (1 - z) * h + z * candidate


_GRU_CELL_FORWARD_MISTAKES = {
    "z and 1 - z swapped. Both conventions exist: some texts write h = (1 - z) * h_prev "
    "+ z * h_tilde, and a GRU trained that way works as well. Keras's GRU, whose weights "
    "these are, uses h = z * h_prev + (1 - z) * h_tilde (z keeps the old state), so "
    "follow its convention here": {"z_keeps_old": False},
    "reset gate applied before the matrix product: that is reset_after=False; Keras's "
    "default (reset_after=True) multiplies r with (h_prev Uh + the recurrent bias), "
    "after the product": {"reset_after": False},
    "recurrent bias (bias[1]) ignored: bias has two rows, bias[0] added to x_t kernel, "
    "bias[1] to h_prev recurrent_kernel": {"recurrent_bias": False},
    "input bias (bias[0]) ignored: bias has two rows, bias[0] added to x_t kernel, "
    "bias[1] to h_prev recurrent_kernel": {"input_bias": False},
    "the candidate's recurrent bias added outside r (e.g. the two bias rows summed): "
    "with reset_after=True, r multiplies (h_prev Uh + bias[1]'s candidate part)":
        {"recurrent_bias_in_r": False},
    "z and r gates swapped: Keras's kernels hold the gates in the order z (update), "
    "r (reset), h (candidate)": {"order": "rzh"},
}


@exercise("05.4")
def gru_cell_forward(ex):
    """Checks `gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias)`.

    Keras's GRU with its default reset_after=True: `kernel` (in, 3u),
    `recurrent_kernel` (u, 3u), `bias` (2, 3u) (row 0 added to the input part,
    row 1 to the recurrent part), gates in the order z, r, h. With
    xz, xr, xh = x_t kernel + bias[0] and hz, hr, hh = h_prev recurrent_kernel
    + bias[1] (u columns each): z = sigmoid(xz + hz), r = sigmoid(xr + hr),
    h_tilde = tanh(xh + r * hh), h = z * h_prev + (1 - z) * h_tilde (Keras's
    convention: z keeps the old state). The result, (batch, u), is compared with
    `keras.layers.GRU(u)` given the same weights and `initial_state=h_prev`.
    """
    keras = import_keras()
    for case, x, h, kernel, recurrent, bias in _gated_cases(200, gates=3, bias_rows=2):
        out = ex.call(case, x, h, kernel, recurrent, bias)
        expected = _keras_rnn(keras.layers.GRU(h.shape[1], dtype="float64"),
                              [kernel, recurrent, bias], x[:, None, :], [h])
        rtol, atol = _tolerances(x.dtype)
        ex.compare(
            case, out, expected, rtol=rtol, atol=atol,
            mistakes=mistakes_from(_gru_cell_forward_answer, _GRU_CELL_FORWARD_MISTAKES,
                                   *as_float64(x, h, kernel, recurrent, bias)),
            hint="split x_t kernel + bias[0] and h_prev recurrent_kernel + bias[1] into "
                 "blocks of u columns in the order z, r, h; z and r are sigmoids of the "
                 "sums of their blocks, h_tilde = tanh(x-block + r * h-block), and "
                 "h = z * h_prev + (1 - z) * h_tilde.")


# ----------------------------------------------------------- make_windows ---

def _keras_windows(series, lookback, horizon):
    """(X, y) from keras.utils.timeseries_dataset_from_array, all windows in one batch."""
    keras = import_keras()
    dataset = keras.utils.timeseries_dataset_from_array(
        series, series[lookback + horizon - 1:], sequence_length=lookback,
        batch_size=len(series))
    X, y = next(iter(dataset))
    return np.asarray(X)[..., None], np.asarray(y)


def _make_windows_cases():
    """(case, series, lookback, horizon) for 05.5."""
    return [
        ("the series 0, 1, ..., 9, lookback 3, horizon 1", np.arange(10.0), 3, 1),
        ("12 values, lookback 4, horizon 3", random_values(300, 12), 4, 3),
        ("exactly one window: 5 values, lookback 3, horizon 2", random_values(301, 5), 3, 2),
        ("float32: 8 values, lookback 1, horizon 2", random_values(302, 8).astype(np.float32),
         1, 2),
    ]


def _make_windows_bad_cases():
    """(case, (series, lookback, horizon), why) for 05.5: inputs that must raise ValueError."""
    return [
        ("lookback 0", (np.arange(10.0), 0, 1), "lookback = 0 gives empty windows"),
        ("horizon 0", (np.arange(10.0), 3, 0),
         "horizon = 0 would make the target the window's own last value"),
        ("negative lookback", (np.arange(10.0), -2, 1), "lookback = -2 is not a length"),
        ("series too short", (np.arange(4.0), 3, 2),
         "4 values cannot hold a window of 3 and a target 2 steps after it (that needs "
         "lookback + horizon = 5)"),
    ]


def _make_windows_answer(series, lookback, horizon, *, part, extra=0, horizon_in_count=True,
                         skip=False, target_after=None, target_shift=0, targets_to_end=False,
                         feature_axis=-1, y_axis=False):
    """Windows of a series (`part="X"`, (N, lookback, 1)) or their targets (`part="y"`, (N,)).

    With N = T - lookback - horizon + 1, window i holds series[i : i + lookback] and its
    target is series[i + lookback + horizon - 1], horizon steps after its last value.
    Targets past the end of the series are left out.

    Args:
        series, lookback, horizon: the exercise's arguments.
        part: "X" or "y", the array returned.
        extra: windows added to N (-1: the last one dropped).
        horizon_in_count: False counts T - lookback + 1 windows, every one that fits.
        skip: True starts a window every lookback steps instead of at every step.
        target_after: how many steps after a window's last value its target lies (None:
            horizon; 0 is the window's own last value, 1 the next value).
        target_shift: steps added to every target's position (1: one step late).
        targets_to_end: True takes y = series[first target:], to the end of the series.
        feature_axis: where X's feature axis goes (None: X has none).
        y_axis: True gives y a trailing axis.
    """
    count = len(series) - lookback + 1 - (horizon if horizon_in_count else 0) + extra
    starts = np.arange(0, count, lookback if skip else 1)
    if part == "X":
        X = np.lib.stride_tricks.sliding_window_view(series, lookback)[starts]
        return X if feature_axis is None else np.expand_dims(X, feature_axis)
    offset = lookback - 1 + (horizon if target_after is None else target_after) + target_shift
    targets = starts + offset
    y = series[offset:] if targets_to_end else series[targets[targets < len(series)]]
    return y[:, None] if y_axis else y


_MAKE_WINDOWS_MISTAKES = {
    "the target one step too late: y[i] = series[i + lookback + horizon - 1], the value "
    "horizon steps after the window's last one": {"target_shift": 1},
    "the target is the last value of the window: it lies horizon steps after it":
        {"target_after": 0},
    "the last window dropped: there are T - lookback - horizon + 1 windows": {"extra": -1},
    "y has a trailing axis: y is (N,), one number per window": {"y_axis": True},
    "horizon ignored: the target is horizon steps after the window's last value, not the "
    "next value": {"target_after": 1},
    "horizon ignored: the target is horizon steps after the window's last value, not the "
    "next value (and there are T - lookback - horizon + 1 windows)":
        {"target_after": 1, "targets_to_end": True},
    "windows that skip: a window starts at every step (0, 1, 2, ...), so neighbouring "
    "windows overlap; they do not start every lookback steps": {"skip": True},
    "the trailing feature axis is missing: X is (N, lookback, 1), one feature per time step":
        {"feature_axis": None},
    "X is (N, 1, lookback): the feature axis goes last": {"feature_axis": 1},
    "one window too many: there are T - lookback - horizon + 1 windows, the last one ending "
    "horizon steps before the series does": {"extra": 1},
    "horizon ignored in the number of windows: a window's target lies horizon steps after "
    "it, so the last horizon - 1 windows have no target": {"horizon_in_count": False},
}


@exercise("05.5")
def make_windows(ex):
    """Checks `make_windows(series, lookback, horizon)`: supervised windows of a series.

    For a 1-D float array `series` of length T the result is a pair (X, y) of
    NumPy arrays with N = T - lookback - horizon + 1 windows: X (N, lookback, 1)
    with X[i, :, 0] = series[i : i + lookback], and y (N,) with
    y[i] = series[i + lookback + horizon - 1] (horizon = 1: the next value).
    Compared with `keras.utils.timeseries_dataset_from_array`, y first, then X.
    lookback < 1, horizon < 1 or a series shorter than lookback + horizon (not
    even one window) must raise ValueError.
    """
    hint = ("there are N = T - lookback - horizon + 1 windows; window i holds "
            "series[i : i + lookback] and its target is series[i + lookback + horizon - 1].")
    for case, series, lookback, horizon in _make_windows_cases():
        out = ex.call(case, series, lookback, horizon)
        X, y = ex.require_pair(case, out, "(X, y)", "return both arrays: `return X, y`.")
        X_expected, y_expected = _keras_windows(series, lookback, horizon)
        ex.compare(case, y, y_expected, hint=hint, part="y",
                   mistakes=mistakes_from(_make_windows_answer, _MAKE_WINDOWS_MISTAKES,
                                          series, lookback, horizon, part="y"))
        ex.compare(case, X, X_expected, hint=hint, part="X",
                   mistakes=mistakes_from(_make_windows_answer, _MAKE_WINDOWS_MISTAKES,
                                          series, lookback, horizon, part="X"),
                   shape_hint="X is (N, lookback, 1): one window per row, a trailing axis "
                              "of one feature.")
    for case, args, why in _make_windows_bad_cases():
        ex.call_expecting_error(
            case, ValueError, why, *args,
            hint="check lookback >= 1, horizon >= 1 and len(series) >= lookback + horizon "
                 "first, and raise ValueError saying what was received.")


# ------------------------------------------------ sample_with_temperature ---

#: Draws per case of 05.6: enough to tell the known mistakes apart at 5 sigma.
DRAWS = 4000


def _sample_with_temperature_answer(logits, temperature, *, scale="divide", use_logits=True,
                                    greedy=False, normalise=True, subtract_max=True,
                                    sorted_position=False):
    """The probability of each index that sample_with_temperature draws: softmax(logits / T).

    Args:
        logits, temperature: the exercise's arguments.
        scale: how the temperature applies to the logits: "divide"; a mistake:
            "multiply", or "none" (no effect).
        use_logits: False makes every index equally likely.
        greedy: True always draws the most likely index.
        normalise: False draws with exp(logits / T) not divided by its sum: u ~ U[0, 1)
            in its cumulative sum, where mass above the total goes nowhere (an index past
            the end, reported as out of range).
        subtract_max: False (with normalise=False) leaves out subtracting the largest value.
        sorted_position: True draws from the probabilities sorted from the largest down and
            returns the position drawn in that order, not the index it sorts to.
    """
    z = np.asarray(logits, np.float64) if use_logits else np.zeros(len(logits))
    z = {"divide": z / temperature, "multiply": z * temperature, "none": z}[scale]
    if greedy:
        return np.eye(len(z))[np.argmax(z)]
    if sorted_position:
        return np.sort(_softmax(z))[::-1]
    if normalise:
        return _softmax(z)
    with np.errstate(over="ignore"):  # exp(1000) is inf: a cumulative sum of at least 1
        cdf = np.clip(np.cumsum(np.exp(z - z.max() if subtract_max else z)), 0.0, 1.0)
    return np.diff(cdf, prepend=0.0)


_SAMPLE_WITH_TEMPERATURE_MISTAKES = {
    "the temperature has no effect: dividing the probabilities by T and renormalising "
    "gives softmax(logits) back. Divide the logits by T before the softmax": {"scale": "none"},
    "the logits multiplied by the temperature instead of divided: a high temperature must "
    "flatten the distribution": {"scale": "multiply"},
    "always the most likely index (argmax): that is greedy decoding, not sampling":
        {"greedy": True},
    "the probabilities are not normalised: exp(logits / T) must be divided by its sum "
    "before drawing": {"normalise": False, "subtract_max": False},
    "the probabilities are not normalised: exp(logits / T - max) must be divided by its "
    "sum before drawing": {"normalise": False},
    "every index equally likely: the logits were ignored": {"use_logits": False},
    "the position in the sorted probabilities returned: after sorting (e.g. for top-k), "
    "map the position drawn back to its index with the sort order": {"sorted_position": True},
}


def _explain_sampling_error(message):
    """The extra hint for NumPy's refusal of probabilities that hold NaN."""
    if re.search(r"\bnan\b", message, re.IGNORECASE):
        return ("NaN probabilities usually come from exp overflowing: with a small "
                "temperature logits / T is large and exp of it overflows to inf (above "
                "about 709); inf / inf is NaN. Subtract the largest value of logits / T "
                "before exp: the softmax does not change.")
    if "pvals" in message or "sum to 1" in message:
        return ("the probabilities were computed in float32 (the language model's logits "
                "are float32), whose rounding leaves their sum a little off 1, which NumPy's "
                "samplers refuse: compute them in float64, starting from "
                "np.asarray(logits, dtype=np.float64).")
    return None


def _draw(ex, case, logits, temperature, rng, n):
    """Calls the student's sampler `n` times with the same `rng`; returns the indices.

    Fails on the first draw that is not an int in [0, vocab).
    """
    __tracebackhide__ = True
    vocab = len(logits)
    draws = []
    for number in range(n):
        # No copies: every draw must advance the same generator (the first call of each
        # check, with copies, proved that the function leaves its inputs unchanged).
        index = ex.call_explained(case, _explain_sampling_error, logits, temperature, rng,
                                  copy_inputs=False)
        if not is_int(index):
            ex.fail(case, f"draw {number + 1} returned {describe(index)}, expected an int "
                          f"index in [0, {vocab}).",
                    "return one index as a Python or NumPy int, not an array, a float or a "
                    "list (draw a single value, or convert with int(...)).")
        if not 0 <= index < vocab:
            ex.fail(case, f"draw {number + 1} returned {index}, outside [0, {vocab}) for "
                          f"{vocab} logits.",
                    "indices start at 0; an index past the end also comes from "
                    "probabilities that do not sum to 1.")
        draws.append(int(index))
    return np.array(draws)


def _check_distribution(ex, case, logits, temperature, seed):
    """Draws DRAWS indices and compares their frequencies with softmax(logits / T)."""
    __tracebackhide__ = True
    probs = _softmax(np.asarray(logits, np.float64) / temperature)
    draws = _draw(ex, case, logits, temperature, np.random.default_rng(seed), DRAWS)
    counts = np.bincount(draws, minlength=len(logits)).astype(np.float64)
    compare_frequencies(
        ex, case, counts, DRAWS, probs,
        mistakes=mistakes_from(_sample_with_temperature_answer,
                               _SAMPLE_WITH_TEMPERATURE_MISTAKES, logits, temperature),
        problem=lambda worst: f"the draws do not follow softmax(logits / temperature): index "
                              f"{worst} came {counts[worst] / DRAWS:.3f} of the time, "
                              f"expected {probs[worst]:.3f}.",
        hint="divide the logits by the temperature, turn them into probabilities with a "
             "softmax (subtract the largest value first), then draw one index with those "
             "probabilities using rng.",
        observed="draws", tries="draws")


def _sample_with_temperature_cases():
    """(case, logits, temperature, seed) for the distribution cases of 05.6."""
    return [
        ("5 logits (some negative), temperature 1", np.array([-0.5, 0.3, -1.2, 0.9, 0.0]),
         1.0, 20),
        ("high temperature 2.5 flattens: 5 logits", np.array([3.0, 1.0, 0.0, -1.0, 2.0]),
         2.5, 21),
        ("low temperature 0.5 sharpens: 4 logits", np.array([1.0, 0.5, 0.8, -0.3]), 0.5, 22),
        ("very low temperature 0.01, logits near 10 (almost always the argmax)",
         np.array([9.0, 10.0, 9.7, 8.0]), 0.01, 23),
        ("12 logits, temperature 0.8", random_values(24, 12, 1.5), 0.8, 24),
        ("float32 logits (the language model's dtype): 8 of them, temperature 0.5",
         random_values(59, 8, 3.0).astype(np.float32), 0.5, 25),
    ]


@exercise("05.6")
def sample_with_temperature(ex):
    """Checks `sample_with_temperature(logits, temperature, rng)` statistically.

    `logits` is a 1-D float array (vocab,), `temperature` > 0 and `rng` a
    `np.random.Generator`; the result is one int index in [0, vocab) (a Python or
    NumPy int, not an array or a float) drawn from softmax(logits / temperature),
    using `rng` for all its randomness, without changing `logits`. How the index
    is drawn is free, so the check draws 4000 indices per case (one seeded
    generator per case) and requires every index's frequency to lie within 5
    binomial standard deviations (+1.5 draws) of its probability; it recognises
    the distributions of known mistakes. Temperatures from 0.01 (with logits near
    10, where exp(logits / T) overflows unless the largest value is subtracted
    first: almost always the argmax) to 2.5 are tried, and float32 logits as the
    language model gives (whose float32 probabilities NumPy's samplers may refuse). The
    draws must come from rng alone (`require_own_randomness`): two generators made with
    the same seed give the same draws whatever NumPy's and Python's global seeds are,
    and generators of two seeds give different draws. A temperature <= 0 must raise
    ValueError. A NumPy implementation takes well under a second.
    """
    # One call with copied inputs: the type of the result, inputs left unchanged.
    case = "one draw: 5 logits, temperature 1"
    logits = np.array([-0.5, 0.3, -1.2, 0.9, 0.0])
    index = ex.call(case, logits, 1.0, np.random.default_rng(0))
    ex.require(case, is_int(index),
               f"expected an int index, received {describe(index)}.",
               "return one index as a Python or NumPy int, not an array, a float or a list "
               "(draw a single value, or convert with int(...)).")
    for case, case_logits, temperature, seed in _sample_with_temperature_cases():
        _check_distribution(ex, case, case_logits, temperature, seed)
    # The randomness comes from rng, and only from it (after the distributions, which
    # name the mistakes of a function that draws nothing, such as the argmax).
    flat = np.array([0.2, 0.0, 0.1, -0.1, 0.05])
    require_own_randomness(
        ex, "the draws come from rng",
        lambda rng: _draw(ex, "the draws come from rng", flat, 1.0, rng, 20), what="draws")
    for temperature in (0.0, -1.0):
        ex.call_expecting_error(
            f"temperature {temperature:g}", ValueError,
            f"temperature = {temperature:g} is not > 0 (logits / T is undefined or flips "
            f"the order)", logits, temperature, np.random.default_rng(0),
            hint="check temperature > 0 first and raise ValueError saying what was received.")


# --------------------------------------------------- build_stacked_birnn ---

_BIRNN_LAYOUT = ("keras.Input(shape=input_shape) -> Bidirectional(LSTM(units, "
                 "return_sequences=True)) -> Bidirectional(LSTM(units)) -> "
                 "Dense(num_classes, activation=\"softmax\").")


def _birnn_params(features, num_classes, units):
    """The classifier's parameter count from the formula: an LSTM on `n` inputs has
    4 * (units * (n + units) + units), doubled by Bidirectional."""
    def bi_lstm(n_in):
        return 2 * 4 * (units * (n_in + units) + units)

    return bi_lstm(features) + bi_lstm(2 * units) + (2 * units + 1) * num_classes


def _explain_birnn_error(message):
    """The extra hint for Keras's error when an LSTM gets vectors instead of sequences."""
    if "expected ndim=3, found ndim=2" in message:
        return ("a recurrent layer needs a sequence (batch, time, features); the first "
                "Bidirectional LSTM passed on only its last output (batch, 2 * units). "
                "Give the first LSTM return_sequences=True, so that it passes on every "
                "step to the second.")
    return None


def _check_birnn_lstm(ex, case, which, inner, units):
    """05.7: one direction of a Bidirectional wrapper is an LSTM(units) with the defaults
    that change what it computes: tanh and sigmoid, no dropout."""
    __tracebackhide__ = True
    ex.require(case, type(inner).__name__ == "LSTM",
               f"{which} wraps a {type(inner).__name__}; this model stacks LSTM layers.",
               "use keras.layers.LSTM inside each Bidirectional.")
    ex.require(case, inner.units == units,
               f"{which} wraps an LSTM of {inner.units} units, expected units={units}.",
               "give both LSTMs the units argument.")
    config = inner.get_config()
    for argument, default in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        name = config.get(argument)
        name = name if isinstance(name, str) else getattr(name, "__name__", repr(name))
        ex.require(case, name == default,
                   f"{which} wraps an LSTM with {argument}={name!r}; expected the default "
                   f"{default!r}. The parameter count is the same, but the layer computes "
                   f"another function: an LSTM squashes its candidate and its output with "
                   f"tanh and its gates with sigmoid.",
                   f"leave {argument} at its default: keras.layers.LSTM(units, ...) without "
                   f"{argument}=.")
    for argument in ("dropout", "recurrent_dropout"):
        rate = config.get(argument) or 0.0
        ex.require(case, rate == 0.0,
                   f"{which} wraps an LSTM with {argument}={rate:g}; the model in the "
                   f"docstring has no dropout inside its LSTMs.",
                   f"leave {argument} at its default, 0.")


def _check_birnn_layers(ex, case, leaves, units):
    """05.7: two Bidirectional(LSTM(units)) wrappers, the first returning sequences."""
    __tracebackhide__ = True
    layers = import_keras().layers
    names = layer_names(leaves)
    wrappers = [layer for layer in leaves if isinstance(layer, layers.Bidirectional)]
    bare = [layer for layer in leaves if isinstance(layer, layers.RNN)]
    ex.require(case, wrappers or not bare,
               f"the recurrent layers are not bidirectional; the model's layers are {names}.",
               "wrap each LSTM: keras.layers.Bidirectional(keras.layers.LSTM(units, ...)) "
               "reads the sequence both ways. " + _BIRNN_LAYOUT)
    ex.require(case, len(wrappers) == 2 and not bare,
               f"expected two stacked Bidirectional LSTM layers, the model has "
               f"{len(wrappers)} Bidirectional layer(s) and {len(bare)} other recurrent "
               f"layer(s); its layers are {names}.", _BIRNN_LAYOUT)
    for which, wrapper, sequences in (("the 1st Bidirectional", wrappers[0], True),
                                      ("the 2nd Bidirectional", wrappers[1], False)):
        for inner in (wrapper.forward_layer, wrapper.backward_layer):
            _check_birnn_lstm(ex, case, which, inner, units)
        inner = wrapper.forward_layer
        ex.require(case, inner.return_sequences == sequences,
                   f"{which} has return_sequences={inner.return_sequences}; " + (
                       "the first must pass on every step to the second (True)."
                       if sequences else
                       "the second must give one vector per sequence to the classifier "
                       "(False, the default)."),
                   _BIRNN_LAYOUT)
        ex.require(case, wrapper.merge_mode == "concat",
                   f"{which} merges the two directions with merge_mode="
                   f"{wrapper.merge_mode!r}; expected 'concat' (the default), giving "
                   f"2 * units features.", "leave merge_mode at its default.")
    order = [type(layer).__name__ for layer in leaves
             if activation_of(layer) is None and not isinstance(layer, layers.Dropout)]
    expected = ["Bidirectional", "Bidirectional", "Dense"]
    ex.require(case, order == expected,
               f"the layers come in the order {' -> '.join(order)}; expected "
               f"{' -> '.join(expected)} (Dropout may sit between them).", _BIRNN_LAYOUT)


def _check_birnn(ex, case, model, input_shape, num_classes, units):
    """The checks of 05.7 for one built model."""
    __tracebackhide__ = True
    layers = import_keras().layers
    total = require_built_model(ex, case, model)
    ex.require(
        case, not is_subclassed_model(model),
        f"your model is a subclassed {type(model).__name__}, which records no input shape "
        f"and no output of each layer (the notebook reads both).",
        "build the model on keras.Input(shape=input_shape): a functional keras.Model(inputs, "
        "outputs) or a keras.Sequential. A block inside it may be a nested model or a "
        "keras.layers.Layer subclass.")
    ex.require(
        case, tuple(model.input_shape) == (None, *input_shape),
        f"the model takes inputs of shape {tuple(model.input_shape)}, expected "
        f"{(None, *input_shape)}.",
        "use the input_shape argument: keras.Input(shape=input_shape) (time, features).")
    leaves = leaf_layers(model)
    _check_birnn_layers(ex, case, leaves, units)
    last = leaves[-1]
    ex.require(
        case, tuple(model.output_shape) == (None, num_classes),
        f"the model's output has shape {tuple(model.output_shape)}, expected "
        f"{(None, num_classes)}.",
        "the last layer is Dense(num_classes, activation=\"softmax\"): use the num_classes "
        "argument.")
    ex.require(
        case, isinstance(last, layers.Dense) and activation_name(last) == "softmax",
        f"the last layer is {type(last).__name__} with activation "
        f"{activation_name(last) or 'none'}; the output must be class probabilities.",
        'end with keras.layers.Dense(num_classes, activation="softmax").')
    ex.compare(
        case, total, _birnn_params(input_shape[-1], num_classes, units), kind="scalar",
        part="parameter count",
        hint="an LSTM on n inputs has 4 * (units * (n + units) + units) parameters, "
             "Bidirectional doubles them, the second LSTM reads 2 * units features and the "
             "Dense layer (2 * units + 1) * num_classes: look for use_bias=False or a layer "
             "shared between places.")
    steps = input_shape[0] or 7
    batch = np.random.default_rng(40).normal(size=(2, steps, input_shape[-1])).astype(np.float32)
    require_probabilities(ex, case, model, batch, num_classes, f"2 sequences of {steps} steps",
                          'end with keras.layers.Dense(num_classes, activation="softmax").')


def _build_stacked_birnn_cases():
    """(case, input_shape, num_classes, units) for 05.7."""
    return [
        ("12 steps of 3 features, 4 classes, 8 units", (12, 3), 4, 8),
        ("sequences of any length (None, 5), 2 classes, 4 units", (None, 5), 2, 4),
        ("one feature per step: (20, 1), 3 classes, 2 units", (20, 1), 3, 2),
    ]


@exercise("05.7")
def build_stacked_birnn(ex):
    """Checks `build_stacked_birnn(input_shape, num_classes, units)` structurally.

    The model must take inputs of shape `(None, *input_shape)` (input_shape is
    (time, features); time may be None) and be, in this order,
    Bidirectional(LSTM(units, return_sequences=True)) ->
    Bidirectional(LSTM(units)) -> Dense(num_classes, activation="softmax")
    (Dropout may sit between them): exactly two Bidirectional wrappers around
    LSTM layers of `units` units, the first returning sequences and the second
    not, both with merge_mode "concat" (2 * units features), each direction an LSTM
    with the default activation "tanh", recurrent_activation "sigmoid" and no dropout or
    recurrent_dropout (another activation has the same parameter count but computes
    another function); output shape
    `(None, num_classes)`; a parameter count equal to the formula (an LSTM on n
    inputs has 4 * (units * (n + units) + units), doubled by Bidirectional, plus
    (2 * units + 1) * num_classes for the Dense layer); and rows of
    probabilities on a batch of 2 sequences. When Keras refuses to build the
    model because the second LSTM receives vectors, the message says why. The model
    is functional or Sequential, built on keras.Input (the notebook reads its output
    and each layer's); its blocks may be nested models or Layer subclasses, which are
    opened up (`leaf_layers`). A subclassed keras.Model is refused with that reason.
    """
    for case, input_shape, num_classes, units in _build_stacked_birnn_cases():
        model = ex.call_explained(case, _explain_birnn_error, input_shape, num_classes, units)
        _check_birnn(ex, case, model, input_shape, num_classes, units)
