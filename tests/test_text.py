"""Unit tests of helpers.text: ids, n-gram baselines and language-model scores."""

import collections
import math

import numpy as np
import pytest

from helpers import text
from helpers.text import decode, encode, lm_cross_entropy, ngram_baselines, ngram_cross_entropy

CHARS = ["a", "b", "c"]


def test_encode_and_decode_round_trip_with_an_unknown_id():
    ids = encode("cab?", CHARS)
    assert ids.dtype == np.int32 and ids.tolist() == [2, 0, 1, 3]
    assert decode(ids, CHARS) == "cab\ufffd"
    assert decode([0, 1, 2], CHARS) == "abc"
    assert encode("", CHARS).shape == (0,)


def test_encode_rejects_bad_arguments():
    with pytest.raises(TypeError, match="needs a str"):
        encode(b"abc", CHARS)
    with pytest.raises(ValueError, match="distinct"):
        encode("abc", ["a", "a"])


def _ngram_by_hand(n, k, counted, scored, first, vocab_size):
    """The same add-k model with Python dicts, the slow and obvious way."""
    grams = collections.Counter(tuple(counted[i - n + 1:i + 1]) for i in range(n - 1, len(counted)))
    contexts = collections.Counter()
    for gram, count in grams.items():
        contexts[gram[:-1]] += count
    total = 0.0
    for t in range(first, len(scored)):
        gram = tuple(scored[t - n + 1:t + 1])
        total -= math.log((grams[gram] + k) / (contexts[gram[:-1]] + k * vocab_size))
    return total / (len(scored) - first)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_ngram_cross_entropy_matches_counting_by_hand(n):
    rng = np.random.default_rng(n)
    counted = rng.integers(0, 5, size=300)
    scored = rng.integers(0, 5, size=80)
    for k in [0.01, 0.5]:
        ours = ngram_cross_entropy(n, k, counted, scored, 3, 6)
        assert ours == pytest.approx(_ngram_by_hand(n, k, counted.tolist(), scored.tolist(), 3, 6))


def test_unigram_with_uniform_counts_is_log_vocab():
    ids = np.array([0, 1, 2, 3] * 10)
    assert ngram_cross_entropy(1, 1.0, ids, ids, 0, 4) == pytest.approx(math.log(4))


@pytest.mark.parametrize("args, error, message", [
    ((0, 0.1), ValueError, "n must be an int >= 1"),
    ((2, 0), ValueError, "k must be > 0"),
])
def test_ngram_cross_entropy_rejects_bad_order_and_k(args, error, message):
    ids = np.arange(5)
    with pytest.raises(error, match=message):
        ngram_cross_entropy(*args, ids, ids, 1, 5)


def test_ngram_cross_entropy_rejects_bad_ids_and_first():
    ids = np.arange(5)
    with pytest.raises(ValueError, match="first must be between"):
        ngram_cross_entropy(3, 0.1, ids, ids, 1, 5)
    with pytest.raises(ValueError, match="outside 0 .. 4"):
        ngram_cross_entropy(2, 0.1, ids, np.array([0, 7]), 1, 5)
    with pytest.raises(TypeError, match="1-D array of int ids"):
        ngram_cross_entropy(2, 0.1, ids.astype(float), ids, 1, 5)


def test_ngram_baselines_choose_k_on_the_training_text_only():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 6, size=2000)
    scored = rng.integers(0, 6, size=200)
    rows = ngram_baselines(train, scored, 2, 7, orders=(1, 3), k_values=(0.01, 1.0))
    assert [n for n, _, _ in rows] == [1, 3]
    cut = int(0.9 * len(train))
    for n, k, nats in rows:
        held = {kk: ngram_cross_entropy(n, kk, train[:cut], train, cut, 7) for kk in (0.01, 1.0)}
        assert k == min(held, key=held.get)
        assert nats == pytest.approx(ngram_cross_entropy(n, k, train, scored, 2, 7))
    # The scored text does not change the choice of k.
    other = ngram_baselines(train, scored[::-1].copy(), 2, 7, orders=(1, 3), k_values=(0.01, 1.0))
    assert [k for _, k, _ in other] == [k for _, k, _ in rows]
    assert text.K_VALUES == (0.01, 0.03, 0.1, 0.3, 1.0)


class BigramModel:
    """A stand-in for a Keras model: logits from the last id only (a bigram table)."""

    def __init__(self, table):
        self.table = table                                  # (vocab, vocab) probabilities
        self.calls = []

    def predict(self, inputs, batch_size, verbose):
        self.calls.append(inputs.shape)
        return np.log(self.table)[inputs]                   # (batch, time, vocab)


def _bigram_table(ids, vocab_size, k):
    counts = np.full((vocab_size, vocab_size), k)
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    return counts / counts.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("length, context", [(5, None), (4, 7), (1, 1), (50, 3)])
def test_lm_cross_entropy_of_a_bigram_model_equals_the_bigram_score(length, context):
    rng = np.random.default_rng(1)
    train = rng.integers(0, 4, size=500)
    ids = rng.integers(0, 4, size=103)
    model = BigramModel(_bigram_table(train, 4, 0.1))
    first = 10
    ours = lm_cross_entropy(model, ids, first, length, context)
    assert ours == pytest.approx(ngram_cross_entropy(2, 0.1, train, ids, first, 4))
    window = (length if context is None else context) + length - 1
    assert all(shape[1] == window for shape in model.calls)


def test_lm_cross_entropy_reads_each_block_after_its_context():
    """A model that can see only where a block starts must not see the targets."""
    seen = []

    class Recorder:
        def predict(self, inputs, batch_size, verbose):
            seen.append(inputs.copy())
            return np.zeros(inputs.shape + (20,))            # uniform: ln 20 per character

    ids = np.arange(20)
    assert lm_cross_entropy(Recorder(), ids, 6, 4, 3) == pytest.approx(math.log(20))
    inputs = seen[0]
    # Blocks score ids 6-9, 10-13, 14-17, 18-19 (+ padding); each reads 3 ids before them.
    assert inputs[:, 0].tolist() == [3, 7, 11, 15]
    assert inputs[0].tolist() == [3, 4, 5, 6, 7, 8]


def test_lm_cross_entropy_rejects_too_little_context():
    with pytest.raises(ValueError, match="first must be at least context = 5"):
        lm_cross_entropy(BigramModel(np.full((3, 3), 1 / 3)), np.arange(3).repeat(5), 4, 5)
    with pytest.raises(ValueError, match="length must be an int >= 1"):
        lm_cross_entropy(BigramModel(np.full((3, 3), 1 / 3)), np.arange(3).repeat(5), 4, 0)
