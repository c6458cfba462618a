"""Character-level language modelling: ids, n-gram baselines and scores in nats per character.

Notebooks 05 (a character LSTM) and 07 (a character GPT) train language models on
the same text and compare them with the same count-based baselines, scored the same
way. What both need lives here, once:

    encode(text, chars)              a string -> int32 ids (unknown characters -> len(chars)).
    decode(ids, chars)               ids -> a string.
    ngram_cross_entropy(...)         nats per character of an add-k n-gram model.
    ngram_baselines(...)             n-gram models of several orders, k chosen on held-out text.
    lm_cross_entropy(model, ...)     nats per character of a Keras model that outputs logits.

Every score is the cross-entropy in nats per character: the mean of -ln p(c_t | the
characters before it) over the scored characters (divide by ln 2 for bits). Only NumPy
is imported; `lm_cross_entropy` calls the model's own `predict`.
"""

import numpy as np

__all__ = ["K_VALUES", "decode", "encode", "lm_cross_entropy", "ngram_baselines",
           "ngram_cross_entropy"]

#: The add-k smoothing constants `ngram_baselines` chooses from.
K_VALUES = (0.01, 0.03, 0.1, 0.3, 1.0)


def encode(text, chars):
    """Turns a string into character ids.

    Args:
        text: a str.
        chars: the vocabulary, a sequence of distinct characters (e.g.
            `sorted(set(train_text))`); character `chars[i]` gets id `i`.

    Returns:
        An int32 array of shape `(len(text),)`. A character that is not in `chars`
        gets the id `len(chars)`, the "unknown" id, so the vocabulary has
        `len(chars) + 1` ids in all.

    Example:

    >>> encode("cab?", ["a", "b", "c"])
    array([2, 0, 1, 3], dtype=int32)
    """
    if not isinstance(text, str):
        raise TypeError(f"encode() needs a str, received {type(text).__name__}.")
    index = {ch: i for i, ch in enumerate(chars)}
    if len(index) != len(chars):
        raise ValueError("encode() needs distinct characters in `chars`; pass "
                         "sorted(set(text)).")
    unknown = len(chars)
    return np.array([index.get(ch, unknown) for ch in text], dtype=np.int32)


def decode(ids, chars):
    """Turns character ids back into a string.

    Args:
        ids: a sequence of ints (a list or an array).
        chars: the vocabulary given to `encode`.

    Returns:
        A str; the unknown id `len(chars)` becomes the replacement character U+FFFD.

    Example:

    >>> decode([2, 0, 1, 3], ["a", "b", "c"])
    'cab\\ufffd'
    """
    unknown = len(chars)
    return "".join(chars[i] if 0 <= i < unknown else "\ufffd" for i in np.asarray(ids).tolist())


def _lookup(keys, counts, queries):
    """counts[j] where keys[j] == query, else 0 (keys sorted, as np.unique returns them)."""
    where = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[where] == queries, counts[where], 0)


def _require_ids(name, ids, vocab_size):
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"{name} must be a 1-D array of int ids, received shape {ids.shape} "
                        f"and dtype {ids.dtype}. Use encode(text, chars).")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"{name} holds ids from {ids.min()} to {ids.max()}, outside 0 .. "
                         f"{vocab_size - 1} (vocab_size={vocab_size}).")
    return ids.astype(np.int64)


def ngram_cross_entropy(n, k, counted_ids, ids, first, vocab_size):
    """Scores an add-k smoothed n-gram model, in nats per character.

    The model predicts each character from the `n - 1` characters before it:

        p(c | context) = (count(context, c) + k) / (count(context) + k * vocab_size),

    with the counts taken from `counted_ids`.

    Args:
        n: the order, an int >= 1 (1: unigram, 2: bigram, ...).
        k: the smoothing constant, a number > 0.
        counted_ids: 1-D int array, the text the counts come from.
        ids: 1-D int array, the text to score.
        first: the index of the first character of `ids` to score, >= n - 1:
            `ids[first:]` are scored and `ids[:first]` serve as context only.
        vocab_size: the number of ids (every id is below it).

    Returns:
        A float: the mean of -ln p(ids[t] | ids[t - n + 1 : t]) over t = first ..
        len(ids) - 1.

    Example:

    >>> ids = encode("abababab", ["a", "b"])
    >>> round(ngram_cross_entropy(2, 0.01, ids, ids, 1, 3), 4)
    0.0057
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an int >= 1, received {n!r}.")
    if not k > 0:
        raise ValueError(f"k must be > 0 (k = 0 gives unseen characters probability 0), "
                         f"received {k!r}.")
    counted_ids = _require_ids("counted_ids", counted_ids, vocab_size)
    ids = _require_ids("ids", ids, vocab_size)
    if not n - 1 <= first < len(ids):
        raise ValueError(f"first must be between n - 1 = {n - 1} and len(ids) - 1 = "
                         f"{len(ids) - 1}, received {first}.")
    if len(counted_ids) < n:
        raise ValueError(f"counted_ids has {len(counted_ids)} ids, fewer than n = {n}.")

    def codes(sequence, positions):       # each n-gram as one integer, base-vocab_size digits
        code = np.zeros(len(positions), dtype=np.int64)
        for back in range(n - 1, -1, -1):
            code = code * vocab_size + sequence[positions - back]
        return code

    counted = codes(counted_ids, np.arange(n - 1, len(counted_ids)))
    grams, gram_counts = np.unique(counted, return_counts=True)
    contexts, context_counts = np.unique(counted // vocab_size, return_counts=True)
    queries = codes(ids, np.arange(first, len(ids)))
    p = (_lookup(grams, gram_counts, queries) + k) / \
        (_lookup(contexts, context_counts, queries // vocab_size) + k * vocab_size)
    return float(-np.mean(np.log(p)))


def ngram_baselines(train_ids, ids, first, vocab_size, orders=(1, 2, 3, 4, 5),
                    k_values=K_VALUES, held_out=0.1):
    """Fits n-gram models of several orders, choosing each one's k on held-out text.

    For each order n, every k of `k_values` is tried on the training text alone:
    the counts come from its first `1 - held_out` part and the score from the
    rest. The k with the lowest held-out cross-entropy is kept (the first one on a
    tie); the model is then counted again on the whole training text and scored
    on `ids[first:]`. The scored text never influences the choice of k.

    Args:
        train_ids: 1-D int array, the training text.
        ids: 1-D int array, the text to score (context first, see `first`).
        first: the index of the first scored character of `ids`, >= max(orders) - 1.
        vocab_size: the number of ids.
        orders: the orders n to fit, ints >= 1.
        k_values: the smoothing constants to choose from.
        held_out: the fraction of the training text used to choose k.

    Returns:
        A list of `(n, k, nats)` tuples, one per order in the order given: the chosen
        k and the cross-entropy on `ids[first:]` in nats per character.

    Example:

    >>> rows = ngram_baselines(train_ids, scored_ids, 50, vocab_size, orders=(1, 2, 3))  # doctest: +SKIP
    >>> [(n, k) for n, k, _ in rows]  # doctest: +SKIP
    [(1, 0.01), (2, 0.1), (3, 0.03)]
    """
    if not 0 < held_out < 1:
        raise ValueError(f"held_out must be a fraction between 0 and 1, received {held_out!r}.")
    if not k_values:
        raise ValueError("k_values is empty: give at least one smoothing constant.")
    train_ids = np.asarray(train_ids)
    cut = int((1 - held_out) * len(train_ids))
    rows = []
    for n in orders:
        scores = [ngram_cross_entropy(n, k, train_ids[:cut], train_ids, cut, vocab_size)
                  for k in k_values]
        k = k_values[int(np.argmin(scores))]
        rows.append((n, k, ngram_cross_entropy(n, k, train_ids, ids, first, vocab_size)))
    return rows


def lm_cross_entropy(model, ids, first, length, context=None, batch_size=256):
    """Scores a language model on every character of `ids[first:]`, in nats per character.

    The model reads ids and returns next-character logits at every position:
    `model.predict(x)` maps `(batch, time)` ids to `(batch, time, vocab)` logits,
    where the logits at position t are for the id at t + 1. The scored text is cut
    into blocks of `length` targets; each block is predicted after the `context`
    ids before it, so the model reads `context + length - 1` ids per block and
    every scored character is predicted from `context` to `context + length - 1`
    characters before it (for the first block, from `ids[first - context:first]`).

    Args:
        model: a Keras model (anything with `predict(x, batch_size=..., verbose=0)`).
        ids: 1-D int array: context, then the characters to score.
        first: the index of the first scored character, >= `context`.
        length: how many characters each block scores, an int >= 1.
        context: how many characters come before each block; `length` when None
            (inputs of `2 * length - 1` ids).
        batch_size: blocks per call of `predict`.

    Returns:
        A float: the mean of -ln p(ids[t] | the characters before it) over
        t = first .. len(ids) - 1, with p the softmax of the model's logits.

    Example:

    >>> scored_ids = np.concatenate([train_ids[-50:], validation_ids])  # doctest: +SKIP
    >>> lm_cross_entropy(char_lm, scored_ids, first=50, length=50)  # doctest: +SKIP
    1.608...
    """
    context = length if context is None else context
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"length must be an int >= 1, received {length!r}.")
    if not isinstance(context, (int, np.integer)) or context < 1:
        raise ValueError(f"context must be an int >= 1, received {context!r}.")
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"ids must be a 1-D array of int ids, received shape {ids.shape} and "
                        f"dtype {ids.dtype}.")
    if not context <= first < len(ids):
        raise ValueError(f"first must be at least context = {context} (the characters read "
                         f"before the first block) and below len(ids) = {len(ids)}, received "
                         f"{first}.")
    targets_count = len(ids) - first
    blocks = -(-targets_count // length)
    window = context + length                                    # ids per block, the last a target
    padded = np.concatenate([ids[first - context:], np.zeros(length, ids.dtype)])
    starts = np.arange(blocks) * length
    inputs = padded[starts[:, None] + np.arange(window - 1)]              # (blocks, window - 1)
    targets = padded[starts[:, None] + context + np.arange(length)]       # (blocks, length)
    logits = np.asarray(model.predict(inputs, batch_size=batch_size, verbose=0))
    logits = logits[:, context - 1:].astype(np.float64)                   # (blocks, length, vocab)
    logits -= logits.max(axis=-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, targets[..., None].astype(np.int64), axis=-1)[..., 0]
    return float(-picked.ravel()[:targets_count].mean())
