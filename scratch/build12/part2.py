def solution(name):
    src = open("/work/nb12/scratch/12_solutions.py").read()
    start = src.index(f"def {name}(")
    end = src.find("\n# 12.", start)
    code(src[start:end if end > 0 else None].rstrip())

def test(num, name, pts):
    code(f"# TEST: 12.{num} {name} [{pts} pt{'s' if pts != 1 else ''}]\n"
         f"from helpers.checks import language as check\ncheck.{name}({name})")

solution("skipgram_pairs"); test(1, "skipgram_pairs", 2)

code(r"""
verse = re.findall(r"[a-z]+", verses[0].lower())                 # Genesis 1:1
pairs = skipgram_pairs(np.array([word_id[w] for w in verse]), window=2)
print(" ".join(verse))
print(f"{len(pairs)} pairs; those with center 'created':")
print([(vocab[c], vocab[o]) for c, o in pairs if vocab[c] == "created"])
""")

md(r"""
### Negative sampling

The skip-gram model gives each word two vectors: $v_w$ when it is the center and $u_w$
when it is a context. The full model would predict the context with a softmax over the
whole vocabulary, $p(o \mid c) = \exp(u_o \cdot v_c) / \sum_w \exp(u_w \cdot v_c)$, which
costs one dot product per word of the vocabulary at every step. **Negative sampling**
replaces that by a handful of yes/no questions: is $o$ a real context of $c$ (yes), and
are $k$ words drawn at random from the vocabulary real contexts (no)? With
$\sigma(x) = 1 / (1 + e^{-x})$ the loss of one example is

$$\ell = -\log \sigma(v_c \cdot u_o) - \sum_{j=1}^{k} \log \sigma(-v_c \cdot u_{n_j}),$$

and a batch's loss is the mean over its examples. Use $-\log\sigma(x) = \operatorname{softplus}(-x)$:
it stays finite where $\log$ of a $\sigma$ that rounded to 0 would not.

### Exercise 12.2: the negative-sampling loss

Write it with `keras.ops`: the training step below calls it inside `tf.function` on the
rows gathered from the two tables.
""")

solution("negative_sampling_loss"); test(2, "negative_sampling_loss", 2)

md(r"""
### Training the word vectors

Three details from word2vec make it work much better (Mikolov et al., 2013):

- **negatives** are drawn from the word frequencies raised to the power 0.75, which gives
  rare words a little more chance than their frequency;
- **subsampling**: each occurrence of a word with frequency $f$ is kept with probability
  $\min(1, \sqrt{t/f} + t/f)$ (here $t = 10^{-3}$), a fresh draw every epoch, so that "the",
  "and" and "of" do not dominate the pairs;
- the center table starts small and random, the context table at zero.

Each epoch subsamples the text, makes its pairs with your `skipgram_pairs`, shuffles
them and draws `NEGATIVES` negatives for each; each step gathers the rows of a batch and
takes an Adam step on your loss.
""")

code(r"""
WINDOW = 2
NEGATIVES = 5
EMBED_DIM = 64
SUBSAMPLE = 1e-3
W2V_BATCH = 1024
W2V_EPOCHS = helpers.budget(full=4, quick=1)

frequency = np.array([counts[w] for w in vocab], dtype=np.float64) / len(kjv_ids)
keep_probability = np.minimum(1.0, np.sqrt(SUBSAMPLE / frequency) + SUBSAMPLE / frequency)
noise = frequency ** 0.75
noise /= noise.sum()                                               # the negatives' distribution

w2v_rng = np.random.default_rng(0)
center_table = tf.Variable(w2v_rng.uniform(-0.5, 0.5, (len(vocab), EMBED_DIM)).astype("float32")
                           / EMBED_DIM)                            # v: words as centers
context_table = tf.Variable(np.zeros((len(vocab), EMBED_DIM), "float32"))   # u: as contexts
w2v_optimizer = keras.optimizers.Adam(0.01)


@tf.function
def w2v_step(centers, contexts, negatives):                        # (batch,), (batch,), (batch, k)
    with tf.GradientTape() as tape:
        loss = negative_sampling_loss(tf.gather(center_table, centers),
                                      tf.gather(context_table, contexts),
                                      tf.gather(context_table, negatives))
    tables = [center_table, context_table]
    w2v_optimizer.apply_gradients(zip(tape.gradient(loss, tables), tables))
    return loss
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
kept_per_epoch = int(keep_probability[kjv_ids].sum())
steps_per_epoch = kept_per_epoch * 2 * WINDOW // W2V_BATCH         # about: the ends lose a few
bar = progress.Loop("skip-gram", rounds=W2V_EPOCHS, steps=steps_per_epoch)
started = time.perf_counter()
for epoch in range(W2V_EPOCHS):
    kept = kjv_ids[w2v_rng.random(len(kjv_ids)) < keep_probability[kjv_ids]]
    epoch_pairs = skipgram_pairs(kept, WINDOW)
    epoch_pairs = epoch_pairs[w2v_rng.permutation(len(epoch_pairs))]
    epoch_negatives = w2v_rng.choice(len(vocab), size=(len(epoch_pairs), NEGATIVES), p=noise)
    losses = []
    for start in range(0, min(len(epoch_pairs), steps_per_epoch * W2V_BATCH), W2V_BATCH):
        batch = slice(start, start + W2V_BATCH)
        losses.append(float(w2v_step(epoch_pairs[batch, 0], epoch_pairs[batch, 1],
                                     epoch_negatives[batch])))
        bar.step(loss=np.mean(losses[-100:]))
    bar.end_round(loss=np.mean(losses))
bar.end()
w2v_seconds = time.perf_counter() - started
embeddings = center_table.numpy()                                  # (vocab, EMBED_DIM)
print(f"skip-gram: {W2V_EPOCHS} epochs of about {len(epoch_pairs):,} pairs in {w2v_seconds:.0f} s, "
      f"final loss {np.mean(losses):.3f}")
""")

md(r"""
### Nearest neighbours

Two word vectors are compared by the **cosine** of the angle between them,
$\cos(a, b) = a \cdot b / (\lVert a \rVert \lVert b \rVert)$: 1 for the same direction, 0 for
orthogonal, whatever their lengths (frequent words tend to get longer vectors).

### Exercise 12.3: nearest neighbours
""")

solution("nearest_neighbours"); test(3, "nearest_neighbours", 2)

code(r"""
# NBVAL_IGNORE_OUTPUT
QUERY_WORDS = ["god", "king", "gold", "sheep", "sword", "bread", "water", "pharaoh", "seven"]
table = pd.DataFrame({word: [vocab[i] for i in nearest_neighbours(word_id[word], embeddings, 6)]
                      for word in QUERY_WORDS}).T
table.columns = [f"#{i + 1}" for i in range(6)]
table
""")

md(r"""
### Analogies by vector arithmetic

"man is to king as woman is to ?" If the difference between "man" and "king" is a
direction in the space (royalty), then adding it to "woman" should land near "queen".
**3CosAdd** (Mikolov et al., 2013; named by Levy and Goldberg, 2014) normalises every
vector to unit length, forms $b - a + c$, and answers with the most similar words other
than $a$, $b$ and $c$.

### Exercise 12.4: analogies
""")

solution("analogy"); test(4, "analogy", 2)

md(r"""
**An analogy list this corpus can support.** The usual test sets (Google's, with capitals
and currencies) ask about words the Bible does not have. Ours has three groups of word
pairs that the King James text uses often: gender (man/woman, king/queen, ...), singular
and plural (city/cities, servant/servants, ...), and present and past tense (come/came,
speak/spake, ...). Every ordered pair of pairs in a group is one question: "man : woman ::
king : ?".
""")

code(r"""
ANALOGY_PAIRS = {
    "gender": [("man", "woman"), ("king", "queen"), ("father", "mother"), ("son", "daughter"),
               ("brother", "sister"), ("husband", "wife"), ("he", "she"), ("him", "her"),
               ("sons", "daughters"), ("men", "women"), ("brethren", "sisters"),
               ("servant", "maid"), ("manservant", "maidservant"), ("bridegroom", "bride")],
    "plural": [("king", "kings"), ("son", "sons"), ("city", "cities"), ("house", "houses"),
               ("servant", "servants"), ("priest", "priests"), ("day", "days"),
               ("year", "years"), ("hand", "hands"), ("nation", "nations"),
               ("prophet", "prophets"), ("word", "words"), ("tree", "trees"),
               ("horse", "horses"), ("angel", "angels"), ("field", "fields"),
               ("brother", "brethren"), ("man", "men"), ("woman", "women"),
               ("child", "children")],
    "past tense": [("go", "went"), ("come", "came"), ("say", "said"), ("give", "gave"),
                   ("take", "took"), ("see", "saw"), ("know", "knew"), ("speak", "spake"),
                   ("make", "made"), ("hear", "heard"), ("bring", "brought"), ("sit", "sat"),
                   ("find", "found"), ("stand", "stood"), ("die", "died"), ("dwell", "dwelt"),
                   ("build", "built"), ("send", "sent"), ("fall", "fell")],
}
questions = [(group, *(word_id[w] for w in (a, b, c, d)))
             for group, pairs in ANALOGY_PAIRS.items()
             for (a, b), (c, d) in itertools.permutations(pairs, 2)]
print(f"{len(questions)} questions:", dict(collections.Counter(q[0] for q in questions)))


def analogy_accuracy(vectors, k):
    # The share of questions whose answer is among the top k, per group and overall.
    hits = collections.defaultdict(list)
    for group, a, b, c, d in questions:
        hits[group].append(d in analogy(a, b, c, vectors, k))
    scores = {group: np.mean(h) for group, h in hits.items()}
    scores["all"] = np.mean([hit for h in hits.values() for hit in h])
    return scores
""")

md(r"""
**Baselines.** Random vectors say what chance gives: with 5,000 candidate answers, almost
nothing. A stronger baseline skips training altogether: count how often each pair of words
occurs within `WINDOW` positions of each other in the same text, take the logarithm of
1 + each count, and keep the 64 strongest directions of that matrix with a truncated
singular value decomposition (SVD). Word2vec is known to be close to such a factorisation
of a shifted co-occurrence matrix (Levy and Goldberg, 2014).
""")

code(r"""
left, right = [], []
for offset in range(1, WINDOW + 1):                     # each pair of words at distance <= WINDOW
    left += [kjv_ids[:-offset], kjv_ids[offset:]]
    right += [kjv_ids[offset:], kjv_ids[:-offset]]
left, right = np.concatenate(left), np.concatenate(right)
cooccurrence = sparse.coo_matrix((np.ones(len(left)), (left, right)),
                                 shape=(len(vocab), len(vocab))).tocsr()   # sums duplicates
log_counts = cooccurrence.copy()
log_counts.data = np.log1p(log_counts.data)
svd_vectors = TruncatedSVD(EMBED_DIM, random_state=0).fit_transform(log_counts)  # (vocab, 64)
random_vectors = np.random.default_rng(0).normal(size=embeddings.shape)
print(f"co-occurrence matrix: {cooccurrence.nnz:,} nonzero entries of {len(vocab) ** 2:,}")
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
scores = {}
for name, vectors in [("skip-gram (yours)", embeddings), ("counts + SVD", svd_vectors),
                      ("random vectors", random_vectors)]:
    for k in (1, 5):
        scores[(name, f"top-{k}")] = analogy_accuracy(vectors, k)
analogy_table = pd.DataFrame(scores).T.round(3)
analogy_table
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
for a, b, c in [("man", "woman", "king"), ("son", "sons", "city"), ("come", "came", "speak"),
                ("he", "his", "she"), ("egypt", "egyptians", "israel")]:
    answers = [vocab[i] for i in analogy(word_id[a], word_id[b], word_id[c], embeddings, 3)]
    print(f"{a} : {b} :: {c} : {', '.join(answers)}")
""")

code(r"""
w2v_top5 = analogy_table.loc[("skip-gram (yours)", "top-5"), "all"]
random_top5 = analogy_table.loc[("random vectors", "top-5"), "all"]
helpers.expect("skip-gram top-5 analogy accuracy minus random vectors'", w2v_top5 - random_top5,
               full=FLOOR_W2V_FULL, quick=FLOOR_W2V_QUICK)
""")

md(r"""
WHAT_TO_NOTICE_W2V
""")

md(r"""
### What embeddings inherit

Word vectors learn whatever regularities their text holds, including its view of people.
Take the direction from "he" to "she" (the difference of their unit vectors) and measure
how far along it a word's vector points: positive leans "she", negative "he". The
question is not whether the Bible is biased; it is a 17th-century translation of ancient
texts. The point is that a model trained on it carries its associations into any task that
uses the vectors, without anyone having written them down (Bolukbasi et al., 2016, found
"man : computer programmer :: woman : homemaker" in vectors trained on Google News).
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
gender_direction = unit[word_id["she"]] - unit[word_id["he"]]
gender_direction /= np.linalg.norm(gender_direction)
ROLE_WORDS = ["priest", "prophet", "king", "shepherd", "servant", "scribe",
              "widow", "harlot", "virgin", "nurse", "beautiful", "strong", "wise"]
leaning = pd.Series({w: unit[word_id[w]] @ gender_direction for w in ROLE_WORDS}).sort_values()
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.barh(leaning.index, leaning.values, color=np.where(leaning.values > 0, "#e6550d", "#3182bd"))
ax.axvline(0, color="black", linewidth=0.8)
ax.set_xlabel("cosine with the he → she direction")
ax.set_title("What the vectors learned about roles (KJV skip-gram)")
plt.show()
""")

md(r"""
WHAT_TO_NOTICE_BIAS
""")
