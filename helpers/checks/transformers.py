"""Checks for notebook 07, transformers: byte-pair encoding (training and encoding), a
causal mask, token and position embeddings, a pre-norm transformer block, BERT's
masking rule and ViT's patches.

Each function takes the student's function (or, for 07.4, class), runs it on fixed
cases and compares the results with an independent oracle: the `tokenizers`
library's BPE trainer and BPE model, the attention weights of
`keras.layers.MultiHeadAttention(use_causal_mask=True)`, NumPy lookups in the
embedding tables the check gives the layer, a float64 NumPy transformer block
computed from the weights the check gives the student's layers (the attention from
`helpers.checks.references`), binomial bounds for the random masking, and
`keras.ops.image.extract_patches`. BPE's tie rule is not the library's (it breaks
ties by token id), so ties are checked on corpora worked by hand and the library
only on corpora that the check proves tie-free. Functions are exercised as the notebook
uses them: the embedding layer new and on an input of unknown length (the GPT's
`keras.Input(shape=(None,))`), the causal blocks on `keras.Input(shape=(None, d))`, the
masking rule over many calls (so that a fixed count shows). Known wrong answers (merges counted
across words, word frequencies ignored, no end-of-word suffix, the future visible,
positions missing, post-norm, the 10% left out of `selected`, strips instead of
square patches, ...) are computed too, so that a message can name the mistake.

Example:

>>> from helpers.checks import transformers as check
>>> check.causal_mask(causal_mask)
07.3 causal_mask: all 5 cases passed
"""

import collections
import copy
import functools
import itertools
import json
import math
import re
import warnings

import numpy as np

from helpers.checks import references
from helpers.checks.core import (exercise, count_agrees, describe, expected_count,
                                 import_keras, mistakes_from, random_values,
                                 require_own_randomness)
from helpers.checks.keras_models import (
    activation_name,
    applications,
    call_builder,
    chain,
    layer_names,
    leaf_layers,
)

__all__ = [
    "TokenAndPositionEmbedding", "bpe_encode", "causal_mask", "mask_tokens", "patchify",
    "train_bpe", "transformer_block",
]

#: The end-of-word suffix of 07.1 and 07.2, attached to the last character of a word.
SUFFIX = "</w>"


# ---------------------------------------------------------------- helpers ---

def _symbols(word, suffix="attached"):
    """A word as its first symbols: its characters, the suffix attached to the last
    ("attached", 07.1's rule), as a symbol of its own ("separate") or left out (None)."""
    if suffix == "attached":
        return [*word[:-1], word[-1] + SUFFIX]
    return [*word, SUFFIX] if suffix == "separate" else list(word)


def _merge(symbols, pair, direction="left", limit=None):
    """`symbols` with every occurrence of `pair` merged (at most `limit`), scanning from
    the left (a run "a a a" gives "aa a") or, for a known mistake, from the right."""
    if direction == "right":
        flipped = _merge([s[::-1] for s in symbols[::-1]], (pair[1][::-1], pair[0][::-1]),
                         limit=limit)
        return [s[::-1] for s in flipped[::-1]]
    out, i, done = [], 0, 0
    while i < len(symbols):
        if (limit is None or done < limit) and tuple(symbols[i:i + 2]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i, done = i + 2, done + 1
        else:
            out.append(symbols[i])
            i += 1
    return out


# -------------------------------------------------------------- train_bpe ---

_LOWER_CASED = ("the text lower-cased: \"L\" and \"l\" are different symbols; take the "
                "words as they are (upper case sorts before lower case in string order)")

def _pair_counts(table, overlap=True):
    """{pair: count} over a table of [symbols, frequency], in the order pairs are found.

    Every adjacent pair counts, those of a run of one symbol too ("a a a" has the pair
    (a, a) twice), as in the `tokenizers` trainer; `overlap=False` counts a run's pairs
    without overlap (a known mistake).
    """
    counts = {}
    for symbols, frequency in table:
        i = 0
        while i < len(symbols) - 1:
            pair = (symbols[i], symbols[i + 1])
            counts[pair] = counts.get(pair, 0) + frequency
            i += 2 if not overlap and pair[0] == pair[1] else 1
    return counts


def _pick(counts, ties):
    """The pair to merge: the most frequent; ties "smallest" (07.1's rule), "largest" or
    "first" (the first found, as `max(counts, key=counts.get)` gives)."""
    if ties == "largest":
        return max(counts, key=lambda pair: (counts[pair], pair))
    if ties == "first":
        return max(counts, key=counts.get)
    return min(counts, key=lambda pair: (-counts[pair], pair))


def _train_bpe_answer(corpus, num_merges, *, frequencies=True, boundaries=True,
                      suffix="attached", ties="smallest", overlap=True, direction="left",
                      scope="everywhere", lowercase=False, on_step=None):
    """BPE training as 07.1 defines it: the list of merges learned from `corpus`.

    Args:
        corpus: the text; its words are `corpus.split()`.
        num_merges: how many merges to learn (fewer when no pair is left).
        frequencies: False counts each distinct word once (a mistake).
        boundaries: False counts the whole text as one sequence, pairs across words
            included (a mistake).
        suffix: the end-of-word suffix, as in `_symbols`: "attached" (right), "separate"
            or None (mistakes).
        ties: which of equally frequent pairs wins, as in `_pick`: "smallest" (right),
            "largest" or "first" (mistakes).
        overlap: False counts a run of one symbol without overlap, as in `_pair_counts`
            (a mistake).
        direction: "right" merges a run of one symbol from the right, as in `_merge`
            (a mistake).
        scope: "first in word" merges only a pair's first occurrence in each word,
            "first word" only the first word that has it (mistakes).
        lowercase: True lower-cases the text first (a mistake: "L" and "l" are different
            symbols).
        on_step: if given, called as `on_step(counts, pair)` at each step (for
            `_tie_free`).
    """
    words = (corpus.lower() if lowercase else corpus).split()
    if boundaries:
        table = [[_symbols(word, suffix), count if frequencies else 1]
                 for word, count in collections.Counter(words).items()]
    else:
        table = [[[s for word in words for s in _symbols(word, suffix)], 1]]
    merges = []
    for _ in range(num_merges):
        counts = _pair_counts(table, overlap)
        if not counts:
            break
        pair = _pick(counts, ties)
        if on_step:
            on_step(counts, pair)
        merges.append(pair)
        found = False
        for entry in table:
            if scope == "first word" and found:
                break
            merged = _merge(entry[0], pair, direction, 1 if scope == "first in word" else None)
            found = found or len(merged) < len(entry[0])
            entry[0] = merged
    return merges


_TRAIN_BPE_MISTAKES = {
    "pairs counted across word boundaries (the text as one sequence): count pairs inside "
    "each word only, the last symbol of a word and the first of the next are no pair":
        {"boundaries": False},
    "word frequencies ignored: each distinct word counted once. A word that occurs 5 times "
    "adds 5 to the count of each of its pairs": {"frequencies": False},
    f"no end-of-word suffix: the last character of each word carries {SUFFIX!r} "
    f"(\"low\" -> ('l', 'o', 'w{SUFFIX}'))": {"suffix": None},
    f"the end-of-word suffix as a symbol of its own: it is attached to the last character, "
    f"('l', 'o', 'w{SUFFIX}'), not ('l', 'o', 'w', '{SUFFIX}')": {"suffix": "separate"},
    "ties broken towards the first pair found: among equally frequent pairs take the "
    "smallest (left, right) in string order": {"ties": "first"},
    "ties broken towards the largest pair: among equally frequent pairs take the smallest "
    "(left, right) in string order": {"ties": "largest"},
    "the merge applied only at its first occurrence in each word: merge every occurrence, "
    "left to right": {"scope": "first in word"},
    "the merge applied only in the first word that has the pair: merge it in every word":
        {"scope": "first word"},
    "a run of one symbol counted without overlap: \"a a a\" holds the pair (a, a) twice, as "
    "in the tokenizers library": {"overlap": False},
    "a run of one symbol merged from the right: \"a a a\" becomes \"aa a\" (left to right), "
    "not \"a aa\"": {"direction": "right"},
    _LOWER_CASED: {"lowercase": True},
}


class _Corpus(str):
    """A corpus (a str) whose repr is short, so that a message quoting it stays readable."""

    def __repr__(self):
        return f"<a corpus of {len(self.split())} words>"


def _tie_free(corpus, num_merges):
    """Tells whether every step of 07.1 on `corpus` has a single most frequent pair."""
    ties = []
    _train_bpe_answer(corpus, num_merges, on_step=lambda counts, pair: ties.append(
        sum(count == counts[pair] for count in counts.values()) > 1))
    return not any(ties)


@functools.cache
def _random_corpus(seed, letters, words, top, num_merges):
    """A corpus of `words` distinct random words over `letters` (1 to 7 characters) with
    frequencies from 1 to `top`, shuffled, separated by spaces, tabs and newlines.

    Tries the seeds `seed`, `seed` + 1, ... and keeps the first corpus whose
    `num_merges` steps are tie-free, where the `tokenizers` trainer (which breaks ties
    by token id) and 07.1's rule must agree.
    """
    for attempt in itertools.count(seed):
        rng = np.random.default_rng(attempt)
        vocabulary = sorted({"".join(rng.choice(list(letters), size=rng.integers(1, 8)))
                             for _ in range(words)})
        tokens = [w for w, n in zip(vocabulary, rng.integers(1, top + 1, len(vocabulary)))
                  for _ in range(n)]
        rng.shuffle(tokens)
        gaps = rng.choice([" ", " ", " ", " ", "\n", "\t", "  "], size=len(tokens))
        corpus = _Corpus("".join(t + g for t, g in zip(tokens, gaps)))
        if _tie_free(corpus, num_merges):
            return corpus


def _tokenizers_merges(corpus, num_merges):
    """The first `num_merges` merges of the `tokenizers` BPE trainer on `corpus`.

    models.BPE with end_of_word_suffix "</w>", whitespace split, a vocabulary of the
    initial alphabet (every character, and every last character with the suffix)
    plus num_merges, min_frequency 0; the merges are read from the trained
    tokenizer's JSON.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    words = corpus.split()
    alphabet = {c for word in words for c in word} | {word[-1] + SUFFIX for word in words}
    tokenizer = Tokenizer(models.BPE(end_of_word_suffix=SUFFIX))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(vocab_size=len(alphabet) + num_merges, min_frequency=0,
                                  show_progress=False, end_of_word_suffix=SUFFIX)
    tokenizer.train_from_iterator([str(corpus)], trainer=trainer)
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    return [tuple(m.split(" ") if isinstance(m, str) else m) for m in merges][:num_merges]


#: Sennrich et al.'s example: 5 low, 2 lower, 6 newest, 3 widest. The counts, step by step
#: (ties go to the smallest pair in string order):
#:  1. (e, s) 9 = 6 newest + 3 widest, tied with (s, t</w>) 9: "e" < "s" wins.
#:  2. (es, t</w>) 9.
#:  3. (l, o) 7 = 5 low + 2 lower (now (w, e) counts 2: newest has "w es").
#:  4. (e, w) 6, tied with (n, e) 6 and (w, est</w>) 6, all from newest: "e" < "n" < "w".
#:  5. (ew, est</w>) 6, tied with (n, ew) 6: "ew" < "n".
#:  6. (n, ewest</w>) 6.    7. (lo, w</w>) 5.
#:  8. (d, est</w>) 3, tied with (i, d) 3 and (w, i) 3, all from widest.
#:  9. (i, dest</w>) 3, tied with (w, i) 3.    10. (w, idest</w>) 3 (then (e, r</w>) 2 ...).
_WORKED_CORPUS = "low low low low low lower lower newest newest newest newest newest " \
                 "newest widest widest widest"
_WORKED_MERGES = [("e", "s"), ("es", "t</w>"), ("l", "o"), ("e", "w"), ("ew", "est</w>"),
                  ("n", "ewest</w>"), ("lo", "w</w>"), ("d", "est</w>"), ("i", "dest</w>"),
                  ("w", "idest</w>")]


def _train_bpe_cases():
    """(case, corpus, num_merges, expected merges or None for the tokenizers trainer)."""
    return [
        ("the worked example (Sennrich et al.): 5 low, 2 lower, 6 newest, 3 widest; 10 merges",
         _WORKED_CORPUS, 10, _WORKED_MERGES),
        # Three pairs of count 1: the smallest first, whatever the order in the corpus.
        ("a three-way tie: 'xb xa xc', 3 merges", "xb xa xc", 3,
         [("x", "a</w>"), ("x", "b</w>"), ("x", "c</w>")]),
        # (b, a) 3 from "bab" and "ba": "b" + "a" is found before (a, b) but (a, b) is
        # smaller; its count 3 comes from "ab" twice and "bab" once.
        ("a tie decided by string order, not by the order pairs are found: 'bab ba ba ab ab'",
         "bab ba ba ab ab", 2, [("a", "b</w>"), ("b", "a</w>")]),
        # (a, a) 2 x 3 + 3 x 2 = 12: a run of 4 holds 3 pairs, a run of 3 holds 2 (without
        # overlap 7), more than (c, d</w>) 10. Left to right: "aa aa b</w>", "aa a b</w>".
        # Then (c, d</w>) 10; then (a, b</w>) 3 tied with (aa, a) 3: "a" < "aa"; then
        # (aa, ab</w>) 3 beats (aa, aa) 2 and (aa, b</w>) 2.
        ("repeated symbols: 2 aaaab, 3 aaab, 10 cd; 4 merges",
         "aaaab aaaab aaab aaab aaab cd cd cd cd cd cd cd cd cd cd", 4,
         [("a", "a"), ("c", "d</w>"), ("a", "b</w>"), ("aa", "ab</w>")]),
        # (a, n) 2 x 3 + 2 x 2 = 10 (twice in each word): "b an an a</w>", "b an d an a</w>".
        # Then (an, a</w>) 5 tied with (b, an) 5: "an" < "b"; then (b, an) 5; then
        # (ban, ana</w>) 3.
        ("a pair twice in a word: 3 banana, 2 bandana; 4 merges",
         "banana banana banana bandana bandana", 4,
         [("a", "n"), ("an", "a</w>"), ("b", "an"), ("ban", "ana</w>")]),
        # (A, b</w>), (a, B</w>) and (a, b</w>) count 1 each: "A" < "a" and "B" < "b" in
        # string order. Lower-cased, (a, b</w>) would count 3.
        ("upper case is kept, and sorts first in a tie: 'ab Ab aB', 2 merges", "ab Ab aB", 2,
         [("A", "b</w>"), ("a", "B</w>")]),
        ("stops early: only one merge is possible in 'a bb a', 5 asked", "a bb a", 5,
         [("b", "b</w>")]),
        ("no merge at all: every word is one character, 3 asked", "a b c a", 3, []),
        ("num_merges 0", "low lower", 0, []),
        ("random corpus 1: 25 words over 'abcde' (frequencies 1-150), 12 merges, tie-free",
         _random_corpus(7004, "abcde", 25, 150, 12), 12, None),
        ("random corpus 2: 12 words over 'aab' (runs of one letter), 8 merges, tie-free",
         _random_corpus(7010, "aab", 12, 200, 8), 8, None),
        ("random corpus 3: 40 words over 'lowernstid', 15 merges, tie-free",
         _random_corpus(7065, "lowernstid", 40, 100, 15), 15, None),
    ]


def _merges_of(ex, case, merges):
    """The student's merges as a list; fails unless it is a list of (left, right) tuples."""
    __tracebackhide__ = True
    hint = ("append the pair that was merged, e.g. ('e', 's'), as a tuple of two strings; "
            "the merged token 'es' is left + right.")
    ex.require(case, isinstance(merges, list),
               f"expected a list of (left, right) tuples, received {describe(merges)}.", hint)
    for number, item in enumerate(merges, 1):
        if isinstance(item, str):
            ex.fail(case, f"merge {number} is the string {item!r}: expected the pair (left, "
                          f"right) of symbols that were merged, a tuple of two strings, not "
                          f"the merged token.", hint)
        if isinstance(item, list) and len(item) == 2:
            ex.fail(case, f"merge {number} is the list {item!r}: expected a tuple "
                          f"{tuple(item)!r}.", hint)
        ex.require(case, isinstance(item, tuple) and len(item) == 2 and
                   all(isinstance(s, str) for s in item),
                   f"merge {number} is {describe(item)}: expected a (left, right) tuple of two "
                   f"strings.", hint)
    return merges


def _explain_bpe_error(message):
    """The extra hint for an empty max() or most_common() when no pair is left."""
    if "empty" in message or "index out of range" in message:
        return ("when every word is a single symbol there is no pair left to count: stop "
                "there, even if fewer than num_merges merges were made.")
    return None


@exercise("07.1")
def train_bpe(ex):
    """Checks `train_bpe(corpus, num_merges)`: byte-pair encoding merges learned from a text.

    `corpus` is a str; its words are `corpus.split()`. Each word starts as the tuple
    of its characters with the end-of-word suffix "</w>" attached to the last one
    ("low" -> ("l", "o", "w</w>")), the convention of Sennrich et al. (2016) and of
    the `tokenizers` trainer's `end_of_word_suffix`. At each step the pairs of
    neighbouring symbols are counted inside the words (never across two words), each
    weighted by its word's frequency; every adjacent pair counts, so a run "a a a"
    holds the pair (a, a) twice, as the tokenizers trainer counts it. The most
    frequent pair is merged everywhere it occurs, left to right within a word ("a a
    a" -> "aa a"); ties go to the pair that is smallest in (left, right) string
    order. Training stops after num_merges merges, or earlier when no word has two
    symbols left. The result is the list of merges, (left, right) tuples of str, in
    the order they were learned.

    Oracles: a corpus worked by hand (Sennrich's example, ties included), tie cases,
    repeated symbols (runs of 3 and 4), upper case (kept, and sorting before lower
    case in a tie) and early stops written out in the check, and the `tokenizers`
    BpeTrainer (models.BPE(end_of_word_suffix="</w>"), WhitespaceSplit, vocab_size =
    initial alphabet + num_merges, min_frequency 0) on seeded random corpora that the
    check proves tie-free at every step (the library breaks ties by token id, not by
    string order). Known mistakes (pairs across words, frequencies ignored, no
    suffix, other tie rules, a merge not applied everywhere, the text lower-cased,
    ...) are named.
    """
    hint = ("count the pairs of neighbouring symbols inside each word, weighted by the word's "
            "frequency; merge the most frequent pair (ties: the smallest (left, right)) "
            "everywhere, left to right, in every word; repeat num_merges times or until no "
            "pair is left.")
    for case, corpus, num_merges, expected in _train_bpe_cases():
        merges = _merges_of(ex, case, ex.call_explained(case, _explain_bpe_error, corpus,
                                                        num_merges))
        if expected is None:
            expected = _tokenizers_merges(corpus, num_merges)
        ex.compare_sequence(case, merges, expected, items="merge", hint=hint,
                            mistakes=mistakes_from(_train_bpe_answer, _TRAIN_BPE_MISTAKES,
                                                   corpus, num_merges))


# -------------------------------------------------------------- bpe_encode ---

def _bpe_encode_answer(word, merges, *, order="learned", suffix="attached",
                      scope="everywhere", direction="left", lowercase=False):
    """07.2's encoding: the tokens of `word` under `merges`, applied in the learned order.

    Args:
        word: a str without whitespace.
        merges: (left, right) tuples in the order they were learned.
        order: how the merges are applied: "learned" (right: each in turn, everywhere);
            mistakes: "reversed", "frequent" (the pair most frequent in the word first,
            ties by rank), "one pass" (one left-to-right scan merging any pair that is a
            merge, never again) or "longest" (greedy longest match against the
            vocabulary of symbols and merged tokens).
        suffix: the end-of-word suffix, as in `_symbols`: "attached" (right), "separate"
            or None (mistakes).
        scope: "first in word" merges each pair at its first occurrence only (a mistake).
        direction: "right" merges a run of one symbol from the right, as in `_merge` (a
            mistake).
        lowercase: True lower-cases the word first (a mistake).
    """
    symbols = _symbols(word.lower() if lowercase else word, suffix)
    if order == "longest":
        vocabulary = set(symbols) | {left + right for left, right in merges}
        tokens, i = [], 0
        while i < len(symbols):
            j = next(j for j in range(len(symbols), i, -1)
                     if j == i + 1 or "".join(symbols[i:j]) in vocabulary)
            tokens.append("".join(symbols[i:j]))
            i = j
        return tokens
    if order == "one pass":
        pairs = set(merges)
        return _merge_any(symbols, pairs)
    if order == "frequent":
        rank = {pair: r for r, pair in enumerate(merges)}
        while True:
            found = collections.Counter(p for p in itertools.pairwise(symbols) if p in rank)
            if not found:
                return symbols
            symbols = _merge(symbols, min(found, key=lambda p: (-found[p], rank[p])))
    for pair in (merges[::-1] if order == "reversed" else merges):
        symbols = _merge(symbols, pair, direction, limit=1 if scope == "first in word" else None)
    return symbols


def _merge_any(symbols, pairs):
    """One left-to-right scan that merges every adjacent pair found in `pairs`."""
    out, i = [], 0
    while i < len(symbols):
        if tuple(symbols[i:i + 2]) in pairs:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


_BPE_ENCODE_MISTAKES = {
    "the pair most frequent in this word merged first: apply the merges in the order they "
    "were learned, however often a pair occurs in the word": {"order": "frequent"},
    "the merges applied in reverse order: apply them in the order they were learned "
    "(first learned, first applied)": {"order": "reversed"},
    "one pass over the word, merging each pair that is a merge: go through the merges in "
    "order and apply each one everywhere, so that merged symbols merge again":
        {"order": "one pass"},
    "greedy longest match against the vocabulary: BPE applies the merges in their learned "
    "order, which can split a word differently from the longest known prefix":
        {"order": "longest"},
    f"no end-of-word suffix: the last character carries {SUFFIX!r}, as in training":
        {"suffix": None},
    "the end-of-word suffix as a symbol of its own: it is attached to the last character":
        {"suffix": "separate"},
    "each merge applied only at its first occurrence in the word: merge every occurrence, "
    "left to right": {"scope": "first in word"},
    "a run of one symbol merged from the right (\"a a a\" became \"a aa\"): scan the word "
    "left to right, so that \"a a a\" becomes \"aa a\"": {"direction": "right"},
    _LOWER_CASED: {"lowercase": True},
}


def _tokenizers_encode(word, merges):
    """The tokens of `word` from `tokenizers.models.BPE(vocab, merges, end_of_word_suffix)`,
    with a vocabulary that holds every symbol (characters, suffixed last character, the
    merges' symbols and their results)."""
    from tokenizers import models

    symbols = set(word) | {word[-1] + SUFFIX}
    for left, right in merges:
        symbols |= {left, right, left + right}
    vocab = {symbol: i for i, symbol in enumerate(sorted(symbols))}
    model = models.BPE(vocab, [tuple(m) for m in merges], end_of_word_suffix=SUFFIX)
    return [token.value for token in model.tokenize(word)]


#: A small English text for 07.2: the tokenizers trainer learns 30 merges from it.
_ENGLISH = ("the lower the slower the newer the wider the lowest the slowest the newest the "
            "widest a new show a slow show a low window a wide window the shows the windows "
            ) * 3 + "the other side of the river where the wind blows over the willows"


def _bpe_encode_cases():
    """(case, word, merges) for 07.2. The first three tell the wrong orders apart."""
    learned = _tokenizers_merges(_ENGLISH, 30)
    return [
        # In order: a a a</w> -> aa a</w> -> (no a a</w> left) -> aaa</w>. One pass over the
        # word gives aa a</w>; the reverse order a aa</w>.
        ("merged symbols merge again: 'aaa', merges (a, a), (a, a</w>), (aa, a</w>)", "aaa",
         [("a", "a"), ("a", "a</w>"), ("aa", "a</w>")]),
        # (a, b) comes first, though (b, c) occurs twice: a b c b c b c</w> -> ab c b c b
        # c</w> -> ab c bc b c</w>.
        ("the learned order, not the most frequent pair: 'abcbcbc', merges (a, b), (b, c)",
         "abcbcbc", [("a", "b"), ("b", "c")]),
        # b a a b b</w> -> b a ab b</w> -> b a abb</w>; (a, ab) finds no ab left. The longest
        # known prefix after b would be "aab".
        (("the learned order, not the longest match: 'baabb', merges (a, b), (ab, b</w>), "
          "(a, ab)"), "baabb", [("a", "b"), ("ab", "b</w>"), ("a", "ab")]),
        ("'lowest' with the worked example's 10 merges", "lowest", _WORKED_MERGES),
        ("'newest' with the worked example's merges: one token", "newest", _WORKED_MERGES),
        ("'lower' with the worked example's merges", "lower", _WORKED_MERGES),
        ("'xyz': characters no merge touches stay single tokens", "xyz", _WORKED_MERGES),
        ("a one-character word 'a'", "a", _WORKED_MERGES),
        ("no merges at all: 'low'", "low", []),
        ("a pair that occurs twice: 'aaaab', merges (a, a), (aa, b</w>)", "aaaab",
         [("a", "a"), ("aa", "b</w>")]),
        # b a a a b</w> -> b aa a b</w> -> b aa ab</w>; from the right b a aa b</w> stays.
        ("an odd run of one symbol: 'baaab', merges (a, a), (a, b</w>)", "baaab",
         [("a", "a"), ("a", "b</w>")]),
        # L o w e s t</w> -> L o w es t</w> -> L o w est</w>: no (l, o) since "L" is not "l".
        ("upper case stays: 'Lowest' with the worked example's merges", "Lowest",
         _WORKED_MERGES),
        ("30 merges the tokenizers trainer learned from an English text: 'showers'",
         "showers", learned),
        ("the same 30 merges: 'lowered'", "lowered", learned),
        ("the same 30 merges: 'whether'", "whether", learned),
    ]


@exercise("07.2")
def bpe_encode(ex):
    """Checks `bpe_encode(word, merges)`: one word split into BPE tokens.

    `word` is a str without whitespace; `merges` a list of (left, right) tuples in
    the order they were learned, as `train_bpe` returns them. The word starts as
    its characters with "</w>" attached to the last one; each merge, in the learned
    order, is applied everywhere it occurs (left to right), so that merged symbols
    can merge again with later merges. Characters no merge touches stay single
    tokens. The result is the list of tokens (str); the last one ends with "</w>".
    The oracle is `tokenizers.models.BPE(vocab, merges, end_of_word_suffix="</w>")`
    with a vocabulary that holds every symbol (it applies the merges by rank, which
    gives the same tokens for learned merges). Cases: the worked example's merges,
    untouched characters, a one-character word, no merges, cases where the learned
    order differs from the most frequent pair and from the longest match, a pair that
    occurs twice, an odd run of one symbol ("a a a" -> "aa a", not "a aa"), an
    upper-case letter (kept as it is), and merges learned by the tokenizers trainer.
    """
    hint = (f"start from the characters with {SUFFIX!r} attached to the last one; for each "
            f"(left, right) in merges, in order, replace every left, right neighbour pair by "
            f"left + right (left to right), then go on with the next merge.")
    for case, word, merges in _bpe_encode_cases():
        tokens = ex.call(case, word, merges)
        ex.require(case, isinstance(tokens, list) and all(isinstance(t, str) for t in tokens),
                   f"expected a list of tokens (str), received {describe(tokens)}.",
                   f"return the list of tokens, e.g. ['lo', 'w{SUFFIX}'].")
        ex.compare_sequence(case, tokens, _tokenizers_encode(word, merges), items="token",
                            hint=hint, mistakes=mistakes_from(_bpe_encode_answer,
                                                              _BPE_ENCODE_MISTAKES, word, merges))


# ------------------------------------------------------------- causal_mask ---

def _keras_causal_mask(length):
    """Where `MultiHeadAttention(use_causal_mask=True)` lets query i attend key j.

    The attention weights of a one-head layer on zeros (all scores equal): positive
    where a position may attend, exactly 0 where the layer masks it.
    """
    keras = import_keras()
    layer = keras.layers.MultiHeadAttention(num_heads=1, key_dim=2)
    x = np.zeros((1, length, 2), np.float32)
    with warnings.catch_warnings():  # Keras warns of a softmax over one key (length 1)
        warnings.simplefilter("ignore", UserWarning)
        _, weights = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    return np.asarray(weights)[0, 0] > 0


def _causal_mask_answer(length, *, transposed=False, inverted=False, diagonal=True,
                        masked=True):
    """The causal mask (length, length): True where query i may attend key j, j <= i.

    Args:
        length: the sequence length.
        transposed: True above the diagonal instead, j >= i: the future visible
            (a mistake).
        inverted: True where the key is masked, as in PyTorch's bool masks (a mistake).
        diagonal: False leaves out j == i, a position attending to itself (a mistake).
        masked: False makes every position visible (a mistake).
    """
    query, key = np.indices((length, length))
    mask = key >= query if transposed else key <= query
    if not diagonal:
        mask &= key != query
    if not masked:
        mask = np.ones((length, length), bool)
    return ~mask if inverted else mask


_CAUSAL_MASK_MISTAKES = {
    "the future visible: True above the diagonal (the transpose). Row i is the query "
    "position, column j the key: True where j <= i": {"transposed": True},
    "True marks the positions that are masked (as in PyTorch's bool masks); in Keras's "
    "attention_mask True means the query may attend that key": {"inverted": True},
    "the diagonal excluded: a position may attend to itself (j <= i)": {"diagonal": False},
    "every position visible: nothing masked": {"masked": False},
}


def _causal_mask_cases():
    """(case, length) for 07.3."""
    return [(f"length {length}", length) for length in (4, 1, 2, 5, 8)]


def _require_bool_mask(ex, case, mask, expected):
    """Fails unless `mask` is a bool NumPy array, naming an int, float or additive mask."""
    __tracebackhide__ = True
    if not isinstance(mask, np.ndarray) or mask.dtype == bool:
        return
    hint = "compare the positions (j <= i gives bools), or make the array with dtype=bool."
    if mask.shape == expected.shape:
        if np.array_equal(mask, expected):
            ex.fail(case, f"the values are right but the dtype is {mask.dtype}: expected a "
                          f"bool array (True where position i may attend position j), not "
                          f"0/1 {'integers' if mask.dtype.kind in 'iu' else 'numbers'}.", hint)
        if mask.dtype.kind == "f" and np.all(mask[expected] == 0) and \
                np.all(mask[~expected] < -1e3):
            ex.fail_mistake(case, "an additive mask (0 where allowed, -inf or a large "
                                  "negative number where not). Keras's attention_mask is a "
                                  "bool array, True where position i may attend position j",
                            hint=hint)
    ex.fail(case, f"expected a bool array, received dtype {mask.dtype}: {describe(mask)}.", hint)


@exercise("07.3")
def causal_mask(ex):
    """Checks `causal_mask(length)`: the mask of causal (decoder) self-attention.

    The result is a NumPy bool array (length, length), True where position i (row,
    the query) may attend position j (column, the key), i.e. where j <= i: the
    layout of the `attention_mask` of `keras.layers.MultiHeadAttention`. The oracle
    is Keras itself: where the attention weights of a
    `MultiHeadAttention(use_causal_mask=True)` are not 0. Ints or floats 0/1, an
    additive 0/-inf mask, the transpose, an inverted mask and a mask without its
    diagonal are named. Lengths 1 to 8.
    """
    hint = ("True where the key position j is not after the query position i (j <= i): "
            "row i holds i + 1 Trues, then Falses.")
    for case, length in _causal_mask_cases():
        mask = ex.call(case, length)
        expected = _keras_causal_mask(length)
        _require_bool_mask(ex, case, mask, expected)
        ex.compare(case, mask, expected, hint=hint,
                   mistakes=mistakes_from(_causal_mask_answer, _CAUSAL_MASK_MISTAKES, length),
                   shape_hint="one row per query position and one column per key position: "
                              "(length, length), for length 1 too.")


# ------------------------------------------------ TokenAndPositionEmbedding ---

def _caused_by_not_implemented(error):
    """Tells whether `error`, or an exception it was raised from, is a NotImplementedError."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, NotImplementedError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _layer_caller(ex, layer):
    """An `Exercise` (same id, name and cases as `ex`) whose function calls the layer.

    Its `call` reports like the exercise's own: a NotImplementedError from the
    stub's `call` (which Keras re-raises with its own message, or could wrap in
    another error) is "not attempted yet", another error is quoted with the
    student's line.
    """
    @functools.wraps(layer.call)
    def call(*args, **kwargs):
        try:
            return layer(*args, **kwargs)
        except Exception as error:
            if _caused_by_not_implemented(error):
                raise NotImplementedError() from None
            raise

    return ex.sibling(call)


def _explain_embedding_error(message):
    """The extra hint for positions of the wrong length or out of the tables' range."""
    if re.search(r"[Ii]ncompatible shapes|broadcast|cannot be broadcast", message):
        return ("an input of T tokens needs the positions 0 .. T - 1 (T from "
                "keras.ops.shape(token_ids)[-1]), not 0 .. max_length - 1.")
    if re.search(r"indices|out of (range|bounds)|not in \[", message):
        return ("an index is outside an embedding table: the position table takes the "
                "positions 0 .. T - 1, the token table the token ids.")
    return None


def _embedding_tables(seed, vocab_size, max_length, dim):
    """Known, distinct float32 tables: tokens (vocab_size, dim), positions (max_length, dim)."""
    return (random_values(seed, (vocab_size, dim)).astype(np.float32),
            (3.0 + random_values(seed + 1, (max_length, dim))).astype(np.float32))


def _token_and_position_embedding_answer(token_ids, tokens, positions, *, combine="add",
                                         position_ids="0 .. T - 1", scaled=False):
    """What 07.4's layer gives with the tables `tokens` and `positions`, (batch, T, dim).

    Args:
        token_ids: int array (batch, T).
        tokens, positions: the token table (vocab_size, dim) and the position table
            (max_length, dim).
        combine: "add" (right: token embeddings + position embeddings); mistakes:
            "tokens only", "positions only", "concatenate" (on the last axis).
        position_ids: the rows of the position table: "0 .. T - 1" (right); mistakes:
            "1 .. T", "reversed" or "token ids". Rows past the table are clipped to its
            last one.
        scaled: the token embeddings multiplied by sqrt(dim) (a mistake).
    """
    t, dim = token_ids.shape[1], tokens.shape[1]
    ids = {"0 .. T - 1": np.arange(t), "1 .. T": np.arange(1, t + 1),
           "reversed": np.arange(t)[::-1], "token ids": token_ids}[position_ids]
    token_part = tokens[token_ids] * (math.sqrt(dim) if scaled else 1.0)
    position_part = np.broadcast_to(positions[np.minimum(ids, len(positions) - 1)],
                                    token_part.shape)
    if combine == "tokens only":
        return token_part
    if combine == "positions only":
        return position_part
    if combine == "concatenate":
        return np.concatenate([token_part, position_part], axis=-1)
    return token_part + position_part


_TOKEN_AND_POSITION_EMBEDDING_MISTAKES = {
    "positions missing: only the token embeddings. Add position_embedding(positions "
    "0 .. T - 1)": {"combine": "tokens only"},
    "only the position embeddings: add token_embedding(token_ids)":
        {"combine": "positions only"},
    "the position table looked up with the token ids: position_embedding takes the "
    "positions 0 .. T - 1": {"position_ids": "token ids"},
    "positions reversed: the first token is at position 0": {"position_ids": "reversed"},
    "the token embeddings scaled by sqrt(dim) (as in Vaswani et al.): this layer adds "
    "them unscaled": {"scaled": True},
    "concatenated instead of added: the result is (batch, T, dim), token embedding + "
    "position embedding": {"combine": "concatenate"},
    "positions counted from 1: the first token is at position 0": {"position_ids": "1 .. T"},
}


def _new_embedding_layer(ex, case, vocab_size, max_length, dim):
    """The student's layer, made by the check and not built; fails unless it is a Keras
    layer with the two Embedding tables of the given `__init__`."""
    __tracebackhide__ = True
    keras = import_keras()
    layer = ex.call(case, vocab_size, max_length, dim)
    ex.require(case, isinstance(layer, keras.layers.Layer),
               f"TokenAndPositionEmbedding({vocab_size}, {max_length}, {dim}) made "
               f"{describe(layer)}, expected a keras.layers.Layer.",
               "keep the class line `class TokenAndPositionEmbedding(keras.layers.Layer):`.")
    for name, rows in (("token_embedding", vocab_size), ("position_embedding", max_length)):
        table = getattr(layer, name, None)
        ex.require(case, isinstance(table, keras.layers.Embedding) and
                   (table.input_dim, table.output_dim) == (rows, dim),
                   f"self.{name} is {describe(table)}, expected keras.layers.Embedding({rows}, "
                   f"{dim}).", "keep the __init__ given in the notebook; write only call().")
    return layer


def _give_tables(layer, tables):
    """Gives the layer's two Embedding layers the known `tables` (building them if needed)."""
    for name, table in zip(("token_embedding", "position_embedding"), tables):
        embedding = getattr(layer, name)
        if not embedding.built:
            embedding.build()
        embedding.embeddings.assign(table)


def _embedding_layer(ex, case, vocab_size, max_length, dim, seed):
    """The student's layer built with known tables; returns (layer, caller, tables)."""
    __tracebackhide__ = True
    layer = _new_embedding_layer(ex, case, vocab_size, max_length, dim)
    tables = _embedding_tables(seed, vocab_size, max_length, dim)
    _give_tables(layer, tables)
    return layer, _layer_caller(ex, layer), tables


def _token_and_position_embedding_cases():
    """(case, vocab_size, max_length, dim, T, batch, in a model, seed) for 07.4."""
    return [
        ("eager: T 4 < max_length 6, token ids < 6, vocab 13, dim 4", 13, 6, 4, 4, 2, False, 740),
        ("eager: T = max_length = 6, token ids up to 12", 13, 6, 4, 6, 2, False, 740),
        ("eager: a single token, T 1", 13, 6, 4, 1, 3, False, 740),
        (("in a functional keras.Model: keras.Input(shape=(5,), dtype='int32'), max_length 9, "
          "vocab 30, dim 8"), 30, 9, 8, 5, 3, True, 750),
        ("in a functional keras.Model: T = max_length = 9", 30, 9, 8, 9, 2, True, 750),
    ]


#: 07.4's last case: the layer as the GPT makes it, new, on an input of unknown length.
_GPT_CASE = ("as in the GPT: a new layer called on keras.Input(shape=(None,), dtype='int32') "
             "(T unknown), then the model run with T 3 and T = max_length = 9; vocab 30, dim 8")
_GPT_CASE_SIZES = (30, 9, 8, (3, 9), 760)


def _explain_new_layer_error(message):
    """The hint for an error of a new layer called on an input of unknown length."""
    where = ("The GPT calls a new TokenAndPositionEmbedding on keras.Input(shape=(None,)): "
             "its Embedding layers are not built yet, and T is unknown (None) until the "
             "model runs.")
    if re.search(r"build the layer before|not built|has no attribute .?embeddings", message):
        return (f"{where} A sub-layer's weights exist only once it is built: call "
                f"self.position_embedding(positions) rather than reading "
                f"self.position_embedding.embeddings, or build both in a build() method.")
    return (f"{where} Read T at run time, keras.ops.shape(token_ids)[-1], not "
            f"token_ids.shape[-1] or len(...), which give None there; the same for the "
            f"batch size.")


def _check_new_layer_in_model(ex, hint, mistakes_for):
    """07.4 as the GPT uses it: a new layer (not built by the check) called on an input of
    unknown length, then the model run on two lengths with known tables."""
    __tracebackhide__ = True
    keras = import_keras()
    case = _GPT_CASE
    vocab_size, max_length, dim, lengths, seed = _GPT_CASE_SIZES
    layer = _new_embedding_layer(ex, case, vocab_size, max_length, dim)
    inputs = keras.Input(shape=(None,), dtype="int32")
    with warnings.catch_warnings():  # Keras warns before re-raising a failed call
        warnings.simplefilter("ignore", UserWarning)
        outputs = _layer_caller(ex, layer).call_explained(case, _explain_new_layer_error,
                                                          inputs, copy_inputs=False)
    ex.require(case, isinstance(outputs, keras.KerasTensor),
               f"call() returned {describe(outputs)} on a keras.Input, expected the output "
               f"tensor.", "end call() with `return` and the sum.")
    model = keras.Model(inputs, outputs)
    tables = _embedding_tables(seed, vocab_size, max_length, dim)
    _give_tables(layer, tables)
    for t in lengths:
        token_ids = np.random.default_rng(seed + t).integers(
            0, vocab_size, size=(2, t)).astype(np.int32)
        try:
            received = model(token_ids, training=False)
        except Exception as error:  # noqa: BLE001 - the student's layer, reported
            ex.fail(case, f"the model built on keras.Input(shape=(None,)) raised "
                          f"{type(error).__name__} on token ids of shape {token_ids.shape}: "
                          f"{str(error).splitlines()[0] if str(error) else ''}",
                    _explain_new_layer_error(str(error)))
        ex.compare(case, received, tables[0][token_ids].astype(np.float64) + tables[1][:t],
                   kind="tensor", hint=hint, mistakes=mistakes_for(token_ids, *tables),
                   part=f"T = {t}",
                   shape_hint="the result is (batch, T, dim): the token embeddings plus the "
                              "position embeddings (added, not concatenated).")


@exercise("07.4")
def TokenAndPositionEmbedding(ex):  # named like the exercise: the student's class
    """Checks the layer `TokenAndPositionEmbedding(vocab_size, max_length, dim)`.

    The check receives the class. Its `__init__(self, vocab_size, max_length, dim,
    **kwargs)` is given in the notebook (it stores the three ints and makes
    `self.token_embedding = keras.layers.Embedding(vocab_size, dim)` and
    `self.position_embedding = keras.layers.Embedding(max_length, dim)`); the student
    writes `call(self, token_ids)`: `token_ids` is an int tensor (batch, T) with
    T <= max_length, the result (batch, T, dim) = token_embedding(token_ids) +
    position_embedding(positions 0 .. T - 1), the positions broadcast over the batch,
    no scaling. The check makes the layer, gives both tables known distinct values and
    compares with NumPy lookups in those tables, eagerly and inside a functional
    `keras.Model` (`keras.Input(shape=(T,), dtype="int32")`, where the batch size is
    unknown), for T < max_length, T = max_length and T = 1. The last case is the
    GPT's: a new layer, not built by the check, called on
    `keras.Input(shape=(None,), dtype="int32")` (T unknown, so T must be read with
    `keras.ops.shape`, and a sub-layer's weights cannot be read before it is built),
    the tables given afterwards and the model run with two lengths. Known mistakes
    (positions missing, the position table looked up with the token ids, positions
    from 1 or reversed, scaled by sqrt(dim), concatenated) are named.
    """
    keras = import_keras()
    hint = ("add the token embeddings of token_ids and the position embeddings of the "
            "positions 0 .. T - 1 (keras.ops.arange, T from keras.ops.shape(token_ids)[-1]); "
            "the (T, dim) position embeddings broadcast over the batch.")

    def mistakes_for(token_ids, tokens, positions):
        return mistakes_from(_token_and_position_embedding_answer,
                             _TOKEN_AND_POSITION_EMBEDDING_MISTAKES, token_ids, tokens,
                             positions)

    layers = {}
    cases = _token_and_position_embedding_cases()
    for case, vocab_size, max_length, dim, t, batch, in_model, seed in cases:
        key = (vocab_size, max_length, dim)
        if key not in layers:
            layers[key] = _embedding_layer(ex, case, vocab_size, max_length, dim, seed)
        _, caller, (tokens, positions) = layers[key]
        rng = np.random.default_rng(seed + t)
        token_ids = rng.integers(0, vocab_size if t == max_length else max_length,
                                 size=(batch, t)).astype(np.int32)
        if in_model:
            inputs = keras.Input(shape=(t,), dtype="int32")
            outputs = caller.call_explained(case, _explain_embedding_error, inputs,
                                            copy_inputs=False)
            ex.require(case, isinstance(outputs, keras.KerasTensor),
                       f"call() returned {describe(outputs)} on a keras.Input, expected the "
                       f"output tensor.", "end call() with `return` and the sum.")
            received = keras.Model(inputs, outputs)(token_ids, training=False)
        else:
            received = caller.call_explained(case, _explain_embedding_error, token_ids)
        expected = tokens[token_ids].astype(np.float64) + positions[:t]
        ex.compare(case, received, expected, kind="tensor", hint=hint,
                   mistakes=mistakes_for(token_ids, tokens, positions),
                   shape_hint="the result is (batch, T, dim): the token embeddings plus the "
                              "position embeddings (added, not concatenated).")
    _check_new_layer_in_model(ex, hint, mistakes_for)


# ------------------------------------------------------- transformer_block ---

def _layer_norm(x, gamma, beta, epsilon):
    mean = x.mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=-1, keepdims=True) + epsilon) * gamma + beta


def _gelu(x):
    """The exact GELU, x * Phi(x), as `keras.activations.gelu` (approximate=False)."""
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


_ACTIVATIONS = {"gelu": _gelu, "relu": lambda x: np.maximum(x, 0.0), None: lambda x: x}


def _transformer_block_answer(x, w, causal, *, norm="pre", attention_residual=True,
                              ffn_residual=True, masked=None, activation="gelu",
                              attend="normed", ffn_input="h"):
    """The pre-norm block of 07.5 in float64, computed from the weights `w`.

    Args:
        x: the input (batch, T, d).
        w: the weights: "ln1" and "ln2" (gamma, beta, epsilon), "mha" (a dict as in
            `references.MHA_PARAMS`), "dense1" and "dense2" (kernel, bias).
        causal: whether the attention is causal.
        norm: "post" gives LN(x + sublayer(x)) after each sublayer (a mistake).
        attention_residual, ffn_residual: False leaves out the residual around the
            attention or the FFN (mistakes).
        masked: None follows `causal`; True or False forces the causal mask on or off
            (mistakes).
        activation: the FFN's activation, "gelu" (right); "relu" or None (mistakes).
        attend: "x" attends on x instead of LN1(x) (a mistake).
        ffn_input: "x" gives the FFN LN2(x) instead of LN2(h) (a mistake).
    """
    x = np.asarray(x, np.float64)
    mask = references.causal_mask(len(x), x.shape[1]) if (
        causal if masked is None else masked) else None

    def ln(name, value):
        return _layer_norm(value, *w[name])

    def attention(value):
        return references.multi_head_attention(value, value, value, w["mha"], mask)

    def ffn(value):
        kernel1, bias1 = w["dense1"]
        kernel2, bias2 = w["dense2"]
        return _ACTIVATIONS[activation](value @ kernel1 + bias1) @ kernel2 + bias2

    if norm == "post":
        h = ln("ln1", x + attention(x))
        return ln("ln2", h + ffn(h))
    a = attention(x if attend == "x" else ln("ln1", x))
    h = x + a if attention_residual else a
    f = ffn(ln("ln2", x if ffn_input == "x" else h))
    return h + f if ffn_residual else f


_RELU_IN_FFN = "ReLU in the FFN: the block uses GELU, as GPT-2 and ViT do"

_TRANSFORMER_BLOCK_MISTAKES = {
    "post-norm (\"Add & Norm\" after each sublayer, LN(x + sublayer(x))): this block is "
    "pre-norm, as in GPT-2 and ViT: x + sublayer(LN(x))": {"norm": "post"},
    "no residual connection around the attention: h = x + attention(LN1(x))":
        {"attention_residual": False},
    "no residual connection around the FFN: the output is h + FFN(LN2(h))":
        {"ffn_residual": False},
    "the attention applied to x instead of LN1(x): pre-norm normalises the sublayer's "
    "input": {"attend": "x"},
    "the FFN applied to LN2(x) instead of LN2(h): the FFN works on the output of the "
    "attention sublayer": {"ffn_input": "x"},
    _RELU_IN_FFN: {"activation": "relu"},
    "no activation in the FFN: Dense(ff_dim, activation=\"gelu\")": {"activation": None},
    "no causal mask although causal=True: pass use_causal_mask=causal to the attention":
        {"masked": False},
    "a causal mask although causal=False: use_causal_mask=causal": {"masked": True},
}


def _transformer_block_cases():
    """(case, T, d, num_heads, ff_dim, extra arguments (causal, dropout), seed) for 07.5."""
    return [
        ("not causal (the defaults): T 5, d 8, 2 heads, ff_dim 16", 5, 8, 2, 16, (), 760),
        ("causal, dropout 0.1: T 6, d 12, 3 heads, ff_dim 20", 6, 12, 3, 20, (True, 0.1), 770),
        ("causal: T 4, d 8, 4 heads of key_dim 2, ff_dim 6 (narrower than d)", 4, 8, 4, 6,
         (True, 0.0), 780),
    ]


def _require_block_layers(ex, case, model, d, num_heads, ff_dim, dropout):
    """Fails unless the block has the layers 07.5 names; returns (mha, norms, dense1, dense2)."""
    __tracebackhide__ = True
    layers = import_keras().layers
    leaves = leaf_layers(model)
    found = f"the block's layers: {layer_names(leaves)}"
    attentions = [layer for layer in leaves if isinstance(layer, layers.MultiHeadAttention)]
    ex.require(case, len(attentions) == 1,
               f"expected one keras.layers.MultiHeadAttention; {found}.",
               "one MultiHeadAttention(num_heads, key_dim=d // num_heads), called on LN1(x).")
    config = attentions[0].get_config()
    applied = applications(model)
    ex.require(case, config["num_heads"] == num_heads,
               f"the MultiHeadAttention has num_heads = {config['num_heads']}, expected "
               f"{num_heads}.", "pass num_heads to MultiHeadAttention.")
    if config["key_dim"] == d and num_heads > 1:
        ex.fail_mistake(case, f"key_dim = d ({d}) instead of d // num_heads ({d // num_heads})."
                              f" Each head works on d // num_heads features, so that the heads "
                              f"together have d",
                        hint="MultiHeadAttention(num_heads, key_dim=d // num_heads), "
                             "d = x.shape[-1].")
    value_dim = config.get("value_dim") or config["key_dim"]
    ex.require(case, (config["key_dim"], value_dim) == (d // num_heads, d // num_heads),
               f"the MultiHeadAttention has key_dim {config['key_dim']} and value_dim "
               f"{value_dim}, expected d // num_heads = {d // num_heads} for both.",
               "MultiHeadAttention(num_heads, key_dim=d // num_heads), d = x.shape[-1].")
    if config.get("dropout"):
        ex.fail_mistake(case, f"dropout inside the attention: MultiHeadAttention(..., "
                              f"dropout={config['dropout']}) drops attention weights, which "
                              f"this block does not do. Its Dropout(dropout) layers act on the "
                              f"attention's output and on the FFN's output",
                        hint="MultiHeadAttention(num_heads, key_dim=d // num_heads) without "
                             "dropout=, then keras.layers.Dropout(dropout) on its output.")
    ex.require(case, config.get("use_bias", True),
               "the MultiHeadAttention has use_bias=False: its projections have biases.",
               "keep MultiHeadAttention's default use_bias=True.")
    norms = [layer for layer in leaves if isinstance(layer, layers.LayerNormalization)]
    if len(norms) == 1 and applied.get(id(norms[0]), 1) > 1:
        ex.fail_mistake(case, f"one LayerNormalization layer used for both sublayers. Each "
                              f"sublayer has its own LayerNorm, with its own gamma and beta; "
                              f"{found}",
                        hint="make two layers: ln1 = keras.layers.LayerNormalization() before "
                             "the attention, ln2 = keras.layers.LayerNormalization() before "
                             "the FFN.")
    if len(norms) == 1 and chain(attentions[0].output, model.input) == attentions[:1]:
        ex.fail_mistake(case, f"the attention applied to x instead of LN1(x). Pre-norm "
                              f"normalises each sublayer's input, and the block has one "
                              f"LayerNormalization; {found}",
                        hint="a = LN1(x); h = x + Dropout(MultiHeadAttention(...)(a, a, ...)).")
    ex.require(case, len(norms) == 2,
               f"expected two LayerNormalization layers (before the attention and before the "
               f"FFN); {found}.",
               "pre-norm: x + attention(LN1(x)), then h + FFN(LN2(h)); no LayerNorm after "
               "the additions.")
    for norm in norms:
        norm_config = norm.get_config()
        axis = norm_config["axis"]
        ex.require(case, list(np.ravel(axis)) in ([-1], [2]),
                   f"a LayerNormalization normalises axis {axis}, expected the last axis "
                   f"(the features).", "keep the default axis=-1.")
        changed = [f"{name}={norm_config[name]}" for name, default in
                   (("center", True), ("scale", True), ("rms_scaling", False))
                   if norm_config.get(name, default) != default]
        ex.require(case, not changed,
                   f"a LayerNormalization has {', '.join(changed)}: each LayerNorm has its "
                   f"learned scale (gamma) and offset (beta), and subtracts the mean.",
                   "keras.layers.LayerNormalization() with its defaults.")
    denses = [layer for layer in leaves if isinstance(layer, layers.Dense)]
    units = sorted(layer.get_config()["units"] for layer in denses)
    ex.require(case, units == sorted([ff_dim, d]),
               f"expected two Dense layers, ff_dim = {ff_dim} units then d = {d} units; the "
               f"block has Dense layers of {units} units; {found}.",
               "the FFN is Dense(ff_dim, activation=\"gelu\") then Dense(d).")
    dense1 = next(layer for layer in denses if layer.get_config()["units"] == ff_dim)
    dense2 = next(layer for layer in denses if layer is not dense1)
    for dense in (dense1, dense2):
        units = dense.get_config()["units"]
        ex.require(case, dense.get_config().get("use_bias", True),
                   f"the Dense layer of {units} units has use_bias=False: both Dense layers of "
                   f"the FFN have biases, W2 GELU(W1 LN2(h) + b1) + b2.",
                   "keep Dense's default use_bias=True.")
    first = activation_name(dense1)
    if first not in ("gelu", "linear", ""):  # a linear Dense may be followed by a gelu
        named = _RELU_IN_FFN if first == "relu" else f"{first} in the FFN"
        ex.fail_mistake(case, f"{named}. The first Dense (ff_dim units) has activation "
                              f"{first!r}, expected \"gelu\"",
                        hint="Dense(ff_dim, activation=\"gelu\") (Keras's exact GELU) then "
                             "Dense(d).")
    ex.require(case, activation_name(dense2) in ("linear", ""),
               f"the second Dense (d units) has activation {activation_name(dense2)!r}: it is "
               f"linear.", "Dense(d) without an activation; the residual adds its output.")
    dropouts = [layer for layer in leaves if isinstance(layer, layers.Dropout)]
    for layer in dropouts:
        ex.require(case, math.isclose(layer.rate, dropout),
                   f"a Dropout layer has rate {layer.rate}, expected dropout = {dropout}.",
                   "Dropout(dropout) after the attention and after the FFN.")
    if dropout > 0:
        times = sum(applied.get(id(layer), 1) for layer in dropouts)
        ex.require(case, times == 2,
                   f"expected Dropout({dropout}) twice, on the attention's output and on the "
                   f"FFN's output, before each residual addition; the block applies Dropout "
                   f"{times} time(s).",
                   "h = x + Dropout(dropout)(attention); out = h + Dropout(dropout)(ffn).")
    return attentions[0], norms, dense1, dense2


def _known_block_weights(mha, norms, dense1, dense2, d, num_heads, seed):
    """Gives every weight of the block known values; returns them for
    `_transformer_block_answer`."""
    key_dim = d // num_heads
    params = references.mha_params(seed, d, d, d, num_heads, key_dim, key_dim, np.float32)
    mha.set_weights([params[name] for name in references.MHA_PARAMS])
    weights = {"mha": params}
    for number, (name, layer) in enumerate(zip(("ln1", "ln2"), norms)):
        rng = np.random.default_rng([seed, 1, number])
        gamma = (1.0 + 0.3 * rng.normal(size=d)).astype(np.float32)
        beta = (0.3 * rng.normal(size=d)).astype(np.float32)
        if layer.gamma is not None:
            layer.gamma.assign(gamma)
        if layer.beta is not None:
            layer.beta.assign(beta)
        weights[name] = (np.asarray(layer.gamma if layer.gamma is not None else np.ones(d)),
                         np.asarray(layer.beta if layer.beta is not None else np.zeros(d)),
                         layer.epsilon)
    for number, (name, layer) in enumerate(zip(("dense1", "dense2"), (dense1, dense2))):
        fan_in = layer.kernel.shape[0]
        layer.kernel.assign(random_values([seed, 2, number], layer.kernel.shape,
                                          1 / math.sqrt(fan_in)).astype(np.float32))
        bias = np.zeros(layer.kernel.shape[1], np.float32)
        if layer.bias is not None:
            bias = random_values([seed, 3, number], layer.bias.shape, 0.3).astype(np.float32)
            layer.bias.assign(bias)
        weights[name] = (np.asarray(layer.kernel, np.float64), bias.astype(np.float64))
    return weights


@exercise("07.5")
def transformer_block(ex):
    """Checks `transformer_block(x, num_heads, ff_dim, causal=False, dropout=0.0)`.

    `x` is a Keras tensor (batch, T, d); the function builds a pre-norm block (as
    GPT-2 and ViT) from Keras layers and returns its output tensor (batch, T, d):
    h = x + Dropout(MultiHeadAttention(num_heads, key_dim=d // num_heads)(LN1(x),
    LN1(x), use_causal_mask=causal)); out = h + Dropout(Dense(d)(Dense(ff_dim,
    activation="gelu")(LN2(h)))). The layers: one keras.layers.MultiHeadAttention, two
    separate keras.layers.LayerNormalization (default axis; their epsilon is read
    from the layers), two Dense (the first with the exact GELU: activation="gelu",
    or a gelu applied to its linear output), and Dropout(dropout) applied twice, to
    each sublayer's output, when dropout > 0 (any Dropout has rate dropout; no
    dropout inside the attention), with their default biases (and LayerNorm's
    center and scale). The block may be written with layers applied to x, nested
    `keras.Sequential` models or a subclassed layer or model: they are opened up, and
    a layer used twice counts twice. The causal cases build the block on
    `keras.Input(shape=(None, d))`, as the GPT does (T unknown, so nothing may be
    built from x.shape[1]); the other on a known T, as the ViT. The check wraps the
    output in a `keras.Model`, requires those layers (heads, key_dim, ff_dim, gelu,
    two LayerNorms, the dropout rate), gives every
    weight (LayerNorm gamma and beta included) known random values and compares the
    model's output (training=False) with a float64 NumPy block computed from the same
    weights: LayerNorm with the layer's epsilon, Keras's exact GELU (erf), and the
    attention of `references.multi_head_attention`. Cases: not causal (the defaults),
    causal with dropout 0.1, and 4 heads with ff_dim < d. Known mistakes (post-norm,
    a missing residual, the mask missing or not wanted, ReLU or no activation,
    key_dim = d, one shared LayerNorm, attention on x instead of LN1(x), dropout
    inside the attention) are named.
    """
    keras = import_keras()
    hint = ("pre-norm: a = LN1(x); h = x + Dropout(MultiHeadAttention(...)(a, a, "
            "use_causal_mask=causal)); out = h + Dropout(Dense(d)(Dense(ff_dim, "
            "activation=\"gelu\")(LN2(h)))).")
    for case, t, d, num_heads, ff_dim, extra, seed in _transformer_block_cases():
        causal, dropout = (tuple(extra) + (False, 0.0)[len(extra):])
        length = None if causal else t  # the GPT's blocks: keras.Input(shape=(None, d))
        error_hint = "apply keras.layers to the Keras tensor x; each residual adds two " \
                     "tensors of shape (batch, T, d)."
        if length is None:
            error_hint += (" Here x is keras.Input(shape=(None, d)), as in the GPT: T is "
                           "unknown (None) until the model runs, so do not build anything "
                           "from x.shape[1] (a mask, say); use_causal_mask=causal makes the "
                           "mask at run time.")
        model = call_builder(ex, case, keras.Input(shape=(length, d)), num_heads, ff_dim,
                             *extra, error_hint=error_hint)
        expected_shape = (None, length, d)
        ex.require(case, tuple(model.output_shape) == expected_shape,
                   f"the block's output has shape {tuple(model.output_shape)}, expected "
                   f"{expected_shape}: the shape of x.",
                   "the FFN's last Dense has d units, so that h + FFN(LN2(h)) is (batch, T, d).")
        layers = _require_block_layers(ex, case, model, d, num_heads, ff_dim, dropout)
        weights = _known_block_weights(*layers, d, num_heads, seed)
        x = random_values(seed + 5, (2, t, d)).astype(np.float32)
        received = model(x, training=False)
        ex.compare(case, received, _transformer_block_answer(x, weights, causal),
                   kind="tensor", rtol=2e-4, atol=2e-4, hint=hint,
                   mistakes=mistakes_from(_transformer_block_answer,
                                          _TRANSFORMER_BLOCK_MISTAKES, x, weights, causal),
                   part="output with known weights")


# -------------------------------------------------------------- mask_tokens ---

def _mask_tokens_cases():
    """(case, tokens, mask_id, vocab_size, rate, seed) for the statistical cases of 07.6.

    No token equals mask_id. The first case's 12 token values are skewed (Zipf) and
    each occurs at least 1,000 times, so that a selection that depends on the token
    shows; the third (rate 1, 60,000 draws) gives each random token about 200
    draws, so that a token never drawn shows. In the last, a vocabulary of 4 makes a
    random token equal the original (or mask_id) one time in 4: a random token that
    never does shows.
    """
    rng = np.random.default_rng(790)
    zipf = 1.0 / np.arange(1, 13)
    common = np.delete(np.arange(13), 4)  # 12 token values in [0, 13) without mask_id 4
    skewed = rng.choice(common, size=(200, 256), p=zipf / zipf.sum()).astype(np.int64)
    flat = rng.integers(5, 40, size=40_000).astype(np.int32)
    cube = rng.choice(common, size=(30, 40, 50)).astype(np.int64)
    return [
        (("BERT's rate 0.15: tokens (200, 256) of 12 values (some frequent), vocab_size 30, "
          "mask_id 4"), skewed, 4, 30, 0.15, 791),
        ("rate 0.3: int32 tokens (40000,) in [5, 40), vocab_size 50, mask_id 0", flat, 0, 50,
         0.3, 792),
        (("rate 1: every position selected, tokens (30, 40, 50) of 12 values, vocab_size 30, "
          "mask_id 4"), cube, 4, 30, 1.0, 793),
        (("rate 1, a small vocabulary: tokens (60000,) in [1, 4), vocab_size 4, mask_id 0: a "
          "random token is the original or mask_id one time in 4"),
         rng.integers(1, 4, size=60_000).astype(np.int64), 0, 4, 1.0, 794),
    ]


#: 07.6's case of many small calls: (tokens, mask_id, vocab_size, rate, calls, seed).
_REPEATED_CALLS = (np.arange(80, dtype=np.int64).reshape(4, 20) % 12 + 5, 4, 30, 0.5, 200, 798)
_REPEATED_CASE = ("200 calls on tokens (4, 20), rate 0.5, vocab_size 30, mask_id 4: how many "
                  "positions are selected, and masked, varies from call to call")


def _binomial_pmf(k, n, p):
    return math.comb(n, k) * p ** k * (1.0 - p) ** (n - k)


def _round_counts(n, fraction):
    """The counts a rule that takes exactly `fraction` of `n` items gives: floor or ceil."""
    return {math.floor(n * fraction), math.ceil(n * fraction)}


def _check_counts_vary(ex, case, tokens, mask_id, vocab_size, rate, calls, seed):
    """Calls mask_tokens `calls` times on a small array; fails when the number selected is
    round(rate * n) (or the number masked round(0.8 * selected)) far more often than
    independent draws give it."""
    __tracebackhide__ = True
    n = tokens.size
    p_masked = 0.8 + 0.1 / vocab_size
    exact_selected = exact_masked = 0
    for number in range(calls):
        inputs, selected = _masking_result(ex, case, ex.call(
            case, tokens, mask_id, vocab_size, rate, np.random.default_rng([seed, number]),
            returns_new=True), tokens)
        k = int(selected.sum())
        exact_selected += k in _round_counts(n, rate)
        exact_masked += int(np.sum(inputs[selected] == mask_id)) in _round_counts(k, 0.8)
    p_selected = sum(_binomial_pmf(k, n, rate) for k in _round_counts(n, rate))
    if not count_agrees(exact_selected, calls, p_selected):
        problem = (f"in {exact_selected} of {calls} calls on {n} tokens, exactly "
                   f"{' or '.join(map(str, sorted(_round_counts(n, rate))))} positions were "
                   f"selected; independent draws (each position with probability {rate}) do "
                   f"so {expected_count(calls, p_selected)} times.")
        if exact_selected > calls * p_selected:
            ex.fail_mistake(case, "exactly round(rate * n) positions selected at each call "
                                  "(rng.choice without replacement, a permutation cut): each "
                                  "position is selected independently with probability rate, "
                                  "so the number selected varies", problem,
                            "select with rng.random(tokens.shape) < rate.",
                            "selected (the second value)")
        ex.fail(case, problem, _MASKING_HINT, part="selected (the second value)")
    p_masked_exact = sum(_binomial_pmf(k, n, rate) * sum(
        _binomial_pmf(m, k, p_masked) for m in _round_counts(k, 0.8)) for k in range(n + 1))
    if not count_agrees(exact_masked, calls, p_masked_exact):
        problem = (f"in {exact_masked} of {calls} calls exactly 80% (rounded) of the selected "
                   f"positions became mask_id; independent draws do so "
                   f"{expected_count(calls, p_masked_exact)} times.")
        if exact_masked > calls * p_masked_exact:
            ex.fail_mistake(case, "exactly 80% of the selected positions masked (and 10% "
                                  "random, 10% kept) at each call: each selected position "
                                  "draws its fate independently, so the numbers vary", problem,
                            "draw one number per position, rng.random(tokens.shape): below "
                            "0.8 mask_id, below 0.9 a random token, else unchanged.",
                            "inputs (the first value)")
        ex.fail(case, problem, _MASKING_HINT, part="inputs (the first value)")


def _masking_result(ex, case, result, tokens):
    """Fails unless the result is (inputs, selected) of the right types; returns them."""
    __tracebackhide__ = True
    pair_hint = "return both: `return inputs, selected`."
    inputs, selected = ex.require_pair(case, result, "(inputs, selected)", pair_hint)
    if isinstance(inputs, np.ndarray) and inputs.dtype == bool and \
            isinstance(selected, np.ndarray) and selected.dtype != bool:
        ex.fail_mistake(case, "(selected, inputs) returned instead of (inputs, selected)",
                        hint=pair_hint)
    for name, value, dtype in (("inputs (the first value)", inputs, tokens.dtype),
                               ("selected (the second value)", selected, np.dtype(bool))):
        ex.require(case, isinstance(value, np.ndarray) and value.shape == tokens.shape,
                   f"expected an array of shape {tokens.shape}, received {describe(value)}.",
                   "both results have the shape of tokens.", part=name)
        ex.require(case, value.dtype == dtype,
                   f"expected dtype {dtype}, received {value.dtype}.",
                   "inputs is a copy of tokens (tokens.copy() keeps the dtype) with some "
                   "positions replaced; selected is a bool array.", part=name)
    return inputs, selected


_RANDOM_TOKEN_HINT = ("draw each random token uniformly from the whole vocabulary: "
                      "rng.integers(0, vocab_size), whose high end is excluded; do not "
                      "draw again or shift when it equals the original token or mask_id.")

_MASKING_HINT = ("select each position with probability rate (rng.random(tokens.shape) < rate); "
                 "of the selected, 80% become mask_id, 10% a token from rng.integers(0, "
                 "vocab_size), 10% stay as they are; only selected positions change.")


def _check_unselected(ex, case, inputs, selected, tokens, mask_id):
    """Positions outside `selected` must keep their token."""
    __tracebackhide__ = True
    outside_in, outside_tokens = inputs[~selected], tokens[~selected]
    changed = int(np.sum(outside_in != outside_tokens))
    if not changed:
        return
    problem = f"{changed} position(s) outside `selected` changed: only selected positions change."
    part = "inputs (the first value)"
    if count_agrees(int(np.sum(outside_in == mask_id)), outside_in.size, 0.8):
        ex.fail_mistake(case, "the 80/10/10 rule applied to every position instead of only "
                              "the selected ones", problem, _MASKING_HINT, part)
    ex.fail(case, problem, _MASKING_HINT, part=part)


def _check_selection(ex, case, inputs, selected, tokens, rate):
    """The number of selected positions, and for each frequent token value, agree with rate."""
    __tracebackhide__ = True
    n, k = tokens.size, int(selected.sum())
    part = "selected (the second value)"
    values = [v for v in np.unique(tokens) if np.sum(tokens == v) >= 1000]
    for value in values:  # one rate for all tokens (the pooled one, whatever it is)
        where = tokens == value
        count = int(selected[where].sum())
        if not count_agrees(count, int(where.sum()), k / n, sigmas=6.0):  # up to 35 values
            expected = expected_count(int(where.sum()), k / n, 6.0)
            problem = (f"{count} of the {int(where.sum())} positions holding token {int(value)} "
                       f"were selected, expected {expected} (the "
                       f"fraction selected overall, {k / n:.3f}): whether a position is "
                       f"selected must not depend on its token.")
            hint = "draw one random number per position, rng.random(tokens.shape) < rate."
            if all(selected[tokens == v].all() or not selected[tokens == v].any()
                   for v in values):
                ex.fail_mistake(case, "one draw per token value, so that all the positions "
                                      "of a token are selected or none", problem, hint, part)
            ex.fail(case, problem, hint, part=part)
    if count_agrees(k, n, rate):
        return
    problem = f"{k} of {n} positions selected, expected rate x {n}: {expected_count(n, rate)}."
    kept = int(np.sum(inputs[selected] == tokens[selected]))
    if rate != 0.15 and count_agrees(k, n, 0.15):
        ex.fail_mistake(case, "the rate ignored (0.15 used whatever rate is)", problem,
                        _MASKING_HINT, part)
    if count_agrees(k, n, 0.9 * rate) and kept < 0.02 * max(k, 1):
        ex.fail_mistake(case, "`selected` leaves out the positions kept unchanged. They are "
                              "selected too: the loss is computed on every selected position, "
                              "the unchanged 10% included", problem, _MASKING_HINT, part)
    ex.fail(case, problem, _MASKING_HINT, part=part)


def _avoided_ids(masked, kept, k, vocab_size, mask_id):
    """The mistake of a random token that avoids the original token, mask_id or both, if the
    counts of mask_id (`masked`) and of kept tokens (`kept`) among `k` selected positions
    (none holding mask_id) follow it; else None.

    Drawn uniformly from [0, vocab_size), a random token is mask_id and the original one
    time in vocab_size each; avoiding the original, mask_id one time in vocab_size - 1 and
    the original never; avoiding mask_id, the reverse; avoiding both, neither.
    """
    other = 0.1 / (vocab_size - 1)
    rules = {"the original token": (0.8 + other, 0.1), f"mask_id {mask_id}": (0.8, 0.1 + other),
             f"the original token or mask_id {mask_id}": (0.8, 0.1)}
    for avoided, (p_masked, p_kept) in rules.items():
        if count_agrees(masked, k, p_masked) and count_agrees(kept, k, p_kept):
            return (f"a random token never equal to {avoided}: the random 10% are drawn "
                    f"uniformly from the whole vocabulary [0, vocab_size), so that one in "
                    f"vocab_size is the original token and one in vocab_size is mask_id")
    return None


def _check_replacements(ex, case, inputs, selected, tokens, mask_id, vocab_size):
    """Of the selected positions, 80% mask_id, 10% unchanged, the rest uniform tokens."""
    __tracebackhide__ = True
    part = "inputs (the first value)"
    rows, originals = inputs[selected], tokens[selected]
    k = rows.size
    masked, kept = int(np.sum(rows == mask_id)), int(np.sum(rows == originals))
    p_masked, p_kept = 0.8 + 0.1 / vocab_size, 0.1 + 0.1 / vocab_size
    avoided = _avoided_ids(masked, kept, k, vocab_size, mask_id)
    if not count_agrees(masked, k, p_masked):
        problem = (f"{masked} of the {k} selected positions became mask_id {mask_id}, "
                   f"expected 80% (+ random tokens that are mask_id): "
                   f"{expected_count(k, p_masked)}.")
        if masked == k:
            ex.fail_mistake(case, "every selected position replaced by mask_id. 10% get a "
                                  "random token and 10% stay unchanged", problem,
                            _MASKING_HINT, part)
        if avoided:
            ex.fail_mistake(case, avoided, problem, _RANDOM_TOKEN_HINT, part)
        ex.fail(case, problem, _MASKING_HINT, part=part)
    if not count_agrees(kept, k, p_kept):
        problem = (f"{kept} of the {k} selected positions kept their token, expected 10% (+ "
                   f"random tokens equal to the original): {expected_count(k, p_kept)}.")
        if avoided:
            ex.fail_mistake(case, avoided, problem, _RANDOM_TOKEN_HINT, part)
        ex.fail(case, problem, _MASKING_HINT, part)
    hint = ("draw each random token uniformly from the whole vocabulary: rng.integers(0, "
            "vocab_size), whose high end is excluded.")
    replaced = rows[(rows != mask_id) & (rows != originals)]
    outside = replaced[(replaced < 0) | (replaced >= vocab_size)]
    ex.require(case, outside.size == 0,
               f"a selected position became {int(outside[0]) if outside.size else 0}, outside "
               f"the vocabulary [0, {vocab_size}).", hint, part)
    p = 0.1 / vocab_size  # each token other than mask_id and the original
    counts = {v: (int(np.sum(replaced == v)), int(np.sum(originals != v)))
              for v in range(vocab_size) if v != mask_id}
    # 6 sigmas, not 5: up to 49 counts are tested at once (false failures: 3e-6 a run).
    wrong = [(v, count, trials) for v, (count, trials) in counts.items()
             if not count_agrees(count, trials, p, sigmas=6.0)]
    if not wrong:
        return
    value, count, trials = wrong[0]
    problem = (f"{count} selected positions became the random token {value}, expected 10% / "
               f"{vocab_size} of the {trials} selected positions holding another token: "
               f"{expected_count(trials, p, sigmas=6.0)}.")
    absent = [v for v in counts if not np.any(tokens == v)]
    absent_trials = sum(counts[v][1] for v in absent)
    if absent and sum(counts[v][0] for v in absent) == 0 and not count_agrees(0, absent_trials, p):
        ex.fail_mistake(case, "random tokens drawn from the tokens themselves, not uniformly "
                              "from the vocabulary [0, vocab_size)", problem, hint, part)
    if counts.get(vocab_size - 1, (1, 0))[0] == 0 and \
            not count_agrees(0, counts[vocab_size - 1][1], p):
        ex.fail_mistake(case, f"random tokens from [0, vocab_size - 1): the last id "
                              f"{vocab_size - 1} is never drawn", problem, hint, part)
    ex.fail(case, problem, hint, part)


def _check_masking(ex, case, tokens, mask_id, vocab_size, rate, seed):
    """Runs mask_tokens once with a seeded generator and tests the result's statistics."""
    __tracebackhide__ = True
    result = ex.call(case, tokens, mask_id, vocab_size, rate, np.random.default_rng(seed),
                     returns_new=True)
    inputs, selected = _masking_result(ex, case, result, tokens)
    _check_unselected(ex, case, inputs, selected, tokens, mask_id)
    _check_selection(ex, case, inputs, selected, tokens, rate)
    _check_replacements(ex, case, inputs, selected, tokens, mask_id, vocab_size)


@exercise("07.6")
def mask_tokens(ex):
    """Checks `mask_tokens(tokens, mask_id, vocab_size, rate, rng)`: BERT's masking rule.

    `tokens` is an int NumPy array of any shape, `rng` a `numpy.random.Generator`
    (all the randomness comes from it). Each position is selected independently with
    probability `rate` (BERT: 0.15); each selected position independently becomes
    `mask_id` with probability 0.8, a token drawn uniformly from [0, vocab_size) with
    probability 0.1 (it may equal the original), and stays unchanged with probability
    0.1. The result is the pair (inputs, selected): a new int array of the shape and
    dtype of `tokens` (which is not changed) and a bool array of that shape marking
    the selected positions, the unchanged ones included (the loss is computed on
    them). How the random numbers are drawn is free, so the check is statistical: on
    arrays of 40,000 to 60,000 tokens with fixed seeds, every count (selected
    positions, overall and per frequent token value; mask_id; unchanged; each random
    token value) must lie within 5 binomial standard deviations (+1.5) of its
    expectation; with a vocabulary of 4, a random token that never equals the
    original or mask_id shows in those counts. Over 200 calls on 80 tokens, how often
    exactly round(rate * n) positions are selected, and exactly 80% of them masked,
    must agree with independent draws (a rule that selects or masks a fixed number
    fails). Also: unselected positions unchanged, inputs a new array, the same seed
    gives the same result and two seeds different ones, whatever NumPy's global seed
    (`require_own_randomness`), rate 0 selects nothing, rate 1 everything. Known
    mistakes are named.
    """
    cases = _mask_tokens_cases()
    for case, tokens, mask_id, vocab_size, rate, seed in cases:
        _check_masking(ex, case, tokens, mask_id, vocab_size, rate, seed)
    case = "rate 0: nothing selected, tokens (7, 9)"
    tokens = np.arange(63, dtype=np.int64).reshape(7, 9) % 20
    inputs, selected = _masking_result(
        ex, case, ex.call(case, tokens, 3, 20, 0.0, np.random.default_rng(795),
                          returns_new=True), tokens)
    ex.require(case, not selected.any() and np.array_equal(inputs, tokens),
               f"with rate 0 no position is selected and inputs equals tokens; "
               f"{int(selected.sum())} position(s) were selected and "
               f"{int(np.sum(inputs != tokens))} changed.",
               "select where rng.random(tokens.shape) < rate: never true when rate is 0.")
    case = "the randomness comes from rng: tokens (50, 60), rate 0.15"
    tokens = cases[0][1][:50, :60]
    runs = [_masking_result(
        ex, case, ex.call(case, tokens, 4, 30, 0.15, np.random.default_rng(seed)), tokens)
        for seed in (796, 796, 797)]
    ex.require(case, all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1])),
               "two generators made with the same seed gave different results.",
               "draw with the rng argument (rng.random, rng.integers), not with np.random.* "
               "functions or a generator of your own.")
    ex.require(case, not np.array_equal(runs[0][1], runs[2][1]),
               "two generators made with different seeds selected the same positions.",
               "draw with the rng argument, not with a generator of your own made from a "
               "fixed seed.")
    require_own_randomness(ex, case, lambda rng: np.stack([
        a.astype(np.int64) for a in _masking_result(
            ex, case, ex.call(case, tokens, 4, 30, 0.15, rng), tokens)]),
        what="results (inputs and selected)")
    _check_counts_vary(ex, _REPEATED_CASE, *_REPEATED_CALLS)


# ----------------------------------------------------------------- patchify ---

def _patchify_answer(images, p, *, grid="rows", pixels="rows", channels="last",
                     transpose=True, first_channel_only=False):
    """07.7's patches: (batch, N, p * p * C), the p x p squares of `images` flattened.

    Args:
        images: (batch, H, W, C), H and W multiples of `p`.
        p: the patch size.
        grid: the order of the patches: "rows" (right), "columns" (a mistake).
        pixels: the order of a patch's pixels: "rows" (right), "columns" (a mistake).
        channels: where the channel axis goes in a flattened patch: "last" (right, the
            channels of one pixel side by side), "first" (a mistake).
        transpose: False reshapes without a transpose, which cuts strips (a mistake).
        first_channel_only: True keeps only the first channel (a mistake).
    """
    if first_channel_only:
        images = images[..., :1]
    b, height, width, c = images.shape
    if not transpose:
        return images.reshape(b, -1, p * p * c)
    x = images.reshape(b, height // p, p, width // p, p, c)  # (b, gh, ph, gw, pw, c)
    grid_axes = (1, 3) if grid == "rows" else (3, 1)
    pixel_axes = (2, 4) if pixels == "rows" else (4, 2)
    order = (0, *grid_axes, *pixel_axes, 5) if channels == "last" else \
        (0, *grid_axes, 5, *pixel_axes)
    return x.transpose(order).reshape(b, -1, p * p * c)


_PATCHIFY_MISTAKES = {
    "the patches in column order: the grid is read row by row, left to right, then top "
    "to bottom": {"grid": "columns"},
    "reshaped without a transpose: that cuts horizontal strips, not p x p squares. "
    "Reshape to (batch, H // p, p, W // p, p, C), then bring the two grid axes "
    "together": {"transpose": False},
    "each patch flattened column by column: flatten it row by row, (row, column, "
    "channel)": {"pixels": "columns"},
    "each patch flattened channels first: the order is (row, column, channel), the "
    "channels of one pixel side by side": {"channels": "first"},
    "only the first channel kept: each patch holds p * p * C values":
        {"first_channel_only": True},
}


def _keras_patches(images, p):
    """`keras.ops.image.extract_patches` (float64, stride p, 'valid') as (batch, N, p*p*C)."""
    keras = import_keras()
    patches = np.asarray(keras.ops.image.extract_patches(
        np.asarray(images, np.float64), size=p, strides=p, padding="valid"))
    return patches.reshape(len(images), -1, patches.shape[-1]).astype(images.dtype)


def _explain_patchify_error(message):
    if "cannot reshape" in message:
        return ("each patch holds patch_size * patch_size * C values: keep the channel axis, "
                "reshape to (batch, H // p, p, W // p, p, C).")
    return None


def _patchify_cases():
    """(case, images, patch_size) for 07.7; in the last two, H or W is not a multiple of
    patch_size, so that patchify must raise ValueError."""
    rng = np.random.default_rng(7700)
    return [
        ("2 RGB images 4 x 6 (H != W), patch 2", random_values(7701, (2, 4, 6, 3)), 2),
        ("one 6 x 6 image, 3 channels, patch 3", random_values(7702, (1, 6, 6, 3)), 3),
        ("grayscale (C = 1): 2 images 8 x 4, patch 4", random_values(7703, (2, 8, 4, 1)), 4),
        ("patch 1: every pixel a patch, 2 images 3 x 5 x 2", random_values(7704, (2, 3, 5, 2)),
         1),
        ("one patch: patch 4 = H = W, 2 images x 3 channels", random_values(7705, (2, 4, 4, 3)),
         4),
        ("uint8 Fashion-MNIST-sized: 3 images 28 x 28 x 1, patch 7",
         rng.integers(0, 256, size=(3, 28, 28, 1)).astype(np.uint8), 7),
        ("float32: 2 images 8 x 12 x 2, patch 4",
         random_values(7706, (2, 8, 12, 2)).astype(np.float32), 4),
        ("H 5 is not a multiple of patch_size 2", random_values(7707, (1, 5, 6, 3)), 2),
        ("W 7 is not a multiple of patch_size 3", random_values(7707, (2, 6, 7, 1)), 3),
    ]


@exercise("07.7")
def patchify(ex):
    """Checks `patchify(images, patch_size)`: images cut into flattened square patches (ViT).

    `images` is a NumPy array (batch, H, W, C), `patch_size` an int p. The result is
    a NumPy array (batch, (H // p) * (W // p), p * p * C) of the dtype of `images`:
    the p x p patches read row by row (left to right, then top to bottom), each
    flattened in (row, column, channel) order, the layout of
    `tf.image.extract_patches` and `keras.ops.image.extract_patches`, the oracle here
    (in float64). When H or W is not a multiple of p the function raises ValueError
    with a message that names the size and p. Cases: H != W, C = 1, 2 and 3, p = 1,
    a single patch, uint8 and float32 images. The ValueError's message may say it in
    any words, as long as it holds both numbers ("image size 5x6 is not a multiple of
    patch_size 2"). Known mistakes (column order, strips
    from a reshape without transpose, pixels column by column, channels first, the
    channels dropped) are named.
    """
    fn = ex.fn
    hint = ("split H into (H // p, p) and W into (W // p, p) with one reshape that keeps C, "
            "move the two patch-grid axes in front of the two axes within a patch, then "
            "flatten each patch.")
    raise_hint = ("check H % patch_size and W % patch_size first and raise ValueError "
                  "naming the size and the patch size, e.g. f\"H = {H} is not a multiple "
                  "of patch_size = {patch_size}\".")
    for case, images, p in _patchify_cases():
        _, height, width, _ = images.shape
        if height % p == 0 and width % p == 0:
            out = ex.call_explained(case, _explain_patchify_error, images, p)
            ex.compare(case, out, _keras_patches(images, p), hint=hint,
                       mistakes=mistakes_from(_patchify_answer, _PATCHIFY_MISTAKES, images, p),
                       shape_hint="one row per patch: (batch, (H // p) * (W // p), p * p * C).")
            ex.require(case, out.dtype == images.dtype,
                       f"the patches have dtype {out.dtype}, the images {images.dtype}: "
                       f"patchify only moves values, so the dtype stays.",
                       "reshape and transpose keep the dtype; leave out np.zeros or astype.")
            continue
        size = height if height % p else width
        ex.call_expecting_error(case, ValueError, f"{case.split(' is')[0]} cannot be cut into "
                                                  f"patches of {p}", images, p, hint=raise_hint)
        message = _error_message(fn, images, p)
        ex.require(case, _names_number(message, size) and _names_number(message, p),
                   f"the ValueError says {message!r}: name the size ({size}) and the patch "
                   f"size ({p}), so that the caller sees what to change.", raise_hint)


def _names_number(message, number):
    """Tells whether `message` holds the number as a number of its own, in any wording:
    "5" in "H = 5", "size 5x6" or "(5, 6)", not in "15" or "2.5"."""
    return re.search(rf"(?<![\d.]){number}(?![\d]|\.\d)", message) is not None


def _error_message(fn, *args):
    """The message of the ValueError `fn(*args)` raises (the caller knows that it does)."""
    try:
        fn(*copy.deepcopy(args))
    except ValueError as error:
        return str(error)
    return ""
