"""Checks for notebook 12, language: skip-gram pairs and the negative-sampling loss,
nearest neighbours and analogies in an embedding table, padding with a mask, a masked
mean over time, a text classifier (pooled or bidirectional) and the masked-language-
model loss.

Each function takes the student's function, runs it on fixed cases and compares the
results with an independent oracle: pairs worked by hand and built by NumPy index
arithmetic, `tf.nn.sigmoid_cross_entropy_with_logits` (float64) for the skip-gram loss,
`sklearn.metrics.pairwise.cosine_similarity` for neighbours and analogies,
`keras.utils.pad_sequences(padding="post", truncating="post")`,
`keras.layers.GlobalAveragePooling1D` with a mask, Keras's own `Bidirectional(LSTM)`
given the same weights (float64) for the classifier, and
`keras.losses.sparse_categorical_crossentropy(from_logits=True)` for the masked loss.
Known wrong answers (the center paired with itself, a window one too wide, the
negatives' sign not flipped, a dot product where the cosine belongs, padding at the
front, a sum where the mean belongs, the mask ignored, ...) are computed too, so that
a message can name the mistake.

The skip-gram loss and the masked-LM loss run inside a `tf.function` training step and
the masked mean inside a Keras model: each is also run on tensors, eagerly and traced,
with the batch size unknown (and, for the last two, the length too), as training traces
them. Their results may be NumPy values or tensors. The classifier is checked by its
layers (`keras_models.leaf_layers`: Sequential, functional, nested and subclassed
models alike), then run with known weights on ids of two lengths and batch sizes, and
with padding appended.

Example:

>>> from helpers.checks import language as check
>>> check.skipgram_pairs(skipgram_pairs)
12.1 skipgram_pairs: all 8 cases passed
"""

import functools
import re
import warnings

import numpy as np

from helpers.checks import tensor_modes
from helpers.checks.core import (describe, exercise, import_keras, import_tensorflow,
                                 mistakes_from, random_values)
from helpers.checks.keras_models import is_subclassed_model, layer_names, leaf_layers
from helpers.checks.references import softmax as _softmax

__all__ = [
    "skipgram_pairs", "negative_sampling_loss", "nearest_neighbours", "analogy",
    "pad_and_mask", "masked_mean_pool", "build_text_classifier", "masked_lm_loss",
]


# ---------------------------------------------------------------- helpers ---

def _require_int_result(ex, case, result, what, hint):
    """Fails unless `result` (already compared) has an integer dtype."""
    __tracebackhide__ = True
    dtype = getattr(result, "dtype", None)
    ex.require(case, dtype is not None and np.dtype(dtype).kind in "iu",
               f"{what} has dtype {dtype}, expected integers (ids).", hint)


def _ranking(similarities, excluded, k, ties="smaller"):
    """The ids of the k highest similarities, most similar first, ties by smaller id (or,
    for a known mistake, `ties="larger"`), the `excluded` ids left out."""
    ids = np.arange(len(similarities))
    order = np.lexsort((ids if ties == "smaller" else -ids, -similarities))
    excluded = set(excluded)
    return np.array([i for i in order if i not in excluded][:k], dtype=np.int64)


def _cosine_to(vector, embeddings):
    """Cosine similarity of `vector` to each row: scikit-learn's (0 for a row of zeros)."""
    from sklearn.metrics.pairwise import cosine_similarity

    return cosine_similarity(np.asarray(vector, np.float64)[None, :],
                             np.asarray(embeddings, np.float64))[0]


def _spread_rows(seed, vocab, dim, low=0.3, high=3.0):
    """Random embedding rows of lengths from `low` to `high`: the cosine differs from a
    dot product and from a distance."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(vocab, dim))
    lengths = rng.uniform(low, high, size=(vocab, 1))
    return rows / np.linalg.norm(rows, axis=1, keepdims=True) * lengths


# ---------------------------------------------------------- skipgram_pairs ---

def _index_pairs(ids, window):
    """The oracle of 12.1 by index arithmetic: every (i, j) with 0 < |i - j| <= window in
    row-major order of the (i, j) grid, which is "by i, then by j"."""
    n = len(ids)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    near = (np.abs(i - j) <= window) & (i != j)
    return np.stack([np.asarray(ids)[i[near]], np.asarray(ids)[j[near]]], axis=1).astype(
        np.int64).reshape(-1, 2)


def _skipgram_pairs_answer(ids, window, *, itself=False, reach=0, sides="both", wrap=False,
                           values="ids", order="center", columns="center, context"):
    """12.1's pairs written as loops, with switches for the known mistakes.

    Args:
        ids, window: the token stream and the window.
        itself: True pairs each center with itself too (a mistake).
        reach: added to the window: -1 or +1 (mistakes).
        sides: "both" (right); "right" or "left" keeps one side only (mistakes).
        wrap: True lets contexts wrap around the ends of the stream (a mistake).
        values: "positions" gives the positions i, j instead of the ids (a mistake).
        order: "center" (right: by i, then by j); "offset" lists every pair of offset
            -window, then of -window + 1, ... (a mistake).
        columns: "context, center" swaps the two columns (a mistake).
    """
    n, window = len(ids), window + reach
    offsets = [d for d in range(-window, window + 1) if (d != 0 or itself)]
    offsets = [d for d in offsets if sides == "both" or (d > 0 if sides == "right" else d < 0)
               or d == 0]
    pairs = []
    for i in range(n):
        for d in offsets:
            j = (i + d) % n if wrap else i + d
            if 0 <= j < n:
                pairs.append((d, i, j))
    if order == "offset":
        pairs.sort()
    rows = [(i, j) if values == "positions" else (ids[i], ids[j]) for _, i, j in pairs]
    table = np.array(rows, dtype=np.int64).reshape(-1, 2)
    return table[:, ::-1] if columns == "context, center" else table


_SKIPGRAM_PAIRS_MISTAKES = {
    "each center paired with itself too: a context is another position, 0 < |i - j|":
        {"itself": True},
    "the window one too small: contexts go up to `window` positions away, inclusive":
        {"reach": -1},
    "the window one too large: contexts go up to `window` positions away, not window + 1":
        {"reach": 1},
    "only the contexts to the right of each center: the window reaches both ways":
        {"sides": "right"},
    "only the contexts to the left of each center: the window reaches both ways":
        {"sides": "left"},
    "contexts that wrap around the ends of the stream: a context lies inside the stream, "
    "0 <= j < len(ids)": {"wrap": True},
    "positions instead of ids: each row holds the tokens ids[i], ids[j], not i and j":
        {"values": "positions"},
    "the pairs ordered by offset (all pairs of offset -window first): order them by center "
    "position i, then by context position j": {"order": "offset"},
    "the columns swapped: each row is (center, context)": {"columns": "context, center"},
}


def _skipgram_pairs_cases():
    """(case, ids, window, the pairs worked by hand or None for the index arithmetic)."""
    rng = np.random.default_rng(1210)
    return [
        ("4 tokens [10, 11, 12, 13], window 1", np.array([10, 11, 12, 13]), 1,
         [[10, 11], [11, 10], [11, 12], [12, 11], [12, 13], [13, 12]]),
        # i = 0: j 1, 2; i = 1: j 0, 2, 3; i = 2: j 0, 1, 3, 4; i = 3: j 1, 2, 4; i = 4: j 2, 3.
        ("5 tokens [7, 3, 9, 3, 5] (3 twice), window 2", np.array([7, 3, 9, 3, 5]), 2,
         [[7, 3], [7, 9], [3, 7], [3, 9], [3, 3], [9, 7], [9, 3], [9, 3], [9, 5], [3, 3],
          [3, 9], [3, 5], [5, 9], [5, 3]]),
        ("window 3 wider than the stream [4, 8, 2]", np.array([4, 8, 2]), 3,
         [[4, 8], [4, 2], [8, 4], [8, 2], [2, 4], [2, 8]]),
        ("two tokens [5, 9], window 2", np.array([5, 9]), 2, [[5, 9], [9, 5]]),
        ("one token: no pair, shape (0, 2)", np.array([6]), 2, np.zeros((0, 2), np.int64)),
        ("an empty stream: shape (0, 2)", np.array([], np.int64), 1,
         np.zeros((0, 2), np.int64)),
        ("int32 ids: 12 random ids below 1000, window 2",
         rng.integers(1, 1000, size=12).astype(np.int32), 2, None),
        ("40 random ids below 50 (repeats), window 4", rng.integers(0, 50, size=40), 4, None),
    ]


@exercise("12.1")
def skipgram_pairs(ex):
    """Checks `skipgram_pairs(ids, window)`: the skip-gram (center, context) pairs.

    `ids` is a 1-D int NumPy array (a token stream, possibly empty), `window` an int
    >= 1. The result is an int NumPy array (n_pairs, 2) with one row (ids[i], ids[j])
    for every position i and every position j inside the stream with
    0 < |i - j| <= window, ordered by i, then by j; 0 or 1 tokens give shape (0, 2).
    Oracles: pairs worked by hand, and NumPy index arithmetic (the (i, j) grid in
    row-major order) for random streams. Cases: windows 1 to 4, a window wider than
    the stream, repeated ids, int32 ids, one token and an empty stream. Known mistakes
    (the center with itself, the window one too small or large, one side only, pairs
    wrapping around, positions for ids, another order, columns swapped) are named;
    the right pairs in any other order are named as such.
    """
    hint = ("for each position i in order, pair ids[i] with ids[j] for j from i - window to "
            "i + window (j != i, 0 <= j < len(ids)), in increasing j.")
    for case, ids, window, expected in _skipgram_pairs_cases():
        out = ex.call(case, ids, window)
        expected = _index_pairs(ids, window) if expected is None else np.array(
            expected, np.int64).reshape(-1, 2)
        mistakes = mistakes_from(_skipgram_pairs_answer, _SKIPGRAM_PAIRS_MISTAKES, ids,
                                 window)
        if isinstance(out, np.ndarray) and out.shape == expected.shape and expected.size and \
                not np.array_equal(out, expected) and not any(
                    np.shape(wrong) == out.shape and np.array_equal(wrong, out)
                    for wrong in mistakes.values()):
            if np.array_equal(_sorted_rows(out), _sorted_rows(expected)):
                ex.fail_mistake(case, "the right pairs in another order: order them by center "
                                      "position i, then by context position j",
                                f"expected: {describe(expected)}\n  received: {describe(out)}",
                                hint)
        ex.compare(case, out, expected, hint=hint, mistakes=mistakes,
                   shape_hint="one row (center, context) per pair: shape (n_pairs, 2), also "
                              "(0, 2) when there is no pair (np.array([]) has shape (0,); "
                              "reshape(-1, 2) or np.zeros((0, 2), dtype=int)).")
        _require_int_result(ex, case, out, "the array of pairs",
                            "make the array with an int dtype, e.g. np.array(pairs, "
                            "dtype=np.int64).reshape(-1, 2): an empty list gives float64.")


def _sorted_rows(pairs):
    """The rows of a (n, 2) array in lexicographic order: the pairs as a multiset."""
    return pairs[np.lexsort(pairs.T[::-1])]


# --------------------------------------------------- negative_sampling_loss ---

def _sgns_scores(center, context, negatives):
    """The dot products c . o, (batch,), and c . n_k, (batch, k), in float64."""
    c, o, n = (np.asarray(a, np.float64) for a in (center, context, negatives))
    return np.einsum("bd,bd->b", c, o), np.einsum("bd,bkd->bk", c, n)


def _sgns_oracle(center, context, negatives):
    """The loss from `tf.nn.sigmoid_cross_entropy_with_logits` (float64): label 1 for
    the context's score, label 0 for each negative's, summed per example, then the mean
    over the batch."""
    tf = import_tensorflow()
    positive, negative = _sgns_scores(center, context, negatives)
    logits = np.concatenate([positive[:, None], negative], axis=1)
    labels = np.zeros_like(logits)
    labels[:, 0] = 1.0
    per_example = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.constant(labels), logits=tf.constant(logits)), axis=1)
    return float(tf.reduce_mean(per_example))


def _negative_sampling_loss_answer(center, context, negatives, *, negative_sign=-1.0,
                                   over_k="sum", batch="mean", positive=True, log=True,
                                   stable=True):
    """-log sigmoid(c . o) - sum_k log sigmoid(-c . n_k), the mean over the batch, with
    switches for the known mistakes.

    Args:
        center, context, negatives: the vectors, (batch, dim), (batch, dim) and
            (batch, k, dim).
        negative_sign: the sign of the negatives' scores inside the sigmoid; +1 is a
            mistake.
        over_k: "sum" (right) or "mean" over the k negatives (a mistake).
        batch: "mean" (right) or "sum" over the batch (a mistake).
        positive: False leaves out the context's term (a mistake).
        log: False takes the sigmoids without their logs (a mistake).
        stable: False computes log(1 / (1 + exp(-x))) as written, which gives -inf
            once exp overflows or the sigmoid underflows (a mistake).
    """
    positive_scores, negative_scores = _sgns_scores(center, context, negatives)

    def log_sigmoid(x):
        if not stable:
            return np.log(1.0 / (1.0 + np.exp(-x)))
        return -np.logaddexp(0.0, -x)

    def term(x):
        return log_sigmoid(x) if log else np.exp(log_sigmoid(x))

    negatives_term = term(negative_sign * negative_scores)
    negatives_term = negatives_term.sum(axis=1) if over_k == "sum" else \
        negatives_term.mean(axis=1)
    per_example = -negatives_term - (term(positive_scores) if positive else 0.0)
    return float(per_example.sum() if batch == "sum" else per_example.mean())


_NEGATIVE_SAMPLING_LOSS_MISTAKES = {
    "the negatives' sign not flipped, log sigmoid(c . n_k): a negative's term is "
    "log sigmoid(-c . n_k), the probability that it is not a context": {"negative_sign": 1.0},
    "the mean over the k negatives: the loss adds up their k terms": {"over_k": "mean"},
    "summed over the batch: the loss is the mean over the batch of each example's loss":
        {"batch": "sum"},
    "the positive term missing: add -log sigmoid(c . o) for the true context":
        {"positive": False},
    "sigmoids without their logs: the loss is -log sigmoid(c . o) - sum_k log "
    "sigmoid(-c . n_k)": {"log": False},
    "log(sigmoid(x)) computed as written, which gives log(0) = -inf once sigmoid(x) "
    "underflows: log sigmoid(x) = -softplus(-x)": {"stable": False},
}


def _sgns_vectors(seed, batch, dim, k, scale=0.6, dtype=np.float64):
    """(center, context, negatives) of the given sizes, normal with std `scale`."""
    return tuple(random_values(seed + number, shape, scale).astype(dtype)
                 for number, shape in enumerate(((batch, dim), (batch, dim), (batch, k, dim))))


def _negative_sampling_loss_cases():
    """(case, mode, center, context, negatives) for 12.2: NumPy cases, then float32
    tensors, eagerly and traced with the batch size unknown."""
    # Scores of +-900: log(sigmoid(-900)) is log(0) = -inf in float64 and float32.
    center = np.array([[30.0, 0.0], [0.0, 30.0]])
    context = np.array([[30.0, 0.0], [0.0, -30.0]])
    negatives = np.array([[[30.0, 0.0], [-30.0, 0.0]], [[0.0, 30.0], [0.0, -30.0]]])
    return tensor_modes.with_tensor_modes([
        ("batch 4, dim 5, 3 negatives", "numpy", *_sgns_vectors(1220, 4, 5, 3)),
        ("a batch of one, one negative", "numpy", *_sgns_vectors(1223, 1, 4, 1)),
        ("float32 vectors: batch 3, dim 8, 5 negatives", "numpy",
         *_sgns_vectors(1226, 3, 8, 5, dtype=np.float32)),
        ("longer vectors: scores up to about 30", "numpy",
         *_sgns_vectors(1229, 5, 6, 4, scale=2.0)),
        ("scores of +-900, where log(sigmoid(x)) underflows to log(0)", "numpy", center,
         context, negatives),
        ("batch 6, dim 4, 2 negatives", "numpy", *_sgns_vectors(1232, 6, 4, 2)),
    ], unknown_batch=True)


@exercise("12.2")
def negative_sampling_loss(ex):
    """Checks `negative_sampling_loss(center, context, negatives)`: skip-gram's loss.

    `center` and `context` are float (batch, dim), `negatives` float (batch, k, dim).
    The result is one number (a NumPy or Python number, or a 0-d tensor): the mean over
    the batch of -log sigmoid(c . o) - sum_k log sigmoid(-c . n_k). The oracle is
    `tf.nn.sigmoid_cross_entropy_with_logits` in float64 (label 1 for c . o, label 0
    for each c . n_k). Cases: k = 1 to 5, a batch of one, float32 vectors, scores up to
    about 30 and of +-900 (where log(sigmoid(x)) underflows to log(0): the loss must
    stay finite, e.g. with softplus), then float32 tensors, eagerly and inside
    tf.function with the batch size unknown (the notebook's training step). Known
    mistakes (the negatives' sign not flipped, their mean instead of their sum, a sum
    over the batch, the positive term missing, no logs, log(sigmoid) as written) are
    named.
    """
    hint = ("score = the dot product of each center with its context, (batch,), and with "
            "each of its negatives, (batch, k); loss per example = softplus(-score_context) + "
            "sum over k of softplus(score_negative); then the mean over the batch.")
    for case, mode, center, context, negatives in _negative_sampling_loss_cases():
        out = tensor_modes.call(ex, case, mode, center, context, negatives)
        rtol, atol = tensor_modes.tolerances(center.dtype)
        ex.compare(case, tensor_modes.as_numpy(out), _sgns_oracle(center, context, negatives),
                   kind="scalar", rtol=rtol, atol=atol, hint=hint,
                   mistakes=mistakes_from(_negative_sampling_loss_answer,
                                          _NEGATIVE_SAMPLING_LOSS_MISTAKES, center, context,
                                          negatives),
                   shape_hint="return one number: add up each example's terms, then take the "
                              "mean over the batch.",
                   nonfinite_hint="log(sigmoid(x)) is log(0) = -inf once sigmoid(x) underflows "
                                  "(x below about -100 in float32, -745 in float64): use "
                                  "log sigmoid(x) = -softplus(-x) (keras.ops.softplus, "
                                  "keras.ops.log_sigmoid), which stays finite.")


# ------------------------------------------------------- nearest_neighbours ---

def _nearest_neighbours_answer(query, embeddings, k, *, similarity="cosine", zeros="0",
                               keep_query=False, order="descending", ties="smaller",
                               extra=0):
    """12.3's neighbours, with switches for the known mistakes.

    Args:
        query, embeddings, k: as for 12.3.
        similarity: "cosine" (right), "dot" (the dot product) or "distance" (the
            Euclidean distance, smallest first) (mistakes).
        zeros: "0" (right: a row of zeros has similarity 0) or "nan" (0 / 0, so that
            the row sorts last, a mistake).
        keep_query: True leaves the query among the candidates (a mistake).
        order: "descending" (right); "ascending" gives the k least similar, "reversed"
            the k most similar, least similar first (mistakes).
        ties: "smaller" (right: smaller id first) or "larger" (a mistake).
        extra: added to k: +1 or -1 results (mistakes).
    """
    x = np.asarray(embeddings, np.float64)
    if similarity == "distance":
        scores = -np.linalg.norm(x - x[query], axis=1)
    elif similarity == "dot":
        scores = x @ x[query]
    else:
        norms = np.linalg.norm(x, axis=1) * np.linalg.norm(x[query])
        scores = x @ x[query] / norms if zeros == "nan" else np.divide(
            x @ x[query], norms, out=np.zeros(len(x)), where=norms > 0)
    ids = np.arange(len(x))
    scores = np.where(np.isnan(scores), -np.inf, scores)  # NaN sorts last
    tie_key = ids if ties == "smaller" else -ids
    descending = np.lexsort((tie_key, -scores))
    candidates = [i for i in descending if keep_query or i != query]
    count = k + extra
    if order == "ascending":
        return np.array(candidates[::-1][:count], np.int64)
    chosen = np.array(candidates[:count], np.int64)
    return chosen[::-1] if order == "reversed" else chosen


_NEAREST_NEIGHBOURS_MISTAKES = {
    "the dot product instead of the cosine similarity: divide by both rows' lengths, so "
    "that a long row is not similar to everything": {"similarity": "dot"},
    "the Euclidean distance instead of the cosine similarity: the cosine compares "
    "directions, whatever the rows' lengths": {"similarity": "distance"},
    "the query itself among the neighbours: leave out the query's own id":
        {"keep_query": True},
    "the query itself among the neighbours, with k + 1 results: leave the query out and "
    "return k ids": {"keep_query": True, "extra": 1},
    "the k least similar ids: sort by similarity from the highest down":
        {"order": "ascending"},
    "the least similar first: the most similar id comes first": {"order": "reversed"},
    "k + 1 results: return exactly k ids": {"extra": 1},
    "k - 1 results: return exactly k ids": {"extra": -1},
    "ties broken towards the larger id (argsort then [::-1] reverses ties): among equal "
    "similarities the smaller id comes first": {"ties": "larger"},
    "a row of zeros given similarity NaN (0 / 0), so that it sorts last: its similarity "
    "is 0, above every negative one": {"zeros": "nan"},
}


def _nearest_neighbours_cases():
    """(case, query, embeddings, k) for 12.3. Tie-free (the test file checks it) except the
    case on ties, whose rows make every cosine exact (lengths 2 and 4)."""
    signs = np.array([[1, 1, 1, 1], [1, 1, 1, -1], [1, 1, -1, 1], [2, 2, 2, 2],
                      [1, 1, 1, 1], [0, 0, 0, 0], [-1, -1, -1, -1], [1, -1, -1, 1]], np.float64)
    with_zeros = np.array([[1.0, 0.0, 0.0], [0.9, 0.3, 0.1], [-0.2, 1.0, 0.3], [0.0, 0.0, 0.0],
                           [0.5, 0.8, 0.0], [-1.0, 0.2, 0.0], [-0.5, -0.5, 0.7],
                           [0.1, -0.9, 0.4]])
    return [
        ("12 words of 5 dimensions, query 4, k 3", 4, _spread_rows(1230, 12, 5), 3),
        ("k 1: the single nearest word, query 7", 7, _spread_rows(1231, 10, 4), 1),
        ("query 0, the first row, k 4", 0, _spread_rows(1232, 9, 6), 4),
        ("k = vocabulary - 1: every other id in order, query 5 (the last row)", 5,
         _spread_rows(1233, 6, 3), 5),
        ("rows of lengths 0.05 to 20: the cosine, not a dot product or a distance", 2,
         _spread_rows(1234, 15, 4, 0.05, 20.0), 4),
        ("a row of zeros (id 3) has similarity 0, above the negative ones; k 4", 0,
         with_zeros, 4),
        ("ties: rows 3 and 4 both at cosine 1, rows 1 and 2 at 0.5, rows 5 (zeros) and 7 at 0:"
         " the smaller id first", 0, signs, 5),
        ("float32 table of 40 words, 16 dimensions, query 11, k 6", 11,
         _spread_rows(1235, 40, 16).astype(np.float32), 6),
    ]


@exercise("12.3")
def nearest_neighbours(ex):
    """Checks `nearest_neighbours(query, embeddings, k)` against scikit-learn.

    `query` is an int id, `embeddings` a NumPy table (vocab, dim), `k` an int. The
    result is an int NumPy array of the k ids whose rows have the highest cosine
    similarity to row `query`, most similar first, never `query` itself; a row of zeros
    has similarity 0; among equal similarities the smaller id comes first. The oracle is
    `sklearn.metrics.pairwise.cosine_similarity` ranked by (-similarity, id). Cases:
    k = 1 to vocab - 1, the first and the last row as the query, rows of very
    different lengths, a row of zeros ranking above negative similarities, float32, and
    one case of exact ties (every other case is tie-free). Known mistakes (a dot
    product or a distance instead of the cosine, the query kept, the wrong direction,
    k - 1 or k + 1 results, ties towards the larger id, a zero row as NaN) are named.
    """
    hint = ("cosine(query, row) = (e[query] . row) / (|e[query]| |row|) for every row (0 "
            "for a row of zeros); leave out the query, sort from the highest similarity down "
            "(np.argsort(-similarities, kind=\"stable\") keeps smaller ids first in a tie) and "
            "keep the first k.")
    for case, query, embeddings, k in _nearest_neighbours_cases():
        out = ex.call(case, query, embeddings, k)
        expected = _ranking(_cosine_to(embeddings[query], embeddings), [query], k)
        ex.compare(case, out, expected, hint=hint,
                   mistakes=mistakes_from(_nearest_neighbours_answer,
                                          _NEAREST_NEIGHBOURS_MISTAKES, query, embeddings, k),
                   shape_hint="return the k ids as a 1-D array of shape (k,).")
        _require_int_result(ex, case, out, "the array of ids",
                            "return the ids as ints, e.g. the result of np.argsort.")


# ------------------------------------------------------------------ analogy ---

def _analogy_answer(a, b, c, embeddings, k=1, *, normalise=True, sign=1.0, exclude=True,
                    compare="cosine", ties="smaller"):
    """3CosAdd with switches for the known mistakes.

    Args:
        a, b, c, embeddings, k: as for 12.4.
        normalise: False builds the target from the rows as they are (a mistake).
        sign: -1.0 reverses the offset, target = a - b + c (a mistake).
        exclude: False leaves a, b and c among the candidates (a mistake).
        compare: "cosine" (right); "dot" (dot products with the rows as they are) or
            "distance" (the Euclidean distance to the rows as they are) (mistakes).
        ties: "smaller" (right: the smaller id first) or "larger" (a mistake).
    """
    x = np.asarray(embeddings, np.float64)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    rows = unit if normalise else x
    target = sign * (rows[b] - rows[a]) + rows[c]
    if compare == "dot":
        scores = x @ target
    elif compare == "distance":
        scores = -np.linalg.norm(x - target, axis=1)
    else:
        scores = unit @ target / np.linalg.norm(target)
    return _ranking(scores, [a, b, c] if exclude else [], k, ties)


_ANALOGY_MISTAKES = {
    "a, b and c among the answers: leave out the three words of the question":
        {"exclude": False},
    "the rows not normalised: make every row unit length before b - a + c, so that long "
    "rows do not dominate the target": {"normalise": False},
    "the offset reversed, a - b + c: \"a is to b as c is to ?\" adds b - a to c":
        {"sign": -1.0},
    "the target compared by dot product with the rows as they are: rank the rows by "
    "cosine similarity to the target": {"compare": "dot"},
    "the target compared by distance to the rows as they are: rank the rows by cosine "
    "similarity to the target": {"compare": "distance"},
    "ties broken towards the larger id (argsort then [::-1] reverses ties): among equal "
    "similarities the smaller id comes first": {"ties": "larger"},
}

#: A small table worked by hand: (gender, royalty, other), rows of very different
#: lengths. man : king :: woman : ? gives queen (4) (cosine 0.821); with a, b and c kept
#: woman (0.867) comes first, with the rows not normalised the long prince (5), with the
#: offset reversed girl (6), by dot product with the rows as they are the long castle (7).
_ROYAL_WORDS = ("man", "woman", "king", "boy", "queen", "prince", "girl", "castle")
_ROYAL = np.array([[1.0, 0.0, 0.3], [-1.0, 0.0, 0.3], [3.0, 3.0, 0.9], [0.8, 0.1, -0.5],
                   [-0.5, 1.0, 0.0], [4.0, 3.0, -0.6], [-0.9, -0.3, -0.6], [0.3, 4.0, -2.0]])


#: Rows of entries +-1 (length 2) or +-2 (length 4): the unit rows hold +-0.5, so that the
#: target b - a + c = (-0.5, -0.5, 0.5, 0.5) has length 1 and every cosine is exact. Row 4
#: is row 3 doubled (cosine 1 both), rows 5 and 6 have cosine 0.5, as b and c do.
_TIED_ANALOGY = np.array([[1, 1, 1, 1], [1, -1, 1, 1], [-1, 1, 1, 1], [-1, -1, 1, 1],
                          [-2, -2, 2, 2], [-1, -1, 1, -1], [-1, -1, -1, 1], [1, 1, -1, -1]],
                         np.float64)


def _analogy_cases():
    """(case, a, b, c, embeddings, k or None for the default 1) for 12.4. Tie-free (the test
    file checks it) except the case on ties, whose cosines are exact."""
    return [
        ("man : king :: woman : ? in a table of 8 words worked by hand (queen, 4)", 0, 2, 1,
         _ROYAL, None),
        ("20 words of 6 dimensions, k 3", 3, 11, 7, _spread_rows(1240, 20, 6), 3),
        ("the default k = 1: 15 words of 4 dimensions", 9, 2, 14, _spread_rows(1241, 15, 4),
         None),
        ("rows of lengths 0.05 to 20, k 4", 1, 6, 0, _spread_rows(1242, 12, 5, 0.05, 20.0), 4),
        ("float32 table of 50 words, 12 dimensions, k 5", 17, 40, 3,
         _spread_rows(1243, 50, 12).astype(np.float32), 5),
        ("ties: rows 3 and 4 both at cosine 1 to the target, rows 5 and 6 at 0.5: the "
         "smaller id first", 0, 1, 2, _TIED_ANALOGY, 4),
    ]


@exercise("12.4")
def analogy(ex):
    """Checks `analogy(a, b, c, embeddings, k=1)`: "a is to b as c is to ?" by 3CosAdd.

    `a`, `b`, `c` are int ids, `embeddings` a NumPy table (vocab, dim) without rows of
    zeros. Every row is normalised to unit length; the target is b - a + c of the unit
    rows; the result is an int NumPy array of the k ids whose rows have the highest
    cosine similarity to the target, most similar first, a, b and c left out; among
    equal similarities the smaller id comes first. The oracle is
    `sklearn.metrics.pairwise.cosine_similarity` to the target. Cases: a table worked
    by hand (man : king :: woman : queen), random tables with rows of very different
    lengths, the default k = 1 (called without k), k up to 5, float32, and one case of
    exact ties (every other case is tie-free). Known mistakes (a, b, c not left out,
    rows not normalised, the offset reversed, the target compared by dot product or
    distance, ties towards the larger id) are named.
    """
    hint = ("unit = embeddings / their row lengths; target = unit[b] - unit[a] + unit[c]; "
            "rank every row by its cosine similarity to the target (np.argsort(-similarities, "
            "kind=\"stable\") keeps smaller ids first in a tie), leave out a, b and c, keep "
            "the first k.")
    for case, a, b, c, embeddings, k in _analogy_cases():
        out = ex.call(case, a, b, c, embeddings) if k is None else \
            ex.call(case, a, b, c, embeddings, k)
        x = np.asarray(embeddings, np.float64)
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        expected = _ranking(_cosine_to(unit[b] - unit[a] + unit[c], x), [a, b, c], k or 1)
        ex.compare(case, out, expected, hint=hint,
                   mistakes=mistakes_from(_analogy_answer, _ANALOGY_MISTAKES, a, b, c,
                                          embeddings, k or 1),
                   shape_hint="return the k ids as a 1-D array of shape (k,), also for the "
                              "default k = 1.")
        _require_int_result(ex, case, out, "the array of ids",
                            "return the ids as ints, e.g. the result of np.argsort.")


# ------------------------------------------------------------- pad_and_mask ---

def _pad_and_mask_answer(sequences, length, *, part, padding="post", truncating="post",
                         mask="real"):
    """12.5's (ids, mask), one of them (`part`), with switches for the known mistakes.

    Args:
        sequences, length: as for 12.5.
        part: "ids" or "mask", the value returned.
        padding: "post" (right) or "pre" (zeros first, Keras's default: a mistake).
        truncating: "post" (right: keep the first `length` ids) or "pre" (keep the last,
            Keras's default: a mistake).
        mask: "real" (right: True on the real tokens); "inverted" or "padded" (True on
            every one of the `length` positions) (mistakes).
    """
    ids = np.zeros((len(sequences), length), np.int32)
    real = np.zeros((len(sequences), length), bool)
    for row, sequence in enumerate(sequences):
        kept = list(sequence)[:length] if truncating == "post" else \
            list(sequence)[max(len(sequence) - length, 0):]
        where = slice(0, len(kept)) if padding == "post" else slice(length - len(kept), length)
        ids[row, where] = kept
        real[row, where] = True
    if part == "ids":
        return ids
    return {"real": real, "inverted": ~real, "padded": np.ones_like(real)}[mask]


_PAD_AND_MASK_MISTAKES = {
    "padding at the front (Keras's default, padding=\"pre\"): the zeros go after each "
    "sequence's ids": {"padding": "pre"},
    "truncated from the front (Keras's default, truncating=\"pre\"): keep each sequence's "
    "first `length` ids": {"truncating": "pre"},
    "the mask inverted: True where there is a real token, False on the padding":
        {"mask": "inverted"},
    "the mask True on all `length` positions: it marks the real tokens only, "
    "min(len(sequence), length) of them": {"mask": "padded"},
}


def _pad_and_mask_cases():
    """(case, sequences, length) for 12.5."""
    rng = np.random.default_rng(1250)
    lengths = [0, 9, 3, 6, 1]
    return [
        ("3 sequences of 2, 5 and 3 ids, length 4", [[5, 8], [3, 1, 4, 1, 5], [9, 2, 6]], 4),
        ("an empty sequence among them, length 3", [[7, 7, 2], [], [4]], 3),
        ("every sequence longer than length 2", [[1, 2, 3], [4, 5, 6, 7], [8, 9, 10]], 2),
        ("length 1", [[3, 4], [5], [6, 7, 8]], 1),
        ("sequences of exactly length 4", [[1, 2, 3, 4], [4, 3, 2, 1]], 4),
        ("one sequence of 3 ids, length 6", [[11, 12, 13]], 6),
        ("5 sequences of 0 to 9 ids below 20000, length 6",
         [[int(v) for v in rng.integers(1, 20000, size=n)] for n in lengths], 6),
    ]


def _keras_padded(sequences, length):
    """`keras.utils.pad_sequences(..., padding="post", truncating="post")` as int32, and
    the mask of its real tokens (ids are >= 1, so a real token is never 0)."""
    keras = import_keras()
    ids = keras.utils.pad_sequences(sequences, maxlen=length, dtype="int32", padding="post",
                                    truncating="post", value=0)
    return ids.reshape(len(sequences), length), ids.reshape(len(sequences), length) != 0


@exercise("12.5")
def pad_and_mask(ex):
    """Checks `pad_and_mask(sequences, length)` against `keras.utils.pad_sequences`.

    `sequences` is a list of lists of int ids (ids >= 1; 0 is the padding id), `length`
    an int >= 1. The result is the pair (ids, mask): ids an int32 NumPy array (n,
    length) holding each sequence's first `length` ids followed by zeros, mask a bool
    NumPy array of that shape, True where there is a real token. The oracle is
    `keras.utils.pad_sequences(sequences, maxlen=length, padding="post",
    truncating="post")` (Keras's defaults are "pre"), the mask its ids != 0. Cases:
    sequences shorter and longer than `length`, exactly `length`, an empty sequence,
    length 1, one sequence, large ids. Known mistakes (padding or truncating at the
    front, the mask inverted or True everywhere, a float or int64 dtype, a 0/1 mask) are
    named; the input lists must not change.
    """
    pair_hint = "return both arrays: `return ids, mask`."
    for case, sequences, length in _pad_and_mask_cases():
        result = ex.call(case, sequences, length)
        ids, mask = ex.require_pair(case, result, "(ids, mask)", pair_hint)
        expected_ids, expected_mask = _keras_padded(sequences, length)
        for name, value, expected, hint in (
                ("ids (the first value)", ids, expected_ids,
                 "start from np.zeros((len(sequences), length), dtype=np.int32) and copy each "
                 "sequence's first `length` ids to the start of its row."),
                ("mask (the second value)", mask, expected_mask,
                 "True at the first min(len(sequence), length) positions of each row, where "
                 "the real ids are; False on the padding.")):
            part = name.split(" ")[0]
            ex.compare(case, value, expected, hint=hint, part=name,
                       mistakes=mistakes_from(_pad_and_mask_answer, _PAD_AND_MASK_MISTAKES,
                                              sequences, length, part=part),
                       shape_hint=f"{part} has one row per sequence and `length` columns: "
                                  f"(len(sequences), length).")
        ex.require(case, ids.dtype == np.int32,
                   f"the ids have dtype {ids.dtype}, expected int32: ids are whole numbers "
                   f"that index the Embedding's table.",
                   "make the array with dtype=np.int32 (np.zeros(...) alone is float64).",
                   part="ids (the first value)")
        ex.require(case, mask.dtype == bool,
                   f"the mask has dtype {mask.dtype}, expected bool (True on a real token).",
                   "compare to get bools, e.g. ids != 0, or make the array with dtype=bool.",
                   part="mask (the second value)")


# --------------------------------------------------------- masked_mean_pool ---

def _keras_masked_mean(x, mask):
    """`keras.layers.GlobalAveragePooling1D()(x, mask=mask)` in float64, with zeros for a
    row without a True position (where the layer divides 0 by 0)."""
    keras = import_keras()
    x, mask = np.asarray(x, np.float64), np.asarray(mask).astype(bool)
    pooled = np.asarray(keras.layers.GlobalAveragePooling1D(dtype="float64")(x, mask=mask))
    return np.where(mask.any(axis=1, keepdims=True), pooled, 0.0)


def _masked_mean_pool_answer(x, mask, *, weighted=True, divide="count", empty="zeros"):
    """12.6's masked mean, with switches for the known mistakes.

    Args:
        x, mask: as for 12.6.
        weighted: False takes every position, the mask ignored (a mistake).
        divide: "count" (right: by the number of True positions); "none" (the sum) or
            "time" (by the length T) (mistakes).
        empty: "zeros" (right) or "nan" (0 / 0 on a row without a True position, a
            mistake).
    """
    x = np.asarray(x, np.float64)
    m = np.asarray(mask).astype(np.float64) if weighted else np.ones(x.shape[:2])
    total = np.einsum("btd,bt->bd", x, m)
    count = m.sum(axis=1, keepdims=True)
    if divide == "none":
        return total
    if divide == "time":
        return total / x.shape[1]
    if empty == "nan":
        return total / count
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


_MASKED_MEAN_POOL_MISTAKES = {
    "the mean over all positions, the mask ignored: average only where the mask is True":
        {"weighted": False},
    "the sum over the True positions, not their mean: divide by how many there are":
        {"divide": "none"},
    "divided by the length T, not by the number of True positions in the row":
        {"divide": "time"},
    "NaN for a row without a True position (0 / 0): such a row gives zeros, e.g. divide by "
    "max(count, 1)": {"empty": "nan"},
}


#: What TensorFlow and Keras say when a bool or int mask meets floats in arithmetic.
_DTYPE_ERRORS = (r"must have the same dtype|attr 'T' of bool|bool tensor|int32 tensor|"
                 r"int64 tensor|tf\.bool|DT_BOOL|Only integers, slices")


def _explain_mask_error(message):
    """The extra hint for a bool or int mask used in arithmetic with float tensors."""
    if re.search(_DTYPE_ERRORS, message.split("\nHint:")[0]):
        return ("the mask is bool or int: cast it to x's dtype first, m = "
                "keras.ops.cast(mask, x.dtype), and compute with m; unlike NumPy, tensors do not "
                "mix dtypes in arithmetic.")
    return None


def _masked_mean_pool_cases():
    """(case, mode, x, mask) for 12.6: NumPy cases, then tensors (float32 x, bool mask),
    eagerly and traced with the batch size and the length unknown."""
    rng = np.random.default_rng(1260)
    ends = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool)
    gaps = np.array([[1, 0, 1, 0, 1, 1], [0, 1, 1, 0, 0, 1]], bool)
    empty = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [0, 1, 1, 1]], bool)
    last = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0], [1, 0, 1, 1, 1, 0],
                     [1, 1, 1, 1, 1, 1]], bool)
    return tensor_modes.with_tensor_modes([
        ("3 sequences of 5 steps, 4 features, padding at the end", "numpy",
         random_values(1261, (3, 5, 4)), ends),
        ("True positions with gaps between them", "numpy", random_values(1262, (2, 6, 3)), gaps),
        ("a row without a True position gives zeros", "numpy", random_values(1263, (3, 4, 2)),
         empty),
        ("every position True: the plain mean", "numpy", random_values(1264, (2, 3, 5)),
         np.ones((2, 3), bool)),
        ("a 0/1 int mask", "numpy", random_values(1265, (3, 5, 4)), ends.astype(np.int64)),
        ("a 0/1 float mask", "numpy", random_values(1266, (2, 6, 3)), gaps.astype(np.float64)),
        ("float32 x, one step", "numpy", random_values(1267, (3, 1, 4)).astype(np.float32),
         rng.integers(0, 2, size=(3, 1)).astype(bool)),
        ("float32 x (4, 6, 3), a bool mask with an all-False row", "numpy",
         random_values(1268, (4, 6, 3)).astype(np.float32), last),
    ], unknown_batch=True, unknown_length=True, keep_dtypes=True)


@exercise("12.6")
def masked_mean_pool(ex):
    """Checks `masked_mean_pool(x, mask)`: the mean over time of the True positions.

    `x` is float (batch, time, dim), `mask` (batch, time) bool or 0/1 (NumPy arrays or
    tensors). The result (batch, dim), a NumPy array or a tensor, is for each row the
    mean of x over the positions where the mask is True; a row without a True position
    gives zeros (not NaN). The oracle is `keras.layers.GlobalAveragePooling1D()(x,
    mask=mask)` (float64), with zeros for such rows. Cases: padding at the end, True
    positions with gaps, an all-False row, an all-True mask, 0/1 int and float masks,
    one step, float32; then float32 x with a bool mask as tensors, eagerly and inside
    tf.function with the batch size and the length unknown (the function runs inside a
    Keras model, which passes a bool mask). Known mistakes (the mask ignored, a sum,
    a division by T, NaN on an empty row) are named; a mask used without a cast, which
    tensors refuse, is explained.
    """
    hint = ("m = the mask as floats, (batch, time, 1); sum(x * m) over time divided by "
            "sum(m) over time, at least 1 so that an empty row gives zeros.")
    for case, mode, x, mask in _masked_mean_pool_cases():
        out = tensor_modes.call(ex, case, mode, x, mask, explain=_explain_mask_error,
                                keep_dtypes=True)
        rtol, atol = tensor_modes.tolerances(x.dtype)
        ex.compare(case, tensor_modes.as_numpy(out), _keras_masked_mean(x, mask),
                   kind="tensor", rtol=rtol, atol=atol, hint=hint,
                   mistakes=mistakes_from(_masked_mean_pool_answer, _MASKED_MEAN_POOL_MISTAKES,
                                          x, mask),
                   shape_hint="one vector per sequence: (batch, dim), the mean over the time "
                              "axis (axis 1).",
                   nonfinite_hint="a row without a True position has 0 / 0 = NaN: divide by "
                                  "keras.ops.maximum(count, 1), which gives zeros there.")


# ---------------------------------------------------- build_text_classifier ---

_CLASSIFIER_LAYOUT = ('kind "pooled": keras.Input(shape=(None,), dtype="int32") -> '
                      'Embedding(vocab_size, embed_dim, mask_zero=True) -> '
                      'GlobalAveragePooling1D() -> Dense(num_classes, activation="softmax"); '
                      'kind "birnn": the same Embedding -> Bidirectional(LSTM(units)) -> the '
                      'same Dense.')


def _explain_classifier_error(message):
    """The extra hint for Keras's errors of a classifier built for fixed lengths, or of a
    Lambda layer without its output shape."""
    message = message.split("\nHint:")[0]
    if "Lambda" in message and "output_shape" in message:
        return ("Keras cannot work out a Lambda layer's output shape here: give it "
                "output_shape=(embed_dim,), or pool with keras.layers.GlobalAveragePooling1D(), "
                "which honours the Embedding's mask.")
    if re.search(r"fully-defined|should be defined|Flatten|incompatible with the layer|"
                 r"expected axis -1", message):
        return ("the ids have any length (keras.Input(shape=(None,))), so nothing may depend on "
                "a fixed number of steps (Flatten does): pool over time with "
                "keras.layers.GlobalAveragePooling1D(), which honours the mask.")
    if "expected ndim=2, found ndim=3" in message or "expected ndim=3" in message:
        return ("a Dense classifier takes one vector per sequence: pool over time, or give the "
                "LSTM return_sequences=False (the default).")
    return None


def _raises_as_errors(fn):
    """`fn` whose NotImplementedError with a message (Keras's Lambda raises one) becomes a
    TypeError, so that only the stub's bare NotImplementedError reads "not attempted"."""
    @functools.wraps(fn)
    def build(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotImplementedError as error:
            if not str(error):
                raise
            raise TypeError(str(error)).with_traceback(error.__traceback__) from None

    return build


def _clean_error(error):
    """An exception's text on one line, without Keras's colour codes and argument dump."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split("Arguments received")[0]
    return " ".join(line.strip() for line in text.splitlines() if line.strip())[:300]


def _run_classifier(ex, case, model, ids, what):
    """The model's output (training=False) on int `ids`; a failure says which batch."""
    __tracebackhide__ = True
    try:
        with warnings.catch_warnings():  # Keras warns of layers that drop a mask
            warnings.simplefilter("ignore", UserWarning)
            return model(ids, training=False)
    except Exception as error:  # noqa: BLE001 - the student's model, reported
        message = _clean_error(error)
        ex.fail(case, f"running the model on {what} (int ids of shape {ids.shape}) raised "
                      f"{type(error).__name__}: {message}",
                _explain_classifier_error(message) or
                "the model takes int ids (batch, time) of any batch size and length: build it "
                "on keras.Input(shape=(None,), dtype=\"int32\"), and read no size from a "
                "tensor's static shape.")


@functools.cache
def _lstm_layer(features, units):
    """Keras's `Bidirectional(LSTM(units))` in float64, built for `features` inputs (one
    layer per size, given its weights at each use)."""
    keras = import_keras()
    layer = keras.layers.Bidirectional(keras.layers.LSTM(units, dtype="float64"),
                                       dtype="float64")
    layer.build((None, None, features))
    return layer


def _lstm_reference(x, mask, weights, units):
    """Keras's `Bidirectional(LSTM(units))` in float64 with `weights`, on `x` and `mask`
    (None: every step)."""
    layer = _lstm_layer(x.shape[-1], units)
    layer.set_weights([np.asarray(w, np.float64) for w in weights])
    return np.asarray(layer(x, mask=mask))


def _known_classifier_weights(seed, vocab_size, num_classes, embed_dim, units):
    """Known float32 weights: "embeddings" (vocab, embed_dim), "kernel" and "bias" of the
    Dense layer, and "lstm" (Bidirectional(LSTM(units))'s six arrays) when `units`."""
    features = embed_dim if units is None else 2 * units
    weights = {
        "embeddings": random_values(seed, (vocab_size, embed_dim)),
        "kernel": random_values(seed + 1, (features, num_classes), 1.5 / np.sqrt(features)),
        "bias": random_values(seed + 2, (num_classes,), 0.3),
    }
    if units is not None:
        shapes = [(embed_dim, 4 * units), (units, 4 * units), (4 * units,)] * 2
        weights["lstm"] = [random_values(seed + 3 + i, shape, 0.5)
                           for i, shape in enumerate(shapes)]
    return {name: [w.astype(np.float32) for w in value] if name == "lstm" else
            value.astype(np.float32) for name, value in weights.items()}


def _keras_text_classifier(ids, weights, units):
    """The oracle of 12.7 in float64: the embedding rows of `ids`, pooled by
    `GlobalAveragePooling1D` with the mask ids != 0 (or read by Keras's Bidirectional
    LSTM with that mask, when `units`), then the Dense layer and a softmax."""
    keras = import_keras()
    x = np.asarray(weights["embeddings"], np.float64)[ids]
    mask = ids != 0
    if units is None:
        pooled = np.asarray(keras.layers.GlobalAveragePooling1D(dtype="float64")(x, mask=mask))
    else:
        pooled = _lstm_reference(x, mask, weights["lstm"], units)
    logits = pooled @ weights["kernel"].astype(np.float64) + weights["bias"]
    return np.asarray(keras.ops.softmax(logits, axis=-1))


def _text_classifier_answer(ids, weights, units, *, masked=True, probabilities=True,
                            pool="mean"):
    """12.7's output with known weights, with switches for the known mistakes.

    Args:
        ids: int (batch, time), 0 the padding.
        weights: as from `_known_classifier_weights`.
        units: None for kind "pooled", else the LSTM's units.
        masked: False reads the padding as a word (a mistake).
        probabilities: False leaves out the softmax (a mistake).
        pool: "mean" (right); "max" (over every position, as GlobalMaxPooling1D, which
            takes no mask) or "sum" over time (mistakes of kind "pooled").
    """
    x = np.asarray(weights["embeddings"], np.float64)[ids]
    mask = ids != 0 if masked else np.ones(ids.shape, bool)
    if units is not None:
        if pool != "mean":
            return None
        pooled = _lstm_reference(x, mask if masked else None, weights["lstm"], units)
    elif pool == "max":
        pooled = x.max(axis=1)  # GlobalMaxPooling1D takes no mask
    else:
        pooled = (x * mask[..., None]).sum(axis=1)
        pooled = pooled if pool == "sum" else pooled / mask.sum(axis=1, keepdims=True)
    logits = pooled @ weights["kernel"].astype(np.float64) + weights["bias"]
    return _softmax(logits) if probabilities else logits


_TEXT_CLASSIFIER_MISTAKES = {
    "the padding read as a word: the model ignores the mask of Embedding(mask_zero=True), "
    "so the padding id 0 takes part (a pooling that is not masked?)": {"masked": False},
    "no softmax: the last layer is Dense(num_classes, activation=\"softmax\"), so that each "
    "row is probabilities": {"probabilities": False},
    "max pooling over time (GlobalMaxPooling1D, which also ignores the mask): kind "
    "\"pooled\" takes the mean of the real tokens' embeddings": {"pool": "max"},
    "a sum over time: kind \"pooled\" takes the mean of the real tokens' embeddings":
        {"pool": "sum"},
}


def _classifier_ids(seed, lengths, time, vocab_size):
    """Int32 ids (len(lengths), time): each row `length` ids in [1, vocab_size), then 0s."""
    rng = np.random.default_rng(seed)
    ids = np.zeros((len(lengths), time), np.int32)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(1, vocab_size, size=length)
    return ids


def _text_classifier_cases():
    """(case, args, kwargs, vocab_size, num_classes, kind, embed_dim, units, seed) for
    12.7; units None for kind "pooled"."""
    return [
        ('kind "pooled": vocab 50, 3 classes, embed_dim 8', (50, 3),
         {"kind": "pooled", "embed_dim": 8}, 50, 3, "pooled", 8, None, 1270),
        ('the defaults (kind "pooled", embed_dim 32): vocab 30, 2 classes', (30, 2), {}, 30, 2,
         "pooled", 32, None, 1271),
        ('kind "birnn": vocab 40, 4 classes, embed_dim 6, units 5', (40, 4),
         {"kind": "birnn", "embed_dim": 6, "units": 5}, 40, 4, "birnn", 6, 5, 1272),
        ('kind "birnn" with the defaults embed_dim 32 and units 32: vocab 25, 3 classes',
         (25, 3), {"kind": "birnn"}, 25, 3, "birnn", 32, 32, 1273),
    ]


def _require_embedding(ex, case, leaves, vocab_size, embed_dim):
    """12.7: exactly one Embedding(vocab_size, embed_dim, mask_zero=True); returns it."""
    __tracebackhide__ = True
    layers = import_keras().layers
    found = f"the model's layers: {layer_names(leaves)}"
    embeddings = [layer for layer in leaves if isinstance(layer, layers.Embedding)]
    ex.require(case, len(embeddings) == 1,
               f"expected one keras.layers.Embedding; {found}.", _CLASSIFIER_LAYOUT)
    embedding = embeddings[0]
    sizes = (embedding.input_dim, embedding.output_dim)
    ex.require(case, sizes == (vocab_size, embed_dim),
               f"the Embedding is Embedding({sizes[0]}, {sizes[1]}), expected "
               f"Embedding(vocab_size={vocab_size}, embed_dim={embed_dim}).",
               "use the arguments vocab_size and embed_dim (embed_dim=32 by default).")
    if not embedding.mask_zero:
        ex.fail_mistake(case, "mask_zero missing: without Embedding(..., mask_zero=True) the "
                              "padding id 0 is read as a word, and appending padding changes "
                              "the output",
                        hint="keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True); "
                             "the layers after it then skip the padding.")
    return embedding


def _require_recurrent_part(ex, case, leaves, kind, units):
    """12.7: no recurrent layer for "pooled"; one Bidirectional(LSTM(units)) returning its
    last output for "birnn". Returns the Bidirectional layer, or None."""
    __tracebackhide__ = True
    layers = import_keras().layers
    found = f"the model's layers: {layer_names(leaves)}"
    wrappers = [layer for layer in leaves if isinstance(layer, layers.Bidirectional)]
    bare = [layer for layer in leaves if isinstance(layer, layers.RNN)]
    if kind == "pooled":
        ex.require(case, not wrappers and not bare,
                   f"kind \"pooled\" has no recurrent layer; {found}.", _CLASSIFIER_LAYOUT)
        return None
    if bare and not wrappers:
        ex.fail_mistake(case, f"the {type(bare[0]).__name__} is not bidirectional: kind "
                              f"\"birnn\" reads the sequence both ways; {found}",
                        hint="wrap it: keras.layers.Bidirectional(keras.layers.LSTM(units)).")
    ex.require(case, len(wrappers) == 1 and not bare,
               f"kind \"birnn\" has one Bidirectional(LSTM(units)) layer; {found}.",
               _CLASSIFIER_LAYOUT)
    inner = wrappers[0].forward_layer
    ex.require(case, isinstance(inner, layers.LSTM),
               f"the Bidirectional layer wraps a {type(inner).__name__}; kind \"birnn\" uses "
               f"an LSTM.", "keras.layers.Bidirectional(keras.layers.LSTM(units)).")
    ex.require(case, inner.units == units,
               f"the LSTM has {inner.units} units, expected units={units}.",
               "use the units argument (units=32 by default).")
    if inner.return_sequences:
        ex.fail_mistake(case, "return_sequences=True without pooling: the LSTM then gives one "
                              "vector per step, and the classifier needs one per sequence, the "
                              "last output of each direction (return_sequences=False, the "
                              "default)",
                        hint="keras.layers.Bidirectional(keras.layers.LSTM(units)).")
    ex.require(case, wrappers[0].merge_mode == "concat",
               f"the Bidirectional layer has merge_mode={wrappers[0].merge_mode!r}; expected "
               f"its default 'concat' (2 * units features).", "leave merge_mode at its default.")
    return wrappers[0]


def _require_classifier_structure(ex, case, model, leaves, kind, vocab_size, num_classes,
                                  embed_dim, units):
    """12.7's layers; returns (embedding, bidirectional or None, dense)."""
    __tracebackhide__ = True
    layers = import_keras().layers
    found = f"the model's layers: {layer_names(leaves)}"
    if any(isinstance(layer, layers.Flatten) for layer in leaves):
        ex.fail_mistake(case, f"Flatten instead of pooling: Flatten needs a fixed number of "
                              f"steps and ignores the mask; {found}",
                        hint="pool over time with keras.layers.GlobalAveragePooling1D(), which "
                             "honours the Embedding's mask. " + _CLASSIFIER_LAYOUT)
    embedding = _require_embedding(ex, case, leaves, vocab_size, embed_dim)
    wrapper = _require_recurrent_part(ex, case, leaves, kind, units)
    denses = [layer for layer in leaves if isinstance(layer, layers.Dense)]
    ex.require(case, len(denses) == 1 and denses[0].units == num_classes,
               f"expected one Dense(num_classes={num_classes}, activation=\"softmax\") layer "
               f"after the {'pooling' if kind == 'pooled' else 'Bidirectional LSTM'}; "
               f"{found}" + (f" (Dense of {[d.units for d in denses]} units)" if denses else "")
               + ".", _CLASSIFIER_LAYOUT)
    if not is_subclassed_model(model):
        try:
            input_shape = tuple(model.input_shape)
        except (AttributeError, ValueError) as error:
            lambdas = any(isinstance(layer, layers.Lambda) for layer in leaves)
            ex.fail(case, f"Keras could not build the model on its input "
                          f"({_clean_error(error)}).",
                    _explain_classifier_error("Lambda output_shape") if lambdas else
                    "start the model with keras.Input(shape=(None,), dtype=\"int32\").")
        ex.require(case, input_shape == (None, None),
                   f"the model takes inputs of shape {input_shape}, expected "
                   f"(None, None): int ids of any batch size and any length.",
                   "build it on keras.Input(shape=(None,), dtype=\"int32\").")
    return embedding, wrapper, denses[0]


def _give_classifier_weights(ex, case, layers_found, weights):
    """Gives the student's Embedding, Bidirectional LSTM and Dense the known weights."""
    __tracebackhide__ = True
    embedding, wrapper, dense = layers_found
    embedding.embeddings.assign(weights["embeddings"])
    ex.require(case, tuple(dense.kernel.shape) == weights["kernel"].shape,
               f"the Dense layer's kernel has shape {tuple(dense.kernel.shape)}, expected "
               f"{weights['kernel'].shape}: it reads one vector per sequence of "
               f"{weights['kernel'].shape[0]} features.", _CLASSIFIER_LAYOUT)
    dense.kernel.assign(weights["kernel"])
    ex.require(case, dense.bias is not None,
               "the Dense layer has use_bias=False: a classifier's Dense layer has a bias.",
               "keep Dense's default use_bias=True.")
    dense.bias.assign(weights["bias"])
    if wrapper is not None:
        shapes = [tuple(w.shape) for w in wrapper.get_weights()]
        expected = [w.shape for w in weights["lstm"]]
        ex.require(case, shapes == expected,
                   f"the Bidirectional LSTM's weights have shapes {shapes}, expected "
                   f"{expected} (an LSTM(units) with its default bias, each way).",
                   "keras.layers.Bidirectional(keras.layers.LSTM(units)) with the defaults.")
        wrapper.set_weights(weights["lstm"])


@exercise("12.7")
def build_text_classifier(ex):
    """Checks `build_text_classifier(vocab_size, num_classes, kind="pooled", embed_dim=32,
    units=32)` by its layers and with known weights.

    The model maps int ids (batch, time), 0 the padding, of any batch size and length,
    to class probabilities (batch, num_classes). Kind "pooled": one
    `Embedding(vocab_size, embed_dim, mask_zero=True)`, a masked mean over time
    (`GlobalAveragePooling1D`, or a layer or `Lambda` of the student's own), then one
    `Dense(num_classes, activation="softmax")`; kind "birnn": the same Embedding, one
    `Bidirectional(LSTM(units))` (its defaults: the last output of each direction,
    concatenated), the same Dense. Dropout may sit between them. The layers are found
    with `keras_models.leaf_layers`, so a Sequential, a functional model, nested models
    and a subclassed model are inspected alike; a Sequential or functional model is
    built on inputs of shape (None, None). The check runs the model on ids (2, 7),
    gives the Embedding, the LSTMs and the Dense known weights and compares the
    output with a float64 oracle (Keras's GlobalAveragePooling1D or Bidirectional LSTM
    with the mask ids != 0, the same weights), then on ids (3, 11) (another batch
    size and length) and on the first ids with 5 padding ids appended, which must not
    change the output. Cases: both kinds, with and without the default arguments
    (called with keywords). Known mistakes (mask_zero missing, Flatten, no softmax, an
    LSTM not bidirectional or returning sequences, a GRU, max or sum pooling, the mask
    ignored by the pooling) are named; Keras's errors of a Lambda without its output
    shape and of fixed lengths are explained.
    """
    keras = import_keras()
    builder = ex.sibling(_raises_as_errors(ex.fn))
    for case, args, kwargs, vocab_size, num_classes, kind, embed_dim, units, seed in \
            _text_classifier_cases():
        model = builder.call_explained(case, _explain_classifier_error, *args, **kwargs)
        ex.require(case, isinstance(model, keras.Model),
                   f"expected a Keras model, received {describe(model)}.",
                   "build the model and return it. " + _CLASSIFIER_LAYOUT)
        first = _classifier_ids(seed, [4, 7], 7, vocab_size)
        _run_classifier(ex, case, model, first, "a batch of 2 sequences")  # builds it
        leaves = leaf_layers(model)
        layers_found = _require_classifier_structure(ex, case, model, leaves, kind, vocab_size,
                                                     num_classes, embed_dim, units)
        weights = _known_classifier_weights(seed, vocab_size, num_classes, embed_dim, units)
        _give_classifier_weights(ex, case, layers_found, weights)
        hint = ("Embedding(mask_zero=True) -> " + (
            "a mean over the real tokens (GlobalAveragePooling1D)" if kind == "pooled" else
            "Bidirectional(LSTM(units))") + " -> Dense(num_classes, activation=\"softmax\").")
        other = _classifier_ids(seed + 5, [11, 2, 6], 11, vocab_size)
        padded = np.concatenate([first, np.zeros((2, 5), np.int32)], axis=1)
        for part, ids, reference in (
                ("output with known weights", first, first),
                ("output on ids (3, 11): another batch size and length", other, other),
                ("output with 5 padding ids appended", padded, first)):
            received = _run_classifier(ex, case, model, ids, f"ids of shape {ids.shape}")
            ex.compare(case, received, _keras_text_classifier(reference, weights, units),
                       kind="tensor", rtol=2e-4, atol=2e-5, hint=hint, part=part,
                       mistakes=mistakes_from(_text_classifier_answer,
                                              _TEXT_CLASSIFIER_MISTAKES, reference, weights,
                                              units),
                       shape_hint=f"one row of {num_classes} probabilities per sequence: "
                                  f"(batch, num_classes).")


# ------------------------------------------------------------ masked_lm_loss ---

def _position_losses(targets, logits):
    """The cross-entropy at each position, (batch, time), from
    `keras.losses.sparse_categorical_crossentropy(from_logits=True)` in float64."""
    keras = import_keras()
    return np.asarray(keras.losses.sparse_categorical_crossentropy(
        np.asarray(targets).astype(np.int64), np.asarray(logits, np.float64), from_logits=True))


def _masked_lm_oracle(targets, logits, selected):
    """The mean of `_position_losses` over the selected positions, 0.0 if there is none."""
    losses, selected = _position_losses(targets, logits), np.asarray(selected).astype(bool)
    return float(losses[selected].mean()) if selected.any() else 0.0


def _masked_lm_loss_answer(targets, logits, selected, *, over="selected", divide="count",
                           read_as="logits", empty="zero"):
    """12.8's loss with switches for the known mistakes.

    Args:
        targets, logits, selected: as for 12.8.
        over: "selected" (right) or "all" (every position, a mistake).
        divide: "count" (right: by the number selected); "all" (by batch * time) or
            "none" (the sum) (mistakes).
        read_as: "logits" (right); "softmax twice" (a softmax before a loss from logits)
            or "probabilities" (Keras's from_logits=False, the logits taken for
            probabilities, in the logits' dtype) (mistakes).
        empty: "zero" (right) or "nan" (0 / 0 when nothing is selected, a mistake).
    """
    keras = import_keras()
    targets, logits = np.asarray(targets).astype(np.int64), np.asarray(logits)
    if read_as == "probabilities":
        losses = np.asarray(keras.losses.sparse_categorical_crossentropy(
            targets, logits, from_logits=False), np.float64)
    else:
        z = np.asarray(logits, np.float64)
        if read_as == "softmax twice":
            z = _softmax(z)
        top = z.max(axis=-1, keepdims=True)
        log_probs = z - top - np.log(np.exp(z - top).sum(axis=-1, keepdims=True))
        losses = -np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    weights = np.ones(losses.shape) if over == "all" else np.asarray(selected, np.float64)
    total = float((losses * weights).sum())
    if divide == "none":
        return total
    if divide == "all":
        return total / losses.size
    count = float(weights.sum())
    if count == 0:
        return float("nan") if empty == "nan" else 0.0
    return total / count


_MASKED_LM_LOSS_MISTAKES = {
    "the mean over all positions: the loss counts only the selected ones":
        {"over": "all"},
    "divided by batch * time (e.g. sample_weight=selected in a Keras loss, whose mean is "
    "over every position): divide by the number of selected positions": {"divide": "all"},
    "the sum over the selected positions: the loss is their mean": {"divide": "none"},
    "a softmax applied before a loss from logits (softmax twice): give the logits to "
    "sparse_categorical_crossentropy(..., from_logits=True) as they are":
        {"read_as": "softmax twice"},
    "the logits taken for probabilities (from_logits=True missing)":
        {"read_as": "probabilities"},
    "NaN when nothing is selected (0 / 0): the loss is then 0.0, e.g. divide by "
    "max(count, 1)": {"empty": "nan"},
}


def _explain_lm_error(message):
    """The extra hint for a bool mask used in arithmetic, or as an index, on tensors."""
    if re.search(_DTYPE_ERRORS, message.split("\nHint:")[0]):
        return ("`selected` is bool: cast it to the losses' dtype first, w = "
                "keras.ops.cast(selected, losses.dtype), and average sum(losses * w) / "
                "max(sum(w), 1); unlike NumPy, tensors do not mix dtypes in arithmetic.")
    return None


def _lm_batch(seed, batch, time, vocab, fraction, scale=2.0, dtype=np.float64):
    """(targets int64 (batch, time), logits (batch, time, vocab), selected bool)."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, vocab, size=(batch, time))
    logits = random_values(seed + 1, (batch, time, vocab), scale).astype(dtype)
    selected = rng.random((batch, time)) < fraction
    return targets, logits, selected


def _masked_lm_loss_cases():
    """(case, mode, targets, logits, selected) for 12.8: NumPy cases, then tensors (int32
    targets, float32 logits, bool selected), eagerly and traced with the batch size and
    the length unknown."""
    one = _lm_batch(1281, 3, 4, 6, 0.0)
    one[2][1, 2] = True
    large = _lm_batch(1284, 2, 5, 7, 0.6, scale=400.0)
    return tensor_modes.with_tensor_modes([
        ("batch 2, time 5, vocab 7, 4 positions selected", "numpy",
         *_lm_batch(1280, 2, 5, 7, 0.4)),
        ("one position selected", "numpy", *one),
        ("every position selected: the plain mean", "numpy", *_lm_batch(1282, 2, 3, 5, 1.0)),
        ("nothing selected: the loss is 0.0", "numpy", *_lm_batch(1283, 2, 4, 5, 0.0)),
        ("logits up to about 1500, where a softmax overflows", "numpy", *large),
        ("float32 logits: batch 3, time 6, vocab 11", "numpy",
         *_lm_batch(1285, 3, 6, 11, 0.3, dtype=np.float32)),
        ("batch 4, time 8, vocab 9, about 30% selected", "numpy",
         *_lm_batch(1286, 4, 8, 9, 0.3)),
    ], unknown_batch=True, unknown_length=True, keep_dtypes=True)


@exercise("12.8")
def masked_lm_loss(ex):
    """Checks `masked_lm_loss(targets, logits, selected)`: the masked-language-model loss.

    `targets` is int (batch, time), `logits` float (batch, time, vocab), `selected` bool
    (batch, time) (NumPy arrays or tensors). The result is one number (a NumPy or Python
    number, or a 0-d tensor): the mean over the selected positions of the cross-entropy
    of the targets from the logits; 0.0 when nothing is selected. The oracle is
    `keras.losses.sparse_categorical_crossentropy(..., from_logits=True)` (float64) at
    every position, averaged over the selected ones here. Cases: a few, one, every and
    no selected position, logits up to about 1500 (where a softmax overflows), float32;
    then int32 targets, float32 logits and a bool mask as tensors, eagerly and inside
    tf.function with the batch size and the length unknown (the notebook's training
    step). Known mistakes (the mean over all positions, a division by batch * time, a
    sum, a softmax twice, the logits taken for probabilities, NaN when nothing is
    selected) are named; a bool mask used without a cast, which tensors refuse, is
    explained.
    """
    hint = ("the cross-entropy at every position, keras.losses.sparse_categorical_crossentropy("
            "targets, logits, from_logits=True), (batch, time); then sum(losses * w) / "
            "max(sum(w), 1) with w = selected as floats.")
    for case, mode, targets, logits, selected in _masked_lm_loss_cases():
        out = tensor_modes.call(ex, case, mode, targets, logits, selected,
                                explain=_explain_lm_error, keep_dtypes=True)
        rtol, atol = tensor_modes.tolerances(logits.dtype)
        ex.compare(case, tensor_modes.as_numpy(out), _masked_lm_oracle(targets, logits, selected),
                   kind="scalar", rtol=rtol, atol=atol, hint=hint,
                   mistakes=mistakes_from(_masked_lm_loss_answer, _MASKED_LM_LOSS_MISTAKES,
                                          targets, logits, selected),
                   shape_hint="return one number: the mean over the selected positions.",
                   nonfinite_hint="exp of a logit above about 88 (float32) or 709 (float64) "
                                  "overflows, and 0 / 0 when nothing is selected is NaN: use "
                                  "the cross-entropy from logits (log-softmax inside) and "
                                  "divide by max(count, 1).")
