CELLS = []
def md(s): CELLS.append(("markdown", s.strip("\n")))
def code(s): CELLS.append(("code", s.strip("\n")))

md(r"""
# 12 · Language

[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-workbook/dl-workbook/blob/main/notebooks/12_language.ipynb)

This notebook puts the sequence models of notebooks 05 to 07 to work on words. It starts
with a map of the tasks a sequence model can do and where you met each one. Then you
teach a computer what words mean from nothing but text: you write **skip-gram with
negative sampling** (word2vec) and train it on the King James Bible, look up a word's
nearest neighbours and solve analogies by vector arithmetic, against a count-based
baseline, and see what the vectors inherit from their text. Next you **classify short
texts** (fortunes of the Unix `fortune` program, labelled by topic) with an `Embedding`
model and a bidirectional LSTM, against a majority-class guess and TF-IDF with logistic
regression. Finally you do BERT's trick at a size a CPU can afford: **pretrain** a small
transformer encoder on unlabelled text by filling in masked words, then **fine-tune** it on
a few labelled examples, and compare it with the same encoder trained from scratch.

**Learning goals**

- place a task on the sequence-task map (one-to-one, one-to-many, many-to-one,
  many-to-many) and name a model for each;
- explain why one-hot ids carry no similarity, write the skip-gram pairs and the
  negative-sampling loss, and train word vectors;
- find nearest neighbours by cosine similarity and solve analogies with 3CosAdd, and judge
  them against a baseline; say what word vectors inherit from their text;
- turn text into padded ids with a mask, pool over the real tokens only, and build a
  mean-pooled and a bidirectional recurrent classifier;
- compare neural classifiers honestly with a majority class and TF-IDF baselines;
- pretrain an encoder with a masked-language-model loss, fine-tune it, and read a
  learning curve over label budgets; explain freezing, fine-tuning and LoRA.

**Runtime** (whole notebook, measured on one core of a 2-core CPU that other jobs shared;
on both cores it should be faster)

| mode | what is trained | CPU |
|---|---|---|
| quick (`WORKBOOK_QUICK=1`, what the tests run) | RUNTIME_QUICK_WHAT | RUNTIME_QUICK |
| full (the default) | RUNTIME_FULL_WHAT | RUNTIME_FULL |

There are 8 graded exercises (15 points). For each one, replace `# YOUR CODE HERE` and
`raise NotImplementedError()` with your code, run the cell, then run the test cell below
it. Exercises 12.1, 12.3, 12.4 and 12.5 are plain Python and NumPy; 12.2, 12.6 and 12.8
use `keras.ops` (they run inside training); 12.7 builds a Keras model.
""")

code(r"""
# Workbook setup: in Colab this fetches the workbook and installs helpers; elsewhere it does nothing.
import os, sys

WORKBOOK_REPOSITORY = "https://github.com/dl-workbook/dl-workbook"
if "google.colab" in sys.modules:
    import importlib, subprocess
    workbook_dir = os.path.abspath("dl-workbook")
    if not os.path.isdir(workbook_dir):
        repository = os.environ.get("WORKBOOK_REPOSITORY", WORKBOOK_REPOSITORY)
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", repository, workbook_dir],
                       check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        workbook_dir], check=True)
        importlib.invalidate_caches()
    os.environ["WORKBOOK_DATA"] = os.path.join(workbook_dir, "data")
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
import helpers

helpers.setup()
""")

code(r"""
import collections
import itertools
import re
import time

import numpy as np
import pandas as pd
import tensorflow as tf
import keras
import matplotlib.pyplot as plt
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from scipy import sparse

from helpers import data, plots, progress

layers = keras.layers
""")

md(r"""
## 1 · The sequence-task map

A model that reads or writes sequences can be placed by how many items go in and how many
come out. You have met all four kinds already:

| kind | in → out | examples | where you met it |
|---|---|---|---|
| one-to-one | one input, one output | an image → its class | notebooks 01 to 03 (MLP, CNN) |
| one-to-many | one input, a sequence out | an image → a caption; a prompt → generated text | notebooks 05 and 07: a language model writes one character at a time from a start |
| many-to-one | a sequence in, one output | a sentence → its topic or sentiment; a week of CO2 → the next value | notebook 05 (forecasting, rows of an image read by a BiLSTM); **section 3 here** |
| many-to-many, aligned | one output per input | tagging each word (noun, verb, ...); a character LM predicting every next character | notebooks 05 and 07 (training a language model) |
| many-to-many, encoder-decoder | a sequence in, another sequence of a different length out | translation, summarisation | notebook 06 (Bahdanau seq2seq) |

The figure draws each kind: inputs at the bottom, outputs at the top, the model's steps
in between (one box per step for a recurrent model; a transformer reads all steps at once,
but the shapes of input and output are the same).
""")

code(r"""
def draw_task(ax, title, n_in, n_out, aligned=True):
    # Inputs (bottom row), hidden steps (middle) and outputs (top), left to right.
    steps = n_in + (0 if aligned else n_out)
    out_steps = list(range(steps - n_out, steps)) if not aligned or n_out == n_in else [steps - 1]
    if n_in == 1 and n_out > 1:                                   # one-to-many
        steps, out_steps = n_out, list(range(n_out))
    for t in range(steps):
        ax.add_patch(plt.Rectangle((t - 0.3, 0.85), 0.6, 0.5, color="#9ecae1"))
        if t > 0:
            ax.annotate("", (t - 0.3, 1.1), (t - 0.7, 1.1), arrowprops=dict(arrowstyle="->"))
        if t < n_in:
            ax.add_patch(plt.Rectangle((t - 0.25, 0.0), 0.5, 0.4, color="#fdae6b"))
            ax.annotate("", (t, 0.85), (t, 0.4), arrowprops=dict(arrowstyle="->"))
        if t in out_steps:
            ax.add_patch(plt.Rectangle((t - 0.25, 1.8), 0.5, 0.4, color="#a1d99b"))
            ax.annotate("", (t, 1.8), (t, 1.35), arrowprops=dict(arrowstyle="->"))
    ax.set_xlim(-0.6, 5.6)
    ax.set_ylim(-0.2, 2.4)
    ax.set_title(title, fontsize=10)
    ax.axis("off")


fig, axes = plt.subplots(1, 5, figsize=(15, 2.8))
draw_task(axes[0], "one-to-one\n(image → class)", 1, 1)
draw_task(axes[1], "one-to-many\n(prompt → text)", 1, 5)
draw_task(axes[2], "many-to-one\n(sentence → topic)", 5, 1)
draw_task(axes[3], "many-to-many, aligned\n(word → tag)", 5, 5)
draw_task(axes[4], "encoder-decoder\n(sentence → translation)", 3, 3, aligned=False)
fig.text(0.5, 0.0, "orange: inputs   blue: the model's steps   green: outputs", ha="center")
plt.show()
""")

md(r"""
**What to notice.** The difference between the kinds is only where outputs are read and
where inputs are given. Many-to-one is the case of this notebook's classifiers: the whole
text goes in and one label comes out, so the model must summarise the sequence (its last
state, or a mean over its steps). The encoder-decoder reads all of its input before it
writes the first output, which is what translation needs, since word order differs between
languages.

## 2 · Word embeddings

A model reads a word as an id, a row number of an embedding table. As a **one-hot** vector
(all zeros but a 1 at the id), every word is equally far from every other: "king" is as
different from "queen" as from "bread", and the dot product of two different words is
always 0. Nothing about meaning is in the ids.

Word vectors fix that by learning a dense vector per word from text, on the
**distributional hypothesis**: words that occur in similar contexts have similar meanings.
**Skip-gram** (Mikolov et al., 2013) turns running text into a prediction task: for each
position $i$ (the **center**), predict the words within `window` positions of it (its
**contexts**). A window of 2 around "created" in "in the beginning god created the heaven"
gives the pairs (created, beginning), (created, god), (created, the), (created, heaven).

The corpus is the King James Bible (1611; public domain): 31,102 verses, about 790,000
words. We lowercase it, keep runs of letters as words, and keep the words that occur at
least `MIN_COUNT` times; the rest are dropped from the stream.
""")

code(r"""
verses = data.load_kjv()
words = [word for verse in verses for word in re.findall(r"[a-z]+", verse.lower())]
MIN_COUNT = 5
counts = collections.Counter(words)
vocab = [word for word, n in counts.most_common() if n >= MIN_COUNT]   # most frequent first
word_id = {word: i for i, word in enumerate(vocab)}
kjv_ids = np.array([word_id[w] for w in words if w in word_id])        # the text as ids
print(f"{len(verses):,} verses, {len(words):,} words, {len(counts):,} distinct")
print(f"vocabulary: {len(vocab):,} words occurring at least {MIN_COUNT} times, "
      f"{len(kjv_ids) / len(words):.1%} of the running text")
print("the 12 most frequent:", ", ".join(vocab[:12]))
""")

md(r"""
### Exercise 12.1: the skip-gram pairs

Write `skipgram_pairs(ids, window)`: every position is a center, and its contexts are
the positions at most `window` away on either side, inside the stream (nothing wraps
around the ends) and never the center itself. Rows come ordered by center, then by
context position.
""")
