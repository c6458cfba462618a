"""Mutation tests of helpers.checks.attention (notebook 06): the tests of every exercise
(tests/mutants.py) on the references and wrong versions below, then other correct
answers that must pass, the design of the beam-search cases and messages read in full.
"""

import collections
import math

import numpy as np
import pytest

from helpers.checks import attention as check
from helpers.checks.core import CheckError

from mutants import CheckTests


# ------------------------------------------------------------ references ---

def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def nadaraya_watson(queries, keys, values, bandwidth, *, power=2, denominator=None, sign=-1,
                    normalise=True, shift=False, axis=1, stable=True):
    diff = queries[:, None] - keys[None, :]
    scores = sign * diff ** power / (2 * bandwidth ** 2 if denominator is None
                                     else denominator(bandwidth))
    if not normalise:  # exp(scores), after subtracting each query's largest score if shift
        return np.exp(scores - (scores.max(axis=1, keepdims=True) if shift else 0.0)) @ values
    if not stable:
        with np.errstate(invalid="ignore", under="ignore"):
            e = np.exp(scores)
            return (e / e.sum(axis=axis, keepdims=True)) @ values
    return softmax(scores, axis=axis) @ values


def masked_softmax(scores, valid_lens, *, value=-1e6, offset=0, after=False, add=False,
                   query_axis=False, stable=True, floor=None, axis=-1, in_place=False):
    lens = valid_lens[:, None] if valid_lens.ndim == 1 else valid_lens
    if query_axis:
        mask = np.arange(scores.shape[1])[None, :, None] < lens[:, :1, None]
    else:
        mask = np.arange(scores.shape[-1])[None, None, :] < lens[..., None] + offset
    if after:
        return softmax(scores) * mask
    if in_place:
        scores[~np.broadcast_to(mask, scores.shape)] = value
        masked = scores
    else:
        masked = scores + value * ~mask if add else np.where(mask, scores, value)
    if not stable:  # exp without subtracting the max (of scores held above `floor`)
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(masked if floor is None else np.maximum(masked, floor))
            return e / e.sum(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        return softmax(masked, axis=axis)


def unstable_softmax(z, axis=-1):
    """exp without subtracting the largest score first: overflows for scores above ~709."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=axis, keepdims=True)


def global_max_softmax(z, axis=-1):
    """The largest score of the whole array subtracted, not each row's: rows far below it
    underflow to 0 / 0."""
    with np.errstate(under="ignore", invalid="ignore"):
        e = np.exp(z - z.max())
        return e / e.sum(axis=axis, keepdims=True)


def scaled_dot_product_attention(q, k, v, mask=None, *, scale=lambda d: 1 / np.sqrt(d),
                                 after=False, axis=-1, invert=False, order="ow",
                                 transpose_output=False, stable=True):
    soft = {True: softmax, False: unstable_softmax, "global": global_max_softmax}[stable]
    scores = q @ k.transpose(0, 2, 1) * scale(q.shape[-1])
    if mask is not None:
        mask = ~mask if invert else mask
        weights = soft(scores, axis) * mask if after else \
            soft(np.where(mask, scores, -1e6), axis)
    else:
        weights = soft(scores, axis)
    output = weights @ v
    output = output.transpose(0, 2, 1) if transpose_output else output
    return {"ow": (output, weights), "wo": (weights, output), "o": output}[order]


def additive_attention(q, k, v, w_q, w_k, w_v, mask=None, *, tanh=np.tanh, swap=False,
                       use_w_v=True, use_mask=True, axis=-1, transposed=False, stable=True):
    if swap:
        w_q, w_k = w_k, w_q
    if transposed:
        features = tanh((k @ w_k)[:, :, None] + (q @ w_q)[:, None])
    else:
        features = tanh((q @ w_q)[:, :, None, :] + (k @ w_k)[:, None, :, :])
    scores = features @ w_v if use_w_v else features.sum(-1)
    if mask is not None and use_mask:
        scores = np.where(mask.transpose(0, 2, 1) if transposed else mask, scores, -1e6)
    weights = (softmax if stable else unstable_softmax)(scores, axis)
    return weights @ v, weights


def split_heads(x, num_heads, *, validate=True, transpose=True, interleave=False):
    batch, seq, d_model = x.shape
    if validate and d_model % num_heads:
        raise ValueError(f"d_model {d_model} is not divisible by num_heads {num_heads}")
    depth = d_model // num_heads
    if interleave:
        return x.reshape(batch, seq, depth, num_heads).transpose(0, 3, 1, 2)
    if not transpose:
        return x.reshape(batch, num_heads, seq, depth)
    return x.reshape(batch, seq, num_heads, depth).transpose(0, 2, 1, 3)


def merge_heads(x, *, transpose=True, interleave=False):
    batch, heads, seq, depth = x.shape
    if interleave:
        return x.transpose(0, 2, 3, 1).reshape(batch, seq, -1)
    if not transpose:
        return x.reshape(batch, seq, heads * depth)
    return x.transpose(0, 2, 1, 3).reshape(batch, seq, heads * depth)


def multi_head_attention(query, key, value, params, mask=None, *, split=split_heads,
                         merge=merge_heads, scale="key_dim", output=True, biases=True,
                         output_bias=True, swap_kv=False, use_mask=True, in_place=False,
                         stable=True):
    if swap_kv:
        key, value = value, key
    p = params
    d_q, heads, key_dim = p["wq"].shape

    def project(x, w, b):
        flat = x @ w.reshape(w.shape[0], -1)
        if biases:
            flat = flat + b.reshape(-1)
        return split(flat, heads)

    q, k, v = project(query, p["wq"], p["bq"]), project(key, p["wk"], p["bk"]), \
        project(value, p["wv"], p["bv"])
    d = {"key_dim": key_dim, "d_model": d_q, None: 1}[scale]
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d)
    if mask is not None and use_mask:
        scores = np.where(mask[:, None], scores, -1e6)
    merged = merge((softmax if stable else unstable_softmax)(scores) @ v)
    if in_place:
        p["bo"] += 0.0 * p["bo"] + 1.0
    if not output:
        return merged
    out = merged @ p["wo"].reshape(-1, p["wo"].shape[-1])
    return out + p["bo"] if output_bias else out


def positional_encoding(max_len, d_model, *, swap=False, halves=False, pair=lambda j: 2 * (j // 2),
                        first=0, columns=None, transpose=False, odd="right"):
    width = d_model + 1 if odd == "round up" and d_model % 2 else d_model
    positions = np.arange(first, first + max_len)[:, None]
    j = np.arange(width)[None, :]
    angles = positions / np.power(10000.0, pair(j) / (columns or width))
    if halves:
        pe = np.concatenate([np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])], axis=1)
    else:
        pe = np.zeros((max_len, width))
        if odd == "slices":  # one more sin column than cos columns breaks this for odd d
            pe[:, 0::2] = np.sin(angles[:, 0::2])
            pe[:, 1::2] = np.cos(angles[:, 0::2])
        else:
            sin, cos = (np.cos, np.sin) if swap else (np.sin, np.cos)
            pe[:, 0::2] = sin(angles[:, 0::2])
            pe[:, 1::2] = cos(angles[:, 1::2])
    if odd == "round up":
        pe = pe[:, :d_model]
    return pe.T if transpose else pe


def beam_search(step_fn, start_token, end_token, beam_width, max_len, alpha=0.75, *,
                length=lambda n, alpha: n ** alpha, prune=True, stop_at_end=True,
                keep_finished=True, include_start=False, raw_score=False, larger_wins=False,
                validate=True, extra_steps=0, tie_order="smaller", final="smaller",
                start_counted=False, end_only=False):
    if validate and (beam_width < 1 or max_len < 1):
        raise ValueError(f"beam_width and max_len must be >= 1, received {beam_width} and "
                         f"{max_len}")
    sign = -1 if larger_wins else 1
    limit = max_len + extra_steps - (1 if start_counted else 0)  # start_counted: len(prefix)
    live, finished, at_limit = [([], 0.0)], [], []
    for _ in range(limit):
        candidates = []
        for tokens, logp in live:
            log_probs = step_fn([start_token] + tokens)
            candidates += [(tokens + [v], logp + log_probs[v]) for v in range(len(log_probs))]
        if tie_order == "generation":  # a sort on the sum alone (stable)
            candidates.sort(key=lambda c: -c[1])
        elif tie_order == "reversed":  # np.argsort(sums)[::-1]
            order = np.argsort([c[1] for c in candidates], kind="stable")[::-1]
            candidates = [candidates[i] for i in order]
        else:
            candidates.sort(key=lambda c: (-c[1], [sign * t for t in c[0]]))
        kept = candidates[:beam_width] if prune else candidates
        live = []
        for tokens, logp in kept:
            ended = stop_at_end and tokens[-1] == end_token
            if ended or (len(tokens) == limit and not end_only):
                finished.append((tokens, logp))
            elif len(tokens) == limit:
                at_limit.append((tokens, logp))
            elif keep_finished or len(live) < beam_width:
                live.append((tokens, logp))
        if not keep_finished:  # the beam refilled with the next live candidates
            live = [c for c in candidates if c[0][-1] != end_token][:beam_width]
        if not live:
            break
    finished = finished or at_limit  # end_only: those at max_len only when none ended
    if not finished:  # beam_width 0 or max_len 0, without validation
        return [], 0.0
    if final == "first":  # max() keeps the first of equal scores: the first to finish
        best = max(finished, key=lambda f: f[1] / length(len(f[0]), alpha))
    else:
        best = min(finished, key=lambda f: (-f[1] / length(len(f[0]), alpha),
                                            [sign * t for t in f[0]]))
    tokens, logp = best
    score = logp if raw_score else logp / length(len(tokens), alpha)
    return ([start_token] + tokens if include_start else tokens), float(score)


def bleu(candidate, references, max_n=4, *, clip=max, closest=lambda c, lengths: min(
        lengths, key=lambda r: (abs(r - c), r)), penalty="short", mean="geometric"):
    if not candidate:
        return 0.0
    precisions = []
    for n in range(1, max_n + 1):
        counts = collections.Counter(tuple(candidate[i:i + n])
                                     for i in range(len(candidate) - n + 1))
        if not counts:
            return 0.0
        ref_counts = [collections.Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
                      for r in references]
        if clip is None:
            matched = sum(c for g, c in counts.items() if any(g in rc for rc in ref_counts))
        else:
            matched = sum(min(c, clip(rc[g] for rc in ref_counts)) for g, c in counts.items())
        precisions.append(matched / sum(counts.values()))
    if min(precisions) == 0:
        return 0.0
    c, r = len(candidate), closest(len(candidate), [len(ref) for ref in references])
    bp = {"short": math.exp(1 - r / c) if c <= r else 1.0,
          "long": math.exp(1 - c / r) if c > r else 1.0,
          "flipped": math.exp(1 - c / r) if c <= r else 1.0, None: 1.0}[penalty]
    if mean == "arithmetic":
        return bp * sum(precisions) / max_n
    return bp * math.exp(sum(math.log(p) for p in precisions) / max_n)


REFERENCES = {
    "nadaraya_watson": nadaraya_watson,
    "masked_softmax": masked_softmax,
    "scaled_dot_product_attention": scaled_dot_product_attention,
    "additive_attention": additive_attention,
    "split_heads": split_heads,
    "merge_heads": merge_heads,
    "multi_head_attention": multi_head_attention,
    "positional_encoding": positional_encoding,
    "beam_search": beam_search,
    "bleu": bleu,
}


def _sdpa_scaling_q_in_place(q, k, v, mask=None):
    q /= np.sqrt(q.shape[-1])  # changes the caller's q
    return scaled_dot_product_attention(q, k, v, mask, scale=lambda d: 1.0)


def _split_heads_reshaping_x_in_place(x, num_heads):
    batch, seq, d_model = x.shape
    if d_model % num_heads:
        raise ValueError(f"d_model {d_model} is not divisible by num_heads {num_heads}")
    x.shape = (batch, seq, num_heads, d_model // num_heads)  # changes the caller's x
    return x.transpose(0, 2, 1, 3)


def _no_validation(num_heads):
    return lambda x, n: split_heads(x, n, transpose=True)


# ---------------------------------------------------------------- mutants ---

MUTANTS = [
    # nadaraya_watson
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a, power=1), r"\(q - k\) not squared"),
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a, denominator=lambda h: 2 * h),
     "the bandwidth not squared"),
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a, denominator=lambda h: h ** 2),
     "the 2 missing"),
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a, sign=1), "the minus sign missing"),
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a, normalise=False),
     "the weights are not normalised"),
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a, normalise=False, shift=True),
     "the weights are not normalised: after subtracting the largest score"),
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a, axis=0),
     r"the softmax taken over the queries \(axis 0\)"),
    ("nadaraya_watson", lambda q, k, v, h: np.full(len(q), v.mean()),
     "every query gives the mean of the values"),
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a, stable=False),
     r"(?s)case 'a query far from every key.*NaN or infinite.*subtract each row's largest"),
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a)[:, None],
     r"(?s)wrong shape.*one prediction per query"),
    ("nadaraya_watson", lambda *a: nadaraya_watson(*a).tolist(), "expected a NumPy array"),
    # masked_softmax
    ("masked_softmax", lambda *a: masked_softmax(*a, after=True),
     "the mask applied after the softmax"),
    ("masked_softmax", lambda *a: masked_softmax(*a, offset=1), "off by one: keys j <= valid_len"),
    ("masked_softmax", lambda *a: masked_softmax(*a, offset=-1),
     "off by one: key valid_len - 1 masked too"),
    ("masked_softmax", lambda *a: masked_softmax(*a, query_axis=True),
     "the mask laid along the queries axis"),
    ("masked_softmax", lambda s, v: masked_softmax(s, np.full_like(v, s.shape[-1])),
     "valid_lens ignored"),
    ("masked_softmax", lambda *a: masked_softmax(*a, add=True),
     "case 'rows with no valid key.*-1e6 added to the masked scores instead of replacing"),
    ("masked_softmax", lambda *a: masked_softmax(*a, value=0.0),
     "masked scores set to 0 instead of -1e6"),
    ("masked_softmax", lambda *a: masked_softmax(*a, value=-np.inf),
     r"(?s)case 'rows with no valid key.*NaN or infinite.*use -1e6, not -inf"),
    ("masked_softmax", lambda *a: masked_softmax(*a, stable=False),
     r"(?s)case 'rows with no valid key.*NaN or infinite"),
    ("masked_softmax", lambda *a: masked_softmax(*a, stable=False, floor=np.float32(-80)),
     r"(?s)case 'float32 scores up to 100.*NaN or infinite"),
    ("masked_softmax", lambda s, v: masked_softmax(s.astype(np.float64), v, stable=False,
                                                   floor=-80.0),
     r"(?s)case 'float64 scores up to about 2000.*NaN or infinite.*subtract each row's largest"),
    ("masked_softmax", lambda *a: masked_softmax(*a, axis=1),
     "the softmax taken over the queries axis"),
    ("masked_softmax", lambda scores, valid_lens: masked_softmax(scores, valid_lens,
                                                                 in_place=True),
     "changed its input `scores` in place"),
    # scaled_dot_product_attention
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(
        *a, scale=lambda d: 1.0), "no scaling"),
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(
        *a, scale=lambda d: 1 / d), r"scaled by d instead of sqrt\(d\)"),
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(*a, after=True),
     "the mask applied after the softmax"),
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(*a, axis=1),
     "the softmax taken over the queries axis"),
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(*a, invert=True),
     "the mask inverted"),
    ("scaled_dot_product_attention", lambda q, k, v, mask=None: scaled_dot_product_attention(
        q, k, v), "case 'padding mask.*the mask ignored"),
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(
        *a, transpose_output=True), "the output transposed"),
    ("scaled_dot_product_attention", lambda *a: (
        scaled_dot_product_attention(*a)[0], scaled_dot_product_attention(*a)[1].swapaxes(1, 2)),
     "the weights transposed"),
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(*a, order="wo"),
     r"\(weights, output\) returned instead of \(output, weights\)"),
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(*a, order="o"),
     r"expected a pair \(output, weights\)"),
    ("scaled_dot_product_attention", lambda q, k, v: scaled_dot_product_attention(q, k, v),
     "case 'padding mask.*raised TypeError"),
    ("scaled_dot_product_attention", _sdpa_scaling_q_in_place,
     "case 'no mask.*changed its input `q` in place"),
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(*a, stable=False),
     r"(?s)case 'large scores.*NaN or infinite.*subtract each row's largest score before exp"),
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(*a, stable="global"),
     r"(?s)case 'large scores.*NaN or infinite.*subtract each row's largest score before exp"),
    # additive_attention
    ("additive_attention", lambda *a: additive_attention(*a, tanh=lambda z: z), "tanh missing"),
    ("additive_attention", lambda *a: additive_attention(*a, swap=True)
     if a[3].shape == a[4].shape else additive_attention(*a), "w_q and w_k swapped"),
    ("additive_attention", lambda *a: additive_attention(*a, use_w_v=False), "w_v ignored"),
    ("additive_attention", lambda *a: additive_attention(*a, stable=False),
     r"(?s)case 'a large w_v.*NaN or infinite.*subtract each row's largest score before exp"),
    ("additive_attention", lambda *a: additive_attention(*a, axis=1),
     "the softmax taken over the queries axis"),
    ("additive_attention", lambda *a: additive_attention(*a, use_mask=False),
     "case 'padding mask.*the mask ignored"),
    ("additive_attention", lambda *a: additive_attention(*a, transposed=True)
     if a[0].shape[1] == a[1].shape[1] else additive_attention(*a),
     "the queries and keys broadcast the other way round"),
    ("additive_attention", lambda q, k, v, w_q, w_k, w_v, mask=None: (
        None, softmax(np.tanh(q @ w_q + k @ w_k) @ w_v))
     if q.shape[1] == k.shape[1] else additive_attention(q, k, v, w_q, w_k, w_v, mask),
     "q and k added position by position"),
    ("additive_attention", lambda *a: additive_attention(*a)[::-1],
     r"\(weights, output\) returned instead"),
    ("additive_attention", lambda *a: (additive_attention(*a)[0],
                                       additive_attention(*a)[1].swapaxes(1, 2)),
     r"weights \(the second value\): your result matches a common mistake: the weights tr"),
    ("additive_attention", lambda *a: (additive_attention(*a)[0].swapaxes(1, 2),
                                       additive_attention(*a)[1]),
     r"output \(the first value\): your result matches a common mistake: the output tr"),
    # split_heads
    ("split_heads", lambda *a: split_heads(*a, transpose=False), "without a transpose"),
    ("split_heads", lambda x, n: x.reshape(x.shape[0], x.shape[1], n, -1),
     r"not transposed: \(batch, seq, heads, depth\)"),
    ("split_heads", lambda *a: split_heads(*a, interleave=True), "the heads interleaved"),
    ("split_heads", lambda x, n: split_heads(x, n, validate=False)
     if x.shape[-1] % n == 0 else x[None],
     ("case 'd_model 10, 4 heads': d_model = 10 is not divisible by num_heads = 4, so your "
      "function must raise ValueError; it returned a result instead")),
    ("split_heads", _split_heads_reshaping_x_in_place, "changed its input `x` in place"),
    # merge_heads
    ("merge_heads", lambda x: merge_heads(x, transpose=False), "without transposing first"),
    ("merge_heads", lambda x: merge_heads(x, interleave=True), "the heads interleaved"),
    ("merge_heads", lambda x: x.transpose(0, 2, 1, 3), "not merged"),
    ("merge_heads", lambda x: merge_heads(x).astype(int), "expected floating-point values"),
    # multi_head_attention
    ("multi_head_attention", lambda *a: multi_head_attention(
        *a, split=lambda x, n: split_heads(x, n, transpose=False),
        merge=lambda x: merge_heads(x, transpose=False)), "the heads split along the wrong axis"),
    ("multi_head_attention", lambda *a: multi_head_attention(
        *a, split=lambda x, n: split_heads(x, n, interleave=True),
        merge=lambda x: merge_heads(x, interleave=True)), "the heads interleaved"),
    ("multi_head_attention", lambda *a: multi_head_attention(*a, output=False),
     "no output projection"),
    ("multi_head_attention", lambda *a: multi_head_attention(*a, scale=None), "no scaling"),
    ("multi_head_attention", lambda *a: multi_head_attention(*a, scale="d_model"),
     r"scaled by sqrt\(d_model\) instead of sqrt\(key_dim\)"),
    ("multi_head_attention", lambda *a: multi_head_attention(*a, biases=False),
     "the biases bq, bk and bv missing"),
    ("multi_head_attention", lambda *a: multi_head_attention(*a, output_bias=False),
     "the output bias bo missing"),
    ("multi_head_attention", lambda *a: multi_head_attention(*a, biases=False, output_bias=False),
     "the biases missing, bo too"),
    ("multi_head_attention", lambda *a: multi_head_attention(*a, swap_kv=True),
     "case 'cross-attention.*key and value swapped"),
    ("multi_head_attention", lambda *a: multi_head_attention(*a, use_mask=False),
     "case 'cross-attention.*the mask ignored"),
    ("multi_head_attention", lambda *a: multi_head_attention(*a, stable=False),
     r"(?s)case 'large scores.*NaN or infinite.*subtract each row's largest score before exp"),
    ("multi_head_attention", lambda query, key, value, params, mask=None: multi_head_attention(
        query, key, value, params, mask, in_place=True),
     "changed its input `params` in place"),
    # positional_encoding
    ("positional_encoding", lambda *a: positional_encoding(*a, swap=True),
     "sin and cos swapped"),
    ("positional_encoding", lambda *a: positional_encoding(*a, halves=True),
     "sin block then cos block.*a valid alternative layout.*but not this exercise's"),
    ("positional_encoding", lambda *a: positional_encoding(*a, pair=lambda j: j // 2),
     "exponent i / d_model instead of 2i / d_model"),
    ("positional_encoding", lambda *a: positional_encoding(*a, pair=lambda j: j),
     "the column index j used for 2i"),
    ("positional_encoding", lambda *a: positional_encoding(*a, first=1),
     "positions counted from 1"),
    ("positional_encoding", lambda *a: positional_encoding(*a, transpose=True), "transposed"),
    ("positional_encoding", lambda *a: positional_encoding(*a, odd="round up"),
     "case 'odd d_model: 7 positions, d_model 5'.*made for d_model \\+ 1 columns and cut"),
    ("positional_encoding", lambda *a: positional_encoding(*a, odd="slices"),
     r"(?s)case 'odd d_model.*raised ValueError.*broadcast.*one more sin column"),
    ("positional_encoding", lambda m, d: positional_encoding(m, d + d % 2),
     "odd d_model: one column too many"),
    ("positional_encoding", lambda m, d: positional_encoding(m, d)[:, :d - d % 2],
     "odd d_model: one column too few"),
    # beam_search
    ("beam_search", lambda *a: beam_search(*a, length=lambda n, alpha: 1),
     "no length normalisation"),
    ("beam_search", lambda *a: beam_search(*a, length=lambda n, alpha: n),
     r"normalised by L instead of L\*\*alpha"),
    ("beam_search", lambda *a: beam_search(*a, length=lambda n, alpha: (n + 1) ** alpha),
     "L counts the start token"),
    ("beam_search", lambda *a: beam_search(*a, prune=False),
     r"more than beam_width = \d: of all the candidates of a step only the beam_width best"),
    ("beam_search", lambda *a: beam_search(*a, stop_at_end=False),
     "holds the end token 0: a hypothesis that ends with it is finished and is never extended"),
    ("beam_search", lambda f, s, e, w, m, a: beam_search(f, s, e, 1, m, a),
     "beam_width ignored: greedy search keeps one hypothesis"),
    ("beam_search", lambda f, s, e, w, m, a: beam_search(f, s, e, w, m, a, raw_score=True),
     "case 'length normalisation changes the winner.*the returned score is the plain sum"),
    ("beam_search", lambda *a: beam_search(*a, keep_finished=False), "the beam refilled"),
    ("beam_search", lambda *a: beam_search(*a, raw_score=True),
     r"(?s)score \(the second value\).*the returned score is the plain sum"),
    ("beam_search", lambda *a: beam_search(*a, extra_steps=1),
     r"already holds max_len = \d generated tokens: such a hypothesis is finished"),
    ("beam_search", lambda f, s, e, w, m, a: beam_search(
        f, s, e, w, m, a, length=lambda n, alpha: max(n - 1, 1) ** alpha),
     "L leaves out the end token"),
    ("beam_search", lambda *a: beam_search(*a, include_start=True),
     "the start token included in the returned tokens"),
    ("beam_search", lambda *a: beam_search(*a, larger_wins=True),
     "case 'ties.*ties broken towards the larger token list"),
    ("beam_search", lambda f, s, e, w, m, a: beam_search(lambda p: f(p[1:] or p), s, e, w, m, a),
     "a prefix starts with the start token 3"),
    ("beam_search", lambda *a: beam_search(*a, validate=False),
     ("case 'beam_width 0': beam_width 0 leaves nothing to search, so your function must "
      "raise ValueError")),
    ("beam_search", lambda *a: beam_search(*a)[1], r"expected a pair \(tokens, score\)"),
    ("beam_search", lambda *a: (np.array(beam_search(*a)[0], float), beam_search(*a)[1]),
     "expected a list of ints"),
    ("beam_search", lambda *a: beam_search(*a, tie_order="generation"),
     "case 'a tie at the beam's edge between extensions of two hypotheses.*tokens "
     r"\(the first value\).*kept in the order they were made"),
    ("beam_search", lambda *a: beam_search(*a, tie_order="reversed"),
     "case 'a tie at the beam's edge between two extensions of one hypothesis.*broken "
     "towards the one made last"),
    ("beam_search", lambda *a: beam_search(*a, final="first"),
     "case 'alpha 0: .*broken by the order they finished"),
    ("beam_search", lambda *a: beam_search(*a, start_counted=True),
     "max_len counts the start token"),
    ("beam_search", lambda *a: beam_search(*a, end_only=True),
     "reaches max_len without the end token was left out while some hypothesis had ended"),
    ("beam_search", lambda f, s, e, w, m, alpha=1.0: beam_search(f, s, e, w, m, alpha),
     r"case 'alpha left out.*called without alpha, your function used alpha = 1\.0: the "
     r"default is alpha=0\.75"),
    ("beam_search", lambda f, s, e, w, m, alpha: beam_search(f, s, e, w, m, alpha),
     "case 'alpha left out.*raised TypeError"),
    # bleu
    ("bleu", lambda *a: bleu(*a, clip=None), "no clipping"),
    ("bleu", lambda *a: bleu(*a, clip=sum), "clipped by the counts of all the references"),
    ("bleu", lambda *a: bleu(*a, penalty="long"), "brevity penalty reversed"),
    ("bleu", lambda *a: bleu(*a, penalty=None), "no brevity penalty"),
    ("bleu", lambda *a: bleu(*a, penalty="flipped"), r"brevity penalty exp\(1 - c / r\)"),
    ("bleu", lambda *a: bleu(*a, closest=lambda c, lengths: lengths[0]),
     "brevity penalty with the first reference"),
    ("bleu", lambda *a: bleu(*a, closest=lambda c, lengths: max(lengths)),
     "brevity penalty with the longest reference"),
    ("bleu", lambda *a: bleu(*a, closest=lambda c, lengths: min(
        lengths, key=lambda r: (abs(r - c), -r))),
     "case 'closest reference lengths tie.*broken towards the longer"),
    ("bleu", lambda *a: bleu(*a, closest=lambda c, lengths: min(lengths, key=lambda r: abs(r - c))),
     ("case 'a tie whose shorter reference comes second.*broken towards the longer \\(or the "
      "first\\)")),
    ("bleu", lambda *a: bleu(*a, closest=lambda c, lengths: min(lengths)),
     "case 'a short candidate.*no brevity penalty"),
    ("bleu", lambda *a: bleu(*a, mean="arithmetic"), "arithmetic mean of the precisions"),
    ("bleu", lambda c, refs, n=4: bleu(c, refs, n) if c else 1 / len(c),
     "case 'an empty candidate: 0': your function raised ZeroDivisionError"),
    ("bleu", lambda *a: np.array([bleu(*a)]) * np.ones(2), "expected a single number"),
    ("bleu", lambda c, refs, max_n=2: bleu(c, refs, max_n),
     r"case 'max_n left out.*called without max_n, your function used max_n = 2: the default "
     r"is max_n=4"),
    ("bleu", lambda c, refs, max_n: bleu(c, refs, max_n), "case 'max_n left out.*raised TypeError"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("scaled_dot_product_attention", lambda *a: scaled_dot_product_attention(*a, after=True),
     "06.3 scaled_dot_product_attention, case 'padding mask (key lengths 2 and 5)",
     ["weights (the second value): your result matches a common mistake: the mask applied "
      "after the softmax", "expected:", "received:"]),
    ("positional_encoding", lambda *a: positional_encoding(*a, pair=lambda j: j // 2),
     "06.8 positional_encoding, case ", ["(from index (1, 2), shape (10, 8), dtype float64)"]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


# ------------------------------------------------------- other right answers ---

def _nw_with_loops(queries, keys, values, bandwidth):
    out = np.empty(len(queries))
    for i, q in enumerate(queries):
        logits = -((q - keys) ** 2) / (2.0 * bandwidth * bandwidth)
        w = np.exp(logits - logits.max())
        out[i] = np.dot(w / w.sum(), values)
    return out


def _d2l_masked_softmax(X, valid_lens):
    """d2l's approach: flatten, set the masked scores to -1e6 on a copy, softmax."""
    shape = X.shape
    lens = np.repeat(valid_lens, shape[1]) if valid_lens.ndim == 1 else valid_lens.reshape(-1)
    flat = X.reshape(-1, shape[-1]).copy()
    flat[np.arange(shape[-1])[None, :] >= lens[:, None]] = -1e6
    return softmax(flat).reshape(shape)


def _sdpa_einsum(q, k, v, mask=None):
    scores = np.einsum("bqd,bkd->bqk", q, k) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    weights = softmax(scores)
    return np.einsum("bqk,bkv->bqv", weights, v), weights


def _additive_loops(q, k, v, w_q, w_k, w_v, mask=None):
    batch, tq, tk = q.shape[0], q.shape[1], k.shape[1]
    scores = np.empty((batch, tq, tk))
    for b in range(batch):
        for i in range(tq):
            for j in range(tk):
                scores[b, i, j] = np.tanh(q[b, i] @ w_q + k[b, j] @ w_k) @ w_v
    if mask is not None:
        scores[~mask] = -1e6
    weights = softmax(scores)
    return weights @ v, weights


def _mha_per_head(query, key, value, params, mask=None):
    heads = params["wq"].shape[1]
    outputs = []
    for h in range(heads):
        q = query @ params["wq"][:, h] + params["bq"][h]
        k = key @ params["wk"][:, h] + params["bk"][h]
        v = value @ params["wv"][:, h] + params["bv"][h]
        outputs.append(scaled_dot_product_attention(q, k, v, mask)[0] @ params["wo"][h])
    return sum(outputs) + params["bo"]


def _d2l_positional_encoding(max_len, d_model):
    P = np.zeros((max_len, d_model))
    X = np.arange(max_len, dtype=np.float32).reshape(-1, 1) / np.power(
        10000, np.arange(0, d_model, 2, dtype=np.float32) / d_model)
    P[:, 0::2] = np.sin(X)
    P[:, 1::2] = np.cos(X[:, :d_model // 2])
    return P.astype(np.float32)


def _beam_search_dicts(step_fn, start_token, end_token, beam_width, max_len, alpha=0.75):
    if beam_width < 1 or max_len < 1:
        raise ValueError("beam_width and max_len must be positive")
    beams, done = {(): 0.0}, {}
    for _ in range(max_len):
        scored = {}
        for prefix, logp in beams.items():
            for token, lp in enumerate(step_fn([start_token, *prefix])):
                scored[(*prefix, token)] = logp + lp
        kept = sorted(scored.items(), key=lambda item: (-item[1], item[0]))[:beam_width]
        beams = {}
        for seq, logp in kept:
            if seq[-1] == end_token or len(seq) == max_len:
                done[seq] = logp
            else:
                beams[seq] = logp
        if not beams:
            break
    best = max(done, key=lambda seq: (done[seq] / len(seq) ** alpha, [-t for t in seq]))
    return list(best), done[best] / len(best) ** alpha


def _beam_search_numpy(step_fn, start_token, end_token, beam_width, max_len, alpha=0.75):
    """All the candidates of a step as arrays, ranked by np.lexsort (sum, then tokens)."""
    if beam_width < 1 or max_len < 1:
        raise ValueError(f"beam_width {beam_width} and max_len {max_len} must be >= 1")
    beams, sums, finished = np.zeros((1, 0), int), np.zeros(1), []
    for _ in range(max_len):
        log_probs = np.stack([step_fn([start_token, *b.tolist()]) for b in beams])
        vocab = log_probs.shape[1]
        total = (sums[:, None] + log_probs).ravel()
        seqs = np.concatenate([np.repeat(beams, vocab, axis=0),
                               np.tile(np.arange(vocab), len(beams))[:, None]], axis=1)
        kept = np.lexsort([*seqs.T[::-1], -total])[:beam_width]
        done = (seqs[kept, -1] == end_token) | (seqs.shape[1] == max_len)
        finished += [(seqs[i].tolist(), total[i]) for i in kept[done]]
        beams, sums = seqs[kept[~done]], total[kept[~done]]
        if not len(beams):
            break
    tokens, score = min(((t, s / len(t) ** alpha) for t, s in finished),
                        key=lambda f: (-f[1], f[0]))
    return tokens, float(score)


def _beam_search_heap(step_fn, start_token, end_token, beam_width, max_len, alpha=0.75):
    """heapq.nsmallest with the key (-sum, tokens): ties go to the smaller list."""
    import heapq

    if beam_width < 1 or max_len < 1:
        raise ValueError("beam_width and max_len must be at least 1")
    live, finished = [(0.0, [])], []
    for _ in range(max_len):
        candidates = [(logp + float(lp), tokens + [token]) for logp, tokens in live
                      for token, lp in enumerate(step_fn([start_token] + tokens))]
        live = []
        for logp, tokens in heapq.nsmallest(beam_width, candidates,
                                            key=lambda c: (-c[0], c[1])):
            ended = tokens[-1] == end_token or len(tokens) == max_len
            (finished if ended else live).append((logp, tokens))
        if not live:
            break
    best = min(finished, key=lambda f: (-f[0] / len(f[1]) ** alpha, f[1]))
    return best[1], best[0] / len(best[1]) ** alpha


def _masked_softmax_scipy(scores, valid_lens):
    from scipy.special import softmax as scipy_softmax

    lens = valid_lens.reshape(valid_lens.shape + (1,) * (3 - valid_lens.ndim))
    return scipy_softmax(np.where(np.arange(scores.shape[-1]) < lens, scores, -1e6), axis=-1)


def _sdpa_logsumexp(q, k, v, mask=None):
    from scipy.special import logsumexp

    scores = q @ np.swapaxes(k, 1, 2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + np.where(mask, 0.0, -1e9)  # an additive mask, as in TF's tutorial
    weights = np.exp(scores - logsumexp(scores, axis=-1, keepdims=True))
    return weights @ v, weights


def _bleu_fractions(candidate, references, max_n=4):
    from fractions import Fraction

    c = len(candidate)
    if c == 0:
        return 0
    log_sum = 0.0
    for n in range(1, max_n + 1):
        grams = collections.Counter(zip(*(candidate[i:] for i in range(n))))
        best = collections.Counter()
        for ref in references:
            best |= collections.Counter(zip(*(ref[i:] for i in range(n))))
        matched = sum((grams & best).values())
        if matched == 0:
            return 0
        log_sum += math.log(Fraction(matched, sum(grams.values())))
    r = min((abs(len(ref) - c), len(ref)) for ref in references)[1]
    return math.exp(min(0.0, 1 - r / c) + log_sum / max_n)


def test_other_correct_answers_pass(capsys):
    check.nadaraya_watson(_nw_with_loops)
    check.masked_softmax(_d2l_masked_softmax)
    check.scaled_dot_product_attention(_sdpa_einsum)
    check.additive_attention(_additive_loops)
    check.split_heads(lambda x, n: np.stack(np.split(x, n, axis=-1), axis=1))
    check.merge_heads(lambda x: np.concatenate(list(x.transpose(1, 0, 2, 3)), axis=-1))
    check.multi_head_attention(_mha_per_head)
    check.positional_encoding(_d2l_positional_encoding)
    check.beam_search(_beam_search_dicts)
    check.bleu(_bleu_fractions)
    check.beam_search(_beam_search_numpy)
    check.beam_search(_beam_search_heap)
    check.masked_softmax(_masked_softmax_scipy)
    check.scaled_dot_product_attention(_sdpa_logsumexp)
    assert capsys.readouterr().out.count("passed") == 14


# ------------------------------------------------------- oracles and cases ---

@pytest.mark.parametrize("case", check._additive_attention_cases(), ids=lambda c: c[0][:30])
def test_additive_attention_layer_with_projected_inputs_is_bahdanau(case):
    """The oracle (AdditiveAttention on q W_q, k W_k, scale w_v) agrees with the formula."""
    _, q, k, v, w_q, w_k, w_v, kind = case
    mask = check._mask_of(kind, q.shape[0], q.shape[1])
    for expected, received in zip(check._additive_attention_answer(q, k, v, w_q, w_k, w_v, mask),
                                  check._keras_additive(q, k, v, w_q, w_k, w_v, kind)):
        np.testing.assert_allclose(received, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", check._multi_head_attention_cases(), ids=lambda c: c[0][:30])
def test_keras_multi_head_attention_is_the_documented_formula(case):
    """Up to ~1e-7 relative: the layer (float64) keeps a little float32 arithmetic inside."""
    _, query, key, value, params, mask = case
    np.testing.assert_allclose(check._keras_mha(query, key, value, params, mask),
                               check._mha(query, key, value, params, mask), rtol=1e-6,
                               atol=1e-9)


def test_keras_dot_product_attention_agrees_with_the_weights_formula():
    """Up to ~1e-7 relative, as for the layer above (the check's tolerance is 1e-5)."""
    for _, q, k, v, mask in check._scaled_dot_product_attention_cases():
        output, _ = check._scaled_dot_product_attention_answer(q, k, v, mask)
        np.testing.assert_allclose(check._keras_dot_attention(q, k, v, mask), output,
                                   rtol=1e-6, atol=1e-9)


def test_bleu_mistake_generator_without_switches_is_nltk():
    """Every named BLEU mistake is one switch away from a formula that agrees with nltk."""
    for _, candidate, references, max_n in check._bleu_cases():
        max_n = max_n or 4  # None: left out, the default 4
        assert check._bleu_answer(candidate, references, max_n) == pytest.approx(
            check._nltk_bleu(candidate, references, max_n), abs=1e-12)


def test_every_named_bleu_mistake_shows_in_some_case():
    for name, switches in check._BLEU_MISTAKES.items():
        assert any(abs(check._bleu_answer(c, refs, n or 4, **switches) -
                       check._nltk_bleu(c, refs, n or 4)) > 1e-3
                   for _, c, refs, n in check._bleu_cases()), name


def _beam_results(case, **switches):
    _, rows, default, start, end, width, max_len, alpha = case
    table = check._StepTable(rows, default, start, end, width, max_len)
    table.checking = False
    return check._beam_search_answer(table, start, end, switches.pop("width", width), max_len,
                                     switches.pop("alpha", alpha), **switches)[0]


def test_beam_search_cases_show_what_their_names_say():
    cases = {case[0].split(":")[0]: case for case in check._beam_search_cases()}
    greedy = cases["greedy and beam search differ"]
    assert _beam_results(greedy) != _beam_results(greedy, width=1)
    assert _beam_results(cases["beam_width 1 is greedy search"]) == _beam_results(greedy, width=1)
    lengths = cases["length normalisation changes the winner"]
    assert _beam_results(lengths) != _beam_results(lengths, alpha=0.0)
    # The plain sum, sum / L**0.5 and sum / L pick three different winners.
    assert len({tuple(_beam_results(lengths, alpha=a)) for a in (0.0, 0.5, 1.0)}) == 3
    ties = cases["ties"]
    assert _beam_results(ties) != _beam_results(ties, larger_wins=True)
    narrows = cases["a hypothesis ends at the first step"]
    assert _beam_results(narrows) != _beam_results(narrows, refill=True)
    assert all(len(_beam_results(cases["no end token within max_len = 3"], alpha=a)) == 3
               for a in (0.0, 1.0))
    limit = cases["a hypothesis that reaches max_len = 2 without the end token has the best "
                  "score"]
    assert _beam_results(limit) == [1, 1] != _beam_results(limit, end_only=True)
    one = cases["a tie at the beam's edge between two extensions of one hypothesis"]
    two = cases["a tie at the beam's edge between extensions of two hypotheses"]
    for case, wrong in [(one, "reversed"), (two, "generation")]:
        assert _beam_results(case) != _beam_results(case, select_ties=wrong)
    equal = cases["alpha 0"]
    assert _beam_results(equal) == [1, 3] and _beam_results(equal, final_ties="first") == [3]


def test_the_beam_search_ties_are_exact():
    """The tied candidates and finished hypotheses of the tie cases have equal sums in
    floating point, not merely close ones (probabilities that are powers of 2)."""
    def sums(case, prefixes):
        _, rows, default, start, end, width, max_len, _ = case
        table = check._StepTable(rows, default, start, end, width, max_len)
        table.checking = False
        return {sum(float(table([start, *p[:i]])[p[i]]) for i in range(len(p)))
                for p in prefixes}

    cases = {case[0].split(":")[0]: case for case in check._beam_search_cases()}
    assert len(sums(cases["a tie at the beam's edge between two extensions of one "
                          "hypothesis"], [(2,), (3,)])) == 1
    assert len(sums(cases["a tie at the beam's edge between extensions of two hypotheses"],
                    [(1, 1), (2, 2)])) == 1
    assert len(sums(cases["alpha 0"], [(3,), (1, 3)])) == 1


def test_the_step_table_refuses_calls_a_right_search_never_makes():
    table = check._StepTable({}, [0.5, 0.3, 0.2], 3, 0, 2, 2)
    assert table([3]).shape == (3,)
    for prefix, reason in [([1], "starts with the start token 3"),
                           ([3, 0], "holds the end token 0"),
                           ([3, 1, 2], "already holds max_len = 2"),
                           ("ab", "it takes a list of ints")]:
        with pytest.raises(ValueError, match=reason):
            table(prefix)
    table([3, 1])
    table([3, 2])
    with pytest.raises(ValueError, match="3 different prefixes of 1 generated token"):
        table([3, 3])


# ---------------------------------------------------------- messages in full ---


def test_positional_encodings_that_agree_on_row_0_are_shown_where_they_differ():
    with pytest.raises(CheckError) as info:
        check.positional_encoding(lambda *a: positional_encoding(*a, pair=lambda j: j // 2))
    assert "(from index (1, 2), shape (10, 8), dtype float64)" in str(info.value)


def test_the_id_of_bleu_has_two_digits_after_the_dot(capsys):
    check.bleu(bleu)
    assert capsys.readouterr().out == "06.10 bleu: all 11 cases passed\n"
