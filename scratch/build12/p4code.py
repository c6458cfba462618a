P4 = {}
P4["UNLABELLED_CODE"] = r'''
devils_train, _ = data.devils_dictionary_split()
unlabelled = (list(train_texts)                                     # their labels unused
              + devils_train.split("\n\n") + data.load_fortunes("en") + UNLABELLED_KJV)
PRETRAIN_VOCAB = 4000
SEQUENCE = 32                                                       # tokens per sequence
encoder_vectorizer = layers.TextVectorization(max_tokens=PRETRAIN_VOCAB)
encoder_vectorizer.adapt(tf.data.Dataset.from_tensor_slices(unlabelled).batch(1024))
MASK_ID = PRETRAIN_VOCAB                                            # one more id: [MASK]
stream = np.concatenate([row[row > 0] for batch in tf.data.Dataset.from_tensor_slices(unlabelled)
                         .batch(1024).map(encoder_vectorizer) for row in batch.numpy()])
print(f"unlabelled text: {len(unlabelled):,} pieces, {len(stream):,} tokens; vocabulary "
      f"{PRETRAIN_VOCAB:,} words + [MASK]; unknown words: {np.mean(stream == 1):.1%} of the tokens")


def encode_texts(texts):
    # Fortunes -> ids (texts, SEQUENCE) padded and cut by your pad_and_mask.
    rows = np.asarray(encoder_vectorizer(texts))
    return pad_and_mask([row[row > 0].tolist() for row in rows], SEQUENCE)[0]


ft_train, ft_test = encode_texts(train_texts), encode_texts(test_texts)
print("fine-tuning data:", ft_train.shape, ft_test.shape)
'''
P4["PRETRAIN_CODE"] = r'''
ENC_DIM, ENC_HEADS, ENC_LAYERS = 64, 4, 2
PRETRAIN_STEPS = helpers.budget(full=PRE_FULL, quick=PRE_QUICK)
PRETRAIN_BATCH = 64
keras.utils.set_random_seed(0)
encoder = build_encoder(PRETRAIN_VOCAB + 1, SEQUENCE, ENC_DIM, ENC_HEADS, ENC_LAYERS)
ids_in = keras.Input(shape=(None,), dtype="int32")
mlm = keras.Model(ids_in, layers.Dense(PRETRAIN_VOCAB + 1)(encoder(ids_in)))   # logits
schedule = keras.optimizers.schedules.CosineDecay(
    0.0, PRETRAIN_STEPS, warmup_target=3e-3, warmup_steps=PRETRAIN_STEPS // 10)
mlm_optimizer = keras.optimizers.Adam(schedule)


@tf.function
def mlm_step(inputs, targets, selected):                            # (batch, SEQUENCE) each
    with tf.GradientTape() as tape:
        loss = masked_lm_loss(targets, mlm(inputs, training=True), selected)
    gradients = tape.gradient(loss, mlm.trainable_variables)
    mlm_optimizer.apply_gradients(zip(gradients, mlm.trainable_variables))
    return loss


mlm_rng = np.random.default_rng(0)
print(f"encoder: {ENC_LAYERS} blocks, {ENC_HEADS} heads, {ENC_DIM} dimensions, "
      f"{encoder.count_params():,} parameters; {PRETRAIN_STEPS:,} steps of {PRETRAIN_BATCH} sequences")
bar = progress.Loop("pretraining", rounds=5, steps=PRETRAIN_STEPS // 5)
started, losses = time.perf_counter(), []
for step in range(PRETRAIN_STEPS // 5 * 5):
    starts = mlm_rng.integers(0, len(stream) - SEQUENCE, size=PRETRAIN_BATCH)
    targets = stream[starts[:, None] + np.arange(SEQUENCE)]         # (batch, SEQUENCE)
    inputs, selected = mask_tokens(targets, MASK_ID, PRETRAIN_VOCAB, 0.15, mlm_rng)
    losses.append(float(mlm_step(inputs, targets, selected)))
    bar.step(loss=np.mean(losses[-50:]))
    if (step + 1) % (PRETRAIN_STEPS // 5) == 0:
        bar.end_round(loss=np.mean(losses[-(PRETRAIN_STEPS // 5):]))
bar.end()
pretrained_weights = encoder.get_weights()
mlm_loss = np.mean(losses[-50:])
print(f"pretrained in {time.perf_counter() - started:.0f} s; masked-LM loss "
      f"{np.mean(losses[:50]):.2f} in the first 50 steps, {np.mean(losses[-50:]):.2f} in the last 50")
'''
P4["UNIGRAM_CODE"] = r'''
frequencies = np.bincount(stream, minlength=PRETRAIN_VOCAB + 1) / len(stream)
frequencies = frequencies[frequencies > 0]
unigram_nats = -np.sum(frequencies * np.log(frequencies))          # ignores the context
print(f"a model that ignores the context and predicts each word's frequency: "
      f"{unigram_nats:.2f} nats per masked word")
helpers.expect("masked-LM loss below the frequency-only model's (nats)", unigram_nats - mlm_loss,
               full=FLOOR_MLM_FULL, quick=FLOOR_MLM_QUICK)
'''
P4["FINETUNE_CODE"] = r'''
FT_STEPS = FT_STEPS_VALUE
LABEL_BUDGETS = LABEL_BUDGETS_VALUE                                 # labelled texts per class
FT_SEEDS = helpers.budget(full=FT_SEEDS_FULL, quick=FT_SEEDS_QUICK)


def fine_tune(n_per_class, seed, pretrained, trainable=True):
    # Trains the encoder and a head on n_per_class texts of each class; returns test accuracy.
    pick = np.random.default_rng(seed)
    chosen = np.concatenate([pick.choice(np.flatnonzero(train_labels == c), n_per_class,
                                         replace=False) for c in range(len(class_names))])
    keras.utils.set_random_seed(seed)
    body = build_encoder(PRETRAIN_VOCAB + 1, SEQUENCE, ENC_DIM, ENC_HEADS, ENC_LAYERS)
    if pretrained:
        body.set_weights(pretrained_weights)
    body.trainable = trainable
    ids = keras.Input(shape=(None,), dtype="int32")
    pooled = layers.Lambda(lambda t: masked_mean_pool(t[0], keras.ops.not_equal(t[1], 0)))(
        [body(ids), ids])                                           # (batch, ENC_DIM)
    model = keras.Model(ids, layers.Dense(len(class_names), activation="softmax")(pooled))
    model.compile(optimizer=keras.optimizers.Adam(FT_LR), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    batches = (tf.data.Dataset.from_tensor_slices((ft_train[chosen], train_labels[chosen]))
               .shuffle(len(chosen), seed=seed).repeat().batch(32))
    label = f"{'pretrained' if pretrained else 'scratch'}{'' if trainable else ' (frozen)'}, {n_per_class}/class, seed {seed}"
    model.fit(batches, steps_per_epoch=FT_STEPS, epochs=1, shuffle=False, verbose=0,
              callbacks=[progress.Progress(label, per_epoch=False)])
    return model.evaluate(ft_test, test_labels, verbose=0)[1]
'''
P4["CURVE_CODE"] = r'''
curve = pd.DataFrame([{"labels per class": n, "seed": seed, "start": start,
                       "test accuracy": fine_tune(n, seed, start == "pretrained")}
                      for n in LABEL_BUDGETS for seed in range(FT_SEEDS)
                      for start in ["pretrained", "scratch"]])
curve_table = curve.pivot_table(index="labels per class", columns="start",
                                values="test accuracy", aggfunc="mean")
curve_table["gain"] = curve_table["pretrained"] - curve_table["scratch"]
fig = plots.plot_lines(LABEL_BUDGETS, {start: curve_table[start].to_numpy()
                                       for start in ["pretrained", "scratch"]},
                       xlabel="labelled texts per class", ylabel="test accuracy",
                       title=f"Fine-tuning the encoder (mean of {FT_SEEDS} seeds)")
plt.show()
curve_table.round(3)
'''
P4["EXPECT_FT_CODE"] = r'''
# NBVAL_IGNORE_OUTPUT
for n in LABEL_BUDGETS:
    rows = curve[curve["labels per class"] == n]
    gains = (rows[rows.start == "pretrained"]["test accuracy"].to_numpy()
             - rows[rows.start == "scratch"]["test accuracy"].to_numpy())
    print(f"{n:>4} labels per class: pretrained minus scratch, per seed: "
          + ", ".join(f"{g:+.3f}" for g in gains))
'''
P4["FROZEN_CODE"] = r'''
FROZEN_BUDGET = LABEL_BUDGETS[-1]
frozen = np.mean([fine_tune(FROZEN_BUDGET, seed, True, trainable=False) for seed in range(FT_SEEDS)])
tuned = curve_table.loc[FROZEN_BUDGET, "pretrained"]
print(f"{FROZEN_BUDGET} labels per class: frozen encoder + head {frozen:.3f}, "
      f"all layers fine-tuned {tuned:.3f}")
'''
