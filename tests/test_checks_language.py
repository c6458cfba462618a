"""Mutation tests of helpers.checks.language (notebook 12): the tests of every exercise
(tests/mutants.py) on the references and wrong versions below, then other correct
answers that must pass, the design of the cases and oracles, the package's rules for this
module, and messages read in full.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.checks import core
from helpers.checks import language as check
from helpers.checks.core import CheckError, NotAttemptedError

from mutants import CheckTests
from test_checks_package import _module_tree, form_problems

L = keras.layers
ops = keras.ops


# ------------------------------------------------------------ references ---

def skipgram_pairs(ids, window, *, itself=False, reach=0, sides="both", wrap=False,
                   positions=False, by_offset=False, swap=False, output="array"):
    n, w = len(ids), window + reach
    rows = []
    for i in range(n):
        for j in range(i - w, i + w + 1):
            if (j == i and not itself) or (sides == "right" and j < i) or (
                    sides == "left" and j > i):
                continue
            if wrap:
                j %= n
            elif not 0 <= j < n:
                continue
            rows.append((j - i, i, j))
    if by_offset:
        rows.sort()
    pairs = [(i, j) if positions else (ids[i], ids[j]) for _, i, j in rows]
    if swap:
        pairs = [(b, a) for a, b in pairs]
    if output == "list":
        return pairs
    if output == "plain":  # np.array of an empty list: shape (0,), float64
        return np.array(pairs)
    if output == "reshaped":  # ints, but an empty list gives float64
        return np.array(pairs).reshape(-1, 2)
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def negative_sampling_loss(center, context, negatives, *, flip=True, over_k=ops.sum,
                           over_batch=ops.mean, positive=True, log=True, stable=True,
                           reduce=True, static_batch=False):
    def log_sigmoid(x):
        value = ops.log_sigmoid(x) if stable else ops.log(ops.sigmoid(x))
        return value if log else ops.exp(value)

    score = ops.sum(center * context, axis=-1)
    scores = ops.sum(ops.expand_dims(center, 1) * negatives, axis=-1)
    per_example = -over_k(log_sigmoid(-scores if flip else scores), axis=-1)
    if positive:
        per_example = per_example - log_sigmoid(score)
    if not reduce:
        return per_example
    if static_batch:
        return ops.sum(per_example) / center.shape[0]
    return over_batch(per_example)


def nearest_neighbours(query, embeddings, k, *, measure="cosine", keep_query=False,
                       direction="down", extra=0, nan_zeros=False, larger_first=False,
                       output="array"):
    lengths = np.linalg.norm(embeddings, axis=1)
    if measure == "cosine":
        with np.errstate(invalid="ignore"):
            scores = embeddings @ embeddings[query] / (lengths * lengths[query])
        if not nan_zeros:
            scores = np.nan_to_num(scores, nan=0.0)
    elif measure == "dot":
        scores = embeddings @ embeddings[query]
    else:
        scores = -np.linalg.norm(embeddings - embeddings[query], axis=1)
    if not keep_query:
        scores[query] = np.nan  # sorts last, whatever the direction
    if larger_first:
        order = np.argsort(scores, kind="stable")[::-1]
        order = np.concatenate([order[~np.isnan(scores[order])],
                                order[np.isnan(scores[order])]])
    else:
        order = np.argsort(-scores, kind="stable")
    if direction == "up":  # the k least similar
        order = np.argsort(np.where(np.isnan(scores), np.inf, scores), kind="stable")
    chosen = order[:k + extra]
    if direction == "reversed":
        chosen = chosen[::-1]
    return chosen.tolist() if output == "list" else chosen


def analogy(a, b, c, embeddings, k=1, *, normalise=True, sign=1.0, exclude=True,
            compare="cosine", larger_first=False):
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    rows = unit if normalise else embeddings
    target = sign * (rows[b] - rows[a]) + rows[c]
    if compare == "dot":
        scores = embeddings @ target
    elif compare == "distance":
        scores = -np.linalg.norm(embeddings - target, axis=1)
    else:
        scores = unit @ target / np.linalg.norm(target)
    if exclude:
        scores[[a, b, c]] = -np.inf
    if larger_first:
        return np.argsort(scores, kind="stable")[::-1][:k]
    return np.argsort(-scores, kind="stable")[:k]


def pad_and_mask(sequences, length, *, padding="post", truncating="post", mask="real",
                 dtype=np.int32, mask_dtype=bool, in_place=False, output="pair"):
    ids = np.zeros((len(sequences), length), dtype)
    real = np.zeros((len(sequences), length), bool)
    for row, sequence in enumerate(sequences):
        kept = sequence[:length] if truncating == "post" else sequence[-length:]
        start = 0 if padding == "post" else length - len(kept)
        ids[row, start:start + len(kept)] = kept
        real[row, start:start + len(kept)] = True
        if in_place:
            sequence.extend([0] * (length - len(sequence)))
    chosen = {"real": real, "inverted": ~real, "padded": np.ones_like(real)}[mask]
    if output == "ids":
        return ids
    if output == "lists":
        return ids.tolist(), chosen.tolist()
    return ids, chosen.astype(mask_dtype)


def masked_mean_pool(x, mask, *, use_mask=True, divide="count", safe=True):
    m = ops.cast(mask, x.dtype) if use_mask else ops.ones(ops.shape(x)[:2], x.dtype)
    total = ops.sum(x * ops.expand_dims(m, -1), axis=1)
    count = ops.sum(m, axis=1, keepdims=True)
    if divide == "none":
        return total
    if divide == "time":
        return total / ops.cast(ops.shape(x)[1], x.dtype)
    return total / (ops.maximum(count, 1.0) if safe else count)


def build_text_classifier(vocab_size, num_classes, kind="pooled", embed_dim=32, units=32, *,
                          mask_zero=True, pool="average", softmax=True, bidirectional=True,
                          cell=L.LSTM, return_sequences=False, length=None, hidden=False,
                          dense_bias=True):
    layers = [keras.Input(shape=(length,), dtype="int32"),
              L.Embedding(vocab_size, embed_dim, mask_zero=mask_zero)]
    if kind == "pooled":
        layers.append({"average": lambda: L.GlobalAveragePooling1D(),
                       "max": lambda: L.GlobalMaxPooling1D(),
                       "flatten": lambda: L.Flatten(),
                       "sum": lambda: L.Lambda(lambda x, mask: ops.sum(
                           x * ops.expand_dims(ops.cast(mask, x.dtype), -1), axis=1),
                           output_shape=(embed_dim,)),
                       "unmasked lambda": lambda: L.Lambda(lambda x: ops.mean(x, axis=1),
                                                           output_shape=(embed_dim,)),
                       "lambda without shape": lambda: L.Lambda(
                           lambda x, mask: masked_mean_pool(x, mask))}[pool]())
    else:
        recurrent = cell(units, return_sequences=return_sequences)
        layers.append(L.Bidirectional(recurrent) if bidirectional else recurrent)
    if hidden:
        layers.append(L.Dense(16, activation="relu"))
    layers.append(L.Dense(num_classes, activation="softmax" if softmax else None,
                          use_bias=dense_bias))
    return keras.Sequential(layers)


def masked_lm_loss(targets, logits, selected, *, over="selected", divide="count",
                   from_logits=True, twice=False, safe=True):
    if twice:  # exp(log_softmax): Keras would see through ops.softmax and undo it
        logits = ops.exp(ops.log_softmax(logits, axis=-1))
    losses = keras.losses.sparse_categorical_crossentropy(targets, logits,
                                                          from_logits=from_logits)
    w = ops.cast(selected, losses.dtype) if over == "selected" else ops.ones_like(losses)
    total = ops.sum(losses * w)
    if divide == "none":
        return total
    if divide == "all":
        return total / ops.cast(ops.size(losses), losses.dtype)
    return total / (ops.maximum(ops.sum(w), 1.0) if safe else ops.sum(w))


REFERENCES = {
    "skipgram_pairs": skipgram_pairs,
    "negative_sampling_loss": negative_sampling_loss,
    "nearest_neighbours": nearest_neighbours,
    "analogy": analogy,
    "pad_and_mask": pad_and_mask,
    "masked_mean_pool": masked_mean_pool,
    "build_text_classifier": build_text_classifier,
    "masked_lm_loss": masked_lm_loss,
}


# ------------------------------------------------------- wrong versions ---

def _sgns_numpy(center, context, negatives):
    """Right on NumPy arrays, but NumPy functions cannot take tf.function's tensors."""
    score = np.einsum("bd,bd->b", center, context)
    scores = np.einsum("bd,bkd->bk", center, negatives)
    return np.mean(np.logaddexp(0, -score) + np.logaddexp(0, scores).sum(axis=1))


def _pool_without_cast(x, mask):
    """Right on NumPy arrays; on tensors a bool mask does not mix with floats."""
    m = mask[:, :, None]
    return ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1)


def _pool_numpy(x, mask):
    """Right on NumPy arrays and eager tensors, not inside tf.function."""
    m = np.asarray(mask, np.float64)[:, :, None]
    return (np.asarray(x) * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1)


def _pool_static_length(x, mask):
    """Right where the length is known; x.shape[1] is None inside the model's trace."""
    m = ops.cast(mask, x.dtype)
    steps = [x[:, t] * m[:, t:t + 1] for t in range(x.shape[1])]
    return sum(steps) / ops.maximum(ops.sum(m, axis=1, keepdims=True), 1.0)


def _lm_python_if(targets, logits, selected):
    """Right eagerly; a Python `if` on a tensor fails inside tf.function."""
    if not ops.any(selected):
        return 0.0
    return masked_lm_loss(targets, logits, selected)


def _lm_naive_softmax(targets, logits, selected):
    """log(softmax) computed as written: exp overflows for large logits."""
    logits = np.asarray(logits, np.float64)
    with np.errstate(all="ignore"):  # overflows, as the student's would
        probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
        picked = np.take_along_axis(probs, np.asarray(targets)[..., None], axis=-1)[..., 0]
        losses = -np.log(picked)
    return float(losses[selected].mean()) if np.any(selected) else 0.0


def _lm_sample_weight(targets, logits, selected):
    """A Keras loss given `selected` as sample_weight: its mean is over every position."""
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return loss(targets, logits, sample_weight=ops.cast(selected, "float32"))


def _lm_bool_cast_late(targets, logits, selected):
    """The bool mask multiplied into the losses before any cast."""
    losses = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    return ops.sum(losses * selected) / ops.maximum(ops.sum(selected), 1)


class _Reshaped(keras.Model):
    """A subclassed classifier that flattens the embeddings of a fixed number of steps."""

    def __init__(self, vocab_size, num_classes, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.embed = L.Embedding(vocab_size, embed_dim, mask_zero=True)
        self.classify = L.Dense(num_classes, activation="softmax")
        self.embed_dim = embed_dim

    def call(self, ids):
        return self.classify(ops.reshape(self.embed(ids), (-1, 7 * self.embed_dim)))


def _classifier_variant(vocab_size, num_classes, kind="pooled", embed_dim=32, units=32, *,
                        variant):
    """Wrong classifiers of kind "birnn" (and "pooled", for "reshape")."""
    if variant == "reshape":
        return _Reshaped(vocab_size, num_classes, embed_dim)
    if kind == "pooled":
        return build_text_classifier(vocab_size, num_classes, kind, embed_dim, units)
    recurrent = {"stacked": [L.Bidirectional(L.LSTM(units, return_sequences=True)),
                             L.Bidirectional(L.LSTM(units))],
                 "sum": [L.Bidirectional(L.LSTM(units), merge_mode="sum")],
                 "no bias": [L.Bidirectional(L.LSTM(units, use_bias=False))]}[variant]
    return keras.Sequential([keras.Input(shape=(None,), dtype="int32"),
                             L.Embedding(vocab_size, embed_dim, mask_zero=True), *recurrent,
                             L.Dense(num_classes, activation="softmax")])


def _classifier_lambda_stub(vocab_size, num_classes, kind="pooled", embed_dim=32, units=32):
    """A functional model whose Lambda has no output_shape: Keras raises NotImplementedError
    with a message while it builds the model."""
    ids = keras.Input(shape=(None,), dtype="int32")
    x = L.Embedding(vocab_size, embed_dim, mask_zero=True)(ids)
    x = L.Lambda(lambda x, mask: masked_mean_pool(x, mask))(x)
    return keras.Model(ids, L.Dense(num_classes, activation="softmax")(x))


MUTANTS = [
    # skipgram_pairs
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, itself=True),
     "case '4 tokens.*each center paired with itself too"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, reach=-1),
     "case '4 tokens.*the window one too small"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, reach=1),
     "case '4 tokens.*the window one too large"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, sides="right"),
     "only the contexts to the right of each center"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, sides="left"),
     "only the contexts to the left of each center"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, wrap=True),
     "case '4 tokens.*contexts that wrap around the ends of the stream"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, positions=True),
     "case '4 tokens.*positions instead of ids"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, by_offset=True),
     "case '4 tokens.*the pairs ordered by offset"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, swap=True),
     "case '4 tokens.*the columns swapped"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w)[::-1].copy(),
     "case '4 tokens.*the right pairs in another order"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, output="list"),
     "case '4 tokens.*expected a NumPy array, received list"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, output="plain"),
     r"(?s)case 'one token.*wrong shape.*np\.array\(\[\]\) has shape \(0,\)"),
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, output="reshaped"),
     "case 'one token.*the array of pairs has dtype float64, expected integers"),
    ("skipgram_pairs", lambda ids, w: None, "case '4 tokens.*your function returned None"),
    # negative_sampling_loss
    ("negative_sampling_loss", lambda *a: negative_sampling_loss(*a, flip=False),
     "case 'batch 4.*the negatives' sign not flipped"),
    ("negative_sampling_loss", lambda *a: negative_sampling_loss(*a, over_k=ops.mean),
     "case 'batch 4.*the mean over the k negatives"),
    ("negative_sampling_loss", lambda *a: negative_sampling_loss(*a, over_batch=ops.sum),
     "case 'batch 4.*summed over the batch"),
    ("negative_sampling_loss", lambda *a: negative_sampling_loss(*a, positive=False),
     "case 'batch 4.*the positive term missing"),
    ("negative_sampling_loss", lambda *a: negative_sampling_loss(*a, log=False),
     "case 'batch 4.*sigmoids without their logs"),
    ("negative_sampling_loss", lambda *a: negative_sampling_loss(*a, stable=False),
     r"case 'scores of \+-900.*log\(sigmoid\(x\)\) computed as written"),
    ("negative_sampling_loss", lambda *a: negative_sampling_loss(*a, reduce=False),
     r"(?s)case 'batch 4.*expected a single number, received an array of shape \(4,\).*"
     r"then take the mean over the batch"),
    ("negative_sampling_loss", lambda *a: negative_sampling_loss(*a, static_batch=True),
     r"(?s)case 'float32 tensors inside tf.function.*this is about graph mode"),
    ("negative_sampling_loss", _sgns_numpy,
     r"(?s)case 'float32 tensors inside tf.function.*NumPy functions"),
    ("negative_sampling_loss", lambda *a: None, "your function returned None"),
    # nearest_neighbours
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, measure="dot"),
     "the dot product instead of the cosine similarity"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, measure="distance"),
     "the Euclidean distance instead of the cosine similarity"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, keep_query=True),
     "case '12 words.*the query itself among the neighbours: leave out"),
    ("nearest_neighbours",
     lambda q, e, k: nearest_neighbours(q, e, k, keep_query=True, extra=1),
     r"case '12 words.*the query itself among the neighbours, with k \+ 1 results"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, direction="up"),
     "case '12 words.*the k least similar ids"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, direction="reversed"),
     "case '12 words.*the least similar first"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, extra=1),
     r"case '12 words.*k \+ 1 results: return exactly k ids"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, extra=-1),
     "case '12 words.*k - 1 results: return exactly k ids"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, larger_first=True),
     "case 'ties.*ties broken towards the larger id"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, nan_zeros=True),
     "case 'a row of zeros.*a row of zeros given similarity NaN"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k, output="list"),
     "expected a NumPy array, received list"),
    ("nearest_neighbours", lambda q, e, k: nearest_neighbours(q, e, k).astype(np.float64),
     "the array of ids has dtype float64, expected integers"),
    # analogy
    ("analogy", lambda *a, **kw: analogy(*a, **kw, exclude=False),
     "case 'man : king :: woman.*a, b and c among the answers"),
    ("analogy", lambda *a, **kw: analogy(*a, **kw, normalise=False),
     "case 'man : king :: woman.*the rows not normalised"),
    ("analogy", lambda *a, **kw: analogy(*a, **kw, sign=-1.0),
     "case 'man : king :: woman.*the offset reversed, a - b \\+ c"),
    ("analogy", lambda *a, **kw: analogy(*a, **kw, compare="dot"),
     "the target compared by dot product with the rows as they are"),
    ("analogy", lambda *a, **kw: analogy(*a, **kw, compare="distance"),
     "the target compared by distance to the rows as they are"),
    ("analogy", lambda *a, **kw: analogy(*a, **kw, larger_first=True),
     "case 'ties.*ties broken towards the larger id"),
    ("analogy", lambda a, b, c, e, k=3: analogy(a, b, c, e, k),
     r"(?s)case 'man : king.*wrong shape.*expected shape: \(1,\).*also for the default k = 1"),
    ("analogy", lambda a, b, c, e, k=1: analogy(a, b, c, e, k).tolist(),
     "expected a NumPy array, received list"),
    # pad_and_mask
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, padding="pre"),
     r"case '3 sequences.*ids \(the first value\): .*padding at the front"),
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, truncating="pre"),
     r"case '3 sequences.*ids \(the first value\): .*truncated from the front"),
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, mask="inverted"),
     r"case '3 sequences.*mask \(the second value\): .*the mask inverted"),
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, mask="padded"),
     r"case '3 sequences.*the mask True on all `length` positions"),
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, dtype=np.float64),
     r"case '3 sequences.*ids \(the first value\): the ids have dtype float64, expected int32"),
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, dtype=np.int64),
     "the ids have dtype int64, expected int32"),
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, mask_dtype=np.int64),
     r"mask \(the second value\): the mask has dtype int64, expected bool"),
    ("pad_and_mask", lambda sequences, n: pad_and_mask(sequences, n, in_place=True),
     "changed its input `sequences` in place"),
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, output="ids"),
     r"expected a pair \(ids, mask\)"),
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, output="lists"),
     r"ids \(the first value\): expected a NumPy array, received list"),
    ("pad_and_mask", lambda s, n: pad_and_mask([q for q in s if q], n),
     r"(?s)case 'an empty sequence.*wrong shape.*\(len\(sequences\), length\)"),
    # masked_mean_pool
    ("masked_mean_pool", lambda x, m: masked_mean_pool(x, m, use_mask=False),
     "case '3 sequences.*the mean over all positions, the mask ignored"),
    ("masked_mean_pool", lambda x, m: masked_mean_pool(x, m, divide="none"),
     "case '3 sequences.*the sum over the True positions, not their mean"),
    ("masked_mean_pool", lambda x, m: masked_mean_pool(x, m, divide="time"),
     "case '3 sequences.*divided by the length T"),
    ("masked_mean_pool", lambda x, m: masked_mean_pool(x, m, safe=False),
     r"case 'a row without a True position.*NaN for a row without a True position"),
    ("masked_mean_pool", _pool_without_cast,
     r"(?s)case '3 sequences.*raised .*cast it to x's dtype first"),
    ("masked_mean_pool", _pool_numpy,
     r"(?s)case 'tensors inside tf.function, batch and length unknown.*this is about graph "
     r"mode.*the length \(axis 1\) is unknown too"),
    ("masked_mean_pool", _pool_static_length,
     r"(?s)case 'tensors inside tf.function, batch and length unknown.*raised TypeError"),
    ("masked_mean_pool", lambda x, m: ops.mean(masked_mean_pool(x, m), axis=-1),
     r"(?s)case '3 sequences.*wrong shape.*one vector per sequence: \(batch, dim\)"),
    # build_text_classifier
    ("build_text_classifier", lambda *a, **kw: build_text_classifier(*a, **kw, mask_zero=False),
     "case 'kind \"pooled\": vocab 50.*mask_zero missing"),
    ("build_text_classifier", lambda *a, **kw: build_text_classifier(*a, **kw, pool="flatten"),
     r"(?s)case 'kind \"pooled\": vocab 50.*raised ValueError.*Flatten does"),
    ("build_text_classifier",
     lambda *a, **kw: build_text_classifier(*a, **kw, pool="flatten", length=7),
     "case 'kind \"pooled\": vocab 50.*Flatten instead of pooling"),
    ("build_text_classifier", lambda *a, **kw: build_text_classifier(*a, **kw, softmax=False),
     "case 'kind \"pooled\": vocab 50.*output with known weights: .*no softmax"),
    ("build_text_classifier", lambda *a, **kw: build_text_classifier(*a, **kw, pool="max"),
     "case 'kind \"pooled\": vocab 50.*max pooling over time"),
    ("build_text_classifier", lambda *a, **kw: build_text_classifier(*a, **kw, pool="sum"),
     "case 'kind \"pooled\": vocab 50.*a sum over time"),
    ("build_text_classifier",
     lambda *a, **kw: build_text_classifier(*a, **kw, pool="unmasked lambda"),
     "case 'kind \"pooled\": vocab 50.*the padding read as a word"),
    ("build_text_classifier", _classifier_lambda_stub,
     r"(?s)case 'kind \"pooled\": vocab 50.*raised TypeError.*give it output_shape"),
    ("build_text_classifier",
     lambda *a, **kw: build_text_classifier(*a, **kw, pool="lambda without shape"),
     r"(?s)case 'kind \"pooled\": vocab 50.*Keras could not build the model.*give it "
     r"output_shape"),
    ("build_text_classifier",
     lambda *a, **kw: build_text_classifier(*a, **kw, bidirectional=False),
     "case 'kind \"birnn\": vocab 40.*the LSTM is not bidirectional"),
    ("build_text_classifier", lambda *a, **kw: build_text_classifier(*a, **kw, cell=L.GRU),
     "case 'kind \"birnn\": vocab 40.*the Bidirectional layer wraps a GRU"),
    ("build_text_classifier",
     lambda *a, **kw: build_text_classifier(*a, **kw, return_sequences=True),
     "case 'kind \"birnn\": vocab 40.*return_sequences=True without pooling"),
    ("build_text_classifier", lambda *a, **kw: build_text_classifier(*a, **kw, length=7),
     r"the model takes inputs of shape \(None, 7\), expected \(None, None\)"),
    ("build_text_classifier",
     lambda v, c, kind="pooled", embed_dim=16, units=32: build_text_classifier(
         v, c, kind, embed_dim, units),
     r"case 'the defaults.*Embedding\(30, 16\), expected Embedding\(vocab_size=30, "
     r"embed_dim=32\)"),
    ("build_text_classifier",
     lambda v, c, kind="pooled", embed_dim=32, units=16: build_text_classifier(
         v, c, kind, embed_dim, units),
     "case 'kind \"birnn\" with the defaults.*the LSTM has 16 units, expected units=32"),
    ("build_text_classifier", lambda *a, **kw: build_text_classifier(*a, **kw, hidden=True),
     r"expected one Dense\(num_classes=3, activation=\"softmax\"\) layer"),
    ("build_text_classifier",
     lambda *a, **kw: build_text_classifier(*a, **kw, dense_bias=False),
     "the Dense layer has use_bias=False"),
    ("build_text_classifier", lambda *a, **kw: None,
     "expected a Keras model, received None"),
    ("build_text_classifier", lambda v, c, kind="pooled", embed_dim=32, units=32:
     build_text_classifier(v, c, "birnn", embed_dim, units),
     "case 'kind \"pooled\": vocab 50.*kind \"pooled\" has no recurrent layer"),
    ("build_text_classifier", lambda v, c, kind="pooled", embed_dim=32, units=32:
     build_text_classifier(v, c, "pooled", embed_dim, units),
     r"case 'kind \"birnn\": vocab 40.*kind \"birnn\" has one Bidirectional\(LSTM\(units\)\) "
     r"layer; the model's layers: \['Embedding', 'GlobalAveragePooling1D', 'Dense'\]"),
    ("build_text_classifier", lambda *a, **kw: _classifier_variant(*a, **kw, variant="stacked"),
     r"kind \"birnn\" has one Bidirectional\(LSTM\(units\)\) layer"),
    ("build_text_classifier", lambda *a, **kw: _classifier_variant(*a, **kw, variant="sum"),
     "the Bidirectional layer has merge_mode='sum'"),
    ("build_text_classifier", lambda *a, **kw: _classifier_variant(*a, **kw, variant="no bias"),
     "the Bidirectional LSTM's weights have shapes"),
    ("build_text_classifier", lambda *a, **kw: _classifier_variant(*a, **kw, variant="reshape"),
     r"case 'kind \"pooled\": vocab 50.*the Dense layer's kernel has shape \(56, 3\), expected "
     r"\(8, 3\)"),
    ("build_text_classifier", lambda *a, **kw: keras.Sequential([]),
     r"running the model on a batch of 2 sequences \(int ids of shape \(2, 7\)\) raised"),
    # masked_lm_loss
    ("masked_lm_loss", lambda *a: masked_lm_loss(*a, over="all"),
     "case 'batch 2, time 5.*the mean over all positions"),
    ("masked_lm_loss", lambda *a: masked_lm_loss(*a, divide="all"),
     r"case 'batch 2, time 5.*divided by batch \* time"),
    ("masked_lm_loss", _lm_sample_weight, r"case 'batch 2, time 5.*divided by batch \* time"),
    ("masked_lm_loss", lambda *a: masked_lm_loss(*a, divide="none"),
     "case 'batch 2, time 5.*the sum over the selected positions"),
    ("masked_lm_loss", lambda *a: masked_lm_loss(*a, twice=True),
     r"case 'batch 2, time 5.*a softmax applied before a loss from logits"),
    ("masked_lm_loss", lambda *a: masked_lm_loss(*a, from_logits=False),
     r"case 'batch 2, time 5.*the logits taken for probabilities \(from_logits=True missing\)"),
    ("masked_lm_loss", lambda *a: masked_lm_loss(*a, safe=False),
     "case 'nothing selected.*NaN when nothing is selected"),
    ("masked_lm_loss", _lm_python_if,
     r"(?s)case 'tensors inside tf.function, batch and length unknown.*raised.*graph mode"),
    ("masked_lm_loss", _lm_naive_softmax,
     r"(?s)case 'logits up to about 1500.*NaN or infinite.*cross-entropy from logits"),
    ("masked_lm_loss", _lm_bool_cast_late, r"(?s)case 'batch 2, time 5.*raised .*`selected` is "
                                           r"bool: cast it"),
    ("masked_lm_loss", lambda *a: keras.losses.sparse_categorical_crossentropy(
        a[0], a[1], from_logits=True),
     r"(?s)case 'batch 2, time 5.*expected a single number, received an array of shape "
     r"\(2, 5\)"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("skipgram_pairs", lambda ids, w: skipgram_pairs(ids, w, itself=True),
     "12.1 skipgram_pairs, case '4 tokens [10, 11, 12, 13], window 1': your result matches "
     "a common mistake: each center paired with itself too",
     ["expected: [10, 11, 11, 10, 11, 12, ...] (shape (6, 2), dtype int64)",
      "received: [10, 10, 10, 11, 11, 10, ...] (shape (10, 2), dtype int64)"]),
    ("negative_sampling_loss", lambda *a: negative_sampling_loss(*a, stable=False),
     "12.2 negative_sampling_loss, case 'scores of +-900, where log(sigmoid(x)) underflows to "
     "log(0)': your result matches a common mistake: log(sigmoid(x)) computed as written",
     ["expected: 1350 (a float)", "received: inf (a float)"]),
    ("pad_and_mask", lambda s, n: pad_and_mask(s, n, padding="pre"),
     "12.5 pad_and_mask, case '3 sequences of 2, 5 and 3 ids, length 4', ids (the first "
     "value): your result matches a common mistake: padding at the front",
     ["expected: [5, 8, 0, 0, 3, 1, ...] (shape (3, 4), dtype int32)"]),
    ("masked_mean_pool", _pool_numpy,
     "12.6 masked_mean_pool, case 'tensors inside tf.function, batch and length unknown "
     "(float32 x (4, 6, 3), a bool mask with an all-False row)': your function raised",
     ["Hint: it was called with x=tensor of shape (4, 6, 3), mask=tensor of shape (4, 6)",
      "keras.ops.shape(x)[1], not x.shape[1]"]),
    ("build_text_classifier", lambda *a, **kw: build_text_classifier(*a, **kw, mask_zero=False),
     "12.7 build_text_classifier, case 'kind \"pooled\": vocab 50, 3 classes, embed_dim 8': "
     "your result matches a common mistake: mask_zero missing",
     ["Hint: keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)"]),
    ("masked_lm_loss", _lm_sample_weight,
     "12.8 masked_lm_loss, case 'batch 2, time 5, vocab 7, 4 positions selected': your result "
     "matches a common mistake: divided by batch * time (e.g. sample_weight=selected",
     ["expected: ", "received: "]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


# ------------------------------------------------------- other right answers ---

def _skipgram_vectorised(ids, window):
    """Offsets side by side, then sorted by (center position, context position)."""
    positions = np.arange(len(ids))
    centers, contexts = [], []
    for offset in [d for d in range(-window, window + 1) if d]:
        inside = (positions + offset >= 0) & (positions + offset < len(ids))
        centers.append(positions[inside])
        contexts.append(positions[inside] + offset)
    i, j = np.concatenate(centers), np.concatenate(contexts)
    order = np.lexsort((j, i))
    return np.stack([ids[i[order]], ids[j[order]]], axis=1).astype(np.int32)


def _sgns_tensorflow(center, context, negatives):
    """TensorFlow functions, tf.einsum and tf.math.log_sigmoid."""
    score = tf.einsum("bd,bd->b", center, context)
    scores = tf.einsum("bd,bkd->bk", center, negatives)
    return -tf.reduce_mean(tf.math.log_sigmoid(score) +
                           tf.reduce_sum(tf.math.log_sigmoid(-scores), axis=1))


def _sgns_keras_bce(center, context, negatives):
    """A Keras BinaryCrossentropy from logits on the k + 1 scores, times k + 1."""
    scores = ops.concatenate([ops.sum(center * context, axis=-1, keepdims=True),
                              ops.einsum("bd,bkd->bk", center, negatives)], axis=1)
    labels = ops.concatenate([ops.ones_like(scores[:, :1]), ops.zeros_like(scores[:, 1:])],
                             axis=1)
    loss = keras.losses.BinaryCrossentropy(from_logits=True, dtype=scores.dtype)(
        labels[..., None], scores[..., None])
    return loss * ops.cast(ops.shape(scores)[1], loss.dtype)


def _neighbours_normalised(query, embeddings, k):
    """Unit rows (zeros left as zeros), then np.lexsort by (-similarity, id)."""
    lengths = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = np.where(lengths > 0, embeddings / np.where(lengths > 0, lengths, 1.0), 0.0)
    similarities = unit @ unit[query]
    order = np.lexsort((np.arange(len(unit)), -similarities))
    return order[order != query][:k]


def _analogy_sorted(a, b, c, embeddings, k=1):
    """Python's sorted() on (-similarity, id), the question's words skipped."""
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    target = unit[b] - unit[a] + unit[c]
    target = target / np.linalg.norm(target)
    ranked = sorted((-float(row @ target), i) for i, row in enumerate(unit)
                    if i not in (a, b, c))
    return np.array([i for _, i in ranked[:k]])


def _pad_with_keras(sequences, length):
    """keras.utils.pad_sequences, the mask from the lengths."""
    ids = keras.utils.pad_sequences(sequences, maxlen=length, padding="post",
                                    truncating="post", dtype="int32").reshape(-1, length)
    lengths = np.array([min(len(s), length) for s in sequences]).reshape(-1, 1)
    return ids, np.arange(length) < lengths


def _pool_tensorflow(x, mask):
    """TensorFlow functions: tf.math.divide_no_nan gives zeros for an empty row."""
    m = tf.cast(mask, x.dtype)
    total = tf.reduce_sum(x * m[:, :, None], axis=1)
    return tf.math.divide_no_nan(total, tf.reduce_sum(m, axis=1, keepdims=True))


def _pool_where(x, mask):
    """keras.ops.where on the bool mask, a float count guarded by keras.ops.where."""
    keep = ops.cast(mask, "bool")
    total = ops.sum(ops.where(keep[:, :, None], x, ops.zeros_like(x)), axis=1)
    count = ops.sum(ops.cast(keep, x.dtype), axis=1, keepdims=True)
    return ops.where(count > 0, total / ops.where(count > 0, count, 1.0), 0.0)


def _classifier_functional(vocab_size, num_classes, kind="pooled", embed_dim=32, units=32):
    """A functional model, a linear Dense then a softmax Activation, Dropout between."""
    ids = keras.Input(shape=(None,), dtype="int32")
    x = L.Embedding(vocab_size, embed_dim, mask_zero=True)(ids)
    x = L.GlobalAveragePooling1D()(x) if kind == "pooled" else L.Bidirectional(
        L.LSTM(units))(x)
    x = L.Dropout(0.3)(x)
    return keras.Model(ids, L.Activation("softmax")(L.Dense(num_classes)(x)))


def _classifier_nested(vocab_size, num_classes, kind="pooled", embed_dim=32, units=32):
    """A Sequential whose head is a nested Sequential."""
    summary = L.GlobalAveragePooling1D() if kind == "pooled" else L.Bidirectional(
        L.LSTM(units))
    head = keras.Sequential([summary, L.Dense(num_classes, activation="softmax")])
    return keras.Sequential([keras.Input(shape=(None,), dtype="int32"),
                             L.Embedding(vocab_size, embed_dim, mask_zero=True), head])


class _MaskedMeanPool(L.Layer):
    """The student's masked_mean_pool in a layer: Keras passes the Embedding's mask."""

    def call(self, x, mask=None):
        return masked_mean_pool(x, mask)

    def compute_mask(self, x, mask=None):
        return None


class _Classifier(keras.Model):
    """A subclassed model: its layers made in __init__, the pooling a layer of its own."""

    def __init__(self, vocab_size, num_classes, kind, embed_dim, units, **kwargs):
        super().__init__(**kwargs)
        self.embed = L.Embedding(vocab_size, embed_dim, mask_zero=True)
        self.summary_layer = _MaskedMeanPool() if kind == "pooled" else L.Bidirectional(
            L.LSTM(units))
        self.classify = L.Dense(num_classes, activation="softmax")

    def call(self, ids):
        return self.classify(self.summary_layer(self.embed(ids)))


def _classifier_subclassed(vocab_size, num_classes, kind="pooled", embed_dim=32, units=32):
    return _Classifier(vocab_size, num_classes, kind, embed_dim, units)


def _classifier_lambda(vocab_size, num_classes, kind="pooled", embed_dim=32, units=32):
    """The student's masked_mean_pool in a Lambda, which receives the mask."""
    if kind != "pooled":
        return build_text_classifier(vocab_size, num_classes, kind, embed_dim, units)
    ids = keras.Input(shape=(None,), dtype="int32")
    x = L.Embedding(vocab_size, embed_dim, mask_zero=True)(ids)
    x = L.Lambda(lambda x, mask: masked_mean_pool(x, mask), output_shape=(embed_dim,))(x)
    return keras.Model(ids, L.Dense(num_classes, activation="softmax")(x))


def _lm_boolean_mask(targets, logits, selected):
    """tf.boolean_mask and a tf.cond-free guard: the mean of nothing replaced by 0."""
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(targets, tf.int32), logits=logits)
    picked = tf.boolean_mask(losses, tf.cast(selected, tf.bool))
    count = tf.cast(tf.size(picked), losses.dtype)
    return tf.reduce_sum(picked) / tf.maximum(count, 1.0)


def _lm_log_softmax(targets, logits, selected):
    """keras.ops.log_softmax and take_along_axis, keras.ops.where for the empty case."""
    log_probs = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(log_probs, ops.expand_dims(ops.cast(targets, "int32"), -1),
                                 axis=-1)[..., 0]
    w = ops.cast(selected, log_probs.dtype)
    count = ops.sum(w)
    return ops.where(count > 0, -ops.sum(picked * w) / ops.maximum(count, 1.0), 0.0)


def test_other_correct_answers_pass(capsys):
    check.skipgram_pairs(_skipgram_vectorised)
    check.negative_sampling_loss(_sgns_tensorflow)
    check.negative_sampling_loss(_sgns_keras_bce)
    check.nearest_neighbours(_neighbours_normalised)
    check.analogy(_analogy_sorted)
    check.pad_and_mask(_pad_with_keras)
    check.masked_mean_pool(_pool_tensorflow)
    check.masked_mean_pool(_pool_where)
    check.masked_lm_loss(_lm_boolean_mask)
    check.masked_lm_loss(_lm_log_softmax)
    assert capsys.readouterr().out.count("passed") == 10


@pytest.mark.parametrize("builder", [_classifier_functional, _classifier_nested,
                                     _classifier_subclassed, _classifier_lambda])
def test_other_correct_classifiers_pass(builder, capsys):
    check.build_text_classifier(builder)
    assert capsys.readouterr().out == "12.7 build_text_classifier: all 4 cases passed\n"


def test_success_lines(capsys):
    check.skipgram_pairs(skipgram_pairs)
    check.nearest_neighbours(nearest_neighbours)
    check.analogy(analogy)
    check.pad_and_mask(pad_and_mask)
    check.masked_mean_pool(masked_mean_pool)
    check.masked_lm_loss(masked_lm_loss)
    assert capsys.readouterr().out == ("12.1 skipgram_pairs: all 8 cases passed\n"
                                       "12.3 nearest_neighbours: all 8 cases passed\n"
                                       "12.4 analogy: all 6 cases passed\n"
                                       "12.5 pad_and_mask: all 7 cases passed\n"
                                       "12.6 masked_mean_pool: all 10 cases passed\n"
                                       "12.8 masked_lm_loss: all 9 cases passed\n")


@pytest.mark.parametrize("name", list(REFERENCES))
def test_a_stub_is_not_attempted(name):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(NotAttemptedError, match=rf"^12\.\d {name}: not attempted yet"):
        getattr(check, name)(stub)


# ------------------------------------------------------- oracles and cases ---

def test_the_hand_worked_pairs_are_the_index_arithmetic_and_the_loops():
    for case, ids, window, expected in check._skipgram_pairs_cases():
        oracle = check._index_pairs(ids, window)
        assert np.array_equal(check._skipgram_pairs_answer(ids, window), oracle), case
        if expected is not None:
            assert np.array_equal(np.array(expected, np.int64).reshape(-1, 2), oracle), case


def _differs(right, wrong):
    if wrong is None:
        return False
    right, wrong = np.asarray(right), np.asarray(wrong)
    return right.shape != wrong.shape or not np.allclose(right, wrong, equal_nan=True)


def test_every_named_mistake_shows_in_some_case():
    answer = check._skipgram_pairs_answer
    for name, switches in check._SKIPGRAM_PAIRS_MISTAKES.items():
        assert any(_differs(answer(ids, w), answer(ids, w, **switches))
                   for _, ids, w, _ in check._skipgram_pairs_cases()), name
    answer = check._negative_sampling_loss_answer
    for name, switches in check._NEGATIVE_SAMPLING_LOSS_MISTAKES.items():
        assert any(_differs(answer(*args), core.quiet(answer, *args, **switches))
                   for _, _, *args in check._negative_sampling_loss_cases()), name
    answer = check._nearest_neighbours_answer
    for name, switches in check._NEAREST_NEIGHBOURS_MISTAKES.items():
        assert any(_differs(answer(*args), core.quiet(answer, *args, **switches))
                   for _, *args in check._nearest_neighbours_cases()), name
    answer = check._analogy_answer
    for name, switches in check._ANALOGY_MISTAKES.items():
        assert any(_differs(answer(a, b, c, e, k or 1), answer(a, b, c, e, k or 1, **switches))
                   for _, a, b, c, e, k in check._analogy_cases()), name
    answer = check._pad_and_mask_answer
    for name, switches in check._PAD_AND_MASK_MISTAKES.items():
        assert any(_differs(answer(s, n, part=part), answer(s, n, part=part, **switches))
                   for _, s, n in check._pad_and_mask_cases() for part in ("ids", "mask")), name
    answer = check._masked_mean_pool_answer
    for name, switches in check._MASKED_MEAN_POOL_MISTAKES.items():
        assert any(_differs(answer(x, m), core.quiet(answer, x, m, **switches))
                   for _, _, x, m in check._masked_mean_pool_cases()), name
    answer = check._masked_lm_loss_answer
    for name, switches in check._MASKED_LM_LOSS_MISTAKES.items():
        assert any(_differs(answer(*args), core.quiet(answer, *args, **switches))
                   for _, _, *args in check._masked_lm_loss_cases()), name


def test_every_classifier_mistake_shows_with_known_weights():
    for case, _, _, vocab, classes, kind, embed_dim, units, seed in \
            check._text_classifier_cases()[:3]:
        weights = check._known_classifier_weights(seed, vocab, classes, embed_dim, units)
        ids = check._classifier_ids(seed, [4, 7], 7, vocab)
        right = check._text_classifier_answer(ids, weights, units)
        np.testing.assert_allclose(right, check._keras_text_classifier(ids, weights, units),
                                   rtol=1e-7, atol=1e-10, err_msg=case)
        shown = {name for name, switches in check._TEXT_CLASSIFIER_MISTAKES.items()
                 if _differs(right, check._text_classifier_answer(ids, weights, units,
                                                                  **switches))}
        expected = {name for name, switches in check._TEXT_CLASSIFIER_MISTAKES.items()
                    if kind == "pooled" or "pool" not in switches}
        assert shown == expected, case


def test_the_switch_oracles_without_switches_are_the_oracles():
    for case, _, *args in check._negative_sampling_loss_cases():
        assert check._negative_sampling_loss_answer(*args) == pytest.approx(
            check._sgns_oracle(*args), rel=1e-9), case
    for case, query, embeddings, k in check._nearest_neighbours_cases():
        expected = check._ranking(check._cosine_to(embeddings[query], embeddings), [query], k)
        assert np.array_equal(check._nearest_neighbours_answer(query, embeddings, k),
                              expected), case
    for case, a, b, c, e, k in check._analogy_cases():
        x = np.asarray(e, np.float64)
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        expected = check._ranking(check._cosine_to(unit[b] - unit[a] + unit[c], x), [a, b, c],
                                  k or 1)
        assert np.array_equal(check._analogy_answer(a, b, c, e, k or 1), expected), case
    for case, sequences, length in check._pad_and_mask_cases():
        ids, mask = check._keras_padded(sequences, length)
        assert np.array_equal(check._pad_and_mask_answer(sequences, length, part="ids"), ids)
        assert np.array_equal(check._pad_and_mask_answer(sequences, length, part="mask"), mask)
    for case, _, x, mask in check._masked_mean_pool_cases():
        np.testing.assert_allclose(check._masked_mean_pool_answer(x, mask),
                                   check._keras_masked_mean(x, mask), rtol=1e-6, atol=1e-7,
                                   err_msg=case)
    for case, _, *args in check._masked_lm_loss_cases():
        assert check._masked_lm_loss_answer(*args) == pytest.approx(
            check._masked_lm_oracle(*args), rel=1e-9, abs=1e-12), case


def _gaps(similarities, excluded, k):
    """The smallest gap between neighbouring similarities among the first k + 1 ranked."""
    order = check._ranking(similarities, excluded, k + 1)
    values = similarities[order]
    return np.min(np.abs(np.diff(values))) if len(values) > 1 else np.inf


def test_the_neighbour_and_analogy_cases_are_tie_free_but_the_tie_cases():
    """Every case but the ones on ties ranks its first k + 1 rows at least 1e-3 apart, far
    more than float32 rounding; the tie cases' cosines are exact (rows of length 2 or 4)."""
    for case, query, embeddings, k in check._nearest_neighbours_cases():
        similarities = check._cosine_to(embeddings[query], embeddings)
        if case.startswith("ties"):
            assert set(np.round(similarities, 12)) == {1.0, 0.5, 0.0, -1.0}
            assert np.array_equal(similarities, np.round(similarities, 12))
            continue
        assert _gaps(similarities, [query], min(k, len(embeddings) - 2)) > 1e-3, case
    for case, a, b, c, e, k in check._analogy_cases():
        x = np.asarray(e, np.float64)
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        similarities = check._cosine_to(unit[b] - unit[a] + unit[c], x)
        if case.startswith("ties"):
            assert np.array_equal(similarities, [0.0, 0.5, 0.5, 1.0, 1.0, 0.5, 0.5, -1.0])
            assert np.array_equal(unit @ (unit[b] - unit[a] + unit[c]), similarities)
            continue
        assert _gaps(similarities, [a, b, c], k or 1) > 1e-3, case


def test_the_worked_analogy_is_queen_and_its_mistakes_are_other_words():
    words = check._ROYAL_WORDS
    man, king, woman = (words.index(w) for w in ("man", "king", "woman"))
    answer = check._analogy_answer
    first = {name: words[answer(man, king, woman, check._ROYAL, **switches)[0]]
             for name, switches in [("right", {}), ("kept", {"exclude": False}),
                                    ("raw", {"normalise": False}), ("reversed", {"sign": -1.0}),
                                    ("dot", {"compare": "dot"})]}
    assert first == {"right": "queen", "kept": "woman", "raw": "prince", "reversed": "girl",
                     "dot": "castle"}


def test_the_large_cases_break_the_naive_forms():
    """log(sigmoid) underflows on the +-900 case, a softmax overflows on the large logits,
    and the right answers there are finite."""
    args = next(a for c, _, *a in check._negative_sampling_loss_cases() if "900" in c)
    assert check._sgns_oracle(*args) == pytest.approx(1350.0)
    assert core.quiet(check._negative_sampling_loss_answer, *args, stable=False) == np.inf
    args = next(a for c, _, *a in check._masked_lm_loss_cases() if "1500" in c)
    assert np.isfinite(check._masked_lm_oracle(*args))
    assert not np.isfinite(_lm_naive_softmax(*args))


def test_the_classifier_oracle_ignores_appended_padding():
    ids = check._classifier_ids(7, [2, 5], 5, 20)
    padded = np.concatenate([ids, np.zeros((2, 4), np.int32)], axis=1)
    for units in (None, 3):
        weights = check._known_classifier_weights(7, 20, 3, 4, units)
        np.testing.assert_allclose(check._keras_text_classifier(padded, weights, units),
                                   check._keras_text_classifier(ids, weights, units),
                                   rtol=1e-10, atol=1e-12)


def test_a_lambda_that_raises_not_implemented_with_a_message_is_no_stub():
    with pytest.raises(CheckError) as info:
        check.build_text_classifier(_classifier_lambda_stub)
    assert not isinstance(info.value, NotAttemptedError)


# ------------------------------------------------------ the package's rules ---

def test_the_module_has_the_one_form():
    assert form_problems(_module_tree("language")) == []


def test_every_check_of_the_module_has_a_reference_and_three_wrong_versions():
    declared = {c.__name__ for c in core.CHECKS.values()
                if c.__module__ == "helpers.checks.language"}
    assert declared == set(REFERENCES)
    assert {c.exercise_id for c in core.CHECKS.values()
            if c.__module__ == "helpers.checks.language"} == {f"12.{i}" for i in range(1, 9)}
    counts = {name: sum(m[0] == name for m in MUTANTS) for name in declared}
    assert min(counts.values()) >= 3, counts
