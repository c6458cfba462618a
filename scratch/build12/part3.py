md(r"""
## 3 · Text classification (many-to-one)

The labelled texts are fortunes from the Unix `fortune` program (Debian's `fortunes`
package), four of its files, each on one topic: `computers`, `politics`, `science` and
`work`. A fortune's label is the file it comes from, so the labels were made by people
and are a little noisy (some fortunes could sit in two files). 3,009 texts, a median of
18 words each; a stratified split keeps 602 of them for testing.
""")

code(r"""
(train_texts, train_labels), (test_texts, test_labels), class_names = data.fortune_categories_split()
print(f"{len(train_texts):,} training and {len(test_texts):,} test texts; classes {class_names}")
print("training texts per class:", np.bincount(train_labels).tolist())
for label in range(len(class_names)):
    example = next(t for t, y in zip(train_texts, train_labels) if y == label and len(t) < 90)
    print(f"{class_names[label]:>10}: {' '.join(example.split())}")
""")

md(r"""
**Baselines first.** The **majority class** predicts the most frequent training label for
every text. **TF-IDF with logistic regression** is the classic text classifier: each text
becomes a sparse vector with one entry per word (and per pair of neighbouring words) of
the training vocabulary, weighted by how often the word occurs in the text (here
$1 + \log$ of the count) times how rare it is across texts (the inverse document
frequency), and a linear model is fitted on these vectors. It knows nothing about word
order beyond pairs and nothing about meaning, yet it is hard to beat on small data sets.
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
majority = np.bincount(train_labels).argmax()
majority_accuracy = np.mean(test_labels == majority)
tfidf = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))
tfidf_model = LogisticRegression(C=10, max_iter=2000)
tfidf_model.fit(tfidf.fit_transform(train_texts), train_labels)
tfidf_accuracy = tfidf_model.score(tfidf.transform(test_texts), test_labels)
print(f"majority class ({class_names[majority]}): test accuracy {majority_accuracy:.3f}")
print(f"TF-IDF + logistic regression: test accuracy {tfidf_accuracy:.3f}")
""")

md(r"""
### Text to ids

A neural classifier reads ids. `keras.layers.TextVectorization` does the whole path from
strings: it lowercases, strips punctuation, splits at whitespace, and, once `adapt`ed to
the training texts, maps each word to its rank in the training vocabulary. Id 0 is kept
for padding and id 1 for words it never saw (`[UNK]`).
""")

code(r"""
vectorizer = layers.TextVectorization(max_tokens=8000)
vectorizer.adapt(train_texts)
text_vocab = [str(word) for word in vectorizer.get_vocabulary()]
print(f"vocabulary: {len(text_vocab):,} ids; the first 10: {text_vocab[:10]}")
sample = "Computers are useless. They can only give you answers."
print(sample, "->", np.asarray(vectorizer([sample]))[0].tolist())
""")

md(r"""
### Exercise 12.5: padding and masking

Texts have different lengths but a batch is a rectangle, so short sequences are padded
with 0 and long ones cut. The **mask** records which positions hold real tokens, so that
the model can ignore the padding. Pad and cut at the end (Keras's `pad_sequences` does
both at the front by default).
""")

solution("pad_and_mask"); test(5, "pad_and_mask", 1)

code(r"""
MAX_LENGTH = 64                                          # 95% of the training fortunes fit
train_sequences = [row[row > 0].tolist() for row in np.asarray(vectorizer(train_texts))]
test_sequences = [row[row > 0].tolist() for row in np.asarray(vectorizer(test_texts))]
x_train, train_mask = pad_and_mask(train_sequences, MAX_LENGTH)       # (2407, 64) each
x_test, test_mask = pad_and_mask(test_sequences, MAX_LENGTH)
lengths = np.array([len(s) for s in train_sequences])
print("x_train", x_train.shape, x_train.dtype, "| mask", train_mask.shape, train_mask.dtype)
print(f"lengths: median {np.median(lengths):.0f}, 95th percentile {np.percentile(lengths, 95):.0f}, "
      f"max {lengths.max()}; {np.mean(lengths > MAX_LENGTH):.1%} of texts are cut")
print(f"padding: {1 - train_mask.mean():.0%} of the positions")
""")

md(r"""
### Exercise 12.6: mean pooling over the real tokens

The simplest summary of a sequence is the mean of its token vectors. With padding, a plain
mean over time would count the zeros of the padding and make a short text's summary
shrink towards 0; the masked mean divides by the number of real tokens:

$$\text{pool}(x)_b = \frac{\sum_t m_{bt}\, x_{bt}}{\max\left(1, \sum_t m_{bt}\right)}.$$
""")

solution("masked_mean_pool"); test(6, "masked_mean_pool", 2)

code(r"""
x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")   # (batch, time, dim)
mask = np.array([[True, True, False, False], [True, True, True, True]])
ours = np.asarray(masked_mean_pool(x, mask))
keras_pool = np.asarray(layers.GlobalAveragePooling1D()(x, mask=mask))
print("your pool == Keras's masked GlobalAveragePooling1D:", np.allclose(ours, keras_pool, atol=1e-6))
print("a plain mean over all 4 steps differs:", not np.allclose(x.mean(axis=1), keras_pool))
""")

md(r"""
### Exercise 12.7: two text classifiers

Both start with an `Embedding` whose `mask_zero=True` makes Keras pass the mask of
exercise 12.5 along to the next layer, and both end with a softmax layer. The **pooled**
model averages its word vectors (a "bag of embeddings": word order is lost). The
**bidirectional** model reads the text with an LSTM in each direction (notebook 05) and
concatenates the two final states, so it can use word order.
""")

solution("build_text_classifier"); test(7, "build_text_classifier", 2)

code(r"""
for kind in ["pooled", "birnn"]:
    model = build_text_classifier(len(text_vocab), len(class_names), kind)
    print(f"{kind:>6}: {model.count_params():,} parameters, output {model.output_shape}")
""")

md(r"""
Both are trained with Adam and the cross-entropy, in batches of 32. The pooled model is
cheap, so it gets more epochs; the LSTM reads every word one after the other and costs
about ten times as much per epoch.
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
CLASSIFIER_EPOCHS = {"pooled": helpers.budget(full=8, quick=5), "birnn": helpers.budget(full=4, quick=2)}
classifier_accuracy = {}
for kind, epochs in CLASSIFIER_EPOCHS.items():
    keras.utils.set_random_seed(0)
    model = build_text_classifier(len(text_vocab), len(class_names), kind)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, train_labels, epochs=epochs, batch_size=32, verbose=0,
              callbacks=[progress.Progress(kind)])
    classifier_accuracy[kind] = model.evaluate(x_test, test_labels, verbose=0)[1]
results = pd.Series({"majority class": majority_accuracy, "TF-IDF + logistic regression": tfidf_accuracy,
                     "pooled embeddings (12.7)": classifier_accuracy["pooled"],
                     "bidirectional LSTM (12.7)": classifier_accuracy["birnn"]}, name="test accuracy")
results.round(3).to_frame()
""")

code(r"""
helpers.expect("pooled classifier accuracy minus the majority class",
               classifier_accuracy["pooled"] - majority_accuracy,
               full=FLOOR_POOLED_FULL, quick=FLOOR_POOLED_QUICK)
helpers.expect("bidirectional LSTM accuracy minus the majority class",
               classifier_accuracy["birnn"] - majority_accuracy,
               full=FLOOR_BIRNN_FULL, quick=FLOOR_BIRNN_QUICK)
""")

md(r"""
WHAT_TO_NOTICE_CLS
""")
