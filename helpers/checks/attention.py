"""Checks for notebook 06, attention: Nadaraya-Watson kernel regression, a masked
softmax, scaled dot-product and additive (Bahdanau) attention, splitting and merging
heads, multi-head attention in Keras's weight layout, sinusoidal positional
encodings, beam search with length normalisation and BLEU.

Each function takes the student's function, runs it on fixed cases and compares
the results with an independent oracle: `keras.ops.softmax` and
`keras.ops.dot_product_attention`, `keras.layers.AdditiveAttention` and
`keras.layers.MultiHeadAttention` given the same weights (in float64), and
`nltk.translate.bleu_score.sentence_bleu`. Where no library does the job
(Nadaraya-Watson, splitting heads, the positional encoding, beam search) the
oracle is written out here in float64, in a form other than the one a student
would write, and says so. Known wrong answers (no scaling, the mask applied after
the softmax, heads interleaved, sin and cos swapped, no length normalisation, no
clipping, ...) are computed too, so that a message can name the mistake.

Example:

>>> from helpers.checks import attention as check
>>> check.masked_softmax(masked_softmax)
06.2 masked_softmax: all 7 cases passed
"""

import collections
import math
import warnings

import numpy as np

from helpers.checks.core import (describe, exercise, import_keras, is_int, mistakes_from,
                                random_values)
from helpers.checks.references import MASK_VALUE
from helpers.checks.references import MHA_PARAMS as _MHA_PARAMS
from helpers.checks.references import as_float64 as _f64
from helpers.checks.references import causal_mask as _causal_mask
from helpers.checks.references import mha_params as _mha_params
from helpers.checks.references import multi_head_attention as _mha
from helpers.checks.references import softmax as _softmax
from helpers.checks.tensor_modes import tolerances as _tolerances

__all__ = [
    "nadaraya_watson", "masked_softmax", "scaled_dot_product_attention", "additive_attention",
    "split_heads", "merge_heads", "multi_head_attention", "positional_encoding", "beam_search",
    "bleu",
]

# ---------------------------------------------------------------- helpers ---

def _keras_softmax(z):
    """`keras.ops.softmax` over the last axis, in float64, as a NumPy array."""
    keras = import_keras()
    return np.asarray(keras.ops.softmax(np.asarray(z, np.float64), axis=-1))


def _padding_mask(tq, lengths):
    """(batch, tq, tk) bool: query i may attend key j when j < lengths[b]; tk = max length."""
    tk = max(lengths)
    keep = np.arange(tk)[None, :] < np.asarray(lengths)[:, None]
    return np.broadcast_to(keep[:, None, :], (len(lengths), tq, tk)).copy()


# -------------------------------------------------------- nadaraya_watson ---

def _kernel_scores(queries, keys, bandwidth):
    """-(q - k)^2 / (2 h^2) for every query (rows) and key (columns), in float64."""
    diff = np.subtract.outer(*_f64(queries, keys))
    h = float(bandwidth)
    return -(diff ** 2) / (2 * h * h)


def _nadaraya_watson_answer(queries, keys, values, bandwidth, *, distance_power=2,
                            bandwidth_power=2, factor=2, sign=-1, normalise=True, shift=False,
                            axis=1, uniform=False):
    """`nadaraya_watson` in float64 (m,): softmax over the keys of -(q - k)**2 / (2 h**2),
    @ values; with switches for known mistakes.

    Args:
        distance_power: 1 leaves q - k unsquared.
        bandwidth_power: 1 divides by 2 h, not 2 h**2.
        factor: 1 leaves out the 2 of 2 h**2.
        sign: 1 leaves out the minus sign.
        normalise: False takes exp(scores) as the weights, not divided by their sum.
        shift: True (with `normalise=False`) subtracts each query's largest score first.
        axis: 0 takes the softmax over the queries.
        uniform: True ignores the weights: every query gets the mean of the values.
    """
    values = np.asarray(values, np.float64)
    if uniform:
        return np.full(len(queries), values.mean())
    diff = np.subtract.outer(*_f64(queries, keys))
    scores = sign * diff ** distance_power / (factor * float(bandwidth) ** bandwidth_power)
    if normalise:
        return _softmax(scores, axis=axis) @ values
    if shift:
        scores = scores - scores.max(axis=1, keepdims=True)
    return np.exp(scores) @ values


_NADARAYA_WATSON_MISTAKES = {
    "(q - k) not squared: the Gaussian kernel uses the squared distance, "
    "-(q - k)**2 / (2 * bandwidth**2)": {"distance_power": 1},
    "the bandwidth not squared: divide (q - k)**2 by 2 * bandwidth**2, not by "
    "2 * bandwidth": {"bandwidth_power": 1},
    "the 2 missing: divide (q - k)**2 by 2 * bandwidth**2, not by bandwidth**2": {"factor": 1},
    "the minus sign missing: nearer keys must get larger weights, so the score is "
    "-(q - k)**2 / (2 * bandwidth**2)": {"sign": 1},
    "the weights are not normalised: divide each query's exp(scores) by its sum over "
    "the keys (a softmax over the keys)": {"normalise": False},
    "the weights are not normalised: after subtracting the largest score, divide "
    "exp(scores) by its sum over the keys": {"normalise": False, "shift": True},
    "the softmax taken over the queries (axis 0): each query's weights over the keys "
    "must sum to 1, so normalise along the keys axis": {"axis": 0},
    "every query gives the mean of the values: the weights were ignored": {"uniform": True},
}


def _nadaraya_watson_cases():
    """(case, queries, keys, values, bandwidth) for 06.1."""
    rng = np.random.default_rng(601)
    keys = np.sort(rng.uniform(0.0, 5.0, 8))
    values = np.sin(keys) + 0.1 * random_values(602, 8)
    return [
        ("5 queries, 8 keys, bandwidth 0.7", np.linspace(0.2, 4.8, 5), keys, values, 0.7),
        ("queries equal to keys, bandwidth 1.5", keys[[1, 4, 6]], keys[:6], values[:6], 1.5),
        ("a single key: every query gets its value", np.array([-1.0, 0.5, 3.0, 8.0]),
         np.array([2.0]), np.array([0.7]), 0.7),
        (("a query far from every key (exp of its scores underflows to 0 unless the largest "
          "score is subtracted first), bandwidth 0.3"), np.array([1.0, 40.0]),
         np.array([0.0, 1.2, 2.5, 3.0]), np.array([1.0, -2.0, 0.5, 4.0]), 0.3),
        ("a single query, bandwidth 1.5", np.array([2.2]), keys, values, 1.5),
        ("float32: 6 queries, 8 keys, bandwidth 0.7", np.linspace(0.0, 5.0, 6).astype(np.float32),
         keys.astype(np.float32), values.astype(np.float32), 0.7),
    ]


@exercise("06.1")
def nadaraya_watson(ex):
    """Checks `nadaraya_watson(queries, keys, values, bandwidth)`: Gaussian-kernel regression.

    `queries` is a 1-D float array (m,), `keys` and `values` 1-D float arrays (n,),
    `bandwidth` a float h > 0. The result, a NumPy float array (m,), is for each
    query q the weighted mean sum_j w_j values[j] with weights w = softmax over the
    keys of -(q - keys)**2 / (2 * h**2): nearer keys weigh more, the weights of one
    query sum to 1. The softmax must subtract each query's largest score before exp,
    so that a query far from every key still gets finite weights (all on its nearest
    key). No library does Nadaraya-Watson regression, so the oracle is this formula
    worked out here in float64; cases include a single key, a single query, queries
    equal to keys and float32 inputs.
    """
    for case, queries, keys, values, bandwidth in _nadaraya_watson_cases():
        out = ex.call(case, queries, keys, values, bandwidth)
        weights = _softmax(_kernel_scores(queries, keys, bandwidth), axis=1)
        expected = weights @ np.asarray(values, np.float64)
        rtol, atol = _tolerances(queries.dtype)
        ex.compare(
            case, out, expected, rtol=rtol, atol=atol,
            mistakes=mistakes_from(_nadaraya_watson_answer, _NADARAYA_WATSON_MISTAKES,
                                   queries, keys, values, bandwidth),
            hint="scores[i, j] = -(queries[i] - keys[j])**2 / (2 * bandwidth**2) (an (m, n) "
                 "array: np.subtract.outer or broadcasting); the weights are the softmax of "
                 "each row (over the keys); the result is weights @ values, shape (m,).",
            shape_hint="one prediction per query: the result is (m,), weights (m, n) @ "
                       "values (n,).",
            nonfinite_hint="exp of a very negative score underflows to 0, and 0 / 0 is NaN: "
                           "subtract each row's largest score before exp (it does not change "
                           "the softmax).")


# --------------------------------------------------------- masked_softmax ---

def _key_mask(valid_lens, shape, offset=0):
    """(batch, queries, keys) bool: key j is valid when j < valid_len + offset."""
    lens = np.asarray(valid_lens)
    lens = np.broadcast_to(lens[:, None] if lens.ndim == 1 else lens, shape[:2])
    return np.arange(shape[2]) < lens[..., None] + offset


def _query_axis_mask(valid_lens, shape):
    """The mask of a comparison made along the queries axis, or None if it has no shape."""
    lens = np.asarray(valid_lens)
    if lens.ndim == 1:
        return np.broadcast_to(np.arange(shape[1])[:, None] < lens[:, None, None], shape)
    if shape[1] == shape[2]:  # lens[b, j] compared with the query index i
        return np.arange(shape[1])[:, None] < lens[:, None, :]
    return None


def _masked_softmax_answer(scores, valid_lens, *, offset=0, value=MASK_VALUE, add=False,
                           after=False, use_mask=True, axis=-1, query_axis=False):
    """`masked_softmax` in float64: the scores of keys j >= valid_len replaced by -1e6,
    then a softmax over the keys; with switches for known mistakes.

    Args:
        offset: keeps the keys j < valid_len + offset (1 or -1: off by one).
        value: the score a masked key gets (0.0: masked scores set to 0).
        add: True adds `value` to the masked scores instead of replacing them.
        after: True takes the softmax first, then sets the masked weights to 0.
        use_mask: False ignores `valid_lens`: nothing is masked.
        axis: 1 takes the softmax over the queries.
        query_axis: True lays the mask along the queries axis (None where that has no
            shape: lengths per query and queries != keys).
    """
    scores = np.asarray(scores, np.float64)
    if not use_mask:
        return _softmax(scores)
    if query_axis:
        mask = _query_axis_mask(valid_lens, scores.shape)
        if mask is None:
            return None
    else:
        mask = _key_mask(valid_lens, scores.shape, offset)
    if after:
        return _softmax(scores) * mask
    return _softmax(scores + value * ~mask if add else np.where(mask, scores, value), axis)


_MASKED_SOFTMAX_MISTAKES = {
    "the mask applied after the softmax: masked weights set to 0 without "
    "renormalising, so the rows no longer sum to 1. Replace the masked scores by -1e6, "
    "then take the softmax": {"after": True},
    "off by one: keys j <= valid_len kept. valid_len keys are valid, 0 .. valid_len - 1, "
    "so key j is masked when j >= valid_len": {"offset": 1},
    "off by one: key valid_len - 1 masked too. valid_len keys are valid, 0 .. valid_len "
    "- 1": {"offset": -1},
    "valid_lens ignored: nothing was masked": {"use_mask": False},
    "-1e6 added to the masked scores instead of replacing them: a row with no valid key "
    "then gives softmax(scores), not the uniform distribution": {"add": True},
    "masked scores set to 0 instead of -1e6: a score of 0 still gets weight": {"value": 0.0},
    "the softmax taken over the queries axis (axis 1): each query's weights over the "
    "keys must sum to 1, so use the last axis": {"axis": 1},
    "the mask laid along the queries axis: valid_lens counts keys, so the "
    "comparison j < valid_len runs along the last axis of scores": {"query_axis": True},
}


def _masked_softmax_cases():
    """(case, scores, valid_lens) for 06.2."""
    return [
        ("a length per example (batch,): [2, 3], 3 queries, 4 keys",
         random_values(610, (2, 3, 4)), np.array([2, 3])),
        ("a length per query (batch, queries): 3 queries, 5 keys",
         random_values(611, (2, 3, 5)), np.array([[1, 2, 5], [3, 4, 2]])),
        ("rows with no valid key (valid length 0) get the uniform distribution",
         random_values(612, (2, 2, 4)), np.array([[0, 3], [2, 0]])),
        ("an example with no valid key: lengths [0, 1]", random_values(613, (2, 3, 3)),
         np.array([0, 1])),
        ("valid length equal to the number of keys: nothing masked",
         random_values(614, (1, 2, 3)), np.array([3])),
        (("float32 scores up to 100 (exp overflows in float32 unless the largest score is "
          "subtracted first)"), random_values(615, (2, 4, 4), 40.0).astype(np.float32),
         np.array([[4, 1, 2, 3], [2, 2, 4, 1]])),
        (("float64 scores up to about 2000 (exp overflows even in float64 unless each row's "
          "largest score is subtracted first): lengths [3, 2]"),
         random_values(616, (2, 3, 4), 800.0), np.array([3, 2])),
    ]


@exercise("06.2")
def masked_softmax(ex):
    """Checks `masked_softmax(scores, valid_lens)`: a softmax over the keys that skips padding.

    `scores` is a float array (batch, queries, keys); `valid_lens` an int array,
    (batch,) (one length for all the queries of an example) or (batch, queries)
    (one per query). Key j of a row is valid when j < valid_len; the other scores
    are replaced by -1e6 (set to that value, not added to it) before a softmax over
    the last axis, computed stably (the largest score subtracted before exp). The
    result, a NumPy float array of the shape of `scores`, holds 0 (to within
    exp(-1e6)) at masked keys and sums to 1 in every row. A row with valid length 0
    has every score -1e6, so it gets the uniform distribution 1 / keys, as d2l's
    `masked_softmax` does (with -inf it would be 0 / 0 = NaN). `scores` must not be
    changed in place. The oracle is `keras.ops.softmax` (float64) of the scores with
    masked positions replaced by -1e6. Cases: lengths per example and per query, rows
    and examples with no valid key, nothing masked, and large scores in float32 (up to
    100) and in float64 (up to about 2000), where exp overflows unless the largest
    score is subtracted.
    """
    for case, scores, valid_lens in _masked_softmax_cases():
        out = ex.call(case, scores, valid_lens)
        scores64 = np.asarray(scores, np.float64)
        expected = _keras_softmax(
            np.where(_key_mask(valid_lens, scores.shape), scores64, MASK_VALUE))
        rtol, atol = _tolerances(scores.dtype)
        ex.compare(
            case, out, expected, rtol=rtol, atol=atol,
            mistakes=mistakes_from(_masked_softmax_answer, _MASKED_SOFTMAX_MISTAKES, scores,
                                   valid_lens),
            hint="build a bool mask of shape (batch, queries, keys) that is True where "
                 "np.arange(keys) < valid_len (valid_lens[:, None, None] for (batch,), "
                 "valid_lens[:, :, None] for (batch, queries)), replace the other scores by "
                 "-1e6 with np.where, then take a softmax over the last axis.",
            nonfinite_hint="a row with no valid key (valid length 0) or very large scores: "
                           "use -1e6, not -inf (a row of -inf gives 0 / 0 = NaN), and "
                           "subtract each row's largest score before exp.")


# ----------------------------------------------- scaled_dot_product_attention ---

def _as_returned(output, weights, part=None, *, swap_pair=False, transpose_output=False,
                 transpose_weights=False):
    """The pair (output, weights) that an attention function returns, or its item `part`
    (0 or 1); with switches for known mistakes in what is returned.

    Args:
        swap_pair: True returns (weights, output).
        transpose_output: True swaps the output's last two axes.
        transpose_weights: True swaps the weights' last two axes.
    """
    if transpose_output:
        output = output.swapaxes(1, 2)
    if transpose_weights:
        weights = weights.swapaxes(1, 2)
    pair = (weights, output) if swap_pair else (output, weights)
    return pair if part is None else pair[part]


#: Mistakes in what scaled_dot_product_attention and additive_attention return, by the
#: switches of `_as_returned`.
_RETURNED_PAIR_MISTAKES = {
    "(weights, output) returned instead of (output, weights)": {"swap_pair": True},
    "the weights transposed: (batch, queries, keys), a row per query":
        {"transpose_weights": True},
    "the output transposed: it is (batch, queries, dv), weights @ v": {"transpose_output": True},
}


def _scaled_dot_product_attention_answer(q, k, v, mask, *, scale="sqrt", mask_after=False,
                                         axis=-1, use_mask=True, invert=False, part=None,
                                         **returned):
    """`scaled_dot_product_attention` in float64: (output, weights), the weights the softmax
    over the keys of q k^T / sqrt(d) (-1e6 where the mask is False); with switches for
    known mistakes.

    Args:
        scale: "sqrt" (right: divide by sqrt(d)), "none" (no scaling) or "d".
        mask_after: True takes the softmax first, then sets the masked weights to 0.
        axis: 1 takes the softmax over the queries.
        use_mask: False ignores the mask.
        invert: True inverts the mask.
        part, **returned: as for `_as_returned`.
    """
    q, k, v = _f64(q, k, v)
    d = q.shape[-1]
    factor = {"sqrt": 1 / math.sqrt(d), "none": 1.0, "d": 1 / d}[scale]
    scores = q @ k.swapaxes(-1, -2) * factor
    if mask is not None and use_mask:
        mask = ~mask if invert else mask
        if mask_after:
            weights = _softmax(scores, axis) * mask
        else:
            weights = _softmax(np.where(mask, scores, MASK_VALUE), axis)
    else:
        weights = _softmax(scores, axis)
    return _as_returned(weights @ v, weights, part, **returned)


_SCALED_DOT_PRODUCT_ATTENTION_MISTAKES = {
    **_RETURNED_PAIR_MISTAKES,
    "no scaling: the scores are q k^T / sqrt(d), d the last axis of q and k": {"scale": "none"},
    "scaled by d instead of sqrt(d): the scores are q k^T / sqrt(d)": {"scale": "d"},
    "the softmax taken over the queries axis (axis 1): each query's weights over the "
    "keys must sum to 1, so use the last axis": {"axis": 1},
    "the mask applied after the softmax: masked weights set to 0 without "
    "renormalising, so the rows no longer sum to 1. Replace the masked scores by "
    "-1e6 before the softmax": {"mask_after": True},
    "the mask ignored": {"use_mask": False},
    "the mask inverted: True means the query may attend that key": {"invert": True},
}


def _scaled_dot_product_attention_cases():
    """(case, q, k, v, mask) for 06.3: unmasked, padding, causal, large d, float32."""
    def drawn(number, batch, tq, tk, d, dv):
        first = 620 + 10 * number
        return (random_values(first, (batch, tq, d)), random_values(first + 1, (batch, tk, d)),
                random_values(first + 2, (batch, tk, dv)))

    return [
        ("no mask: batch 2, 3 queries, 4 keys, d 5, dv 2", *drawn(0, 2, 3, 4, 5, 2), None),
        ("padding mask (key lengths 2 and 5): 3 queries, 5 keys, d 4, dv 3",
         *drawn(1, 2, 3, 5, 4, 3), _padding_mask(3, [2, 5])),
        ("causal mask: 4 positions, d 4, dv 4", *drawn(2, 2, 4, 4, 4, 4), _causal_mask(2, 4)),
        ("d 64, where the scaling matters: 2 queries, 3 keys", *drawn(3, 1, 2, 3, 64, 2), None),
        ("float32, one query, padding mask (key lengths 2 and 3)",
         *(a.astype(np.float32) for a in drawn(4, 2, 1, 3, 6, 2)), _padding_mask(1, [2, 3])),
        (("large scores, up to about 1500 (q and k of standard deviation 30, d 4): exp "
          "overflows unless each row's largest score is subtracted first; padding mask (key "
          "lengths 3 and 4)"), random_values(626, (2, 3, 4), 30.0),
         random_values(627, (2, 4, 4), 30.0), random_values(628, (2, 4, 2)),
         _padding_mask(3, [3, 4])),
    ]


def _keras_dot_attention(q, k, v, mask):
    """`keras.ops.dot_product_attention` in float64 on a heads axis of one, scale 1/sqrt(d)."""
    keras = import_keras()
    q, k, v = (a[:, :, None, :] for a in _f64(q, k, v))  # (batch, seq, heads=1, dim)
    out = keras.ops.dot_product_attention(
        q, k, v, mask=None if mask is None else mask[:, None], scale=1 / math.sqrt(q.shape[-1]))
    return np.asarray(out)[:, :, 0, :]


def _compare_attention(ex, case, out, expected, answer, table, inputs, dtype, hint):
    """Compares (output, weights) with the expected pair: the weights first, then the output.

    The mistakes of each part are those of `table`, computed by the switch oracle
    `answer(*inputs, part=...)`.
    """
    __tracebackhide__ = True
    output, weights = ex.require_pair(case, out, "(output, weights)",
                                      "return both: `return output, weights`.")
    (expected_output, expected_weights) = expected
    rtol, atol = _tolerances(dtype)
    ex.compare(case, weights, expected_weights, rtol=rtol, atol=atol, hint=hint,
               part="weights (the second value)", nonfinite_hint=_OVERFLOW_HINT,
               mistakes=mistakes_from(answer, table, *inputs, part=1))
    ex.compare(case, output, expected_output, rtol=rtol, atol=atol, hint=hint,
               part="output (the first value)", nonfinite_hint=_OVERFLOW_HINT,
               mistakes=mistakes_from(answer, table, *inputs, part=0))


#: The hint for NaN or infinite attention weights: exp of a large score overflowed.
_OVERFLOW_HINT = ("exp of a score above about 709 overflows to inf even in float64, and "
                  "inf / inf is NaN (a very negative row underflows to 0 / 0): subtract each "
                  "row's largest score before exp, which does not change the softmax.")


@exercise("06.3")
def scaled_dot_product_attention(ex):
    """Checks `scaled_dot_product_attention(q, k, v, mask=None)`.

    `q` is a float array (batch, tq, d), `k` (batch, tk, d), `v` (batch, tk, dv);
    `mask`, if given, a bool array (batch, tq, tk), True where query i may attend
    key j (every row has at least one True). The scores are q k^T / sqrt(d),
    (batch, tq, tk); masked scores are replaced by -1e6 before a softmax over the
    keys (the last axis), computed stably (each row's largest score subtracted
    before exp). The result is the pair (output, weights) of NumPy float
    arrays: output = weights @ v, (batch, tq, dv), and the weights (batch, tq, tk).
    The output is compared with `keras.ops.dot_product_attention` (float64, on a
    heads axis of one, scale 1/sqrt(d)), the weights with the same formula worked
    out in float64 (that op does not return them): the weights first. Cases: no
    mask (the function called without one), a padding mask, a causal mask, d = 64,
    float32 inputs and scores up to about 1500 (exp overflows unless the largest
    score is subtracted).
    """
    hint = ("scores = q @ k.transpose(0, 2, 1) / sqrt(d), (batch, tq, tk); where the mask is "
            "False put -1e6; weights = softmax over the last axis; output = weights @ v.")
    for case, q, k, v, mask in _scaled_dot_product_attention_cases():
        out = ex.call(case, q, k, v) if mask is None else ex.call(case, q, k, v, mask)
        _, weights = _scaled_dot_product_attention_answer(q, k, v, mask)
        expected = (_keras_dot_attention(q, k, v, mask), weights)
        _compare_attention(ex, case, out, expected, _scaled_dot_product_attention_answer,
                           _SCALED_DOT_PRODUCT_ATTENTION_MISTAKES, (q, k, v, mask), q.dtype,
                           hint)


# ----------------------------------------------------- additive_attention ---

def _additive_attention_answer(q, k, v, w_q, w_k, w_v, mask, *, tanh=True, swap=False,
                               transposed=False, paired=False, use_w_v=True, use_mask=True,
                               axis=-1, part=None, **returned):
    """`additive_attention` in float64: (output, weights), the weights the softmax over the
    keys of tanh(q W_q [:, :, None] + k W_k [:, None]) @ w_v (-1e6 where the mask is
    False); with switches for known mistakes.

    Args:
        tanh: False leaves out the tanh.
        swap: True swaps w_q and w_k (where their shapes allow it).
        transposed: True broadcasts the keys against the queries, (batch, tk, tq, h)
            (no output, None, unless tq == tk).
        paired: True adds q W_q and k W_k position by position (where tq == tk):
            weights (batch, tq) and no output (None).
        use_w_v: False sums the features over the hidden axis instead of @ w_v.
        use_mask: False ignores the mask.
        axis: 1 takes the softmax over the queries.
        part, **returned: as for `_as_returned`.
    """
    q, k, v, w_q, w_k, w_v = _f64(q, k, v, w_q, w_k, w_v)
    if swap and w_q.shape == w_k.shape:
        w_q, w_k = w_k, w_q
    qp, kp = q @ w_q, k @ w_k
    if paired and qp.shape == kp.shape:
        return _as_returned(None, _softmax(np.tanh(qp + kp) @ w_v), part, **returned)
    features = kp[:, :, None] + qp[:, None] if transposed else qp[:, :, None] + kp[:, None]
    features = np.tanh(features) if tanh else features
    scores = features @ w_v if use_w_v else features.sum(axis=-1)
    if mask is not None and use_mask:
        scores = np.where(mask.swapaxes(1, 2) if transposed else mask, scores, MASK_VALUE)
    weights = _softmax(scores, axis)
    output = weights @ v if weights.shape[2] == v.shape[1] else None
    return _as_returned(output, weights, part, **returned)


_ADDITIVE_ATTENTION_MISTAKES = {
    **_RETURNED_PAIR_MISTAKES,
    "tanh missing: the scores are w_v . tanh(q W_q + k W_k); without tanh the query's "
    "part is the same for every key and cancels in the softmax": {"tanh": False},
    "w_v ignored (the features summed over the hidden axis): the scores are "
    "tanh(q W_q + k W_k) @ w_v": {"use_w_v": False},
    "the softmax taken over the queries axis (axis 1): each query's weights over the "
    "keys must sum to 1, so use the last axis": {"axis": 1},
    "w_q and w_k swapped: q (batch, tq, dq) is projected by w_q (dq, h), k by w_k":
        {"swap": True},
    "the queries and keys broadcast the other way round: the features are "
    "q W_q [:, :, None, :] + k W_k [:, None, :, :], (batch, tq, tk, h), so that "
    "the weights have a row per query": {"transposed": True},
    "q and k added position by position: every query must meet every key, "
    "features (batch, tq, tk, h) from q W_q [:, :, None, :] + k W_k "
    "[:, None, :, :]": {"paired": True},
    "the mask ignored": {"use_mask": False},
}


def _additive_attention_cases():
    """(case, q, k, v, w_q, w_k, w_v, mask kind) for 06.4; the kind is None, a list of key
    lengths (padding) or "causal"."""
    def drawn(number, batch, tq, tk, dq, dk, h, dv, dtype=np.float64):
        first = 640 + 10 * number
        values = (random_values(first, (batch, tq, dq)), random_values(first + 1, (batch, tk, dk)),
                  random_values(first + 2, (batch, tk, dv)),
                  random_values(first + 3, (dq, h), 0.7), random_values(first + 4, (dk, h), 0.7),
                  random_values(first + 5, (h,), 1.5))
        return tuple(a.astype(dtype) for a in values)

    return [
        ("no mask: 2 queries, 4 keys, dq 3, dk 5, hidden 4, dv 2",
         *drawn(0, 2, 2, 4, 3, 5, 4, 2), None),
        ("dq = dk, 3 queries and 3 keys, hidden 6, no mask", *drawn(1, 2, 3, 3, 4, 4, 6, 2), None),
        ("padding mask (key lengths 2 and 4): 3 queries, dq 2, dk 3, hidden 5",
         *drawn(2, 2, 3, 4, 2, 3, 5, 3), [2, 4]),
        ("causal mask: 4 positions, dq = dk = 3, hidden 3", *drawn(3, 1, 4, 4, 3, 3, 3, 2),
         "causal"),
        ("float32, one query, padding mask (key lengths 3 and 1)",
         *drawn(4, 2, 1, 3, 2, 4, 3, 2, np.float32), [3, 1]),
        (("a large w_v, scores up to about 1000: exp overflows unless each row's largest "
          "score is subtracted first; 3 queries, 4 keys, hidden 4, no mask"),
         *drawn(5, 2, 3, 4, 3, 3, 4, 2)[:5], random_values(695, (4,), 600.0), None),
    ]


def _mask_of(kind, batch, tq):
    if kind is None:
        return None
    return _causal_mask(batch, tq) if kind == "causal" else _padding_mask(tq, kind)


def _keras_additive(q, k, v, w_q, w_k, w_v, kind):
    """`keras.layers.AdditiveAttention` (float64) on the projected q W_q and k W_k, with its
    scale set to w_v: that is tanh(q W_q + k W_k) @ w_v. Returns (output, weights)."""
    keras = import_keras()
    q, k, v, w_q, w_k, w_v = _f64(q, k, v, w_q, w_k, w_v)
    layer = keras.layers.AdditiveAttention(use_scale=True, dtype="float64")
    inputs = [q @ w_q, v, k @ w_k]
    layer.build([a.shape for a in inputs])
    layer.scale.assign(w_v)
    value_mask = None if kind in (None, "causal") else _padding_mask(1, kind)[:, 0]
    out, weights = layer(inputs, mask=[None, value_mask], use_causal_mask=kind == "causal",
                         return_attention_scores=True)
    return np.asarray(out), np.asarray(weights)


@exercise("06.4")
def additive_attention(ex):
    """Checks `additive_attention(q, k, v, w_q, w_k, w_v, mask=None)`: Bahdanau attention.

    `q` is a float array (batch, tq, dq), `k` (batch, tk, dk), `v` (batch, tk, dv),
    `w_q` (dq, h), `w_k` (dk, h), `w_v` (h,); `mask` as in
    `scaled_dot_product_attention` ((batch, tq, tk) bool, True = may attend). Every
    query meets every key: scores[b, i, j] = tanh(q[b, i] @ w_q + k[b, j] @ w_k) @ w_v,
    (batch, tq, tk), built by broadcasting q W_q (batch, tq, 1, h) against k W_k
    (batch, 1, tk, h). Masked scores are replaced by -1e6, then a softmax over the
    keys, computed stably (each row's largest score subtracted before exp), gives
    the weights and output = weights @ v. The result is the pair
    (output, weights), (batch, tq, dv) and (batch, tq, tk), compared weights first.
    `keras.layers.AdditiveAttention` has no projections W_q and W_k of its own
    (it adds q and k as they come), so the oracle projects q and k itself and gives
    the layer's `scale` the vector w_v (float64); the layer then computes
    tanh(q W_q + k W_k) @ w_v with its softmax and weighted sum. Cases: dq != dk,
    dq = dk (where w_q and w_k could be swapped), a padding mask, a causal mask,
    one query in float32, and a large w_v that gives scores up to about 1000.
    """
    hint = ("features = tanh((q @ w_q)[:, :, None, :] + (k @ w_k)[:, None, :, :]), (batch, tq, "
            "tk, h); scores = features @ w_v; where the mask is False put -1e6; weights = "
            "softmax over the last axis; output = weights @ v.")
    for case, q, k, v, w_q, w_k, w_v, kind in _additive_attention_cases():
        mask = _mask_of(kind, q.shape[0], q.shape[1])
        args = (q, k, v, w_q, w_k, w_v)
        out = ex.call(case, *args) if mask is None else ex.call(case, *args, mask)
        _compare_attention(ex, case, out, _keras_additive(*args, kind),
                           _additive_attention_answer, _ADDITIVE_ATTENTION_MISTAKES,
                           (*args, mask), q.dtype, hint)


# ---------------------------------------------------- split/merge heads ---

def _split_reference(x, num_heads):
    """Head h takes the h-th block of d_model // num_heads columns: stacked on axis 1."""
    depth = x.shape[-1] // num_heads
    return np.stack([x[..., h * depth:(h + 1) * depth] for h in range(num_heads)], axis=1)


def _split_heads_answer(x, num_heads, *, order="seq, heads, depth", transpose=True):
    """`split_heads` by a reshape and a transpose to (batch, heads, seq, depth); with
    switches for known mistakes.

    Args:
        order: the axes x is reshaped to after the batch: "seq, heads, depth" (right),
            "heads, seq, depth" (which cuts the flat array, not the features) or
            "seq, depth, heads" (the heads interleaved).
        transpose: False leaves the axes in `order`.
    """
    batch, seq, d_model = x.shape
    sizes = {"seq": seq, "heads": num_heads, "depth": d_model // num_heads}
    names = order.split(", ")
    y = x.reshape(batch, *(sizes[name] for name in names))
    if not transpose:
        return y
    return y.transpose(0, *(1 + names.index(name) for name in ("heads", "seq", "depth")))


_SPLIT_HEADS_MISTAKES = {
    "reshaped to (batch, heads, seq, depth) without a transpose: that cuts the flat "
    "array, not the features. Reshape to (batch, seq, heads, depth), then transpose to "
    "(batch, heads, seq, depth)": {"order": "heads, seq, depth"},
    "not transposed: (batch, seq, heads, depth) still has the heads on axis 2; "
    "transpose to (batch, heads, seq, depth)": {"transpose": False},
    "the heads interleaved: head h must take a block of depth neighbouring columns, "
    "h * depth .. (h + 1) * depth - 1, not every heads-th column (reshape to (batch, seq, "
    "heads, depth), not (batch, seq, depth, heads))": {"order": "seq, depth, heads"},
}


def _merge_heads_answer(x, *, order="seq, heads, depth", reshape=True):
    """`merge_heads` by a transpose and a reshape to (batch, seq, heads * depth); with
    switches for known mistakes.

    Args:
        order: the axes x is transposed to after the batch, before the reshape:
            "seq, heads, depth" (right), "heads, seq, depth" (not transposed) or
            "seq, depth, heads" (the heads interleaved).
        reshape: False leaves the transposed array, not merged.
    """
    batch, _, seq, _ = x.shape
    axes = {"heads": 1, "seq": 2, "depth": 3}
    y = x.transpose(0, *(axes[name] for name in order.split(", ")))
    return y.reshape(batch, seq, -1) if reshape else y


_MERGE_HEADS_MISTAKES = {
    "reshaped to (batch, seq, heads * depth) without transposing first: move the heads "
    "next to depth, (batch, seq, heads, depth), then reshape": {"order": "heads, seq, depth"},
    "the heads interleaved: head h's block goes to columns h * depth .. (h + 1) * depth "
    "- 1 (transpose to (batch, seq, heads, depth), not (batch, seq, depth, heads))":
        {"order": "seq, depth, heads"},
    "not merged: (batch, seq, heads, depth) must become (batch, seq, heads * depth)":
        {"reshape": False},
}


def _split_heads_cases():
    """(case, x, num_heads) for 06.5; the inputs of 06.6 are their split versions."""
    return [
        ("batch 2, 3 positions, d_model 8, 2 heads", random_values(660, (2, 3, 8)), 2),
        ("batch 1, 4 positions, d_model 6, 3 heads", random_values(661, (1, 4, 6)), 3),
        ("as many positions as heads: 2 positions, d_model 8, 2 heads",
         random_values(662, (2, 2, 8)), 2),
        ("depth 1: d_model 4, 4 heads", random_values(663, (2, 5, 4)), 4),
        ("one head: (batch, 1, seq, d_model)", random_values(664, (3, 2, 6)), 1),
        ("float32: batch 2, 3 positions, d_model 12, 4 heads",
         random_values(665, (2, 3, 12)).astype(np.float32), 4),
    ]


@exercise("06.5")
def split_heads(ex):
    """Checks `split_heads(x, num_heads)`: (batch, seq, d_model) -> (batch, heads, seq, depth).

    `x` is a NumPy float array (batch, seq, d_model) and depth = d_model //
    num_heads: head h gets the block of neighbouring features h * depth ..
    (h + 1) * depth - 1 of every position, so result[:, h] = x[:, :, h * depth :
    (h + 1) * depth] (reshape to (batch, seq, heads, depth), then transpose). The
    oracle stacks exactly those slices. When d_model is not divisible by num_heads
    the function must raise ValueError. Cases include one head, depth 1, as many
    positions as heads and float32 inputs.
    """
    hint = ("x.reshape(batch, seq, num_heads, depth) puts head h's block of depth columns "
            "on axis 2; .transpose(0, 2, 1, 3) moves the heads to axis 1.")
    for case, x, num_heads in _split_heads_cases():
        ex.compare(case, ex.call(case, x, num_heads), _split_reference(x, num_heads), hint=hint,
                   mistakes=mistakes_from(_split_heads_answer, _SPLIT_HEADS_MISTAKES, x,
                                          num_heads))
    for d_model, num_heads in [(10, 4), (6, 4)]:
        ex.call_expecting_error(
            f"d_model {d_model}, {num_heads} heads", ValueError,
            f"d_model = {d_model} is not divisible by num_heads = {num_heads}",
            random_values(666, (2, 3, d_model)), num_heads,
            hint="check d_model % num_heads == 0 first and raise ValueError saying what was "
                 "received.")


@exercise("06.6")
def merge_heads(ex):
    """Checks `merge_heads(x)`: (batch, heads, seq, depth) -> (batch, seq, heads * depth).

    The inverse of `split_heads`: the heads' blocks side by side again, head h in
    columns h * depth .. (h + 1) * depth - 1 (transpose to (batch, seq, heads, depth),
    then reshape), so that merge_heads(split_heads(x, n)) gives x back. The inputs
    are the cases of `split_heads`, split by stacking the slices x[:, :, h * depth :
    (h + 1) * depth] on axis 1; the expected result is the x they came from.
    """
    hint = ("x.transpose(0, 2, 1, 3) gives (batch, seq, heads, depth); reshape it to "
            "(batch, seq, heads * depth).")
    for case, x, num_heads in _split_heads_cases():
        heads = _split_reference(x, num_heads)
        ex.compare(case, ex.call(case, heads), x, hint=hint,
                   mistakes=mistakes_from(_merge_heads_answer, _MERGE_HEADS_MISTAKES, heads))


# --------------------------------------------------- multi_head_attention ---

def _multi_head_attention_answer(query, key, value, params, mask, *, swap_kv=False,
                                 **switches):
    """`references.multi_head_attention` (float64), with its switches for known mistakes.

    Args:
        swap_kv: True swaps key and value (where their shapes allow it).
        **switches: its other switches (layout, scale, output, biases, output_bias,
            use_mask).
    """
    if swap_kv and key.shape == value.shape:
        key, value = value, key
    return _mha(query, key, value, params, mask, **switches)


_MULTI_HEAD_ATTENTION_MISTAKES = {
    "the heads split along the wrong axis: (batch, seq, heads * key_dim) reshaped to "
    "(batch, heads, seq, key_dim) without a transpose. Reshape to (batch, seq, heads, "
    "key_dim), then transpose": {"layout": "no_transpose"},
    "the heads interleaved: head h uses the block h of the kernel, wq[:, h, :], i.e. "
    "columns h * key_dim .. (h + 1) * key_dim - 1 of the flattened projection":
        {"layout": "interleaved"},
    "no output projection: the merged heads (batch, tq, heads * value_dim) go through "
    "wo (reshaped to (heads * value_dim, d_model)) plus bo": {"output": False},
    "no scaling: the scores of each head are q k^T / sqrt(key_dim)": {"scale": None},
    "scaled by sqrt(d_model) instead of sqrt(key_dim), the width of each head's q and k":
        {"scale": "d_model"},
    "the biases bq, bk and bv missing: each projection is x @ w + b": {"biases": False},
    "the output bias bo missing": {"output_bias": False},
    "the biases missing, bo too": {"biases": False, "output_bias": False},
    "key and value swapped: this function takes (query, key, value); Keras's "
    "layer is called as (query, value, key)": {"swap_kv": True},
    "the mask ignored": {"use_mask": False},
}


def _multi_head_attention_cases():
    """(case, query, key, value, params, mask) for 06.7."""
    x = random_values(670, (2, 4, 8))
    cross_q, cross_k, cross_v = (random_values(671, (2, 3, 6)), random_values(672, (2, 5, 4)),
                                 random_values(673, (2, 5, 4)))
    causal = random_values(674, (2, 4, 5))
    wide_q, wide_k, wide_v = (random_values(675, (1, 2, 6)), random_values(676, (1, 3, 4)),
                              random_values(677, (1, 3, 7)))
    small = [a.astype(np.float32) for a in (random_values(678, (2, 3, 4)),
                                             random_values(679, (2, 2, 4)))]
    large = random_values(730, (2, 4, 6))
    large_params = {name: weights * (20.0 if name in ("wq", "wk") else 1.0)
                    for name, weights in _mha_params(740, 6, 6, 6, 2, 3, 3).items()}
    return [
        ("self-attention: batch 2, 4 positions, d_model 8, 2 heads of key_dim 4",
         x, x, x, _mha_params(680, 8, 8, 8, 2, 4, 4), None),
        (("cross-attention, padding mask (key lengths 3 and 5): 3 queries of 6 features, 5 "
          "keys and values of 4, 3 heads of key_dim 2"), cross_q, cross_k, cross_v,
         _mha_params(690, 6, 4, 4, 3, 2, 2), _padding_mask(3, [3, 5])),
        ("causal self-attention: 4 positions, d_model 5, 1 head of key_dim 3",
         causal, causal, causal, _mha_params(700, 5, 5, 5, 1, 3, 3), _causal_mask(2, 4)),
        ("key_dim 3, value_dim 5: 2 queries of 6, keys of 4 and values of 7 features, 2 heads",
         wide_q, wide_k, wide_v, _mha_params(710, 6, 4, 7, 2, 3, 5), None),
        ("float32: 3 queries, 2 keys (= values), d_model 4, 2 heads of key_dim 2",
         small[0], small[1], small[1], _mha_params(720, 4, 4, 4, 2, 2, 2, np.float32), None),
        (("large scores, up to about 1200 (wq and wk 20 times larger): exp overflows unless "
          "each row's largest score is subtracted first; causal self-attention, 4 positions, "
          "d_model 6, 2 heads of key_dim 3"), large, large, large, large_params,
         _causal_mask(2, 4)),
    ]


def _keras_mha(query, key, value, params, mask):
    """`keras.layers.MultiHeadAttention` (float64) given `params`; returns its output."""
    keras = import_keras()
    heads, key_dim = params["bq"].shape
    layer = keras.layers.MultiHeadAttention(heads, key_dim, value_dim=params["bv"].shape[1],
                                            dtype="float64")
    query, key, value = _f64(query, key, value)
    layer(query, value, key)  # builds the layer
    layer.set_weights([np.asarray(params[name], np.float64) for name in _MHA_PARAMS])
    return np.asarray(layer(query, value, key, attention_mask=mask))


@exercise("06.7")
def multi_head_attention(ex):
    """Checks `multi_head_attention(query, key, value, params, mask=None)`.

    `query` is a float array (batch, tq, dq), `key` (batch, tk, dk), `value`
    (batch, tk, dv); `mask` as in `scaled_dot_product_attention` ((batch, tq, tk)
    bool, True = may attend, the same for every head). `params` is a dict of NumPy
    arrays in the layouts of `keras.layers.MultiHeadAttention(num_heads, key_dim,
    value_dim)`: "wq" (dq, heads, key_dim), "bq" (heads, key_dim), "wk" (dk, heads,
    key_dim), "bk" (heads, key_dim), "wv" (dv, heads, value_dim), "bv" (heads,
    value_dim), "wo" (heads, value_dim, dq), "bo" (dq,); the number of heads is
    params["wq"].shape[1]. Head h projects with wq[:, h, :] + bq[h] (and likewise k
    and v), i.e. the columns h * key_dim .. (h + 1) * key_dim - 1 of query @
    wq.reshape(dq, -1) + bq.reshape(-1), as `split_heads` cuts them; each head
    attends with scores q k^T / sqrt(key_dim) (masked scores replaced by -1e6,
    softmax over the keys, computed stably); the heads' outputs are merged as by `merge_heads`
    into (batch, tq, heads * value_dim) and projected: @ wo.reshape(heads *
    value_dim, dq) + bo. The result is the output, a NumPy float array (batch, tq,
    dq), compared with the Keras layer given the same weights (float64), called as
    layer(query, value, key, attention_mask=mask): note Keras's order, value
    before key. `params` must not be changed. Cases: self-attention, cross-attention
    with a padding mask, a causal mask with one head, key_dim != value_dim, float32,
    and scores up to about 1200 (exp overflows unless the largest score is
    subtracted).
    """
    hint = ("project: query @ wq.reshape(dq, -1) + bq.reshape(-1) (and k, v), split each into "
            "heads (batch, heads, seq, dim); scores = q k^T / sqrt(key_dim), -1e6 where the "
            "mask is False, softmax over the keys, @ v; merge the heads to (batch, tq, heads * "
            "value_dim) and project with wo.reshape(-1, dq) + bo.")
    for case, query, key, value, params, mask in _multi_head_attention_cases():
        args = (query, key, value, params)
        out = ex.call(case, *args) if mask is None else ex.call(case, *args, mask)
        rtol, atol = _tolerances(query.dtype)
        ex.compare(case, out, _keras_mha(*args, mask), rtol=rtol, atol=atol, hint=hint,
                   nonfinite_hint=_OVERFLOW_HINT,
                   mistakes=mistakes_from(_multi_head_attention_answer,
                                          _MULTI_HEAD_ATTENTION_MISTAKES, *args, mask))


# ---------------------------------------------------- positional_encoding ---

def _positional_reference(max_len, d_model):
    """PE worked out one entry at a time in float64: column j = 2i (sin) or 2i + 1 (cos)."""
    pe = np.zeros((max_len, d_model))
    for p in range(max_len):
        for j in range(d_model):
            angle = p / 10000 ** (2 * (j // 2) / d_model)
            pe[p, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return pe


def _positional_encoding_answer(max_len, d_model, *, layout="interleaved", exponent="2i",
                                first=0, transpose=False, round_up=False, keep="all"):
    """`positional_encoding` in float64: column j of row p holds sin (even j) or cos (odd
    j) of p / 10000**(2 * (j // 2) / d_model); with switches for known mistakes.

    Args:
        layout: "interleaved" (right), "swapped" (cos in the even columns, sin in the
            odd ones) or "halves" (the sines of the even columns' angles, then the
            cosines of the odd columns').
        exponent: the exponent of 10000 for column j: "2i" (right, 2 * (j // 2) / d),
            "i" ((j // 2) / d) or "j" (j / d).
        first: the first position (1: positions counted from 1).
        transpose: True returns the table transposed, (d_model, max_len).
        round_up: True builds an odd d_model's table for d_model + 1 columns (its
            exponent too).
        keep: the columns returned: "all" those built, "d_model" the first d_model, or
            "even" the first d_model rounded down to even (an odd d_model's last column
            left out).
    """
    width = d_model + d_model % 2 if round_up else d_model
    positions = np.arange(first, first + max_len, dtype=np.float64)[:, None]
    j = np.arange(width)
    power = {"2i": 2 * (j // 2), "i": j // 2, "j": j}[exponent] / width
    angles = positions / 10000.0 ** power
    if layout == "halves":
        pe = np.concatenate([np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])], axis=1)
    else:
        sin_columns = (j % 2 == 0) if layout == "interleaved" else (j % 2 == 1)
        pe = np.where(sin_columns, np.sin(angles), np.cos(angles))
    pe = pe[:, :{"all": width, "d_model": d_model, "even": d_model - d_model % 2}[keep]]
    return pe.T if transpose else pe


_POSITIONAL_ENCODING_MISTAKES = {
    "sin and cos swapped: column 2i holds sin, column 2i + 1 cos": {"layout": "swapped"},
    "sin block then cos block: all the sines first, then all the cosines. That is a "
    "valid alternative layout (tensor2tensor and some tutorials use it, and a model "
    "learns as well with it), but not this exercise's: here they are interleaved, "
    "column 2i sin and column 2i + 1 cos of the same angle": {"layout": "halves"},
    "exponent i / d_model instead of 2i / d_model: column pair i (columns 2i and 2i + 1) "
    "divides the position by 10000**(2i / d_model)": {"exponent": "i"},
    "the column index j used for 2i: columns 2i and 2i + 1 share one frequency, "
    "10000**(2i / d_model), so use 2 * (j // 2)": {"exponent": "j"},
    "positions counted from 1: the first row is position 0 (sin 0 = 0, cos 0 = 1)":
        {"first": 1},
    "transposed: the result is (max_len, d_model), a row per position": {"transpose": True},
    "odd d_model: one column too many; the last column is sin, and there are "
    "d_model columns": {"round_up": True},
    "odd d_model: one column too few; the last column (an even index, d_model - 1) "
    "holds sin": {"keep": "even"},
    "odd d_model: made for d_model + 1 columns and cut; the exponent uses d_model "
    "itself, 2i / d_model": {"round_up": True, "keep": "d_model"},
}


def _positional_encoding_cases():
    """(case, max_len, d_model) for 06.8."""
    return [
        ("10 positions, d_model 8", 10, 8),
        ("50 positions, d_model 16", 50, 16),
        ("one position: 1 x 4", 1, 4),
        ("odd d_model: 7 positions, d_model 5", 7, 5),
        ("odd d_model: 12 positions, d_model 7", 12, 7),
        ("d_model 1: sin(p) only", 6, 1),
        ("d_model 2: sin(p), cos(p)", 4, 2),
    ]


def _explain_positional_error(message):
    """The extra hint for NumPy's refusal to fit ceil(d/2) sines into floor(d/2) columns."""
    if "broadcast" in message or "shape mismatch" in message:
        return ("with an odd d_model there is one more sin column (even indices 0, 2, ..., "
                "d_model - 1) than cos columns: pe[:, 1::2] takes only the first d_model // 2 "
                "angles.")
    return None


@exercise("06.8")
def positional_encoding(ex):
    """Checks `positional_encoding(max_len, d_model)`: sinusoidal position encodings.

    The result is a NumPy float array (max_len, d_model) with PE[p, 2i] =
    sin(p / 10000**(2i / d_model)) and PE[p, 2i + 1] = cos(p / 10000**(2i / d_model))
    for positions p = 0 .. max_len - 1: sin and cos interleaved, each pair of columns
    sharing one frequency. An odd d_model is supported: the last column, 2i =
    d_model - 1, is a sin column without a cos partner, and the exponent uses
    d_model itself. No library function gives this layout (Keras has none; the
    "sin block then cos block" layout of some tutorials is another), so the oracle
    fills the table one entry at a time in float64. float32 results pass (tolerance
    2e-5). Cases: one position, d_model 1 and 2, odd d_model, 50 positions.
    """
    hint = ("positions p = np.arange(max_len)[:, None] and column pairs i = np.arange(d_model) "
            "// 2 give angles p / 10000**(2 * i / d_model); sin for the even columns, cos for "
            "the odd ones.")
    for case, max_len, d_model in _positional_encoding_cases():
        out = ex.call_explained(case, _explain_positional_error, max_len, d_model)
        ex.compare(case, out, _positional_reference(max_len, d_model), rtol=1e-5, atol=2e-5,
                   mistakes=mistakes_from(_positional_encoding_answer,
                                          _POSITIONAL_ENCODING_MISTAKES, max_len, d_model),
                   hint=hint,
                   shape_hint="one row per position and one column per feature: "
                              "(max_len, d_model), for odd d_model too.")


# ------------------------------------------------------------ beam_search ---

class _StepTable:
    """A hand-made language model for 06.9: step_fn(prefix) -> log-probabilities.

    `rows` maps a tuple of generated tokens (the start token left out) to
    probabilities over the vocabulary; other prefixes get `default`. Each call gets
    a fresh array. The table also checks how it is called and raises ValueError,
    with what is wrong, when a prefix does not start with the start token, extends
    a finished hypothesis (one that ends with the end token or holds max_len
    tokens), or when more than beam_width distinct prefixes of one length are
    extended (the beam was not pruned).
    """

    def __init__(self, rows, default, start, end, beam_width, max_len):
        self.log_probs = {prefix: np.log(np.asarray(p, np.float64) / np.sum(p))
                          for prefix, p in rows.items()}
        self.default = np.log(np.asarray(default, np.float64) / np.sum(default))
        self.start, self.end = start, end
        self.beam_width, self.max_len = beam_width, max_len
        self.seen = collections.defaultdict(set)
        self.checking = True

    def __repr__(self):
        return f"a step function over a vocabulary of {len(self.default)} tokens"

    def __call__(self, prefix):
        if not self.checking:
            return self.lookup(tuple(prefix)[1:])
        try:
            tokens = tuple(int(t) for t in prefix)
        except (TypeError, ValueError):
            raise ValueError(f"step_fn was called with {describe(prefix)}; it takes a list "
                             f"of ints, the start token {self.start} followed by the tokens "
                             f"generated so far") from None
        if not tokens or tokens[0] != self.start:
            raise ValueError(f"step_fn was called with the prefix {list(tokens)}; a prefix "
                             f"starts with the start token {self.start}, followed by the "
                             f"tokens generated so far")
        generated = tokens[1:]
        if self.end in generated:
            raise ValueError(f"step_fn was called with the prefix {list(tokens)}, which holds "
                             f"the end token {self.end}: a hypothesis that ends with it is "
                             f"finished and is never extended")
        if len(generated) >= self.max_len:
            raise ValueError(f"step_fn was called with the prefix {list(tokens)}, which "
                             f"already holds max_len = {self.max_len} generated tokens: such "
                             f"a hypothesis is finished and is never extended")
        self.seen[len(generated)].add(generated)
        if len(self.seen[len(generated)]) > self.beam_width:
            raise ValueError(f"step_fn was called on {len(self.seen[len(generated)])} "
                             f"different prefixes of {len(generated)} generated token(s), "
                             f"more than beam_width = {self.beam_width}: of all the "
                             f"candidates of a step only the beam_width best are kept")
        return self.lookup(generated)

    def lookup(self, generated):
        return self.log_probs.get(generated, self.default).copy()


def _beam_search_answer(step_fn, start, end, beam_width, max_len, alpha, *,
                        length="L**alpha", refill=False, larger_wins=False, select_ties="smaller",
                        final_ties="smaller", greedy=False, raw_score=False, include_start=False,
                        start_counted=False, end_only=False, default_alpha=None, part=None):
    """`beam_search` as 06.9 defines it, on a `_StepTable` that does not check its calls;
    with switches for known mistakes.

    Args:
        length: what divides a finished hypothesis's sum of log-probabilities to score
            it: "L**alpha" (right: L generated tokens, the end token included), "1" (no
            length normalisation), "L", "(L + 1)**alpha" (the start token counted) or
            "(L - end)**alpha" (the end token left out).
        refill: True keeps going through the candidates until beam_width live ones are
            kept (finished ones not counted).
        larger_wins: True breaks both kinds of ties below towards the larger token list.
        select_ties: how candidates of one step with equal sums are ordered: "smaller"
            (right: the smaller token list first), "generation" (in the order they were
            made, hypothesis by hypothesis and token by token: a sort on the sum alone),
            "reversed" (that order reversed: np.argsort(sums)[::-1]) or "larger".
        final_ties: which of the finished hypotheses with equal scores wins: "smaller"
            (right), "first" (the first to finish: max() over the finished list) or
            "larger".
        greedy: True ignores beam_width: one hypothesis is kept.
        raw_score: True returns the winner's plain sum of log-probabilities as its score.
        include_start: True puts the start token before the returned tokens.
        start_counted: True counts the start token in max_len: a hypothesis is finished at
            max_len - 1 generated tokens (None where max_len is 1).
        end_only: True finishes only hypotheses that end with the end token; those that
            reach max_len without it count only when none ended.
        default_alpha: the exponent used instead of `alpha` (a wrong default).
        part: 0 or 1 gives only the tokens or only the score; None, both.

    Returns:
        (tokens, score): the generated tokens of the best finished hypothesis (start
        left out, end kept), a list of ints, and its score; or its part `part`.
    """
    beam_width = 1 if greedy else beam_width
    alpha = alpha if default_alpha is None else default_alpha
    if larger_wins:
        select_ties = final_ties = "larger"
    limit = max_len - 1 if start_counted else max_len
    if limit < 1:
        return None

    def normaliser(tokens):
        size = len(tokens)
        return {"L**alpha": size ** alpha, "1": 1, "L": size, "(L + 1)**alpha": (size + 1) ** alpha,
                "(L - end)**alpha": max(size - (tokens[-1] == end), 1) ** alpha}[length]

    def ranked(candidates):
        if select_ties == "generation":
            return sorted(candidates, key=lambda c: -c[1])
        if select_ties == "reversed":
            return sorted(candidates, key=lambda c: c[1])[::-1]
        if select_ties == "larger":
            return sorted(candidates, key=lambda c: (c[1], c[0]), reverse=True)
        return sorted(candidates, key=lambda c: (-c[1], c[0]))

    live, finished, at_limit = [((), 0.0)], [], []
    for _ in range(limit):
        candidates = []
        for tokens, logp in live:
            log_probs = step_fn([start, *tokens])
            candidates += [((*tokens, v), logp + float(log_probs[v]))
                           for v in range(len(log_probs))]
        live = []
        for tokens, logp in ranked(candidates) if refill else ranked(candidates)[:beam_width]:
            if tokens[-1] == end:
                finished.append((tokens, logp))
            elif len(tokens) == limit:
                (at_limit if end_only else finished).append((tokens, logp))
            else:
                live.append((tokens, logp))
            if len(live) == beam_width:
                break
        if not live:
            break
    finished = finished or at_limit
    scored = [(logp / normaliser(tokens), logp, tokens) for tokens, logp in finished]
    if final_ties == "first":
        score, logp, tokens = max(scored, key=lambda s: s[0])
    elif final_ties == "larger":
        score, logp, tokens = max(scored, key=lambda s: (s[0], s[2]))
    else:
        score, logp, tokens = min(scored, key=lambda s: (-s[0], s[2]))
    result = ([start, *tokens] if include_start else list(tokens), logp if raw_score else score)
    return result if part is None else result[part]


_BEAM_SEARCH_MISTAKES = {
    "the returned score is the plain sum of log-probabilities: return the normalised "
    "score sum log P / L**alpha that chose the winner": {"raw_score": True},
    "no length normalisation: the score is sum log P / L**alpha. The plain sum loses a "
    "little with every token, so it favours short sequences": {"length": "1"},
    "normalised by L instead of L**alpha": {"length": "L"},
    "L counts the start token: L is the number of generated tokens, the end token "
    "included, the start token not": {"length": "(L + 1)**alpha"},
    "L leaves out the end token: L is the number of generated tokens, the end token "
    "included": {"length": "(L - end)**alpha"},
    "the start token included in the returned tokens: return the generated tokens only, "
    "which the score counts": {"include_start": True},
    "the beam refilled: here a kept candidate that ends takes one of the beam_width "
    "places and the beam narrows as hypotheses finish. Refilling the beam with the next "
    "live candidates is another valid variant, but not this exercise's": {"refill": True},
    "ties broken towards the larger token list: among equal candidates (and equal "
    "scores) the smaller token list in Python's list order wins": {"larger_wins": True},
    "beam_width ignored: greedy search keeps one hypothesis": {"greedy": True},
    "ties among a step's candidates kept in the order they were made (a sort on the sum "
    "alone, heapq.nlargest, or a stable argsort of -sums): of candidates with equal sums "
    "the smaller token list in Python's list order is kept, whichever hypothesis it "
    "extends": {"select_ties": "generation"},
    "ties among a step's candidates broken towards the one made last (np.argsort(sums)"
    "[::-1] reverses the order of equal sums): of candidates with equal sums the smaller "
    "token list in Python's list order is kept": {"select_ties": "reversed"},
    "ties between finished hypotheses broken by the order they finished (max() keeps the "
    "first of equal scores): of equal scores the smaller token list in Python's list "
    "order wins, e.g. [1, 3] before [3]": {"final_ties": "first"},
    "max_len counts the start token: a hypothesis is finished when it holds max_len "
    "generated tokens (the end token counted, the start token not)": {"start_counted": True},
    "a hypothesis that reaches max_len without the end token was left out while some "
    "hypothesis had ended: it is finished too, and competes with the others by its "
    "score": {"end_only": True},
}

#: Mistakes of the case that leaves alpha out: the function's own default used instead.
_BEAM_SEARCH_DEFAULT_MISTAKES = {
    f"called without alpha, your function used alpha = {value}: the default is "
    f"alpha=0.75 (def beam_search(step_fn, start_token, end_token, beam_width, max_len, "
    f"alpha=0.75))": {"default_alpha": value} for value in (1.0, 0.7, 0.6, 0.5, 0.0)
}


#: A table where the plain sum, sum / L**0.5 and sum / L pick three different winners.
_LENGTHS = {(): [0.427, 0.56, 0.013], (1,): [0.657, 0.34, 0.003], (1, 1): [0.01, 0.98, 0.01],
            (1, 1, 1): [0.98, 0.01, 0.01]}


#: Greedy search takes 1 (0.5), then the end token 0 (0.4): 0.2 in all. A beam of 2 also
#: keeps 2 (0.4), whose end token (0.9) gives 0.36.
_GREEDY = {(): [0.1, 0.5, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]}


def _beam_search_cases():
    """(case, rows, default, start, end, beam_width, max_len, alpha) for 06.9.

    Tokens 0 .. V - 1; the rows are probabilities (normalised by the table).
    """
    return [
        # Sums of log P: [END] -0.85, [1, END] -1.00, [1, 1, 1, END] -1.70. The plain sum
        # picks [END], sum / L**0.5 picks [1, END], sum / L picks [1, 1, 1, END].
        ("length normalisation changes the winner: beam_width 3, alpha 1", _LENGTHS,
         [0.5, 0.25, 0.25], 3, 0, 3, 5, 1.0),
        ("L**alpha, not L: beam_width 3, alpha 0.5", _LENGTHS, [0.5, 0.25, 0.25], 3, 0, 3, 5,
         0.5),
        ("greedy and beam search differ: beam_width 2, alpha 0.75", _GREEDY, [0.6, 0.2, 0.2],
         3, 0, 2, 4, 0.75),
        ("beam_width 1 is greedy search: alpha 0.75", _GREEDY, [0.6, 0.2, 0.2], 3, 0, 1, 4, 0.75),
        ("no end token within max_len = 3: hypotheses stop at max_len, alpha 0.75",
         {}, [0.02, 0.5, 0.3, 0.18], 4, 0, 2, 3, 0.75),
        ("end token 3, start token 0, vocabulary of 4, beam_width 2, alpha 0.75",
         {(): [0.05, 0.45, 0.35, 0.15], (1,): [0.1, 0.2, 0.2, 0.5], (2,): [0.1, 0.1, 0.1, 0.7]},
         [0.1, 0.2, 0.1, 0.6], 0, 3, 2, 4, 0.75),
        # Tokens 1 and 2 tie at every step: the smaller token list wins.
        ("ties: equal probabilities, the smaller token list wins; beam_width 2, alpha 0.75",
         {(): [0.2, 0.4, 0.4], (1,): [0.5, 0.25, 0.25], (2,): [0.5, 0.25, 0.25]},
         [0.5, 0.25, 0.25], 3, 0, 2, 3, 0.75),
        # The end token comes first at step 1: that hypothesis finishes and keeps its place.
        ("a hypothesis ends at the first step: the beam narrows to 1, beam_width 2, alpha 0.75",
         {(): [0.4, 0.35, 0.25], (1,): [0.2, 0.4, 0.4], (2,): [0.95, 0.03, 0.02]},
         [0.3, 0.35, 0.35], 3, 0, 2, 4, 0.75),
        ("beam_width larger than the vocabulary: 5 for 3 tokens, alpha 0.75",
         {(): [0.2, 0.5, 0.3], (2,): [0.7, 0.2, 0.1]}, [0.3, 0.4, 0.3], 3, 0, 5, 3, 0.75),
        # [0] ends at step 1 (0.4); [1, 1] (0.59 * 0.98) holds max_len = 2 tokens without
        # the end token: it is finished too, and its score is the best.
        (("a hypothesis that reaches max_len = 2 without the end token has the best score: "
          "it wins; beam_width 2, alpha 0.75"),
         {(): [0.4, 0.59, 0.01], (1,): [0.015, 0.98, 0.005]}, [0.5, 0.3, 0.2], 3, 0, 2, 2,
         0.75),
        # Step 1: [1] first, then [2] and [3] tie (equal probabilities): [2] is kept. Keeping
        # [3] instead would lead to [3, 0], the best score of all.
        (("a tie at the beam's edge between two extensions of one hypothesis: [2] is kept, "
          "not [3]; beam_width 2, alpha 0.75"),
         {(): [0.1, 0.5, 0.2, 0.2], (1,): [0.1, 0.6, 0.2, 0.1], (2,): [0.05, 0.15, 0.5, 0.3],
          (3,): [0.99, 0.005, 0.003, 0.002]}, [0.3, 0.35, 0.2, 0.15], 4, 0, 2, 3, 0.75),
        # Probabilities that are powers of 2 tie exactly across hypotheses. Step 1 keeps [2]
        # (1/2) and [1] (1/4). Step 2: [2, 3] (1/4) first, then [2, 2] and [1, 1] tie at
        # 1/8: [1, 1] is kept, though it extends the worse hypothesis, and goes on to the
        # winner [1, 1, 0]; with [2, 2] the winner would be [2, 2, 0].
        (("a tie at the beam's edge between extensions of two hypotheses: [1, 1] is kept, "
          "not [2, 2]; beam_width 2, alpha 0.75"),
         {(): [1 / 8, 1 / 4, 1 / 2, 1 / 8], (1,): [1 / 4, 1 / 2, 1 / 8, 1 / 8],
          (2,): [1 / 8, 1 / 8, 1 / 4, 1 / 2], (1, 1): [0.95, 0.03, 0.01, 0.01],
          (2, 2): [0.9, 0.05, 0.03, 0.02], (2, 3): [0.35, 0.27, 0.15, 0.23]},
         [0.05, 0.15, 0.35, 0.45], 4, 0, 2, 3, 0.75),
        # [3] (1/4) ends at step 1, [1, 3] (1/2 * 1/2) at step 2: equal sums, and alpha 0
        # leaves them equal scores. [1, 3] < [3] in Python's list order.
        (("alpha 0: [3] and then [1, 3] finish with equal scores, and the smaller token "
          "list [1, 3] wins; beam_width 2"),
         {(): [1 / 8, 1 / 2, 1 / 8, 1 / 4], (1,): [1 / 8, 1 / 8, 1 / 4, 1 / 2]},
         [0.6, 0.25, 0.1, 0.05], 4, 3, 2, 3, 0.0),
        # alpha None: the function is called without alpha, and must use 0.75.
        ("alpha left out: its default is 0.75; beam_width 2", _GREEDY, [0.6, 0.2, 0.2], 3, 0,
         2, 4, None),
    ]


def _tokens_of(ex, case, tokens):
    """The student's tokens as a list of ints; fails on anything else."""
    __tracebackhide__ = True
    if isinstance(tokens, np.ndarray) and tokens.ndim == 1:
        tokens = tokens.tolist()
    ex.require(case, isinstance(tokens, (list, tuple)) and all(is_int(t) for t in tokens),
               f"expected a list of ints, received {describe(tokens)}.",
               "return the generated tokens as a list of ints, e.g. [2, 0].",
               part="tokens (the first value)")
    return [int(t) for t in tokens]


@exercise("06.9")
def beam_search(ex):
    """Checks `beam_search(step_fn, start_token, end_token, beam_width, max_len, alpha=0.75)`.

    `step_fn(prefix)` takes a list of ints, the start token followed by the tokens
    generated so far, and returns a 1-D NumPy array of log-probabilities of the next
    token over the vocabulary (token ids 0 .. vocab - 1). A hypothesis is a list of
    generated tokens (the start token left out) with the sum of their
    log-probabilities. The search starts from one empty hypothesis; at each step
    every live hypothesis is extended by every token, and of all these candidates
    the beam_width with the highest sum are kept (ties: the smaller token list in
    Python's list order). A kept candidate that ends with end_token, or holds
    max_len tokens, is finished and never extended again (it keeps its place among
    the beam_width kept: the beam narrows); the others are the live hypotheses of
    the next step. When none is live, the search ends and returns the pair
    (tokens, score) of the finished hypothesis with the highest score = sum of
    log P / L**alpha, where L = len(tokens) counts the end token but not the start
    token (ties: the smaller token list). `tokens` is a list of ints, `score` a
    float. beam_width = 1 is greedy search; alpha defaults to 0.75 (the notebook
    leaves it out). beam_width < 1 or max_len < 1 must raise ValueError.

    No library implements this rule exactly, so the oracle is written out here. The
    step functions are small hand-made tables; they raise ValueError (with the
    reason) when called on a finished hypothesis (one that holds the end token or
    max_len tokens), on a prefix without the start token, or on more than
    beam_width different prefixes of one length. Cases: greedy and beam search
    differ, beam_width 1, length normalisation changes the winner (alpha 1, and
    alpha 0.5 where L and L**alpha disagree), no end token within max_len, other
    token ids, ties between finished hypotheses, a hypothesis that ends at the
    first step (the beam narrows), a beam wider than the vocabulary, ties at the
    beam's edge between extensions of one hypothesis and of two (probabilities that
    are powers of 2 tie exactly), alpha 0 with a tie between finished hypotheses of
    different lengths (the smaller list, not the first to finish), a hypothesis
    that reaches max_len without the end token and wins, and alpha left out.
    """
    hint = ("keep a list of (tokens, sum of log P); at each step extend every live hypothesis "
            "by every token, sort all the candidates by sum (ties: smaller token list) and "
            "keep beam_width of them; move the kept ones that end (end token or max_len "
            "tokens) to the finished list; at the end return the finished hypothesis with "
            "the highest sum / len(tokens)**alpha.")
    for case, rows, default, start, end, beam_width, max_len, alpha in _beam_search_cases():
        def table(rows=rows, default=default, start=start, end=end, width=beam_width,
                  max_len=max_len):
            return _StepTable(rows, default, start, end, width, max_len)

        given = () if alpha is None else (alpha,)
        out = ex.call(case, table(), start, end, beam_width, max_len, *given)
        tokens, score = ex.require_pair(case, out, "(tokens, score)",
                                        "return both: `return tokens, score`.")
        tokens = _tokens_of(ex, case, tokens)
        oracle = table()
        oracle.checking = False
        inputs = (oracle, start, end, beam_width, max_len, 0.75 if alpha is None else alpha)
        table_of_mistakes = _BEAM_SEARCH_DEFAULT_MISTAKES if alpha is None else \
            _BEAM_SEARCH_MISTAKES
        expected_tokens, expected_score = _beam_search_answer(*inputs)
        ex.compare_sequence(case, tokens, expected_tokens, items="token", hint=hint,
                            part="tokens (the first value)",
                            mistakes=mistakes_from(_beam_search_answer, table_of_mistakes,
                                                   *inputs, part=0))
        ex.compare(case, score, expected_score, kind="scalar", hint=hint,
                   part="score (the second value)",
                   mistakes=mistakes_from(_beam_search_answer, table_of_mistakes, *inputs,
                                          part=1))
    for case, width, length in [("beam_width 0", 0, 3), ("max_len 0", 2, 0)]:
        ex.call_expecting_error(
            case, ValueError, f"{case} leaves nothing to search",
            _StepTable({}, [0.5, 0.5], 2, 0, max(width, 1), max(length, 1)), 2, 0, width,
            length, 0.75,
            hint="check beam_width >= 1 and max_len >= 1 first and raise ValueError saying "
                 "what was received.")


# ------------------------------------------------------------------- bleu ---

def _ngrams(tokens, n):
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _bleu_answer(candidate, references, max_n, *, clip="max", bp="closest", mean="geometric",
                 default_max_n=None):
    """`bleu`: sentence BLEU without smoothing, with switches for known mistakes.

    Args:
        default_max_n: the max_n used instead of `max_n` (a wrong default).
        clip: how a candidate n-gram's count is clipped: "max" (right: by its largest
            count in one reference), "sum" (by its counts in all the references added
            up) or None (not clipped: by its count in the candidate, if some reference
            holds it).
        bp: the brevity penalty: "closest" (right: exp(1 - r / c) when c < r, r the
            reference length closest to c, ties the shorter), "closest-longer" (ties
            the longer), "first" (r the first reference's length), "longest" (r the
            longest), "reversed" (exp(1 - c / r) for c > r), "flipped" (exp(1 - c / r)
            for c < r) or None (no penalty).
        mean: "geometric" (right) or "arithmetic" mean of the precisions.
    """
    max_n = max_n if default_max_n is None else default_max_n
    precisions = []
    for n in range(1, max_n + 1):
        counts = _ngrams(candidate, n)
        if clip is None:
            allowed = {g: (c if any(g in _ngrams(r, n) for r in references) else 0)
                       for g, c in counts.items()}
        else:
            combine = max if clip == "max" else sum
            allowed = {g: combine(_ngrams(r, n)[g] for r in references) for g in counts}
        matched = sum(min(c, allowed[g]) for g, c in counts.items())
        precisions.append(matched / sum(counts.values()) if counts else 0.0)
    if min(precisions) == 0:
        return 0.0
    c = len(candidate)
    lengths = [len(r) for r in references]
    r = {"closest": min(lengths, key=lambda n: (abs(n - c), n)),
         "closest-longer": min(lengths, key=lambda n: (abs(n - c), -n)),
         "first": lengths[0], "longest": max(lengths)}.get(bp)
    if bp is None:
        penalty = 1.0
    elif bp == "reversed":
        r = min(lengths, key=lambda n: (abs(n - c), n))
        penalty = math.exp(1 - c / r) if c > r else 1.0
    elif bp == "flipped":
        r = min(lengths, key=lambda n: (abs(n - c), n))
        penalty = math.exp(1 - c / r) if c < r else 1.0
    else:
        penalty = math.exp(1 - r / c) if c < r else 1.0
    if mean == "arithmetic":
        return penalty * sum(precisions) / max_n
    return penalty * math.exp(sum(math.log(p) for p in precisions) / max_n)


_BLEU_MISTAKES = {
    "no clipping: a candidate n-gram counts at most as many times as it occurs in one "
    "reference (the most in any single reference)": {"clip": None},
    "clipped by the counts of all the references added up: use the largest count in a "
    "single reference": {"clip": "sum"},
    "no brevity penalty: a candidate shorter than the closest reference length r is "
    "multiplied by exp(1 - r / c)": {"bp": None},
    "brevity penalty reversed: the penalty exp(1 - r / c) is for candidates shorter than "
    "the closest reference (c < r); longer candidates get 1": {"bp": "reversed"},
    "brevity penalty exp(1 - c / r): the ratio is r / c, and exp(1 - r / c) < 1 when c < r":
        {"bp": "flipped"},
    "a tie between two closest reference lengths broken towards the longer (or the "
    "first): take the shorter": {"bp": "closest-longer"},
    "brevity penalty with the first reference's length: use the reference length closest "
    "to the candidate's (ties: the shorter)": {"bp": "first"},
    "brevity penalty with the longest reference: use the reference length closest to the "
    "candidate's (ties: the shorter)": {"bp": "longest"},
    "arithmetic mean of the precisions: BLEU takes their geometric mean, "
    "exp(sum of log p_n / max_n)": {"mean": "arithmetic"},
}

#: Mistakes of the case that leaves max_n out: the function's own default used instead.
_BLEU_DEFAULT_MISTAKES = {
    f"called without max_n, your function used max_n = {value}: the default is max_n=4 "
    f"(def bleu(candidate, references, max_n=4))": {"default_max_n": value}
    for value in (1, 2, 3)
}


def _words(text):
    return text.split()


def _bleu_cases():
    """(case, candidate, references, max_n) for 06.10."""
    return [
        ("nltk's example: 3 references, max_n 4",
         _words("It is a guide to action which ensures that the military always obeys the "
                "commands of the party"),
         [_words("It is a guide to action that ensures that the military will forever heed "
                 "Party commands"),
          _words("It is the guiding principle which guarantees the military forces always "
                 "being under the command of the Party"),
          _words("It is the practical guide for the army always to heed the directions of "
                 "the party")], 4),
        ("clipping: 'the' 7 times, max_n 1", _words("the the the the the the the"),
         [_words("the cat is on the mat"), _words("there is a cat on the mat")], 1),
        ("a candidate longer than every reference: no brevity penalty, max_n 2",
         _words("the quick brown fox jumps over the lazy dog again and again"),
         [_words("the quick brown fox jumps over the dog"),
          _words("a quick brown fox jumped over a lazy dog")], 2),
        ("a short candidate: references of 9, 12, 7 and 4 tokens (the closest is 7), max_n 2",
         _words("the cat sat on the mat"),
         [_words("a cat was sitting on the mat by the door"),
          _words("there was a cat and it sat on the mat in the sun"),
          _words("the cat sat on a red mat"), _words("cat on mat")], 2),
        (("closest reference lengths tie (4 and 6 for 5 tokens; another of 9): the shorter "
          "counts, max_n 2"), _words("the dog ran home fast"),
         [_words("a dog ran home"), _words("the dog ran home now too"),
          _words("the big dog ran all the way home")], 2),
        ("a tie whose shorter reference comes second: lengths 8 and 6 for 7 tokens, max_n 2",
         _words("we will meet at the old station"),
         [_words("we will meet at the old train station"), _words("we meet at the old station")],
         2),
        ("no 4-gram in common: BLEU is 0", _words("the cat the mat on sat"),
         [_words("the cat sat on the mat")], 4),
        ("a candidate of 3 tokens with max_n 4 has no 4-gram: BLEU is 0",
         _words("the cat sat"), [_words("the cat sat on the mat")], 4),
        ("the candidate equals a reference: 1", _words("a b c d e f"),
         [_words("a b c d e f"), _words("a b d c e")], 4),
        ("an empty candidate: 0", [], [_words("the cat sat on the mat")], 4),
        ("max_n left out: its default is 4 (here BLEU differs for max_n 1, 2, 3 and 4)",
         _words("the cat sat on a red mat"),
         [_words("the cat sat on the mat"), _words("a cat sat on a mat")], None),
    ]


def _nltk_bleu(candidate, references, max_n):
    """`nltk.translate.bleu_score.sentence_bleu` without smoothing, uniform weights."""
    from nltk.translate.bleu_score import sentence_bleu

    with warnings.catch_warnings():  # nltk warns about n-gram orders without a match
        warnings.simplefilter("ignore")
        return float(sentence_bleu(references, candidate, weights=(1 / max_n,) * max_n))


@exercise("06.10")
def bleu(ex):
    """Checks `bleu(candidate, references, max_n=4)`: sentence BLEU without smoothing.

    `candidate` is a list of tokens (str), `references` a list of such lists. For
    n = 1 .. max_n the clipped precision p_n = sum over the candidate's distinct
    n-grams g of min(count of g in the candidate, the largest count of g in any
    one reference) / the number of n-grams in the candidate. BLEU = BP * exp(sum of
    log p_n / max_n) (uniform weights: the geometric mean), where the brevity
    penalty BP = 1 if c > r else exp(1 - r / c), c = len(candidate) and r the
    reference length closest to c (ties: the shorter). The result is a float in
    [0, 1] (0 and 1 may come back as ints); it is 0 when any p_n is 0, including
    when the candidate has fewer than n tokens, and for an empty candidate. The
    oracle is nltk's `sentence_bleu` without smoothing (which returns about 1e-78
    rather than 0 when a precision is 0: within the tolerance). Cases: nltk's own
    example, Papineni's clipping example, several references of different
    lengths, ties of closest lengths, a long candidate, zero precisions, an exact
    match, an empty candidate, and max_n left out (its default is 4, which the
    notebook uses).
    """
    hint = ("for each n count the candidate's n-grams (collections.Counter of tuples), clip "
            "each count by its largest count in one reference, divide the sum by the number "
            "of candidate n-grams; BLEU = BP * exp(mean of log p_n) with BP = exp(1 - r / c) "
            "when c <= r, r the closest reference length (ties: the shorter).")
    for case, candidate, references, max_n in _bleu_cases():
        # max_n None: the function is called without max_n, and must use 4.
        out = ex.call(case, candidate, references, *(() if max_n is None else (max_n,)))
        out = float(out) if is_int(out) else out  # `return 0` is fine
        table = _BLEU_DEFAULT_MISTAKES if max_n is None else _BLEU_MISTAKES
        max_n = 4 if max_n is None else max_n
        ex.compare(case, out, _nltk_bleu(candidate, references, max_n), kind="scalar",
                   mistakes=mistakes_from(_bleu_answer, table, candidate, references, max_n),
                   hint=hint)

