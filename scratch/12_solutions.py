"""Reference solutions of notebook 12 (language), exercises 12.1-12.8, as the notebook's
solution cells hold them: one graded function per cell, its body between the solution
markers. The notebook's earlier cells import what they use:

    import numpy as np
    import keras
"""

import keras
import numpy as np


# 12.1 --------------------------------------------------------------------------

def skipgram_pairs(ids, window):
    """Skip-gram training pairs (center, context) from a stream of token ids.

    Every position i of the stream is a center. Its contexts are the positions j
    inside the stream with 0 < |i - j| <= window: up to `window` tokens on each side,
    never the center itself, and nothing wraps around the ends of the stream.

    Args:
        ids: a 1-D int NumPy array of token ids, the text in order (may be empty).
        window: int >= 1, how far a context may lie from its center.

    Returns:
        An int NumPy array of shape (n_pairs, 2), one row (ids[i], ids[j]) per pair
        (the center's id, then the context's), ordered by i, then by j. A stream of
        0 or 1 tokens gives shape (0, 2).
    """
    ### BEGIN SOLUTION
    n = len(ids)
    pairs = [(ids[i], ids[j])
             for i in range(n)
             for j in range(max(0, i - window), min(n, i + window + 1))
             if j != i]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)
    ### END SOLUTION


# 12.2 --------------------------------------------------------------------------

def negative_sampling_loss(center, context, negatives):
    """The skip-gram loss with negative sampling, for a batch of examples.

    Works on NumPy arrays and on tensors, also inside the training step (traced by
    tf.function, with the batch size unknown): use keras.ops, not NumPy functions.
    It stays finite for dot products of any size: log(sigmoid(x)) underflows to
    log(0) for very negative x, while log sigmoid(x) = -softplus(-x) does not.

    Args:
        center: the center words' vectors, a float array or tensor (batch, dim).
        context: their true contexts' vectors, (batch, dim).
        negatives: k negative samples' vectors for each example, (batch, k, dim).

    Returns:
        One number (a float, or a 0-d tensor): the mean over the batch of
        -log sigmoid(c . o) - sum over the k negatives of log sigmoid(-c . n_k),
        where c is an example's center vector, o its context vector and n_k its
        negatives' vectors.
    """
    ### BEGIN SOLUTION
    positive = keras.ops.sum(center * context, axis=-1)                       # (batch,)
    negative = keras.ops.sum(center[:, None, :] * negatives, axis=-1)         # (batch, k)
    per_example = (keras.ops.softplus(-positive)
                   + keras.ops.sum(keras.ops.softplus(negative), axis=-1))
    return keras.ops.mean(per_example)
    ### END SOLUTION


# 12.3 --------------------------------------------------------------------------

def nearest_neighbours(query, embeddings, k):
    """The k words nearest to a word, by cosine similarity of their embeddings.

    Args:
        query: int, the id of the word whose neighbours are wanted.
        embeddings: the embedding table, a float NumPy array (vocab, dim); row i is
            word i's vector.
        k: int >= 1, how many neighbours to return.

    Returns:
        An int NumPy array of shape (k,): the ids of the k rows with the highest
        cosine similarity to row `query`, most similar first, never `query` itself.
        A row of zeros has similarity 0. Among equal similarities the smaller id
        comes first.
    """
    ### BEGIN SOLUTION
    lengths = np.linalg.norm(embeddings, axis=1)
    products = embeddings @ embeddings[query]
    scale = lengths * lengths[query]
    similarities = np.divide(products, scale, out=np.zeros(len(embeddings)),
                             where=scale > 0)
    similarities[query] = -np.inf                       # never the query itself
    return np.argsort(-similarities, kind="stable")[:k]
    ### END SOLUTION


# 12.4 --------------------------------------------------------------------------

def analogy(a, b, c, embeddings, k=1):
    """Answers "a is to b as c is to ?" by vector arithmetic (3CosAdd).

    Every row of `embeddings` is first normalised to unit length; the target is
    b - a + c of those unit rows, and the answer is the words most similar to it.

    Args:
        a, b, c: int ids of the three words of the question.
        embeddings: the embedding table, a float NumPy array (vocab, dim) without
            rows of zeros.
        k: int >= 1, how many answers to return.

    Returns:
        An int NumPy array of shape (k,): the ids of the k rows with the highest
        cosine similarity to the target, most similar first, leaving out a, b and c.
        Among equal similarities the smaller id comes first.
    """
    ### BEGIN SOLUTION
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    target = unit[b] - unit[a] + unit[c]
    similarities = unit @ target / np.linalg.norm(target)
    similarities[[a, b, c]] = -np.inf
    return np.argsort(-similarities, kind="stable")[:k]
    ### END SOLUTION


# 12.5 --------------------------------------------------------------------------

def pad_and_mask(sequences, length):
    """Pads (or cuts) token-id sequences to one length, and marks the real tokens.

    Args:
        sequences: a list of lists of int ids; real ids are >= 1, 0 is the padding
            id. The lists are not changed.
        length: int >= 1, the length of every padded sequence.

    Returns:
        A pair (ids, mask):
        ids: an int32 NumPy array (len(sequences), length): each sequence's first
            `length` ids, followed by zeros (padding and cutting at the end, where
            keras.utils.pad_sequences does both at the front by default).
        mask: a bool NumPy array of the same shape, True where ids holds a real
            token and False on the padding.
    """
    ### BEGIN SOLUTION
    ids = np.zeros((len(sequences), length), dtype=np.int32)
    for row, sequence in enumerate(sequences):
        kept = sequence[:length]
        ids[row, :len(kept)] = kept
    return ids, ids != 0
    ### END SOLUTION


# 12.6 --------------------------------------------------------------------------

def masked_mean_pool(x, mask):
    """The mean over time of the positions a mask keeps, for each sequence.

    Works on NumPy arrays and on tensors, also inside a Keras model (a Lambda layer
    or a layer's call, traced with the batch size and the length unknown): use
    keras.ops, not NumPy functions.

    Args:
        x: float array or tensor (batch, time, dim), e.g. token embeddings.
        mask: (batch, time), bool or 0/1: True (1) where a position holds a real
            token.

    Returns:
        A float array or tensor (batch, dim): for each sequence, the mean of x over
        the positions where mask is True. A sequence without a True position gives
        zeros (not NaN).
    """
    ### BEGIN SOLUTION
    m = keras.ops.cast(mask, x.dtype)[:, :, None]                             # (batch, time, 1)
    total = keras.ops.sum(x * m, axis=1)                                      # (batch, dim)
    count = keras.ops.sum(m, axis=1)                                          # (batch, 1)
    return total / keras.ops.maximum(count, 1.0)
    ### END SOLUTION


# 12.7 --------------------------------------------------------------------------

def build_text_classifier(vocab_size, num_classes, kind="pooled", embed_dim=32, units=32):
    """A text classifier from token ids to class probabilities.

    The model takes int ids of shape (batch, time), 0 being the padding, for any
    batch size and any length (keras.Input(shape=(None,), dtype="int32")), and
    returns class probabilities (batch, num_classes). Both kinds start with
    keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True), so that the
    layers after it skip the padding, and end with
    keras.layers.Dense(num_classes, activation="softmax"). In between:

    - kind "pooled": the mean of the real tokens' embeddings over time,
      keras.layers.GlobalAveragePooling1D() (which honours the mask) or your
      masked_mean_pool in a layer;
    - kind "birnn": keras.layers.Bidirectional(keras.layers.LSTM(units)), whose
      two directions' last outputs are concatenated.

    Args:
        vocab_size: int, the number of token ids (the Embedding's rows).
        num_classes: int, the number of classes.
        kind: "pooled" or "birnn".
        embed_dim: int, the size of each token's embedding.
        units: int, the LSTM's units in each direction (kind "birnn").

    Returns:
        A Keras model.
    """
    ### BEGIN SOLUTION
    if kind == "pooled":
        summary = keras.layers.GlobalAveragePooling1D()
    else:
        summary = keras.layers.Bidirectional(keras.layers.LSTM(units))
    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True),
        summary,
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
    ### END SOLUTION


# 12.8 --------------------------------------------------------------------------

def masked_lm_loss(targets, logits, selected):
    """The masked-language-model loss: cross-entropy on the selected positions only.

    Works on NumPy arrays and on tensors, also inside the training step (traced by
    tf.function, with the batch size and the length unknown): use keras.ops and
    keras.losses, not NumPy functions.

    Args:
        targets: the original token ids, an int array or tensor (batch, time).
        logits: the model's scores before any softmax, a float array or tensor
            (batch, time, vocab).
        selected: bool (batch, time), True at the positions the loss is computed on
            (those chosen for masking).

    Returns:
        One number (a float, or a 0-d tensor): the mean over the selected positions
        of the cross-entropy of the target from the logits; 0.0 when no position is
        selected.
    """
    ### BEGIN SOLUTION
    losses = keras.losses.sparse_categorical_crossentropy(targets, logits,
                                                          from_logits=True)  # (batch, time)
    weights = keras.ops.cast(selected, losses.dtype)
    return keras.ops.sum(losses * weights) / keras.ops.maximum(keras.ops.sum(weights), 1.0)
    ### END SOLUTION
