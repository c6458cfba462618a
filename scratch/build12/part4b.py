exec(open("/tmp/nb12b/p4code.py").read())
P4["UNLABELLED_CODE"] = P4["UNLABELLED_CODE"].replace(" + UNLABELLED_KJV", "")
FILL = {
 "UNLABELLED_ENCODER": "2 transformer blocks of width 64 (about 330,000 parameters, most of them in the embedding table)",
 "UNLABELLED_WHAT": "about 145,000 words of unlabelled text",
 "UNLABELLED_DATA_PROSE": """Pretraining text should resemble the task's. Ours is the
2,407 training fortunes **without their labels** (a common situation: many texts, few
labels), the English fortunes of notebook 07 (`wisdom`) and the training part of *The
Devil's Dictionary*: about 145,000 tokens. The test fortunes are never used. Words are
whole words (`TextVectorization`, 4,000 of them; the rest become `[UNK]`), one more id is
`[MASK]`, and the texts are concatenated into one stream, from which each step cuts
random windows of 32 tokens. (In an earlier version of this experiment we added the King James Bible, six times as
much text but of another century and subject, and measured no gain from pretraining.)""",
}
for k in P4: FILL[k] = P4[k].strip("\n")
for i, (kind, src) in enumerate(CELLS):
    for k, v in FILL.items():
        src = src.replace(k, v)
    CELLS[i] = (kind, src)
