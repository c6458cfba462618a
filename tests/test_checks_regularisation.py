"""Mutation tests of helpers.checks.regularisation (notebook 09): the tests of every
exercise (tests/mutants.py) on the references and wrong versions below, then other
correct answers that must pass, the oracles and statistical bounds, and messages.
"""

import functools

import numpy as np
import pytest

from helpers.checks import regularisation as check
from helpers.checks.core import Exercise, counts_follow, mistakes_from

from mutants import CheckTests


# ------------------------------------------------------------ references ---

def l1_penalty(weights, l1, *, term=np.abs, reduce=np.sum, arrays=None, scale=True):
    chosen = weights if arrays is None else weights[:arrays]
    total = sum(reduce(term(w)) for w in chosen)
    return float(l1 * total if scale else total)


def l2_penalty(weights, l2, *, half=False, mean=False, root=False, arrays=None):
    chosen = weights if arrays is None else weights[:arrays]
    total = sum(np.sum(np.square(w)) for w in chosen)
    if mean:
        total /= sum(w.size for w in weights)
    if root:
        total = np.sqrt(total)
    return float(l2 * total * (0.5 if half else 1.0))


def inverted_dropout(x, rate, training, rng, *, scale=lambda r: 1 / (1 - r), at_inference=None,
                     drop_probability=lambda r: r, draw_shape=None, generator=None):
    if not training:
        return x * at_inference(rate) if at_inference else x.copy()
    rng = generator if generator is not None else rng
    shape = x.shape if draw_shape is None else draw_shape(x.shape)
    keep = rng.random(shape) >= drop_probability(rate)
    return np.where(keep, x * scale(rate), 0.0)


def should_stop(val_losses, patience, min_delta=0.0):
    best, wait = None, 0
    for loss in val_losses:
        if best is None or loss < best - min_delta:
            best, wait = loss, 0
        else:
            wait += 1
    return wait > 0 and wait >= patience


def _should_stop_wrong(val_losses, patience, min_delta=0.0, *, reference="best", sign=-1,
                       threshold=lambda wait, patience: wait >= patience, reset=True,
                       equal=False):
    """should_stop with one known mistake switched on."""
    best, previous, wait, improved = None, None, 0, True
    for loss in val_losses:
        ref = previous if reference == "previous" else best
        improved = ref is None or loss < ref + sign * min_delta or (
            equal and loss == ref + sign * min_delta)
        if improved:
            best, wait = loss, (0 if reset else wait)
        else:
            wait += 1
            best = min(best, loss) if reference == "minimum" else best
        previous = loss
    return not improved and threshold(wait, patience)


def k_fold_indices(n, k, seed, *, shuffle=True, sizes="kfold", train="others", overlap=False):
    if shuffle == "legacy":
        np.random.seed(seed)
        order = np.random.permutation(n)
    elif shuffle == "choice":
        order = np.random.default_rng(seed).choice(n, n, replace=False)
    else:
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    if sizes == "kfold":
        folds = np.array_split(order, k)
    elif sizes == "floor":
        folds = [order[i * (n // k):(i + 1) * (n // k)] for i in range(k)]
    else:  # the remainder in the last fold
        folds = [order[i * (n // k):(i + 1) * (n // k)] for i in range(k - 1)]
        folds.append(order[(k - 1) * (n // k):])
    if overlap:
        folds = [np.concatenate([f, order[:1]]) if i else f for i, f in enumerate(folds)]
    pairs = []
    for i in range(k):
        others = np.concatenate(folds[:i] + folds[i + 1:])
        pairs.append((folds[i] if train == "val" else others, folds[i]))
    return pairs


def random_search(space, n_trials, seed, *, log=True, rng=None, one_draw=False, grid=False,
                  last_choice=True, all_log=False):
    rng = np.random.default_rng(seed) if rng is None else rng
    trials = []
    for t in range(n_trials):
        trial, u = {}, rng.random()
        for name, spec in space.items():
            if not one_draw:
                u = rng.random()
            if grid:
                u = (t % 7) / 7 + 0.05
            if isinstance(spec, list):
                trial[name] = spec[int(u * (len(spec) - (0 if last_choice else 1)))]
            elif (spec[0] == "log" and log) or (all_log and spec[1] > 0):
                low, high = np.log(spec[1]), np.log(spec[2])
                trial[name] = float(np.exp(low + u * (high - low)))
            else:
                trial[name] = float(spec[1] + u * (spec[2] - spec[1]))
        trials.append(trial)
    return trials


def bagging_predict(models, x, *, combine="average", use=None, axis=1):
    probabilities = np.stack([np.asarray(model(x)) for model in models[:use]])
    labels = probabilities.argmax(axis=2)
    if combine == "vote":
        return np.array([np.bincount(c).argmax() for c in labels.T])
    if combine == "labels":
        return np.rint(labels.mean(axis=0)).astype(int)
    if combine == "floor":
        return np.floor(labels.mean(axis=0)).astype(int)
    if combine == "confident":
        return labels[probabilities.max(axis=2).argmax(axis=0), np.arange(labels.shape[1])]
    if combine == "probabilities":
        return probabilities.mean(axis=0)
    return probabilities.mean(axis=0).argmax(axis=axis)


def diagnose(train_err, dev_err, human_err, *, from_zero=False, variance_from_human=False,
             larger=True, tie="bias", clip=False):
    bias = train_err - (0.0 if from_zero else human_err)
    bias = max(bias, 0.0) if clip else bias
    variance = dev_err - (human_err if variance_from_human else train_err)
    if bias == variance:
        focus = tie
    else:
        focus = "bias" if (bias > variance) == larger else "variance"
    return {"avoidable_bias": bias, "variance": variance, "focus": focus}


def pick_model(results, optimise, satisfice, *, compare=lambda value, limit: value <= limit,
               keys=None, any_limit=False, tie_last=False, sign=1, returns="name",
               fallback=False, best_first=False):
    chosen_keys = list(satisfice) if keys is None else keys(list(satisfice))

    def ok(model):
        met = [compare(model[key], satisfice[key]) for key in chosen_keys]
        return any(met) if any_limit and met else all(met)

    def best(models):
        top = None
        for model in models:
            value = sign * model[optimise]
            if top is None or value > sign * top[optimise] or (
                    tie_last and value == sign * top[optimise]):
                top = model
        return top

    if best_first:
        top = best(results)
        top = top if top is not None and ok(top) else None
    else:
        top = best([model for model in results if ok(model)])
        if top is None and fallback:
            top = best(results)
    if top is None:
        return None
    return {"name": top["name"], "dict": top, "index": results.index(top)}[returns]


def _pick_model_sorting_in_place(results, optimise, satisfice):
    results.sort(key=lambda model: model[optimise], reverse=True)  # stable: ties keep order
    return pick_model(results, optimise, satisfice)


def _pick_model_first_pass(results, optimise, satisfice):
    """The first model meeting the limits, not the best of them."""
    return next((m["name"] for m in results
                 if all(m[k] <= v for k, v in satisfice.items())), None)


def diagnose_mismatch(human_err, train_err, train_dev_err, dev_err, *, bias_from=None,
                      clip=False, variance=None, mismatch=None, order=None, pick=max):
    bias = train_err - (human_err if bias_from is None else bias_from)
    bias = max(bias, 0.0) if clip else bias
    var = train_dev_err - train_err if variance is None else variance(
        human_err, train_err, train_dev_err, dev_err)
    mis = dev_err - train_dev_err if mismatch is None else mismatch(
        human_err, train_err, train_dev_err, dev_err)
    gaps = {"bias": bias, "variance": var, "data_mismatch": mis}
    names = order or ["bias", "variance", "data_mismatch"]
    focus = pick(names, key=lambda name: gaps[name])
    return {"avoidable_bias": bias, "variance": var, "data_mismatch": mis, "focus": focus}


def f1_score(y_true, y_pred, *, formula="f1", zero=0.0, positive=1):
    t, p = y_true == positive, y_pred == positive
    tp, fp, fn, tn = np.sum(t & p), np.sum(~t & p), np.sum(t & ~p), np.sum(~t & ~p)
    if formula == "accuracy":
        return float(np.mean(y_true == y_pred))
    if formula == "tn for fn":
        fn = tn
    if formula == "tn for fp":
        fp = tn
    if tp == 0:
        return zero
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    if formula == "mean":
        return float((precision + recall) / 2)
    if formula == "half":
        return float(precision * recall / (precision + recall))
    return float(2 * precision * recall / (precision + recall))


def _zeros_to_nan(out):
    return np.where(out == 0, np.nan, out)


def _nan_f1(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    with np.errstate(all="ignore"):
        precision = tp / np.sum(y_pred == 1)
        recall = tp / np.sum(y_true == 1)
        return float(2 * precision * recall / (precision + recall))


def _l1_over_rows(weights, l1):
    """Reshapes each array to (len(w), -1) first: a 0-d weight has no len."""
    return float(l1 * sum(np.abs(w).reshape(len(w), -1).sum() for w in weights))


def _dropout_fixed_count(x, rate, training, rng):
    """Drops exactly round(rate * n) elements, picked without replacement."""
    if not training:
        return x.copy()
    out = (x / (1 - rate)).ravel()
    out[rng.choice(x.size, size=round(rate * x.size), replace=False)] = 0.0
    return out.reshape(x.shape)


def _dropout_fixed_per_row(x, rate, training, rng):
    """Drops exactly round(rate * d) elements of each row (a permutation per row)."""
    if not training:
        return x.copy()
    rows = (x / (1 - rate)).reshape(x.shape[0], -1)
    for row in rows:
        row[rng.permutation(row.size)[:round(rate * row.size)]] = 0.0
    return rows.reshape(x.shape)


def _dropout_in_place(x, rate, training, rng):
    if not training:
        return x.copy()
    x *= (rng.random(x.shape) >= rate) / (1 - rate)
    return x


def _search_with_numpy_seed(space, n_trials, seed):
    np.random.seed(seed)
    return random_search(space, n_trials, seed, rng=np.random.mtrand._rand)


def _search_with_python_seed(space, n_trials, seed):
    import random

    random.seed(seed)
    return random_search(space, n_trials, seed, rng=random)


def _search_int_units(space, n_trials, seed):
    """Draws an int for a uniform range whose bounds are ints."""
    trials = random_search(space, n_trials, seed)
    ints = [name for name, spec in space.items() if isinstance(spec, tuple)
            and all(isinstance(b, int) for b in spec[1:])]
    return [{name: (int(value) if name in ints else value) for name, value in t.items()}
            for t in trials]


REFERENCES = {
    "l1_penalty": l1_penalty,
    "l2_penalty": l2_penalty,
    "inverted_dropout": inverted_dropout,
    "should_stop": should_stop,
    "k_fold_indices": k_fold_indices,
    "random_search": random_search,
    "bagging_predict": bagging_predict,
    "diagnose": diagnose,
    "f1_score": f1_score,
    "pick_model": pick_model,
    "diagnose_mismatch": diagnose_mismatch,
}


# ---------------------------------------------------------------- mutants ---

MUTANTS = [
    # l1_penalty
    ("l1_penalty", lambda w, l1: l1_penalty(w, l1, term=np.square), "the squares summed"),
    ("l1_penalty", lambda w, l1: l1_penalty(w, l1, term=lambda a: a),
     "the absolute value left out"),
    ("l1_penalty", lambda w, l1: l1 * float(np.mean(np.concatenate([np.abs(a).ravel()
                                                                    for a in w]))),
     "the mean of \\|w\\| instead of the sum"),
    ("l1_penalty", lambda w, l1: l1_penalty(w, l1, arrays=1), "only the first array"),
    ("l1_penalty", lambda w, l1: l1_penalty(w, l1, scale=False), "the strength l1 left out"),
    ("l1_penalty", lambda w, l1: np.array([l1_penalty(w, l1)] * 2), "expected a single number"),
    ("l1_penalty", lambda w, l1: float(l1 * np.sum(np.abs(np.concatenate([a.ravel()
                                                                         for a in w])))),
     r"(?s)case 'an empty list of weights.*need at least one array.*the penalty is 0.0"),
    ("l1_penalty", _l1_over_rows,
     r"(?s)case 'a 0-d weight.*len\(\) of unsized object.*a weight may be 0-d"),
    ("l1_penalty", lambda w, l1: l1_penalty([a for a in w if np.ndim(a)], l1),
     r"case 'a 0-d weight.*values differ"),
    ("l1_penalty", lambda w, l1: float(l1 * sum(np.sum(np.abs(a, out=a)) for a in w)),
     "changed its input `w` in place"),
    # l2_penalty
    ("l2_penalty", lambda w, l2: l2_penalty(w, l2, half=True), "a factor 1/2"),
    ("l2_penalty", lambda w, l2: l2_penalty(w, l2, mean=True), "the mean of w\\*\\*2"),
    ("l2_penalty", lambda w, l2: l2_penalty(w, l2, root=True), "the square root taken"),
    ("l2_penalty", lambda w, l2: l2 * sum(float(np.linalg.norm(a)) for a in w),
     "the norm of each array"),
    ("l2_penalty", lambda w, l2: l1_penalty(w, l2), "absolute values instead of squares"),
    ("l2_penalty", lambda w, l2: l2_penalty(w, l2, arrays=1), "only the first array"),
    ("l2_penalty", lambda w, l2: l2_penalty(w, l2, half=True, mean=True), "values differ"),
    ("l2_penalty", lambda w, l2: l2_penalty(w, 1.0), "the strength l2 left out"),
    ("l2_penalty", lambda w, l2: float(l2 * functools.reduce(
        lambda total, s: total + s, (np.sum(np.square(a)) for a in w))),
     r"(?s)case 'an empty list of weights.*reduce\(\) of empty.*the penalty is 0.0"),
    ("l2_penalty", lambda w, l2: float(l2 * sum(sum(np.sum(row ** 2) for row in a) for a in w)),
     r"(?s)case 'a 0-d weight.*iteration over a 0-d array.*a weight may be 0-d"),
    # inverted_dropout
    ("inverted_dropout", lambda *a: inverted_dropout(*a, scale=lambda r: 1.0), "no rescaling"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a, at_inference=lambda r: 1 / (1 - r)),
     "divided by 1 - rate at inference too"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a, at_inference=lambda r: 1 - r),
     "multiplied by 1 - rate at inference"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a, scale=lambda r: 1 / r),
     "divided by rate instead of 1 - rate"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a, scale=lambda r: 1 - r),
     "multiplied by 1 - rate instead of divided"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a, drop_probability=lambda r: 1 - r),
     "dropped with probability 1 - rate"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a, generator=np.random.default_rng(0)),
     "generators made with two different seeds gave the same dropped elements"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a, generator=np.random.default_rng()),
     "two generators made with the same seed gave different dropped elements"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a, generator=np.random.mtrand._rand),
     "gave different dropped elements when NumPy's global seed changed"),
    ("inverted_dropout", _dropout_fixed_count,
     r"the numbers of dropped elements match a common mistake: exactly 3 of the 10 elements "
     r"dropped in every call"),
    ("inverted_dropout", _dropout_fixed_per_row,
     r"the numbers of dropped elements match a common mistake: exactly 4 of the 10 elements "
     r"dropped in every call.*or a fixed number per row"),
    ("inverted_dropout", lambda x, rate, training, rng: x if not training else
     inverted_dropout(x, rate, training, rng), "returned the input `x` itself"),
    ("inverted_dropout", lambda x, rate, training, rng: x[...] if training and rate == 0
     else inverted_dropout(x, rate, training, rng),
     r"case 'training, rate 0.*returned the input `x` itself, or a view"),
    ("inverted_dropout", _dropout_in_place, "changed its input `x` in place"),
    ("inverted_dropout", lambda *a: inverted_dropout(
        *a, draw_shape=lambda s: (s[0],) + (1,) * (len(s) - 1)),
     "one draw per row"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a, draw_shape=lambda s: s[1:]),
     "one draw per column"),
    ("inverted_dropout", lambda x, rate, training, rng: inverted_dropout(
        x, rate, True, rng), "set to 0 at inference"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a).tolist(), "expected a NumPy array"),
    ("inverted_dropout", lambda *a: inverted_dropout(*a).ravel(), "wrong shape"),
    ("inverted_dropout", lambda *a: np.sign(inverted_dropout(*a)).astype(int),
     "expected floating-point values"),
    ("inverted_dropout", lambda *a: _zeros_to_nan(inverted_dropout(*a)), "NaN or infinite"),
    ("inverted_dropout", lambda x, rate, training, rng: inverted_dropout(
        x, rate, training, rng, drop_probability=lambda r: r + 0.1 * np.sign(x)),
     "the mean of the output is .*, the mean of x"),
    ("inverted_dropout", lambda x, rate, training, rng: inverted_dropout(
        x, 0.5, training, rng), r"case 'training, rate 0.2.*neither 0 nor x / \(1 - rate\)"),
    # should_stop
    ("should_stop", lambda *a: _should_stop_wrong(*a, threshold=lambda w, p: w > p),
     "patience counted one epoch too late"),
    ("should_stop", lambda *a: _should_stop_wrong(*a, threshold=lambda w, p: w >= p - 1),
     "patience counted one epoch too early"),
    ("should_stop", lambda *a: _should_stop_wrong(*a, sign=0), "min_delta ignored"),
    ("should_stop", lambda *a: _should_stop_wrong(*a, sign=1), "min_delta with the wrong sign"),
    ("should_stop", lambda *a: _should_stop_wrong(*a, reference="previous"),
     "compared with the previous epoch instead of the best"),
    ("should_stop", lambda *a: _should_stop_wrong(*a, reference="minimum"),
     "the best moved to every lower loss"),
    ("should_stop", lambda *a: _should_stop_wrong(*a, reset=False),
     "the wait counter is not reset"),
    ("should_stop", lambda *a: _should_stop_wrong(*a, equal=True),
     "an equal loss counted as an improvement"),
    ("should_stop", lambda losses, p, d=0.0: min(losses) < losses[-1] and len(losses) > p,
     r"case 'patience 3: an improvement on the last epoch'.*after epoch 4"),
    ("should_stop", lambda *a: int(should_stop(*a)), "expected a bool"),
    # k_fold_indices
    ("k_fold_indices", lambda *a: k_fold_indices(*a, overlap=True),
     "the validation folds overlap"),
    ("k_fold_indices", lambda *a: k_fold_indices(*a, sizes="floor"),
     "folds of n // k = 4 each drop"),
    ("k_fold_indices", lambda *a: k_fold_indices(*a, sizes="last"),
     "the remainder put in the last fold"),
    ("k_fold_indices", lambda *a: k_fold_indices(*a, shuffle=False), "no shuffle"),
    ("k_fold_indices", lambda *a: k_fold_indices(*a, shuffle="legacy"),
     "shuffled by NumPy's legacy global generator"),
    ("k_fold_indices", lambda *a: k_fold_indices(*a, shuffle="choice"),
     r"shuffled with rng.choice\(n, n, replace=False\)"),
    ("k_fold_indices", lambda *a: k_fold_indices(*a, train="val"), "train_idx equals val_idx"),
    ("k_fold_indices", lambda n, k, s: k_fold_indices(n, k, s + 1),
     "the validation set is not piece 0 of the permutation"),
    ("k_fold_indices", lambda *a: [(t.tolist(), v) for t, v in k_fold_indices(*a)],
     "train_idx must be a 1-D int NumPy array"),
    ("k_fold_indices", lambda *a: [(t, v + 1) for t, v in k_fold_indices(*a)],
     r"a validation index is outside \[0, 10\)"),
    ("k_fold_indices", lambda *a: [(np.concatenate([t, t[:1]]), v)
                                   for t, v in k_fold_indices(*a)],
     "train_idx must hold each sample outside val_idx once: 8 samples, received 9"),
    ("k_fold_indices", lambda *a: [v for _, v in k_fold_indices(*a)],
     r"expected a pair \(train_idx, val_idx\)"),
    # random_search
    ("random_search", lambda *a: random_search(*a, log=False),
     "learning_rate drawn uniform where log-uniform is asked"),
    ("random_search", lambda *a: random_search(*a, rng=np.random.default_rng()),
     "the same seed gave different settings"),
    ("random_search", lambda *a: random_search(*a, grid=True), "the seed changes nothing"),
    ("random_search", lambda *a: random_search(*a, one_draw=True),
     "are correlated .*: each hyperparameter needs its own random number"),
    ("random_search", lambda *a: random_search(*a, last_choice=False),
     "the last choice never drawn"),
    ("random_search", lambda *a: random_search(*a, all_log=True),
     "dropout drawn log-uniform where uniform is asked"),
    ("random_search", lambda s, n, seed: [{k: (int(v * 1000) if isinstance(v, float) else v)
                                           for k, v in t.items()}
                                          for t in random_search(s, n, seed)],
     r"x \(a uniform range\) must be a float"),
    ("random_search", lambda s, n, seed: [{k: (np.log(v) if k in ("learning_rate", "x")
                                               else v) for k, v in t.items()}
                                          for t in random_search(s, n, seed)],
     "is outside its range"),
    ("random_search", lambda *a: tuple(random_search(*a)), "expected a list of n_trials"),
    ("random_search", _search_with_numpy_seed,
     "your function changed NumPy's or Python's global random generator"),
    ("random_search", _search_with_python_seed,
     "your function changed NumPy's or Python's global random generator"),
    ("random_search", _search_int_units,
     r"case 'the notebook's space.*units \(a uniform range\) must be a float"),
    ("random_search", lambda *a: [dict(list(t.items())[:-1]) for t in random_search(*a)],
     "expected a dict with the keys"),
    ("random_search", lambda *a: [{k: (str(v) if isinstance(v, int) else v)
                                   for k, v in t.items()} for t in random_search(*a)],
     r"units = '\d+' is not one of the choices \[32, 64, 128, 256\]"),
    # bagging_predict
    ("bagging_predict", lambda *a: bagging_predict(*a, combine="vote"), "a majority vote"),
    ("bagging_predict", lambda *a: bagging_predict(*a, combine="labels"),
     "the average of the models' labels"),
    ("bagging_predict", lambda *a: bagging_predict(*a, use=1), "only the first model used"),
    ("bagging_predict", lambda *a: bagging_predict(*a, combine="floor"), r"\(rounded down\)"),
    ("bagging_predict", lambda *a: bagging_predict(*a, combine="confident"),
     "the label of the most confident model"),
    ("bagging_predict", lambda *a: bagging_predict(*a, axis=0), r"the argmax over the samples"),
    ("bagging_predict", lambda *a: bagging_predict(*a, combine="probabilities"),
     "the average probabilities returned"),
    ("bagging_predict", lambda models, x: bagging_predict(models, x[:1]),
     "expects 5 inputs, received 1"),
    ("bagging_predict", lambda models, x: np.argmax(np.squeeze(np.mean(
        [np.asarray(m(x)) for m in models], axis=0)), axis=-1),
     r"case 'one sample.*expected a NumPy array"),
    # diagnose
    ("diagnose", lambda *a: diagnose(*a, from_zero=True), "measured from 0"),
    ("diagnose", lambda *a: diagnose(*a, variance_from_human=True),
     "measured from the human level"),
    ("diagnose", lambda *a: diagnose(*a, larger=False), "the smaller gap chosen"),
    ("diagnose", lambda *a: diagnose(*a, tie="variance"), "a tie sent to \"variance\""),
    ("diagnose", lambda *a: diagnose(*a, clip=True), "clipped at 0"),
    ("diagnose", lambda t, d, h: {**diagnose(t, d, h), "avoidable_bias": h - t},
     '"avoidable_bias": your result matches a common mistake: the sign flipped'),
    ("diagnose", lambda t, d, h: {**diagnose(t, d, h), "variance": t - d},
     '"variance": your result matches a common mistake: the sign flipped'),
    ("diagnose", lambda *a: {**diagnose(*a), "focus": "Bias"}, "expected 'bias'"),
    ("diagnose", lambda *a: tuple(diagnose(*a).values()), "expected a dict with the keys"),
    # f1_score
    ("f1_score", lambda *a: f1_score(*a, formula="accuracy"), "the accuracy instead of F1"),
    ("f1_score", lambda *a: f1_score(*a, formula="mean"), "the arithmetic mean"),
    ("f1_score", lambda *a: f1_score(*a, formula="tn for fn"),
     "true negatives counted where false negatives belong"),
    ("f1_score", lambda *a: f1_score(*a, positive=0), "the F1 of class 0"),
    ("f1_score", lambda *a: f1_score(*a, formula="half"), "F1 not doubled"),
    ("f1_score", lambda *a: f1_score(*a, formula="tn for fp"),
     "true negatives counted where false positives belong"),
    ("f1_score", lambda *a: (f1_score(*a) + f1_score(*a, positive=0)) / 2,
     "the average of the F1 of both classes"),
    ("f1_score", _nan_f1, "NaN"),
    ("f1_score", lambda *a: np.array([f1_score(*a)] * 2), "expected a single number"),
    ("f1_score", lambda *a: f1_score(*a, zero=0), "expected floating-point values"),
    # pick_model
    ("pick_model", lambda r, o, s: pick_model(r, o, {}), "the limits ignored"),
    ("pick_model", lambda *a: pick_model(*a, compare=lambda v, lim: v < lim),
     "`<` instead of `<=`"),
    ("pick_model", lambda *a: pick_model(*a, keys=lambda k: k[:1]),
     "only the first limit checked"),
    ("pick_model", lambda *a: pick_model(*a, keys=lambda k: k[-1:]),
     "only the last limit checked"),
    ("pick_model", lambda *a: pick_model(*a, any_limit=True), "one limit met was enough"),
    ("pick_model", lambda *a: pick_model(*a, compare=lambda v, lim: v >= lim),
     r"the limits read as lower bounds \(>=\)"),
    ("pick_model", lambda *a: pick_model(*a, tie_last=True), "the last of tied models"),
    ("pick_model", lambda *a: pick_model(*a, sign=-1), "the smallest value chosen"),
    ("pick_model", lambda *a: pick_model(*a, returns="dict"), "the model's dict returned"),
    ("pick_model", lambda *a: pick_model(*a, returns="index"), "the model's index returned"),
    ("pick_model", lambda *a: pick_model(*a, fallback=True),
     "the best of all models returned when none meets the limits"),
    ("pick_model", lambda *a: pick_model(*a, best_first=True),
     "the best model of all taken first, then checked"),
    ("pick_model", _pick_model_sorting_in_place,
     "changed its input `results` or `satisfice` in place"),
    ("pick_model", _pick_model_first_pass,
     r"case 'three classifiers.*or the first model that meets the limits returned"),
    ("pick_model", lambda *a: str(pick_model(*a)), r"expected None .*received 'None'"),
    ("pick_model", lambda r, o, s: pick_model(r, o, s) if r else "",
     r"case 'an empty list of results: None'.*expected None"),
    # diagnose_mismatch
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(*a, bias_from=0.0),
     '"avoidable_bias": your result matches a common mistake: measured from 0'),
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(*a, clip=True), "clipped at 0"),
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(*a, variance=lambda h, t, td, d: d - t),
     "measured up to the dev error"),
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(*a, mismatch=lambda h, t, td, d: d - t),
     "measured from the training error"),
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(
        *a, variance=lambda h, t, td, d: d - td, mismatch=lambda h, t, td, d: td - t),
     "variance and data mismatch swapped"),
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(*a, mismatch=lambda h, t, td, d: td - d),
     '"data_mismatch": your result matches a common mistake: the sign flipped'),
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(*a, pick=min), "the smallest gap chosen"),
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(
        *a, order=["data_mismatch", "variance", "bias"]), "a tie sent to the later gap"),
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(*a, order=["bias", "variance"]),
     "data mismatch left out of the focus"),
    ("diagnose_mismatch", lambda *a: {**diagnose_mismatch(*a), "focus": "mismatch"},
     r"case 'data mismatch largest.*\"focus\": expected 'data_mismatch'"),
    ("diagnose_mismatch", lambda *a: {k: v for k, v in diagnose_mismatch(*a).items()
                                      if k != "focus"}, "expected a dict with the keys"),
    ("diagnose_mismatch", lambda h, t, td, d: diagnose_mismatch(t, td, d, h),
     "avoidable_bias"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("should_stop", lambda *a: _should_stop_wrong(*a, sign=0),
     "09.5 should_stop, case 'min_delta 0.01, patience 3: a plateau",
     ["your result matches a common mistake: min_delta ignored",
      "after epoch 4 of the losses [0.5, 0.495, 0.492, 0.4905]",
      "expected True, received False"]),
    ("pick_model", lambda *a: pick_model(*a, compare=lambda v, lim: v < lim),
     "09.10 pick_model, case 'a model exactly at the limit meets it (<=)': your result matches "
     "a common mistake: `<` instead of `<=`",
     ["expected 'edge', received 'fast'.", "Hint: keep the models whose every satisficing metric"]),
    ("diagnose_mismatch", lambda *a: diagnose_mismatch(*a, order=["bias", "variance"]),
     "09.11 diagnose_mismatch, case 'data mismatch largest: human 0, train 0.01, train-dev "
     "0.015, dev 0.1', \"focus\": your result matches a common mistake: data mismatch left "
     "out of the focus",
     ["expected 'data_mismatch' (avoidable bias 0.01, variance 0.005, data mismatch 0.085), "
      "received 'bias'."]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


# ------------------------------------------------------- other right answers ---

def _dropout_binomial(x, rate, training, rng):
    """Another correct dropout: a binomial mask, scaled after masking, float32 kept."""
    if not training:
        return x.copy()
    mask = rng.binomial(1, 1 - rate, size=x.shape)
    return (x * mask / (1 - rate)).astype(x.dtype)


def _should_stop_by_index(val_losses, patience, min_delta=0.0):
    """Another correct rule: the index of the last improvement."""
    last, best = 0, val_losses[0]
    for i, loss in enumerate(val_losses):
        if loss < best - min_delta:
            last, best = i, loss
    waited = len(val_losses) - 1 - last
    return waited >= max(patience, 1)


def _random_search_vectorised(space, n_trials, seed):
    """Another correct search: one vector of draws per name, choices with rng.choice."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name, spec in space.items():
        if isinstance(spec, list):
            columns[name] = list(rng.choice(spec, size=n_trials))  # NumPy scalars
        elif spec[0] == "log":
            columns[name] = 10 ** rng.uniform(np.log10(spec[1]), np.log10(spec[2]), n_trials)
        else:
            columns[name] = rng.uniform(spec[1], spec[2], n_trials)
    return [{name: columns[name][t] for name in space} for t in range(n_trials)]


def _pick_model_sorted_copy(results, optimise, satisfice):
    """Another correct pick: a sorted copy (sorted is stable, so ties keep their order)."""
    passing = [m for m in results if all(m[key] <= limit for key, limit in satisfice.items())]
    ranked = sorted(passing, key=lambda m: -m[optimise])
    return ranked[0]["name"] if ranked else None


def _diagnose_mismatch_numpy(human_err, train_err, train_dev_err, dev_err):
    """Another correct diagnosis: NumPy gaps and np.argmax (the first maximum wins)."""
    gaps = np.diff([human_err, train_err, train_dev_err, dev_err])
    names = ["bias", "variance", "data_mismatch"]
    return {"avoidable_bias": gaps[0], "variance": gaps[1], "data_mismatch": gaps[2],
            "focus": names[int(np.argmax(gaps))]}


def test_other_correct_answers_pass(capsys):
    check.l2_penalty(lambda w, l2: l2 * sum(float(np.vdot(a, a)) for a in w))
    check.inverted_dropout(_dropout_binomial)
    check.inverted_dropout(lambda x, rate, training, rng: x * (
        rng.uniform(size=x.shape) < 1 - rate) / (1 - rate) if training else np.array(x))
    check.l1_penalty(lambda w, l1: l1 * float(sum(np.linalg.norm(np.ravel(a), 1) for a in w)))
    check.random_search(lambda space, n, seed: random_search(space, n, seed,
                                                             rng=np.random.default_rng(seed)))
    check.should_stop(_should_stop_by_index)
    check.k_fold_indices(lambda n, k, s: [(np.sort(t), v[::-1]) for t, v in
                                          k_fold_indices(n, k, s)])
    check.random_search(_random_search_vectorised)
    check.bagging_predict(lambda models, x: np.argmax(sum(np.asarray(m.predict(x))
                                                          for m in models), axis=-1))
    check.f1_score(lambda t, p: 2 * np.sum(t * p) / max(np.sum(t) + np.sum(p), 1) * 1.0)
    check.pick_model(_pick_model_sorted_copy)
    check.pick_model(lambda r, o, s: max(
        (m for m in r if all(m[k] <= v for k, v in s.items())),
        key=lambda m: m[o], default={"name": None})["name"])
    check.diagnose_mismatch(_diagnose_mismatch_numpy)
    assert capsys.readouterr().out.count("passed") == 13


# ------------------------------------------------------- oracles and cases ---

def test_the_stopping_rule_agrees_with_keras_on_every_case_and_many_curves():
    cases = [(losses, p, d) for _, losses, p, d in check._should_stop_cases()]
    rng = np.random.default_rng(1)
    while len(cases) < 300:
        length = int(rng.integers(1, 12))
        losses = tuple(float(v) for v in np.round(rng.uniform(0.2, 1.0, length), 3))
        min_delta = float(rng.choice([0.0, 0.01, 0.05]))
        if check._clear_of_ties(losses, min_delta):
            cases.append((losses, int(rng.integers(0, 5)), min_delta))
    for losses, patience, min_delta in cases:
        expected = list(check._keras_decisions(losses, patience, min_delta))
        assert check._should_stop_answer(losses, patience, min_delta) == expected, losses
        assert [should_stop(list(losses[:i + 1]), patience, min_delta)
                for i in range(len(losses))] == expected, losses


def test_the_stopping_cases_show_every_named_mistake():
    for what, switches in check._SHOULD_STOP_MISTAKES.items():
        assert any(check._should_stop_answer(losses, p, d, **switches)[:len(stops)] != stops
                   for _, losses, p, d in check._should_stop_cases()
                   for stops in [check._until_stop(check._keras_decisions(losses, p, d))]), what


def test_keras_scales_kept_elements_by_one_over_one_minus_rate():
    for rate in (0.2, 0.3, 0.5, 0.8):
        assert check._keras_dropout_scale(rate) == pytest.approx(1 / (1 - rate), rel=1e-6)


def test_a_correct_dropout_passes_many_seeds():
    """5-sigma bounds: a correct dropout with other draws passes the statistical cases."""
    ex = Exercise("09.4", "inverted_dropout", _dropout_binomial)
    for seed in range(20):
        for case, x, rate, training, _, kind in check._inverted_dropout_cases():
            if training and rate > 0 and kind == "call":
                check._check_training(ex, case, x, rate, 5000 + seed)


def test_the_numbers_dropped_follow_the_binomial_law_on_many_seeds():
    """The count rule of 09.4 on 2,000 other seeds: a correct dropout passes every one (the
    false-failure rate measured: 0 of 2,000; per-count bounds of 5 sigma + 1.5)."""
    ex = Exercise("09.4", "inverted_dropout", _dropout_binomial)
    case, x, rate, *_ = next(c for c in check._inverted_dropout_cases() if c[5] == "counts")
    probs = check._dropped_count_probabilities(x.size, rate)
    assert probs.sum() == pytest.approx(1.0)
    failures = 0
    for seed in range(2000):
        rng = np.random.default_rng(60000 + seed)
        counts = np.bincount((rng.random((check._COUNT_CALLS, x.size)) < rate).sum(axis=1),
                             minlength=x.size + 1)
        failures += not counts_follow(counts, check._COUNT_CALLS, probs)
    assert failures == 0
    for seed in range(5):  # the check itself, through the student's function
        check._check_count_spread(ex, case, x, rate, 80000 + seed)


def test_a_correct_search_passes_many_seeds():
    ex = Exercise("09.7", "random_search", random_search)
    for seed in range(20):
        for space, n in ((check._SEARCH_SPACE, 2000), (check._WIDE_SPACE, 1500)):
            trials = random_search(space, n, 7000 + seed)
            check._check_search_statistics(ex, "many seeds", trials, space)


def test_the_bagging_cases_separate_the_average_from_every_mistake():
    for case, models, x in check._bagging_predict_cases()[:2]:
        probabilities = np.stack([model(x) for model in models])
        expected = probabilities.mean(axis=0).argmax(axis=1)
        mistakes = mistakes_from(check._bagging_predict_answer, check._BAGGING_PREDICT_MISTAKES,
                                 probabilities)
        for what in ("a majority vote", "the average of the models' labels (rounded)",
                     "only the first model"):
            if case.startswith("5 models") and what.startswith("the average"):
                continue
            wrong = next(v for k, v in mistakes.items() if k.startswith(what))
            assert not np.array_equal(wrong, expected), (case, what)


def test_the_fold_sizes_are_kfold_and_array_split():
    for _, n, k, _ in check._k_fold_indices_cases():
        assert check._kfold_sizes(n, k) == [len(f) for f in np.array_split(np.arange(n), k)]


def test_the_penalties_are_keras_regularizers_on_float32_weights():
    weights = [np.array([1.0, -2.0]), np.array([[3.0]])]
    assert check._keras_penalty("L1", weights, 0.1) == pytest.approx(0.6)
    assert check._keras_penalty("L2", weights, 0.1) == pytest.approx(1.4)


# ---------------------------------------------------------- messages in full ---


def test_every_pick_model_mistake_shows_on_some_case():
    """Each mistake of 09.10's table gives another answer than the right one on a case."""
    shown = set()
    for _, results, optimise, satisfice, expected in check._pick_model_cases():
        assert check._pick_model_answer(results, optimise, satisfice) == expected
        for what, wrong in mistakes_from(check._pick_model_answer, check._PICK_MODEL_MISTAKES,
                                         results, optimise, satisfice).items():
            if not check._same_choice(wrong, expected):
                shown.add(what)
    assert shown == set(check._PICK_MODEL_MISTAKES)


def test_every_diagnose_mismatch_mistake_shows_on_some_case():
    shown = set()
    for _, h, t, td, d, expected in check._diagnose_mismatch_cases():
        for key, value in zip(("avoidable_bias", "variance", "data_mismatch", "focus"),
                              expected):
            right = check._diagnose_mismatch_answer(h, t, td, d, key)
            assert right == value if key == "focus" else np.isclose(right, value)
            for what, wrong in mistakes_from(check._diagnose_mismatch_answer,
                                             check._DIAGNOSE_MISMATCH_MISTAKES,
                                             h, t, td, d, key).items():
                if wrong != value if key == "focus" else not np.isclose(wrong, value):
                    shown.add(what)
    assert shown == set(check._DIAGNOSE_MISMATCH_MISTAKES)
