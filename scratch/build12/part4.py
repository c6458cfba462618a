md(r"""
## 4 · Pretrain, then fine-tune

The classifiers above learned everything from 2,407 labelled texts: what words mean and
which words point to which topic. Labels are expensive; unlabelled text is cheap. **BERT**
(Devlin et al., 2019) splits the work in two. **Pretraining**: a transformer encoder
learns to fill in masked words of unlabelled text (the masked-language-model objective of
notebook 07), and must learn a good deal about words and how they combine to do it.
**Fine-tuning**: a small classification head goes on top of the pretrained encoder, and
the whole model is trained on the labelled task for a short while.

Here, at a size a CPU can afford: an encoder of UNLABELLED_ENCODER, pretrained on
UNLABELLED_WHAT, then fine-tuned on the fortune topics with few labels per class,
against the same encoder started from random weights.

**The pieces from notebook 07**, given here since a notebook cannot import another's
cells: token and position embeddings, the pre-norm block without the causal mask (every
position sees every other) and with a padding mask (no position attends to padding),
and BERT's masking rule `mask_tokens` as you wrote it in exercise 07.6.
""")

code(r"""
def mask_tokens(tokens, mask_id, vocab_size, rate, rng):
    # BERT's rule (exercise 07.6): select each position with probability `rate`; a selected
    # position becomes mask_id (80%), a random id (10%) or stays (10%).
    tokens = np.asarray(tokens)
    selected = rng.random(tokens.shape) < rate
    action = rng.random(tokens.shape)
    random_ids = rng.integers(0, vocab_size, size=tokens.shape)
    inputs = tokens.copy()
    inputs[selected & (action < 0.8)] = mask_id
    replace = selected & (action >= 0.8) & (action < 0.9)
    inputs[replace] = random_ids[replace]
    return inputs, selected


class TokenAndPositionEmbedding(layers.Layer):
    # Token embeddings plus learned position embeddings (exercise 07.4).
    def __init__(self, vocab_size, max_length, dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embedding = layers.Embedding(vocab_size, dim)
        self.position_embedding = layers.Embedding(max_length, dim)

    def call(self, token_ids):                                      # (batch, time)
        positions = keras.ops.arange(keras.ops.shape(token_ids)[-1])
        return self.token_embedding(token_ids) + self.position_embedding(positions)


def encoder_block(x, padding, num_heads, ff_dim):
    # Notebook 07's pre-norm block, non-causal; `padding` (batch, time) is True on real tokens.
    d = x.shape[-1]
    normed = layers.LayerNormalization()(x)
    attended = layers.MultiHeadAttention(num_heads, key_dim=d // num_heads)(
        normed, normed, attention_mask=padding[:, None, :])           # keys: real tokens only
    h = layers.Add()([x, attended])
    hidden = layers.Dense(ff_dim, activation="gelu")(layers.LayerNormalization()(h))
    return layers.Add()([h, layers.Dense(d)(hidden)])                 # (batch, time, d)


def build_encoder(vocab_size, max_length, dim, num_heads, num_layers):
    # ids (batch, time) with 0 as padding -> token vectors (batch, time, dim).
    ids = keras.Input(shape=(None,), dtype="int32")
    padding = keras.ops.not_equal(ids, 0)
    x = TokenAndPositionEmbedding(vocab_size, max_length, dim)(ids)
    for _ in range(num_layers):
        x = encoder_block(x, padding, num_heads, 2 * dim)
    return keras.Model(ids, layers.LayerNormalization()(x), name="encoder")
""")

md(r"""
### Exercise 12.8: the masked-language-model loss

The encoder, with a dense layer on top, gives scores (logits) over the vocabulary at every
position. The loss is the cross-entropy of the original token, **only at the selected
positions** (those `mask_tokens` chose, the unchanged 10% included): at the others the
answer is in plain sight in the input. Take the mean over the selected positions, not over
all positions, so that the loss does not depend on how many were chosen.
""")

solution("masked_lm_loss"); test(8, "masked_lm_loss", 2)

md(r"""
**The data.** UNLABELLED_DATA_PROSE
""")

code(r"""
UNLABELLED_CODE
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
PRETRAIN_CODE
""")

md(r"""
**Did pretraining learn anything?** A model that ignores the context can at best predict
each masked word with its frequency in the text; its cross-entropy is the entropy of the
word frequencies. The masked-LM loss must get below it: the encoder then uses the words
around a gap to fill it.
""")

code(r"""
UNIGRAM_CODE
""")

md(r"""
### Fine-tuning at several label budgets

For each budget of $n$ labelled texts per class, drawn from the training set with a seed,
two models are trained the same way (Adam with a small learning rate, `FT_LR`, so that
fine-tuning adjusts the pretrained weights rather than overwrites them; the same number of
steps; the same batches):
the encoder with its pretrained weights, and the same architecture from random weights.
The head is your `masked_mean_pool` over the real tokens and a softmax layer. Both are
scored on the 602 test texts. Several seeds per budget, since a few dozen examples make
a noisy result.
""")

code(r"""
FINETUNE_CODE
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
CURVE_CODE
""")

code(r"""
EXPECT_FT_CODE
""")

md(r"""
WHAT_TO_NOTICE_FT
""")

md(r"""
### Frozen or fine-tuned?

Two ways to use a pretrained encoder: **freeze** it (`encoder.trainable = False`) and train
only the head on its outputs, as notebook 03 did with a pretrained CNN, or **fine-tune**
all its weights along with the head. Freezing is cheap and cannot forget what pretraining
learned; fine-tuning can adapt the features to the task.
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
FROZEN_CODE
""")

md(r"""
WHAT_TO_NOTICE_FROZEN

**LoRA.** Fine-tuning every weight of a large model means storing a full copy of it per
task. **Low-rank adaptation** (LoRA; Hu et al., 2021) freezes the pretrained weights and
learns, for chosen weight matrices $W$ ($d \times d$, e.g. the attention projections), a
change of low rank, $W + BA$ with $B$ of shape $d \times r$ and $A$ of shape $r \times d$
and $r$ small (1 to 64): $2dr$ numbers to train instead of $d^2$. $B$ starts at zero, so
training starts from the pretrained model exactly, and after training $BA$ can be added to
$W$, so the fine-tuned model is no slower. On GPT-3 (175 billion parameters) Hu et al.
report 10,000 times fewer trainable parameters than full fine-tuning and a third of its GPU
memory, with quality on par with it on their tasks. Keras has it built in:
`layer.enable_lora(rank)` on `Dense`, `EinsumDense` and `Embedding` layers.
""")

md(r"""
## 5 · Using a pretrained model from a hub

Nobody pretrains a BERT on a laptop: you download one. Two common routes, shown here as
code to read, not run (it needs a network connection and downloads hundreds of
megabytes). With Hugging Face `transformers` (PyTorch), fine-tuning the base BERT for our
four topics:

```python
from transformers import AutoTokenizer, AutoModelForSequenceClassification

tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")      # WordPiece, 30,522 tokens
model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=4)
batch = tokenizer(train_texts[:16], padding=True, truncation=True, max_length=128,
                  return_tensors="pt")                              # ids, attention mask
loss = model(**batch, labels=torch.tensor(train_labels[:16])).loss  # a new head, then train
```

and with KerasHub (Keras 3, any backend), where the model compiles and fits like the
models of this workbook:

```python
import keras_hub

classifier = keras_hub.models.BertTextClassifier.from_preset(
    "bert_base_en_uncased", num_classes=4)                          # tokenizer included
classifier.fit(x=train_texts, y=train_labels, batch_size=16, epochs=3)
classifier.backbone.enable_lora(rank=4)                             # or: LoRA instead
```

Everything in the pipeline of section 4 is there: a tokenizer (subwords instead of our
whole words, so no `[UNK]`), padding with a mask, a pretrained encoder and a new
classification head.

**What changes at full scale.** Our encoder has ENCODER_PARAMS parameters and was
pretrained on PRETRAIN_TOKENS tokens for a minute or two. BERT-base has 110 million
parameters (12 layers of width 768) and BERT-large 340 million; they were pretrained on
BooksCorpus (800 million words) and English Wikipedia (2,500 million words), with a
WordPiece vocabulary of 30,000 tokens, for 1 million steps of 256 sequences of up to 512
tokens: four days on 16 Cloud TPUs for BERT-large (Devlin et al., 2019). Fine-tuning is
the cheap part: Devlin et al. report at most an hour on one Cloud TPU, or a few hours on a
GPU, for each of their tasks. Word vectors grew the same way: Mikolov et al. (2013)
trained theirs on about 6 billion words of Google News, 7,500 times our 790,000 words of
the Bible. At that scale pretraining pays: fine-tuned BERT set new records on all eleven
language-understanding tasks of its paper (Devlin et al., 2019), some of them with only a
few thousand labelled examples.
""")

md(r"""
## Summary

- Sequence tasks differ by how many items go in and come out: one-to-one, one-to-many,
  many-to-one (classification, this notebook), many-to-many (tagging, translation).
- One-hot ids carry no similarity. Skip-gram learns word vectors by telling real
  (center, context) pairs from random ones with the negative-sampling loss
  $-\log\sigma(v_c\cdot u_o) - \sum_k \log\sigma(-v_c\cdot u_{n_k})$.
- Cosine similarity finds neighbours; 3CosAdd ($b - a + c$ on unit vectors) solves
  analogies well above chance, and a count matrix with an SVD is a strong baseline. The
  vectors inherit the associations of their text.
- A text classifier turns text into ids (`TextVectorization`), pads them with a mask,
  and summarises the sequence (a masked mean, or a bidirectional LSTM) before a softmax
  layer. On 2,407 short texts, TF-IDF with logistic regression is as good as either.
- Pretraining with a masked-language-model loss (cross-entropy on the selected positions
  only), then fine-tuning with a new head, is how BERT-style models are used, and at scale
  it pays most when labels are few. Our small encoder, pretrained for under two minutes,
  learned to use context (its loss fell below a frequency-only model's) but gave no
  measurable gain in fine-tuning: a result to report, not to hide. LoRA fine-tunes a
  low-rank change of the weights instead of all of them.

## Going further (ungraded)

1. Train the skip-gram vectors with `WINDOW = 5` and with `SUBSAMPLE = 1e-4`. Which
   analogy group gains, which loses, and why might a wider window favour topics over
   grammar?
2. Replace the log counts of the baseline by positive pointwise mutual information
   (PPMI) before the SVD. Does the baseline beat your skip-gram vectors now?
3. Use your skip-gram vectors to initialise the `Embedding` of the pooled classifier
   (words of the fortunes that the Bible lacks start random). Does it help with 32 labels
   per class?
4. Give the TF-IDF baseline the same label budgets as section 4. Where does the
   pretrained encoder stand against it?
5. Add LoRA to the fine-tuning of section 4: freeze the encoder and call
   `enable_lora(4)` on its attention and dense layers. How many weights are trained,
   and how does the accuracy compare with full fine-tuning and with freezing?
6. Pretraining gave no gain here. Pretrain ten times longer (`PRETRAIN_STEPS`), or start
   the encoder's token embeddings from skip-gram vectors trained on the unlabelled text
   with your code of section 2. Which one, if either, makes the pretrained encoder beat
   the scratch one at 8 labels per class, over several seeds?
""")
