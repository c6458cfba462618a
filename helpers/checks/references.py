"""Reference computations that more than one check module needs, in float64.

A check compares a student's answer with a library where one does the job; where
none does, or where a check must also compute known wrong answers, the formula
is written out. The pieces that several notebooks' checks share live here, once:

* `MASK_VALUE`, `softmax`, `sigmoid`, `causal_mask`, `as_float64`: masked scores, a
  stable softmax and sigmoid, and a causal mask.
* `MHA_PARAMS`, `mha_params`, `multi_head_attention`: multi-head attention with
  the weights of `keras.layers.MultiHeadAttention`, with switches that give known
  wrong versions. Notebook 06 checks its students' multi-head attention with it
  (the oracle there is the Keras layer; this formula names the mistakes);
  notebook 07 uses it as the attention inside the transformer block's reference.

Example:

>>> params = mha_params(0, 8, 8, 8, heads=2, key_dim=4, value_dim=4)
>>> x = np.ones((1, 3, 8))
>>> multi_head_attention(x, x, x, params, causal_mask(1, 3)).shape
(1, 3, 8)
"""

import math

import numpy as np

from helpers.checks.core import random_values

#: The score a masked position gets before the softmax (d2l's value). exp(-1e6)
#: is 0 in float64, like Keras's -1e9, yet a row with every score masked still gets
#: the uniform distribution instead of 0 / 0.
MASK_VALUE = -1e6

#: The weights of multi-head attention, in the order of `MultiHeadAttention.get_weights()`.
MHA_PARAMS = ("wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo")


def as_float64(*arrays):
    """The arrays as float64 NumPy arrays, in a list."""
    return [np.asarray(a, np.float64) for a in arrays]


def softmax(z, axis=-1):
    """A float64 softmax along `axis`, the largest value subtracted first."""
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x):
    """A sigmoid that never overflows, 1 / (1 + exp(-x)) as exp(-log(1 + exp(-x))), in the
    dtype of `x` (float32 stays float32)."""
    return np.exp(-np.logaddexp(0.0, -x))


def causal_mask(batch, length):
    """(batch, length, length) bool: position i may attend positions j <= i."""
    return np.broadcast_to(np.tril(np.ones((length, length), bool)),
                           (batch, length, length)).copy()


def mha_params(seed, dq, dk, dv, heads, key_dim, value_dim, dtype=np.float64):
    """Random weights of multi-head attention in Keras's layout, as a dict.

    Kernels are normal, scaled by 1/sqrt(fan-in); biases are nonzero (standard
    deviation 0.3), so that a missing bias shows. Keys as in `MHA_PARAMS`:
    "wq" (dq, heads, key_dim), "bq" (heads, key_dim), "wk" (dk, heads, key_dim),
    "bk" (heads, key_dim), "wv" (dv, heads, value_dim), "bv" (heads, value_dim),
    "wo" (heads, value_dim, dq), "bo" (dq,). The same arguments give the same weights.
    """
    shapes = {"wq": (dq, heads, key_dim), "bq": (heads, key_dim), "wk": (dk, heads, key_dim),
              "bk": (heads, key_dim), "wv": (dv, heads, value_dim), "bv": (heads, value_dim),
              "wo": (heads, value_dim, dq), "bo": (dq,)}
    fan_in = {"wq": dq, "wk": dk, "wv": dv, "wo": heads * value_dim}
    return {name: random_values(seed + number, shape,
                                1 / math.sqrt(fan_in[name]) if name in fan_in else 0.3)
            .astype(dtype) for number, (name, shape) in enumerate(shapes.items())}


def _arrange(y, layout):
    """(batch, seq, heads, dim) as the heads' (batch, heads, seq, dim), as a layout does it."""
    batch, seq, heads, dim = y.shape
    flat = y.reshape(batch, seq, heads * dim)
    if layout == "no_transpose":
        return flat.reshape(batch, heads, seq, dim)
    if layout == "interleaved":
        return flat.reshape(batch, seq, dim, heads).transpose(0, 3, 1, 2)
    return y.transpose(0, 2, 1, 3)


def _unarrange(o, layout):
    """The inverse of `_arrange`: (batch, heads, seq, dim) -> (batch, seq, heads * dim)."""
    batch, heads, seq, dim = o.shape
    if layout == "no_transpose":
        return o.reshape(batch, seq, heads * dim)
    if layout == "interleaved":
        return o.transpose(0, 2, 3, 1).reshape(batch, seq, dim * heads)
    return o.transpose(0, 2, 1, 3).reshape(batch, seq, heads * dim)


def multi_head_attention(query, key, value, params, mask, layout="blocks", scale="key_dim",
                         output=True, biases=True, output_bias=True, swap_kv=False,
                         use_mask=True):
    """Multi-head attention in float64 with Keras's weights, with switches for mistakes.

    Computes what `keras.layers.MultiHeadAttention` computes when called as
    `layer(query, value, key, attention_mask=mask)` with the weights `params`
    (see `mha_params`): each head projects query, key and value with its block
    of the kernels plus bias, attends with scores q k^T / sqrt(key_dim) (masked
    scores replaced by `MASK_VALUE`, softmax over the keys), and the heads'
    outputs, side by side, go through the output projection.

    Args:
        query: float array (batch, tq, dq).
        key: float array (batch, tk, dk).
        value: float array (batch, tk, dv).
        params: dict of weights, keys as in `MHA_PARAMS`.
        mask: None, or a bool array (batch, tq, tk), True where query i may attend key j.
        layout: how the heads are cut from the projections: "blocks" (right),
            "no_transpose" or "interleaved" (known mistakes).
        scale: the scores are divided by sqrt of "key_dim" (right), "d_model"
            (the query's width) or None (not scaled).
        output: False leaves out the output projection.
        biases: False leaves out bq, bk and bv.
        output_bias: False leaves out bo.
        swap_kv: True swaps key and value.
        use_mask: False ignores the mask.

    Returns:
        A float64 array (batch, tq, dq), or (batch, tq, heads * value_dim) when
        `output` is False.
    """
    p = {name: np.asarray(params[name], np.float64) for name in MHA_PARAMS}
    query, key, value = as_float64(query, key, value)
    if swap_kv:
        key, value = value, key

    def project(x, w, b):
        return _arrange(np.einsum("bsd,dhk->bshk", x, w) + (b if biases else 0.0), layout)

    q, k, v = project(query, p["wq"], p["bq"]), project(key, p["wk"], p["bk"]), \
        project(value, p["wv"], p["bv"])
    factor = {"key_dim": q.shape[-1], "d_model": query.shape[-1], None: 1}[scale]
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(factor)
    if mask is not None and use_mask:
        scores = np.where(mask[:, None], scores, MASK_VALUE)
    merged = _unarrange(softmax(scores) @ v, layout)
    if not output:
        return merged
    heads, value_dim, d_out = p["wo"].shape
    return merged @ p["wo"].reshape(heads * value_dim, d_out) + (p["bo"] if output_bias else 0.0)
