"""Mutation tests of helpers.checks.rnns (notebook 05): the tests of every exercise
(tests/mutants.py) on the references and wrong versions below, then other correct
answers that must pass, the sampling tolerance on many seeds and messages read in full.
"""

import keras
import numpy as np
import pytest

from helpers.checks import rnns as check
from helpers.checks.core import CheckError, counts_follow, mistakes_from

from mutants import CheckTests

L = keras.layers


# ------------------------------------------------------------ references ---

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def rnn_cell_forward(x_t, h_prev, W, U, b, *, activation=np.tanh, swap=False, bias=True,
                     use_h=True):
    if swap:
        W, U = U, W
    z = x_t @ W + (h_prev @ U if use_h else 0.0) + (b if bias else 0.0)
    return activation(z)


def rnn_forward(x, h0, W, U, b, *, carry=True, keep="all", stack_axis=1, steps_axis=1):
    h, states = h0, []
    for t in range(x.shape[steps_axis]):
        h = rnn_cell_forward(x[:, t], h if carry else h0, W, U, b)
        states.append(h)
    if keep == "last":
        return h
    if keep == "shifted":  # h0 included, the last state dropped
        states = [h0] + states[:-1]
    return np.stack(states, axis=stack_axis)


def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, *, gates="ifco",
                      squash_c=False, squash_prev=False, h_tanh=True, forget_all=False,
                      swap_out=False, pair=True):
    u = h_prev.shape[1]
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    i, f, g, o = (z[:, k * u:(k + 1) * u] for k in map(gates.index, "ifco"))
    i, f, o, g = sigmoid(i), sigmoid(f), sigmoid(o), np.tanh(g)
    c_prev = np.tanh(c_prev) if squash_prev else c_prev
    c = f * (c_prev + i * g) if forget_all else f * c_prev + i * g
    c = np.tanh(c) if squash_c else c
    h = o * (np.tanh(c) if h_tanh else c)
    if not pair:
        return np.concatenate([h, c], axis=1)
    return (c, h) if swap_out else (h, c)


def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, *, gates="zrh",
                     z_keeps_old=True, reset_after=True, input_bias=True, recurrent_bias=True,
                     sum_biases=False):
    u = h_prev.shape[1]

    def part(a, gate):
        k = gates.index(gate)
        return a[..., k * u:(k + 1) * u]

    b_in = bias[0] if input_bias else 0.0
    b_rec = bias[1] if recurrent_bias else np.zeros_like(bias[1])
    if sum_biases:
        b_in, b_rec = bias[0] + bias[1], np.zeros_like(bias[1])
    xw = x_t @ kernel + b_in
    hu = h_prev @ recurrent_kernel + b_rec
    z = sigmoid(part(xw, "z") + part(hu, "z"))
    r = sigmoid(part(xw, "r") + part(hu, "r"))
    if sum_biases:  # the candidate's recurrent bias ends up outside r
        h_tilde = np.tanh(part(xw, "h") + r * part(h_prev @ recurrent_kernel, "h"))
    elif reset_after:
        h_tilde = np.tanh(part(xw, "h") + r * part(hu, "h"))
    else:
        h_tilde = np.tanh(part(xw, "h") + (r * h_prev) @ part(recurrent_kernel, "h")
                          + part(b_rec, "h"))
    return z * h_prev + (1 - z) * h_tilde if z_keeps_old else (1 - z) * h_prev + z * h_tilde


def make_windows(series, lookback, horizon, *, validate=True, target_shift=0, extra=0,
                 feature_axis=True, step=1, target_offset=None):
    if validate and (lookback < 1 or horizon < 1):
        raise ValueError(f"lookback and horizon must be >= 1, received {lookback} and "
                         f"{horizon}")
    n = len(series) - lookback - horizon + 1
    if validate and n < 1:
        raise ValueError(f"a series of {len(series)} values is too short for lookback "
                         f"{lookback} and horizon {horizon}")
    offset = lookback + horizon - 1 if target_offset is None else target_offset
    starts = range(0, n + extra, step)
    X = np.stack([series[i:i + lookback] for i in starts])
    y = np.array([series[i + offset + target_shift] for i in starts
                  if i + offset + target_shift < len(series)])
    return (X[..., None] if feature_axis else X), y


def sample_with_temperature(logits, temperature, rng, *, scale="divide", normalise=True,
                            greedy=False, generator=None, result=int, first=0,
                            dtype=np.float64):
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, received {temperature}")
    z = np.asarray(logits, dtype=dtype)
    z = {"divide": z / temperature, "multiply": z * temperature, "after": z}[scale]
    if greedy:
        return int(np.argmax(z))
    p = np.exp(z - z.max())
    if scale == "after":  # probabilities divided by T, then renormalised
        p = p / p.sum() / temperature
    p = p / p.sum() if normalise else p
    u = (generator or rng).random()
    index = int(np.searchsorted(np.cumsum(p), u, side="right"))
    if normalise:  # the cumulative sum may end just below 1
        index = min(index, len(p) - 1)
    return result(index + first)


def build_stacked_birnn(input_shape, num_classes, units, *, bidirectional=(True, True),
                        sequences=(True, False), cell=L.LSTM, merge_mode="concat",
                        layer_units=None, softmax=True, single=False, use_bias=True,
                        with_input=True, between=(), hidden=(), output_bias="zeros",
                        options=({}, {})):
    def recurrent(number):
        layer = cell(layer_units or units, return_sequences=sequences[number],
                     use_bias=use_bias, **options[number])
        return L.Bidirectional(layer, merge_mode=merge_mode) if bidirectional[number] \
            else layer

    layers = [keras.Input(shape=input_shape)] if with_input else []
    layers += [recurrent(0)] if single else [recurrent(0), *between, recurrent(1)]
    layers += [L.Dense(n, activation="relu") for n in hidden]
    layers += [L.Dense(num_classes, activation="softmax" if softmax else None,
                       bias_initializer=output_bias)]
    return keras.Sequential(layers)


REFERENCES = {
    "rnn_cell_forward": rnn_cell_forward,
    "rnn_forward": rnn_forward,
    "lstm_cell_forward": lstm_cell_forward,
    "gru_cell_forward": gru_cell_forward,
    "make_windows": make_windows,
    "sample_with_temperature": sample_with_temperature,
    "build_stacked_birnn": build_stacked_birnn,
}


def _overflowing_softmax(z):
    """exp(z) / sum(exp(z)) without subtracting the max: NaN once exp overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(z) / np.exp(z).sum()


class _Counter:
    """A stand-in for np.random: draws from a generator of its own, whatever rng says."""

    own = np.random.default_rng(99)

    def random(self):
        return self.own.random()


def _sorted_sampler(logits, temperature, rng):
    """Draws a position in the probabilities sorted from the largest (as for top-k) and
    returns that position, not the index it stands for."""
    z = np.asarray(logits, np.float64) / temperature
    p = np.exp(z - z.max())
    return int(rng.choice(len(p), p=np.sort(p / p.sum())[::-1]))


def _float32_multinomial(logits, temperature, rng):
    """softmax in the logits' own dtype (float32 in the notebook), then rng.multinomial."""
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    z = np.asarray(logits) / np.asarray(temperature, np.asarray(logits).dtype)
    p = np.exp(z - z.max())
    return int(np.argmax(rng.multinomial(1, p / p.sum())))


class _BiRNN(keras.Model):
    """The classifier as a subclassed keras.Model: Keras records no input or layer outputs."""

    def __init__(self, num_classes, units):
        super().__init__()
        self.first = L.Bidirectional(L.LSTM(units, return_sequences=True))
        self.second = L.Bidirectional(L.LSTM(units))
        self.head = L.Dense(num_classes, activation="softmax")

    def call(self, x):
        return self.head(self.second(self.first(x)))


def _subclassed_model_birnn(input_shape, num_classes, units):
    model = _BiRNN(num_classes, units)
    model(keras.Input(shape=input_shape))
    return model


# ---------------------------------------------------------------- mutants ---

MUTANTS = [
    # rnn_cell_forward
    ("rnn_cell_forward", lambda *a: rnn_cell_forward(*a, swap=True), "W and U swapped"),
    ("rnn_cell_forward", lambda *a: rnn_cell_forward(*a, bias=False), "bias missing"),
    ("rnn_cell_forward", lambda *a: rnn_cell_forward(*a, activation=sigmoid),
     "sigmoid instead of tanh"),
    ("rnn_cell_forward", lambda *a: rnn_cell_forward(*a, activation=lambda z: np.maximum(z, 0)),
     "relu instead of tanh"),
    ("rnn_cell_forward", lambda *a: rnn_cell_forward(*a, use_h=False), "h_prev ignored"),
    ("rnn_cell_forward", lambda *a: rnn_cell_forward(*a, activation=lambda z: z),
     "no activation"),
    ("rnn_cell_forward", lambda x, h, W, U, b: np.tanh(x @ W + h @ U) + b,
     "bias added after the tanh"),
    ("rnn_cell_forward", lambda *a: rnn_cell_forward(*a).tolist(), "expected a NumPy array"),
    # rnn_forward
    ("rnn_forward", lambda *a: rnn_forward(*a, carry=False), "the state is not carried"),
    ("rnn_forward", lambda *a: rnn_forward(*a, keep="last"), "only the last state returned"),
    ("rnn_forward", lambda *a: rnn_forward(*a, stack_axis=0), "stacked along axis 0"),
    ("rnn_forward", lambda *a: rnn_forward(*a, keep="shifted"), "states shifted by one"),
    ("rnn_forward", lambda *a: rnn_forward(*a, steps_axis=0), "looped over the batch axis"),
    ("rnn_forward", lambda x, h0, W, U, b: np.concatenate(
        [h0[:, None], rnn_forward(x, h0, W, U, b)], axis=1), "h0 included"),
    ("rnn_forward", lambda x, h0, *w: rnn_forward(x, h0, *w)[:, :-1], "the last step dropped"),
    ("rnn_forward", lambda x, h0, W, U, b: rnn_forward(x, h0, W, U, b) + 1e-3,
     "values differ"),
    ("rnn_forward", lambda x, h0, W, U, b: rnn_forward(x, h0, *((U, W) if W.shape == U.shape
                                                                else (W, U)), b),
     "case 'square weights: .*W and U swapped"),
    # lstm_cell_forward
    ("lstm_cell_forward", lambda *a: lstm_cell_forward(*a, gates="ifoc"),
     "gates read in the order i, f, o, c"),
    ("lstm_cell_forward", lambda *a: lstm_cell_forward(*a, gates="fico"),
     "input and forget gates swapped"),
    ("lstm_cell_forward", lambda *a: lstm_cell_forward(*a, squash_c=True),
     r"(?s)c \(the second value\): .*the cell state squashed with tanh"),
    ("lstm_cell_forward", lambda *a: lstm_cell_forward(*a, squash_prev=True),
     "tanh applied to c_prev before the forget gate"),
    ("lstm_cell_forward", lambda *a: lstm_cell_forward(*a, h_tanh=False),
     r"(?s)h \(the first value\): .*tanh missing in h"),
    ("lstm_cell_forward", lambda *a: lstm_cell_forward(*a, forget_all=True),
     "forget gate applied to the candidate too"),
    ("lstm_cell_forward", lambda *a: lstm_cell_forward(*a, swap_out=True),
     r"\(c, h\) returned instead of \(h, c\)"),
    ("lstm_cell_forward", lambda *a: lstm_cell_forward(*a, pair=False),
     r"expected a pair \(h, c\)"),
    # gru_cell_forward
    ("gru_cell_forward", lambda *a: gru_cell_forward(*a, z_keeps_old=False),
     r"z and 1 - z swapped\. Both conventions exist: .* Keras's GRU, whose weights these are"),
    ("gru_cell_forward", lambda *a: gru_cell_forward(*a, reset_after=False),
     "reset gate applied before the matrix product: that is reset_after=False"),
    ("gru_cell_forward", lambda *a: gru_cell_forward(*a, recurrent_bias=False),
     r"recurrent bias \(bias\[1\]\) ignored"),
    ("gru_cell_forward", lambda *a: gru_cell_forward(*a, input_bias=False),
     r"input bias \(bias\[0\]\) ignored"),
    ("gru_cell_forward", lambda *a: gru_cell_forward(*a, sum_biases=True),
     "recurrent bias added outside r"),
    ("gru_cell_forward", lambda *a: gru_cell_forward(*a, gates="rzh"), "z and r gates swapped"),
    # make_windows
    ("make_windows", lambda *a: make_windows(*a, target_offset=a[1]),
     r"y: your result matches a common mistake: horizon ignored"),
    ("make_windows", lambda *a: make_windows(*a, extra=-1, target_shift=1),
     "the target one step too late"),
    ("make_windows", lambda *a: make_windows(*a, target_offset=a[1] - 1),
     "the target is the last value of the window"),
    ("make_windows", lambda *a: make_windows(*a, extra=-1), "the last window dropped"),
    ("make_windows", lambda s, lb, h: (make_windows(s, lb, h, extra=1)[0],
                                       make_windows(s, lb, h)[1]), "one window too many"),
    ("make_windows", lambda *a: make_windows(*a, feature_axis=False),
     "the trailing feature axis is missing"),
    ("make_windows", lambda *a: make_windows(*a, step=a[1]), "windows that skip"),
    ("make_windows", lambda s, lb, h: (np.zeros((0, lb, 1)), np.zeros(0))
     if len(s) < lb + h else make_windows(s, lb, h),
     "case 'series too short': 4 values cannot hold a window of 3 and a target 2 steps after "
     "it .*must raise ValueError; it returned a result instead"),
    ("make_windows", lambda s, lb, h: make_windows(s, lb, max(h, 1)),
     "case 'horizon 0': .*must raise ValueError; it returned a result instead"),
    ("make_windows", lambda s, lb, h: make_windows(s, max(lb, 1), h),
     "case 'lookback 0': lookback = 0 gives empty windows, so your function must raise"),
    ("make_windows", lambda *a: make_windows(*a)[0], r"expected a pair \(X, y\)"),
    ("make_windows", lambda *a: (make_windows(*a)[0], make_windows(*a)[1][:, None]),
     r"y: your result matches a common mistake: y has a trailing axis"),
    ("make_windows", lambda s, lb, h: (make_windows(s, lb, h)[0], s[lb:]),
     r"not the next value \(and there are T - lookback - horizon \+ 1 windows\)"),
    ("make_windows", lambda *a: (make_windows(*a)[0].transpose(0, 2, 1), make_windows(*a)[1]),
     r"X is \(N, 1, lookback\): the feature axis goes last"),
    ("make_windows", lambda s, lb, h: (
        np.lib.stride_tricks.sliding_window_view(s, lb)[..., None], make_windows(s, lb, h)[1]),
     "horizon ignored in the number of windows"),
    # sample_with_temperature
    ("sample_with_temperature", lambda *a: sample_with_temperature(*a, scale="after"),
     "the temperature has no effect"),
    ("sample_with_temperature", lambda *a: sample_with_temperature(*a, scale="multiply"),
     "the logits multiplied by the temperature instead of divided"),
    ("sample_with_temperature", lambda *a: sample_with_temperature(*a, greedy=True),
     r"always the most likely index \(argmax\)"),
    ("sample_with_temperature", lambda *a: sample_with_temperature(*a, normalise=False),
     "the probabilities are not normalised"),
    ("sample_with_temperature", lambda logits, t, rng: int(np.searchsorted(
        np.cumsum(np.exp(np.asarray(logits) / t)), rng.random(), side="right")),
     r"not normalised: exp\(logits / T\) must be divided by its sum"),
    ("sample_with_temperature", lambda logits, t, rng: sample_with_temperature(
        np.zeros(len(logits)), t, rng), "every index equally likely"),
    ("sample_with_temperature", lambda logits, t, rng: rng.choice(
        len(logits), p=_overflowing_softmax(logits / t)),
     "(?s)very low temperature.*raised ValueError: Probabilities contain NaN.*exp of it "
     "overflows to inf"),
    ("sample_with_temperature", lambda *a: sample_with_temperature(*a, first=1),
     r"outside \[0, 5\) for 5 logits"),
    ("sample_with_temperature", lambda *a: sample_with_temperature(*a, result=float),
     r"expected an int index, received .* \(a float\)"),
    ("sample_with_temperature", lambda *a: sample_with_temperature(
        *a, result=lambda i: np.array([i])), r"expected an int index, received \["),
    ("sample_with_temperature", lambda *a: sample_with_temperature(*a, generator=_Counter()),
     "two generators made with the same seed gave different draws"),
    ("sample_with_temperature", lambda logits, t, rng: sample_with_temperature(
        logits, abs(t) or 1.0, rng), "case 'temperature 0': .*must raise ValueError"),
    ("sample_with_temperature", lambda logits, t, rng: sample_with_temperature(
        logits, t, rng) if t != 2.5 else 1, "the draws do not follow softmax"),
    ("sample_with_temperature", lambda logits, t, rng: sample_with_temperature(
        logits, t, np.random), "the same seed gave different draws when NumPy's global seed "
     "changed: your function draws from np.random"),
    ("sample_with_temperature", lambda logits, t, rng: sample_with_temperature(
        logits, t, np.random.default_rng(7) if logits[0] == 0.2 else rng),
     "generators made with two different seeds gave the same draws"),
    ("sample_with_temperature", _sorted_sampler,
     "the draws match a common mistake: the position in the sorted probabilities returned"),
    ("sample_with_temperature", _float32_multinomial,
     r"(?s)case 'float32 logits.*raised ValueError.*compute them in float64"),
    # build_stacked_birnn
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, sequences=(False, False)),
     "(?s)expected ndim=3, found ndim=2.*Give the first LSTM return_sequences=True"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, bidirectional=(False, False)),
     "the recurrent layers are not bidirectional"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, bidirectional=(True, False)),
     "has 1 Bidirectional layer.* and 1 other recurrent layer"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, single=True, sequences=(False,)),
     r"expected two stacked Bidirectional LSTM layers, the model has 1 Bidirectional"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, layer_units=16),
     "the 1st Bidirectional wraps an LSTM of 16 units, expected units=8"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, softmax=False),
     "the output must be class probabilities"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, cell=L.GRU),
     "the 1st Bidirectional wraps a GRU; this model stacks LSTM layers"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, sequences=(True, True)),
     "the 2nd Bidirectional has return_sequences=True"),
    ("build_stacked_birnn", lambda s, n, u: build_stacked_birnn(
        s, n, u, sequences=(False, False), between=[L.Reshape((1, 2 * u))]),
     r"the 1st Bidirectional has return_sequences=False; the first must pass on every step"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, hidden=(16,)),
     "the layers come in the order Bidirectional -> Bidirectional -> Dense -> Dense"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(
        *a, output_bias=keras.initializers.Constant(np.nan)),
     r"on a batch of 2 sequences of 12 steps the model returned .*expected probabilities"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, merge_mode="sum"),
     "merge_mode='sum'; expected 'concat'"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, use_bias=False),
     "parameter count"),
    ("build_stacked_birnn", lambda s, n, u: build_stacked_birnn((12, 3), n, u),
     r"inputs of shape \(None, 12, 3\), expected \(None, None, 5\)"),
    ("build_stacked_birnn", lambda s, n, u: build_stacked_birnn(s, 3, u),
     r"output has shape \(None, 3\), expected \(None, 4\)"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, with_input=False),
     "the model is not built"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(
        *a, options=({"activation": "relu"}, {})),
     "the 1st Bidirectional wraps an LSTM with activation='relu'; expected the default 'tanh'"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(
        *a, options=({}, {"recurrent_activation": "hard_sigmoid"})),
     "the 2nd Bidirectional wraps an LSTM with recurrent_activation='hard_sigmoid'"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(
        *a, options=({"recurrent_dropout": 0.2}, {"recurrent_dropout": 0.2})),
     "wraps an LSTM with recurrent_dropout=0.2; the model in the docstring has no dropout"),
    ("build_stacked_birnn", lambda *a: build_stacked_birnn(*a, options=({}, {"dropout": 0.3})),
     "the 2nd Bidirectional wraps an LSTM with dropout=0.3"),
    ("build_stacked_birnn", lambda s, n, u: keras.Sequential([
        keras.Input(shape=s),
        L.Bidirectional(L.LSTM(u, return_sequences=True),
                        backward_layer=L.LSTM(u, return_sequences=True, go_backwards=True,
                                              activation="relu")),
        L.Bidirectional(L.LSTM(u)), L.Dense(n, activation="softmax")]),
     "the 1st Bidirectional wraps an LSTM with activation='relu'"),
    ("build_stacked_birnn", _subclassed_model_birnn,
     r"your model is a subclassed _BiRNN, which records no input shape.*\n.*keras.Input"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("rnn_cell_forward", lambda *a: rnn_cell_forward(*a, bias=False),
     "05.1 rnn_cell_forward, case 'square weights: ",
     ["common mistake: bias missing", "expected:", "received:"]),
    ("sample_with_temperature", lambda *a: sample_with_temperature(*a, scale="after"),
     "05.6 sample_with_temperature, case 'high temperature 2.5 ",
     ["expected probabilities: [", "frequencies in 4000 draws: ["]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


# ------------------------------------------------------- other right answers ---

def _gumbel_sampler(logits, temperature, rng):
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    return np.argmax(np.asarray(logits) / temperature + rng.gumbel(size=len(logits)))


def _choice_sampler(logits, temperature, rng):
    if not temperature > 0:
        raise ValueError("temperature must be > 0")
    p = np.exp((logits - np.max(logits)) / temperature)
    return rng.choice(len(logits), p=p / p.sum())


def _functional_birnn(input_shape, num_classes, units):
    inputs = keras.Input(shape=input_shape)
    x = L.Bidirectional(L.LSTM(units, return_sequences=True))(inputs)
    x = L.Dropout(0.2)(x)
    x = L.Bidirectional(L.LSTM(units))(x)
    return keras.Model(inputs, L.Dense(num_classes, activation="softmax")(x))


def _nested_birnn(input_shape, num_classes, units):
    encoder = keras.Sequential([L.Bidirectional(L.LSTM(units, return_sequences=True)),
                                L.Bidirectional(L.LSTM(units))])
    return keras.Sequential([keras.Input(shape=input_shape), encoder,
                             L.Dense(num_classes, activation="softmax")])


class _Encoder(L.Layer):
    """The two Bidirectional LSTMs as a keras.layers.Layer subclass."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.first = L.Bidirectional(L.LSTM(units, return_sequences=True))
        self.second = L.Bidirectional(L.LSTM(units))

    def call(self, x):
        return self.second(self.first(x))


def _layer_subclass_birnn(input_shape, num_classes, units):
    inputs = keras.Input(shape=input_shape)
    outputs = L.Dense(num_classes, activation="softmax")(_Encoder(units)(inputs))
    return keras.Model(inputs, outputs)


def _power_sampler(logits, temperature, rng):
    """softmax(logits) ** (1 / T), renormalised: the same distribution, drawn by inversion."""
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    p = np.exp(np.asarray(logits, np.float64) - np.max(logits)) ** (1.0 / temperature)
    cdf = np.cumsum(p / p.sum())
    return min(int(np.searchsorted(cdf, rng.random(), side="right")), len(p) - 1)


def _multinomial_sampler(logits, temperature, rng):
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    z = np.asarray(logits, np.float64) / temperature
    p = np.exp(z - z.max())
    return int(np.argmax(rng.multinomial(1, p / p.sum())))


def _sliding_windows(series, lookback, horizon):
    if min(lookback, horizon) < 1 or len(series) < lookback + horizon:
        raise ValueError("bad window")
    n = len(series) - lookback - horizon + 1
    X = np.lib.stride_tricks.sliding_window_view(series, lookback)[:n]
    return X[:, :, np.newaxis], series[lookback + horizon - 1:].copy()


def test_other_correct_answers_pass(capsys):
    check.sample_with_temperature(_gumbel_sampler)
    check.sample_with_temperature(_choice_sampler)
    check.build_stacked_birnn(_functional_birnn)
    check.make_windows(_sliding_windows)
    check.lstm_cell_forward(lambda *a: list(lstm_cell_forward(*a)))
    check.rnn_forward(lambda x, h0, W, U, b: np.stack(
        [h0 := np.tanh(x[:, t] @ W + h0 @ U + b) for t in range(x.shape[1])], axis=1))
    check.build_stacked_birnn(_nested_birnn)
    check.build_stacked_birnn(_layer_subclass_birnn)
    check.sample_with_temperature(_power_sampler)
    check.sample_with_temperature(_multinomial_sampler)
    assert capsys.readouterr().out.count("passed") == 10


# ------------------------------------------------------ sampling tolerance ---

@pytest.mark.parametrize("case, logits, temperature, _", check._sample_with_temperature_cases())
def test_sampling_tolerance_never_fails_right_draws_and_tells_mistakes_apart(
        case, logits, temperature, _):
    """On 300 seeds: right draws always pass; draws of each mistake never pass as right."""
    probs = check._softmax(np.asarray(logits) / temperature)
    known = mistakes_from(check._sample_with_temperature_answer,
                          check._SAMPLE_WITH_TEMPERATURE_MISTAKES, logits, temperature)
    mistakes = {name: q for name, q in known.items()
                if not np.allclose(q, probs, atol=0.02) and np.isclose(q.sum(), 1.0)}
    for seed in range(300):
        rng = np.random.default_rng(seed)
        counts = np.bincount(rng.choice(len(probs), size=check.DRAWS, p=probs),
                             minlength=len(probs))
        assert counts_follow(counts, check.DRAWS, probs), (case, seed, counts)
        for name, q in mistakes.items():
            wrong = np.bincount(rng.choice(len(q), size=check.DRAWS, p=q), minlength=len(q))
            assert not counts_follow(wrong, check.DRAWS, probs), (case, seed, name)
            assert counts_follow(wrong, check.DRAWS, q), (case, seed, name)


# ---------------------------------------------------------- messages in full ---


def test_a_sampler_that_ignores_the_temperature_fails_only_where_it_matters():
    """softmax(logits) itself is right at T = 1: the first case passes, T = 2.5 fails."""
    with pytest.raises(CheckError, match="case 'high temperature 2.5 flattens"):
        check.sample_with_temperature(lambda *a: sample_with_temperature(*a, scale="after"))


def test_only_the_known_keras_error_gets_the_return_sequences_hint():
    def raises(input_shape, num_classes, units):
        raise ValueError("Unknown activation: 'softmx'")

    with pytest.raises(CheckError) as info:
        check.build_stacked_birnn(raises)
    assert "raised ValueError: Unknown activation" in str(info.value)
    assert "return_sequences" not in str(info.value)
