"""Checks for notebook 04, vision applications: intersection over union, non-maximum
suppression, anchor boxes, the targets and outputs of a grid detector, the triplet
loss and the three costs of neural style transfer.

Boxes are in corner format (x1, y1, x2, y2). The oracles are libraries where one
does the job: `keras.utils.bounding_boxes.compute_iou` for IoU and
`tf.image.non_max_suppression` for NMS (whose boxes are (y1, x1, y2, x2); IoU does
not change when x and y swap roles, so the same arrays are passed). Anchors, grid
targets and grid decoding follow this notebook's own conventions, which no
installed library shares (Keras has no anchor generator and no YOLO-style grid), so
their oracles are written out here, and the small cases are worked by hand. The
losses are compared with hand-worked numbers and with their formulas in float64.
Each check computes known wrong answers too (IoU without clamping, NMS with `>=`,
width and height swapped for a ratio, the cell of a box's corner, a Gram matrix over
positions, ...), so that a message can name the mistake.

The triplet loss and the style-transfer costs (04.6 to 04.9) are called in training
loops, so each is also run on float32 tensors, eagerly, inside `tf.function`, and
under `tf.GradientTape`, whose gradients must reach the inputs.

Example:

>>> from helpers.checks import vision as check
>>> check.iou(iou)
04.1 iou: all 6 cases passed
"""

import numpy as np

from helpers.checks import tensor_modes
from helpers.checks.core import exercise, import_keras, import_tensorflow, random_values

__all__ = [
    "iou", "non_max_suppression", "make_anchors", "encode_grid_targets",
    "decode_grid_predictions", "triplet_loss", "gram_matrix", "content_cost", "style_cost",
]


# ---------------------------------------------------------------- helpers ---

def _corners(centres, sizes):
    """Corner boxes (..., 4) from centres (..., 2) as (cx, cy) and sizes (..., 2) as (w, h)."""
    centres, sizes = np.asarray(centres, np.float64), np.asarray(sizes, np.float64)
    return np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=-1)


def _random_boxes(seed, n, low=0.0, high=1.0, min_size=0.05, max_size=0.5):
    """n corner boxes inside [low, high]: sizes uniform in [min_size, max_size] of the range."""
    rng = np.random.default_rng(seed)
    span = high - low
    sizes = rng.uniform(min_size, max_size, size=(n, 2)) * span
    starts = low + rng.uniform(size=(n, 2)) * (span - sizes)
    return np.concatenate([starts, starts + sizes], axis=1)


def _distinct(mistakes):
    """Known wrong answers, those with equal values merged into one entry naming them all.

    On some cases two mistakes give the same numbers (on a square map, cells taken
    column by column and centres with x and y swapped); the message then names both.
    """
    merged = []
    for name, value in mistakes.items():
        value = np.asarray(value)
        for names, other in merged:
            if other.shape == value.shape and np.allclose(other, value, rtol=1e-9, atol=1e-12,
                                                          equal_nan=True):
                names.append(name)
                break
        else:
            merged.append(([name], value))
    return {"; or ".join(names): value for names, value in merged}


def _require_int_array(ex, case, out, what, hint):
    """Fails unless `out` holds integers (it is then usable as indices or labels)."""
    __tracebackhide__ = True
    ex.require(case, np.issubdtype(np.asarray(out).dtype, np.integer),
               f"the values are right, but {what} has dtype {np.asarray(out).dtype}, "
               f"expected an integer dtype.", hint)


def _compare_gradients(ex, case, args, wrt, expected, hint, upstream=None):
    """Compares the gradients of the student's result with respect to some arguments.

    The function is called on float32 tensors under `tf.GradientTape`; its result
    (times `upstream`, summed, when the result is not one number) is
    differentiated with respect to the arguments at positions `wrt` (a list
    argument counts each of its arrays). `expected` lists the expected gradients
    in that order.
    """
    __tracebackhide__ = True
    tf = import_tensorflow()
    names = ex.parameter_names()
    tensors = tensor_modes.as_tensors(args)
    watched, labels = [], []
    for i in wrt:
        if isinstance(tensors[i], list):
            watched += tensors[i]
            labels += [f"{names[i]}[{k}]" for k in range(len(tensors[i]))]
        else:
            watched.append(tensors[i])
            labels.append(names[i])
    with tf.GradientTape() as tape:
        tape.watch(watched)
        out = ex.call(case, *tensors, copy_inputs=False)
        loss = None
        if tf.is_tensor(out):
            loss = tf.cast(out, tf.float32)
            loss = tf.reduce_sum(loss * upstream) if upstream is not None else loss
    grads = tape.gradient(loss, watched) if loss is not None else [None] * len(watched)
    for label, grad, want in zip(labels, grads, expected):
        ex.require(case, grad is not None,
                   f"no gradient flows from your result back to `{label}`: training "
                   f"needs it.",
                   "NumPy functions, .numpy() and np.asarray() leave TensorFlow's tape: use "
                   "keras.ops (keras.ops.sum, keras.ops.square, keras.ops.mean, ...) on "
                   "tensors from start to end.")
        ex.compare(case, np.asarray(grad), want, rtol=1e-3, atol=1e-5,
                   part=f"the gradient with respect to {label}", hint=hint)


# --------------------------------------------------------------------- iou ---

def _keras_iou(boxes_a, boxes_b):
    """Pairwise IoU (N, M) from `keras.utils.bounding_boxes.compute_iou` (in float32)."""
    keras = import_keras()
    return np.asarray(keras.utils.bounding_boxes.compute_iou(
        np.asarray(boxes_a, np.float32), np.asarray(boxes_b, np.float32), "xyxy"), np.float64)


def _box_iou(boxes_a, boxes_b, *, clamp="sides", centres=False, subtract=True, plus=0.0,
             over="union", guard=True):
    """Pairwise IoU in float64 with switches for known mistakes (defaults: right).

    clamp: "sides" (the overlap's width and height at 0), "area" or None;
    centres: read the boxes as (cx, cy, w, h); subtract: the intersection from the
    union; plus: added to every width and height (pixel counting); over: "union" or
    "a" (the first box's area); guard: 0 where the union is 0 (else 0 / 0 = NaN).
    """
    a, b = (np.asarray(x, np.float64) for x in (boxes_a, boxes_b))
    if centres:
        a, b = _corners(a[:, :2], a[:, 2:]), _corners(b[:, :2], b[:, 2:])
    a, b = a[:, None, :], b[None, :, :]
    width = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + plus
    height = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + plus
    if clamp == "sides":
        width, height = np.maximum(width, 0.0), np.maximum(height, 0.0)
    inter = width * height if clamp != "area" else np.maximum(width * height, 0.0)
    area_a = (a[..., 2] - a[..., 0] + plus) * (a[..., 3] - a[..., 1] + plus)
    area_b = (b[..., 2] - b[..., 0] + plus) * (b[..., 3] - b[..., 1] + plus)
    below = area_a + area_b - (inter if subtract else 0.0) if over == "union" else \
        area_a + 0.0 * area_b
    with np.errstate(all="ignore"):
        ratio = inter / below
    return np.where(below > 0, ratio, 0.0) if guard else ratio


def _iou_mistakes(a, b):
    found = {
        "the overlap's width and height not clamped at 0: for boxes apart along x or y, "
        "min(x2) - max(x1) is negative, and two negatives multiply to a positive 'overlap'":
            _box_iou(a, b, clamp=None, guard=False),
        "the overlap's width and height not clamped at 0 (a zero-union guard hides some "
        "pairs): for boxes apart along x or y, min(x2) - max(x1) is negative, and two "
        "negatives multiply to a positive 'overlap'": _box_iou(a, b, clamp=None),
        "the overlap's area clamped at 0 instead of its width and height: boxes apart along "
        "both x and y give (-w) * (-h) > 0": _box_iou(a, b, clamp="area"),
        "the boxes read as centres and sizes (cx, cy, w, h): they are corners "
        "(x1, y1, x2, y2), so width = x2 - x1": _box_iou(a, b, centres=True),
        "the union counts the overlap twice: union = area_a + area_b - intersection":
            _box_iou(a, b, subtract=False),
        "+1 added to widths and heights (the pixel-counting convention of old PASCAL VOC "
        "code): these corners are real numbers, width = x2 - x1": _box_iou(a, b, plus=1.0),
        "the intersection divided by the area of the box from boxes_a, not by the union":
            _box_iou(a, b, over="a"),
        "0 / 0 = NaN for a pair whose union has zero area (degenerate boxes): return 0 "
        "there": _box_iou(a, b, guard=False),
    }
    if len(a) != len(b):
        found["the table transposed: row i is box i of boxes_a, column j box j of "
              "boxes_b, shape (N, M)"] = _box_iou(b, a)
    return _distinct(found)


def _iou_cases():
    """(case, boxes_a, boxes_b, hand-worked IoU or None for the Keras oracle)."""
    hand_a = np.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 4.0, 4.0]])
    hand_b = np.array([[1.0, 1.0, 3.0, 3.0],   # overlap 1, union 4 + 4 - 1 = 7
                       [2.0, 0.0, 4.0, 2.0],   # touches the first box at x = 2
                       [5.0, 5.0, 6.0, 6.0],   # apart along x and y
                       [1.0, 1.0, 2.0, 2.0],   # inside both
                       [0.0, 0.0, 2.0, 2.0],   # the first box again
                       [3.0, 0.0, 4.0, 1.0]])  # apart from the first along x only
    hand = np.array([[1 / 7, 0.0, 0.0, 1 / 4, 1.0, 0.0],
                     [4 / 16, 4 / 16, 0.0, 1 / 16, 4 / 16, 1 / 16]])
    point_and_line = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 2.0, 1.0]])
    degenerate_b = np.vstack([point_and_line, [[0.0, 0.0, 2.0, 2.0]]])
    return [
        ("hand-worked: overlapping, touching, apart, nested and identical boxes", hand_a,
         hand_b, hand),
        ("degenerate boxes (a point, a line) against themselves and a box", point_and_line,
         degenerate_b, np.zeros((2, 3))),
        ("one box against one box: overlap 0.04, union 0.24", np.array([[0.1, 0.2, 0.5, 0.6]]),
         np.array([[0.3, 0.1, 0.7, 0.4]]), np.array([[1 / 6]])),
        ("3 boxes against 5, many overlapping", _random_boxes(40, 3, max_size=0.7),
         _random_boxes(41, 5, max_size=0.7), None),
        ("float32 boxes, 6 against 4", _random_boxes(42, 6).astype(np.float32),
         _random_boxes(43, 4).astype(np.float32), None),
        ("pixel coordinates from 0 to 64, 4 against 4", _random_boxes(44, 4, 0.0, 64.0, 0.2, 0.8),
         _random_boxes(45, 4, 0.0, 64.0, 0.2, 0.8), None),
    ]


@exercise("04.1")
def iou(ex):
    """Checks `iou(boxes_a, boxes_b)`: the pairwise IoU table (N, M) of corner boxes.

    Compared with `keras.utils.bounding_boxes.compute_iou(..., "xyxy")` (float32, so
    rtol 1e-4), and on three cases with values worked by hand: boxes that overlap,
    touch, lie apart along one axis or both, nest and coincide; degenerate boxes (a
    point, a line) give 0, never NaN; one box against one. Then 3 boxes against 5,
    float32 boxes and boxes in pixel coordinates. The result must be a NumPy float
    array.
    """
    hint = ("for each pair: the overlap's width max(0, min(x2) - max(x1)) times its height "
            "max(0, min(y2) - max(y1)); union = area_a + area_b - overlap; IoU = overlap / "
            "union, and 0 where the union is 0. boxes_a[:, None, :] against "
            "boxes_b[None, :, :] broadcasts to every pair.")
    for case, boxes_a, boxes_b, hand in _iou_cases():
        out = ex.call(case, boxes_a, boxes_b)
        expected = hand if hand is not None else _keras_iou(boxes_a, boxes_b)
        ex.compare(case, out, expected, rtol=1e-4, atol=1e-6,
                   mistakes=_iou_mistakes(boxes_a, boxes_b), hint=hint,
                   shape_hint="one row per box of boxes_a and one column per box of "
                              "boxes_b: shape (N, M).",
                   nonfinite_hint="two degenerate boxes (zero width or height) have a union "
                                  "of area 0, and 0 / 0 is NaN: give 0 where the union is 0 "
                                  "(np.where, or np.divide(..., where=union > 0)).")


# ------------------------------------------------------- non_max_suppression ---

def _tf_nms(boxes, scores, iou_threshold, max_out):
    """The kept indices from `tf.image.non_max_suppression` (float32), as int64."""
    tf = import_tensorflow()
    kept = tf.image.non_max_suppression(np.asarray(boxes, np.float32),
                                        np.asarray(scores, np.float32), max_out, iou_threshold)
    return np.asarray(kept, np.int64)


def _greedy_nms(boxes, scores, iou_threshold, max_out, *, order="score", rule="above",
                against="kept"):
    """Greedy NMS in float64 with switches for known mistakes (defaults: right).

    order: "score" (stable, ties by index), "index" or "reversed ties"
    (argsort(scores)[::-1]); rule: which IoU with a kept box suppresses, "above"
    (> threshold), "at or above" (>=) or "below" (the test inverted: a box is kept
    when it overlaps a kept box by more than the threshold); against: compare
    with the "kept" boxes or with "all" boxes visited before.
    """
    overlaps = _box_iou(boxes, boxes)
    scores = np.asarray(scores, np.float64)
    visit = {"score": np.argsort(-scores, kind="stable"), "index": np.arange(len(scores)),
             "reversed ties": np.argsort(scores, kind="stable")[::-1]}[order]
    keeps = {"above": lambda o: np.all(o <= iou_threshold),
             "at or above": lambda o: np.all(o < iou_threshold),
             "below": lambda o: np.any(o > iou_threshold)}[rule]
    kept, seen = [], []
    for i in visit:
        if len(kept) == max_out:
            break
        earlier = kept if against == "kept" else seen
        if not earlier or keeps(overlaps[i, earlier]):
            kept.append(int(i))
        seen.append(int(i))
    return np.array(kept, np.int64)


def _nms_mistakes(boxes, scores, iou_threshold, max_out):
    def nms(**switches):
        return _greedy_nms(boxes, scores, iou_threshold, max_out, **switches)

    right = nms()
    return _distinct({
        "the test inverted: boxes that overlap a kept box by MORE than the threshold are "
        "the ones to drop": nms(rule="below"),
        "boxes visited in index order: visit them from the highest score down":
            nms(order="index"),
        "an IoU equal to the threshold suppresses (>=): only an IoU strictly greater than "
        "the threshold does, as in tf.image.non_max_suppression": nms(rule="at or above"),
        "equal scores visited from the higher index (argsort(scores)[::-1] reverses ties): "
        "the lower index goes first (np.argsort(-scores, kind='stable'))":
            nms(order="reversed ties"),
        "boxes compared with every box visited before, suppressed ones too: only the kept "
        "boxes suppress": nms(against="all"),
        "the kept indices sorted: return them in the order they were kept, highest score "
        "first": np.sort(right),
        "max_out ignored: stop once max_out boxes are kept":
            _greedy_nms(boxes, scores, iou_threshold, len(scores)),
    })


def _clustered(seed, clusters, per_cluster, spread=0.08):
    """Boxes around a few centres (overlapping inside a cluster) and their scores."""
    rng = np.random.default_rng(seed)
    centres = np.repeat(rng.uniform(0.2, 0.8, size=(clusters, 2)), per_cluster, axis=0)
    centres = centres + rng.normal(0.0, spread, size=centres.shape)
    sizes = rng.uniform(0.15, 0.3, size=centres.shape)
    return _corners(centres, sizes), rng.uniform(0.05, 1.0, size=len(centres))


def _nms_cases():
    """(case, boxes, scores, iou_threshold, max_out). Every IoU of the cases is at
    least 0.02 away from the threshold except in the case that sits on it (a test
    proves it), so float32 and float64 agree on which boxes suppress which."""
    chain = np.array([[1.0, 0.0, 3.0, 2.0],   # B: IoU 1/3 with A
                      [2.0, 0.0, 4.0, 2.0],   # C: touches A, IoU 1/3 with B
                      [0.0, 0.0, 2.0, 2.0]])  # A: the best
    ties_boxes, _ = _clustered(62, 3, 4)
    ties_scores = np.round(np.random.default_rng(63).uniform(0.1, 0.9, 12), 1)
    ties_scores[[1, 4, 5, 9]] = 0.8
    spaced = np.array([[0.0, 0.0, 0.2, 0.2], [0.3, 0.0, 0.5, 0.2], [0.6, 0.0, 0.8, 0.2],
                       [0.0, 0.3, 0.2, 0.5], [0.3, 0.3, 0.5, 0.5], [0.6, 0.3, 0.8, 0.5]])
    return [
        ("hand-worked chain: A suppresses B, B overlaps C, A does not", chain,
         np.array([0.8, 0.7, 0.9]), 0.3, 10),
        ("12 boxes in 3 clusters, threshold 0.5", *_clustered(69, 3, 4), 0.5, 12),
        ("16 boxes in 4 clusters, threshold 0.3", *_clustered(70, 4, 4), 0.3, 16),
        ("equal scores: the lower index goes first, threshold 0.45", ties_boxes, ties_scores,
         0.45, 12),
        ("max_out 2, fewer than the boxes that would be kept", *_clustered(61, 4, 3), 0.5, 2),
        ("a single box", np.array([[0.2, 0.3, 0.6, 0.5]]), np.array([0.4]), 0.5, 5),
        ("6 disjoint boxes: all kept, by score", spaced,
         np.array([0.3, 0.9, 0.1, 0.6, 0.75, 0.5]), 0.5, 6),
        ("an IoU of exactly 0.5 at threshold 0.5: kept (only > suppresses)",
         np.array([[0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0], [3.0, 3.0, 4.0, 4.0]]),
         np.array([0.9, 0.8, 0.7]), 0.5, 3),
    ]


@exercise("04.2")
def non_max_suppression(ex):
    """Checks `non_max_suppression(boxes, scores, iou_threshold, max_out)`.

    Greedy NMS: boxes from the highest score down (equal scores: the lower index
    first), a box dropped when its IoU with a kept box is strictly greater than the
    threshold, at most max_out kept. The result, an integer NumPy array of indices
    in the order kept, is compared with `tf.image.non_max_suppression`. Cases: a
    hand-worked chain (only kept boxes suppress), clustered boxes at thresholds 0.5
    and 0.3, equal scores, max_out below the number kept, a single box, disjoint
    boxes, and an IoU exactly at the threshold.
    """
    hint = ("visit the boxes from the highest score down (np.argsort(-scores, "
            "kind='stable') keeps equal scores in index order); keep a box unless its IoU "
            "with a box already kept is > iou_threshold; stop at max_out boxes.")
    for case, boxes, scores, threshold, max_out in _nms_cases():
        out = ex.call(case, boxes, scores, threshold, max_out)
        ex.require(case, not isinstance(out, np.ndarray) or out.ndim != 1 or
                   len(out) <= max_out,
                   f"your function returned {len(out) if isinstance(out, np.ndarray) else 0} "
                   f"indices, more than max_out = {max_out}.",
                   "stop once max_out boxes are kept.")
        ex.compare(case, out, _tf_nms(boxes, scores, threshold, max_out),
                   mistakes=_nms_mistakes(boxes, scores, threshold, max_out), hint=hint,
                   shape_hint="return the indices of the kept boxes, one number per box, "
                              "not the boxes themselves.")
        _require_int_array(ex, case, out, "the index array",
                           "build it with np.array(kept, dtype=int): indices are integers.")


# ------------------------------------------------------------- make_anchors ---

def _anchors(feature_size, scales, ratios, *, swap=False, root=True, ratio_fastest=True,
             row_major=True, offset=0.5, centre_xy=True, centre_format=False, d2l=False):
    """Anchors written out with loops, with switches for known mistakes (defaults: right)."""
    height, width = feature_size
    if d2l:  # n + m - 1 pairs: each scale with the first ratio, the first scale with the rest
        pairs = [(s, ratios[0]) for s in scales] + [(scales[0], r) for r in ratios[1:]]
    elif ratio_fastest:
        pairs = [(s, r) for s in scales for r in ratios]
    else:
        pairs = [(s, r) for r in ratios for s in scales]
    cells = [(i, j) for i in range(height) for j in range(width)] if row_major else \
        [(i, j) for j in range(width) for i in range(height)]
    boxes = []
    for i, j in cells:
        cx, cy = (j + offset) / width, (i + offset) / height
        if not centre_xy:
            cx, cy = (i + offset) / height, (j + offset) / width
        for s, r in pairs:
            factor = np.sqrt(r) if root else r
            w, h = s * factor, s / factor
            if swap:
                w, h = h, w
            boxes.append([cx, cy, w, h] if centre_format else
                         [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return np.array(boxes, np.float64).reshape(-1, 4)


def _anchor_mistakes(feature_size, scales, ratios):
    def anchors(**switches):
        return _anchors(feature_size, scales, ratios, **switches)

    return _distinct({
        "width and height swapped for a ratio (w = s / sqrt(r)): r is width / height, so "
        "w = s * sqrt(r) and h = s / sqrt(r)": anchors(swap=True),
        "r used without its square root (w = s * r, h = s / r): then the area is not "
        "s**2; w = s * sqrt(r), h = s / sqrt(r)": anchors(root=False),
        "the scale changes fastest: for each cell, the order is scale, then ratio (the "
        "ratio fastest), as in `for s in scales: for r in ratios`":
            anchors(ratio_fastest=False),
        "cells in column-major order: row i first, then column j (row by row)":
            anchors(row_major=False),
        "cell centres at the cell's corner (j / W, i / H): the centre is at "
        "((j + 0.5) / W, (i + 0.5) / H)": anchors(offset=0.0),
        "the centre's x and y swapped: cell (i, j) is at x = (j + 0.5) / W, "
        "y = (i + 0.5) / H": anchors(centre_xy=False),
        "centre format (cx, cy, w, h) returned: the anchors are corners (x1, y1, x2, y2)":
            anchors(centre_format=True),
        "d2l's anchor set (every scale with the first ratio, then the first scale with "
        "the other ratios, n + m - 1 per cell): here every scale x ratio pair is used":
            anchors(d2l=True),
    })


def _anchor_cases():
    """(case, feature_size, scales, ratios, hand-worked anchors or None for the loops)."""
    return [
        ("1 x 1 map, scale 0.5, ratios 1 and 4", (1, 1), [0.5], [1.0, 4.0],
         np.array([[0.25, 0.25, 0.75, 0.75],      # r 1: w = h = 0.5
                   [0.0, 0.375, 1.0, 0.625]])),   # r 4: w = 0.5 * 2, h = 0.5 / 2
        ("2 x 2 map, scale 0.5, ratio 1: the order of the cells", (2, 2), [0.5], [1.0],
         np.array([[0.0, 0.0, 0.5, 0.5], [0.5, 0.0, 1.0, 0.5],
                   [0.0, 0.5, 0.5, 1.0], [0.5, 0.5, 1.0, 1.0]])),
        ("1 x 1 map, scales 0.2 and 0.4, ratios 0.25, 1 and 4: the order of the pairs",
         (1, 1), [0.2, 0.4], [0.25, 1.0, 4.0],
         np.array([[0.45, 0.3, 0.55, 0.7], [0.4, 0.4, 0.6, 0.6], [0.3, 0.45, 0.7, 0.55],
                   [0.4, 0.1, 0.6, 0.9], [0.3, 0.3, 0.7, 0.7], [0.1, 0.4, 0.9, 0.6]])),
        ("2 x 3 map (H = 2, W = 3), scales 0.3 and 0.6, ratios 0.5, 1 and 2", (2, 3),
         [0.3, 0.6], [0.5, 1.0, 2.0], None),
        ("3 x 2 map (H = 3, W = 2), scale 0.25, ratio 2", (3, 2), [0.25], [2.0], None),
        ("4 x 4 map, scales 0.1, 0.2 and 0.4, ratios 1 and 3", (4, 4), [0.1, 0.2, 0.4],
         [1.0, 3.0], None),
    ]


@exercise("04.3")
def make_anchors(ex):
    """Checks `make_anchors(feature_size, scales, ratios)` on hand-worked anchors and loops.

    Cell (i, j) of an H x W map is centred at ((j + 0.5) / W, (i + 0.5) / H); each of
    the len(scales) * len(ratios) pairs gives width s * sqrt(r) and height
    s / sqrt(r); the result is a float array (H * W * k, 4) of corner boxes ordered
    by row, column, scale, ratio (ratio fastest), not clipped. Hand-worked for a
    1 x 1 map (two ratios, and two scales with three ratios) and a 2 x 2 map; then
    2 x 3, 3 x 2 and 4 x 4 maps against the definition written out with loops (no
    installed library has this anchor generator).
    """
    hint = ("for each row i, each column j, each scale s, each ratio r (in that nesting): "
            "centre ((j + 0.5) / W, (i + 0.5) / H), width s * sqrt(r), height s / sqrt(r), "
            "corners centre -/+ half the size.")
    for case, size, scales, ratios, hand in _anchor_cases():
        out = ex.call(case, size, scales, ratios)
        expected = hand if hand is not None else _anchors(size, scales, ratios)
        ex.compare(case, out, expected, mistakes=_anchor_mistakes(size, scales, ratios),
                   hint=hint,
                   shape_hint="one row of 4 corners per anchor: H * W cells times "
                              "len(scales) * len(ratios) pairs, shape (H * W * k, 4).")


# ------------------------------------------------------ encode_grid_targets ---

def _grid_targets(boxes, labels, grid, num_classes, *, cell_by="centre", offsets="cell",
                  swap=False, later_wins=True, clear=True, size_in_cells=False, edge="floor"):
    """The targets of one image written out, with switches for known mistakes.

    cell_by: "centre", or "corner" (the cell of (x1, y1), offsets from the centre)
    or "corner only" (cell and offsets from (x1, y1)); offsets: "cell" or "image"
    (cx, cy); swap: row and column swapped; later_wins: a later box in a taken cell
    replaces it (else the first stays); clear: the replaced cell's class is cleared;
    size_in_cells: width and height times grid; edge: "floor" or "ceil" (ceil - 1).
    """
    target = np.zeros((grid, grid, 5 + num_classes), np.float32)
    for box, label in zip(np.asarray(boxes, np.float64), labels):
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        px, py = (box[0], box[1]) if cell_by != "centre" else (cx, cy)
        if edge == "floor":
            col, row = (min(int(np.floor(v * grid)), grid - 1) for v in (px, py))
        else:
            col, row = (max(int(np.ceil(v * grid)) - 1, 0) for v in (px, py))
        if cell_by == "corner only":
            cx, cy = px, py
        ox, oy = (cx * grid - col, cy * grid - row) if offsets == "cell" else (cx, cy)
        w, h = box[2] - box[0], box[3] - box[1]
        if size_in_cells:
            w, h = w * grid, h * grid
        at = (col, row) if swap else (row, col)
        if target[at][0] == 1 and not later_wins:
            continue
        if clear:
            target[at] = 0.0
        target[at][:5] = [1.0, ox, oy, w, h]
        target[at][5 + label] = 1.0
    return target


def _encode_mistakes(boxes, labels, grid, num_classes):
    def targets(**switches):
        return _grid_targets(boxes, labels, grid, num_classes, **switches)

    return _distinct({
        "the cell chosen by the box's corner (x1, y1): the box belongs to the cell that "
        "holds its centre ((x1 + x2) / 2, (y1 + y2) / 2)": targets(cell_by="corner"),
        "the cell and the offsets from the box's corner (x1, y1): use the box's centre "
        "((x1 + x2) / 2, (y1 + y2) / 2)": targets(cell_by="corner only"),
        "offsets relative to the image (cx, cy): they are relative to the cell, "
        "cx * grid - column and cy * grid - row": targets(offsets="image"),
        "row and column swapped: the row comes from cy, the column from cx, and the "
        "target is indexed [row, column]": targets(swap=True),
        "width and height in cells (times grid): they are fractions of the image, "
        "x2 - x1 and y2 - y1": targets(size_in_cells=True),
        "the earlier box kept when two centres share a cell: the later box replaces it":
            targets(later_wins=False),
        "the earlier box's class left in the cell: a later box replaces the whole vector, "
        "its one-hot class included": targets(clear=False),
        "a centre on a cell's edge put in the cell before it (ceil(c * grid) - 1): the "
        "cell is floor(c * grid)": targets(edge="ceil"),
    })


def _target_cells(grid, num_classes, cells):
    """A hand-worked target: zeros, with the given vectors at the given (row, col)."""
    target = np.zeros((grid, grid, 5 + num_classes), np.float32)
    for (row, col), vector in cells.items():
        target[row, col] = vector
    return target


def _spread_boxes(seed, n, grid):
    """n corner boxes whose centres lie in n different cells of a grid, at least 0.05
    of a cell away from its edges, with sizes up to 0.3 of the image."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(grid * grid, size=n, replace=False)
    rows, cols = np.divmod(cells, grid)
    centres = (np.stack([cols, rows], axis=1) + rng.uniform(0.05, 0.95, (n, 2))) / grid
    sizes = rng.uniform(0.05, 0.3, (n, 2))
    return _corners(centres, np.minimum(sizes, 2 * np.minimum(centres, 1 - centres)))


def _encode_cases():
    """(case, boxes, labels, grid, num_classes, hand-worked target or None)."""
    return [
        ("hand-worked: one box, centre (0.3, 0.65) in row 2, column 1 of a 4 x 4 grid",
         np.array([[0.1, 0.55, 0.5, 0.75]]), np.array([2]), 4, 3,
         _target_cells(4, 3, {(2, 1): [1, 0.2, 0.6, 0.4, 0.2, 0, 0, 1]})),
        ("a centre on a cell's edge, (0.5, 0.25) on a 4 x 4 grid: row 1, column 2",
         np.array([[0.25, 0.0, 0.75, 0.5]]), np.array([0]), 4, 2,
         _target_cells(4, 2, {(1, 2): [1, 0.0, 0.0, 0.5, 0.5, 1, 0]})),
        ("centres at exactly 1.0 go in the last row or column (zero-width and "
         "zero-height boxes on the edges)",
         np.array([[1.0, 0.25, 1.0, 0.75], [0.5, 1.0, 0.7, 1.0]]), np.array([1, 0]), 3, 2,
         _target_cells(3, 2, {(1, 2): [1, 1.0, 0.5, 0.0, 0.5, 0, 1],
                              (2, 1): [1, 0.8, 1.0, 0.2, 0.0, 1, 0]})),
        ("two centres in one cell: the later box replaces the earlier",
         np.array([[0.1, 0.1, 0.3, 0.3], [0.0, 0.0, 0.4, 0.2]]), np.array([0, 1]), 2, 2,
         _target_cells(2, 2, {(0, 0): [1, 0.4, 0.2, 0.4, 0.2, 0, 1]})),
        ("an empty image: no boxes", np.zeros((0, 4)), np.zeros(0, np.int64), 3, 2,
         np.zeros((3, 3, 7), np.float32)),
        ("6 float32 boxes on a 7 x 7 grid, 3 classes",
         _spread_boxes(70, 6, 7).astype(np.float32),
         np.random.default_rng(71).integers(0, 3, 6), 7, 3, None),
        ("4 boxes on a 5 x 5 grid, 4 classes", _spread_boxes(72, 4, 5),
         np.array([3, 0, 2, 1]), 5, 4, None),
    ]


def _explain_encode_error(message):
    if "out of bounds" in message or "IndexError" in message:
        return ("a centre at exactly 1.0 gives floor(1.0 * grid) = grid, one past the last "
                "cell: use min(floor(c * grid), grid - 1).")
    return None


@exercise("04.4")
def encode_grid_targets(ex):
    """Checks `encode_grid_targets(boxes, labels, grid, num_classes)` on hand-worked cells.

    The result is a float32 array (grid, grid, 5 + num_classes): in the cell
    (floor(cy * grid), floor(cx * grid)) of each box's centre (a centre at 1.0 in the
    last cell), [1, cx * grid - col, cy * grid - row, x2 - x1, y2 - y1, one-hot
    class]; a later box in a taken cell replaces the whole vector; zeros elsewhere.
    Hand-worked: one box, a centre on a cell's edge, centres at exactly 1.0, two
    centres in one cell, an empty image. Then float32 boxes on a 7 x 7 grid and
    boxes on a 5 x 5 grid against the definition written out with a loop.
    """
    hint = ("for each box: centre cx = (x1 + x2) / 2, cy = (y1 + y2) / 2; row = "
            "min(floor(cy * grid), grid - 1), col likewise from cx; target[row, col] = "
            "[1, cx * grid - col, cy * grid - row, x2 - x1, y2 - y1, one-hot label].")
    for case, boxes, labels, grid, num_classes, hand in _encode_cases():
        out = ex.call_explained(case, _explain_encode_error, boxes, labels, grid, num_classes)
        expected = hand if hand is not None else _grid_targets(boxes, labels, grid, num_classes)
        ex.compare(case, out, expected, rtol=1e-5, atol=1e-5,
                   mistakes=_encode_mistakes(boxes, labels, grid, num_classes), hint=hint,
                   shape_hint="the target is (grid, grid, 5 + num_classes): one vector per "
                              "cell, objectness, two offsets, width, height, then the "
                              "one-hot class.")
        ex.require(case, out.dtype == np.float32,
                   f"the values are right, but the dtype is {out.dtype}, expected float32.",
                   "start from np.zeros((grid, grid, 5 + num_classes), dtype=np.float32): "
                   "the detector trains in float32.")


# --------------------------------------------------- decode_grid_predictions ---

def _decode(predictions, threshold, *, score="product", strict=True, offsets="cell",
            swap=False, corners=True, row_major=True):
    """Decoded (boxes, scores, labels) written out with loops, with switches for
    known mistakes (defaults: right). score: "product" or "objectness"."""
    predictions = np.asarray(predictions, np.float64)
    grid = predictions.shape[0]
    cells = [(r, c) for r in range(grid) for c in range(grid)] if row_major else \
        [(r, c) for c in range(grid) for r in range(grid)]
    boxes, scores, labels = [], [], []
    for row, col in cells:
        objectness, ox, oy, w, h = predictions[row, col, :5]
        probs = predictions[row, col, 5:]
        value = objectness * probs.max() if score == "product" else objectness
        if not (value > threshold if strict else value >= threshold):
            continue
        across, down = (row, col) if swap else (col, row)
        cx, cy = ((across + ox) / grid, (down + oy) / grid) if offsets == "cell" else (ox, oy)
        boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] if corners else
                     [cx, cy, w, h])
        scores.append(value)
        labels.append(int(np.argmax(probs)))
    return (np.array(boxes, np.float64).reshape(-1, 4), np.array(scores, np.float64),
            np.array(labels, np.int64))


def _decode_mistakes(predictions, threshold):
    names = {
        "the score is the objectness alone: it is objectness times the largest class "
        "probability": {"score": "objectness"},
        "a score equal to the threshold kept (>=): keep scores strictly greater than it":
            {"strict": False},
        "the centre taken as the offsets themselves (relative to the image): it is "
        "((col + ox) / grid, (row + oy) / grid)": {"offsets": "image"},
        "row and column swapped: x comes from the column, (col + ox) / grid, and y from "
        "the row": {"swap": True},
        "centre format (cx, cy, w, h) returned: the boxes are corners (x1, y1, x2, y2)":
            {"corners": False},
        "cells in column-major order: go row by row (a boolean mask scores > threshold "
        "does)": {"row_major": False},
    }
    return [_distinct({name: _decode(predictions, threshold, **switches)[part]
                       for name, switches in names.items()}) for part in range(3)]


def _grid_predictions(seed, grid, num_classes, threshold):
    """Random predictions: objectness and offsets in [0, 1], sizes up to 0.4, class
    probabilities from a softmax; every score at least 0.03 away from `threshold`."""
    rng = np.random.default_rng(seed)
    predictions = rng.uniform(size=(grid, grid, 5 + num_classes))
    predictions[..., 3:5] *= 0.4
    logits = rng.normal(0.0, 2.0, size=(grid, grid, num_classes))
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    predictions[..., 5:] = probs
    scores = predictions[..., 0] * probs.max(axis=-1)
    near = np.abs(scores - threshold) < 0.03
    predictions[..., 0] = np.where(near, 0.0, predictions[..., 0])
    return predictions


def _decode_cases():
    """(case, predictions, threshold, hand-worked (boxes, scores, labels) or None)."""
    one = np.zeros((2, 2, 7))
    one[1, 0] = [0.9, 0.5, 0.25, 0.4, 0.2, 0.3, 0.7]  # score 0.63; centre (0.25, 0.625)
    one[0, 1] = [0.4, 0.5, 0.5, 0.2, 0.2, 0.9, 0.1]   # score 0.36: dropped
    at_threshold = np.zeros((2, 2, 8))
    at_threshold[0, 1] = [1.0, 0.5, 0.5, 0.2, 0.2, 0.5, 0.25, 0.25]  # score exactly 0.5
    at_threshold[1, 0] = [0.8, 0.5, 0.5, 0.2, 0.4, 0.0, 0.75, 0.25]  # 0.6; centre (0.25, 0.75)
    at_threshold[1, 1] = [0.9, 0.5, 0.5, 0.2, 0.2, 0.3, 0.3, 0.4]  # 0.36: dropped
    low_probs = np.zeros((2, 2, 8))
    low_probs[0, 0] = [0.9, 0.5, 0.5, 0.4, 0.4, 0.4, 0.35, 0.25]   # 0.36: dropped
    low_probs[1, 1] = [0.95, 0.5, 0.5, 0.4, 0.4, 0.05, 0.05, 0.9]  # 0.855; centre (0.75, 0.75)
    boxes, labels = _spread_boxes(80, 5, 5), np.array([1, 0, 2, 2, 1])
    round_trip = _grid_targets(boxes, labels, 5, 3)
    order = np.lexsort((np.floor((boxes[:, 0] + boxes[:, 2]) / 2 * 5),
                        np.floor((boxes[:, 1] + boxes[:, 3]) / 2 * 5)))  # row-major cells
    return [
        ("hand-worked: one cell of a 2 x 2 grid above the threshold 0.5", one, 0.5,
         (np.array([[0.05, 0.525, 0.45, 0.725]]), np.array([0.63]), np.array([1]))),
        ("a score exactly at the threshold 0.5 is dropped", at_threshold, 0.5,
         (np.array([[0.15, 0.55, 0.35, 0.95]]), np.array([0.6]), np.array([1]))),
        ("high objectness, low class probabilities: score = objectness x largest "
         "probability", low_probs, 0.5,
         (np.array([[0.55, 0.55, 0.95, 0.95]]), np.array([0.855]), np.array([2]))),
        ("nothing above the threshold: empty results", np.full((3, 3, 7), 0.2), 0.5,
         (np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))),
        ("a 4 x 4 grid of random predictions, 3 classes, threshold 0.3",
         _grid_predictions(81, 4, 3, 0.3), 0.3, None),
        ("a 6 x 6 grid of random predictions, 2 classes, threshold 0.2",
         _grid_predictions(82, 6, 2, 0.2), 0.2, None),
        ("decoding encoded targets gives the 5 boxes back, in row-major order", round_trip,
         0.5, (boxes[order], np.ones(5), labels[order])),
    ]


@exercise("04.5")
def decode_grid_predictions(ex):
    """Checks `decode_grid_predictions(predictions, threshold)`.

    A cell's score is objectness x largest class probability, its label the argmax;
    cells with score > threshold are kept, row by row; cell (row, col) gives the box
    centred at ((col + ox) / grid, (row + oy) / grid) with width w and height h, in
    corners. The result is (boxes (k, 4) float, scores (k,) float, labels (k,) int).
    Hand-worked: one kept cell, a score exactly at the threshold, high objectness
    with low class probabilities, nothing kept; then random 4 x 4 and 6 x 6 grids
    against the definition written out with loops (scores kept 0.03 away from the
    threshold), and the round trip from the targets of five boxes.
    """
    hint = ("scores = objectness * max class probability; keep = scores > threshold; for "
            "a kept cell (row, col): cx = (col + ox) / grid, cy = (row + oy) / grid, box "
            "[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], label = argmax of the class "
            "probabilities.")
    for case, predictions, threshold, hand in _decode_cases():
        out = ex.call(case, predictions, threshold)
        boxes, scores, labels = hand if hand is not None else _decode(predictions, threshold)
        ex.require(case, isinstance(out, (tuple, list)) and len(out) == 3,
                   f"expected a tuple (boxes, scores, labels), received "
                   f"{type(out).__name__} {out!r:.80}.", "return boxes, scores, labels")
        mistakes = _decode_mistakes(predictions, threshold)
        for part, received, expected, named in zip(("boxes", "scores", "labels"), out,
                                                   (boxes, scores, labels), mistakes):
            ex.compare(case, received, expected, rtol=1e-5, atol=1e-6, mistakes=named,
                       hint=hint, part=part,
                       shape_hint=f"{part}: one entry per kept cell (score > threshold); "
                                  f"boxes (k, 4), scores and labels (k,).")
        _require_int_array(ex, case, out[2], "labels",
                           "take the labels with np.argmax, which gives integers.")


# -------------------------------------------------------------- triplet_loss ---

def _triplet_rows(anchor, positive, negative, margin, *, square=True, features="sum"):
    a, p, n = (np.asarray(x, np.float64) for x in (anchor, positive, negative))
    reduce = np.sum if features == "sum" else np.mean
    d_ap, d_an = reduce((a - p) ** 2, axis=-1), reduce((a - n) ** 2, axis=-1)
    if not square:
        d_ap, d_an = np.sqrt(d_ap), np.sqrt(d_an)
    return d_ap - d_an + margin, d_ap, d_an


def _triplet(anchor, positive, negative, margin):
    rows = _triplet_rows(anchor, positive, negative, margin)[0]
    return float(np.mean(np.maximum(rows, 0.0)))


def _triplet_mistakes(anchor, positive, negative, margin):
    rows, d_ap, d_an = _triplet_rows(anchor, positive, negative, margin)
    return _distinct({
        "no margin: max(d(a, p) - d(a, n) + margin, 0)":
            np.mean(np.maximum(d_ap - d_an, 0.0)),
        "no hinge (the mean of the raw differences): clip each row at 0 with "
        "max(..., 0) before the mean": np.mean(rows),
        "the hinge after the batch mean: take max(..., 0) for each row, then the mean":
            max(np.mean(rows), 0.0),
        "distances not squared (Euclidean norms): FaceNet's loss uses squared distances, "
        "sum((a - p)**2)": np.mean(np.maximum(_triplet_rows(anchor, positive, negative, margin,
                                                            square=False)[0], 0.0)),
        "distances averaged over the embedding's dimensions: sum the squares over them":
            np.mean(np.maximum(_triplet_rows(anchor, positive, negative, margin,
                                             features="mean")[0], 0.0)),
        "summed over the batch: the loss is the mean over the batch":
            np.sum(np.maximum(rows, 0.0)),
        "positive and negative swapped: d(a, p) - d(a, n) + margin":
            np.mean(np.maximum(d_an - d_ap + margin, 0.0)),
        "the margin subtracted: d(a, p) - d(a, n) + margin":
            np.mean(np.maximum(d_ap - d_an - margin, 0.0)),
    })


def _triplet_gradients(anchor, positive, negative, margin):
    """d(loss)/d(anchor, positive, negative): rows past the margin give 0."""
    a, p, n = (np.asarray(x, np.float64) for x in (anchor, positive, negative))
    active = (_triplet_rows(a, p, n, margin)[0] > 0)[:, None] * (2.0 / len(a))
    return [active * (n - p), active * (p - a), active * (a - n)]


def _triplets(seed, batch, dim, spread=1.0):
    rng = np.random.default_rng(seed)
    anchor = rng.normal(size=(batch, dim))
    return (anchor, anchor + rng.normal(0.0, 0.5, (batch, dim)),
            anchor + rng.normal(0.0, spread, (batch, dim)))


@exercise("04.6")
def triplet_loss(ex):
    """Checks `triplet_loss(anchor, positive, negative, margin=0.2)`.

    The batch mean of max(||a - p||**2 - ||a - n||**2 + margin, 0), one number (a
    NumPy or Python number, or a 0-d tensor). Cases: hand-worked (the hinge active
    for one row of two), margin 1.0 with the hinge active for some rows only, every
    row past the margin (0), the default margin, float64 (4, 16) embeddings, then
    float32 tensors, eagerly and inside tf.function; the gradients with respect to
    the three inputs (under tf.GradientTape) against their closed form.
    """
    hint = ("per row: d_ap = sum((a - p)**2), d_an = sum((a - n)**2) over the embedding "
            "axis; max(d_ap - d_an + margin, 0); then the mean over the batch.")
    shape_hint = "return one number: the mean over the batch of the per-row losses."
    hand = (np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 2.0]]),
            np.array([[2.0, 0.0], [1.0, 1.5]]))  # rows: max(1 - 4 + 0.2, 0), 1 - 0.25 + 0.2
    far = _triplets(602, 3, 4, spread=0.1)
    cases = tensor_modes.with_tensor_modes([
        ("hand-worked: the hinge active for row 2 only, 0.95 / 2", "numpy", *hand, 0.2),
        ("margin 1.0, (6, 3) embeddings: the hinge active for some rows only", "numpy",
         *_triplets(601, 6, 3), 1.0),
        ("every row past the margin: the loss is 0", "numpy", far[0], far[0] + 0.01,
         far[0] + 3.0, 0.5),
        ("the default margin, 0.2", "numpy", *_triplets(603, 5, 4), None),
        ("(4, 16) embeddings, margin 0.5", "numpy", *_triplets(604, 4, 16), 0.5),
    ])
    for case, mode, anchor, positive, negative, margin in cases:
        args = (anchor, positive, negative) + (() if margin is None else (margin,))
        out = tensor_modes.call(ex, case, mode, *args)
        margin = 0.2 if margin is None else margin
        rtol, atol = tensor_modes.tolerances(np.float32 if mode != "numpy" else np.float64)
        ex.compare(case, tensor_modes.as_numpy(out), _triplet(anchor, positive, negative, margin),
                   kind="scalar", rtol=rtol, atol=atol,
                   mistakes=_triplet_mistakes(anchor, positive, negative, margin),
                   hint=hint, shape_hint=shape_hint)
    anchor, positive, negative = _triplets(601, 6, 3)
    _compare_gradients(ex, "gradients under tf.GradientTape, margin 1.0, hinge active for "
                           "some rows", (anchor, positive, negative, 1.0), [0, 1, 2],
                       _triplet_gradients(anchor, positive, negative, 1.0),
                       "d/da = 2 (n - p) / B for each row with a positive hinge, 0 for the "
                       "others; use keras.ops.maximum for the hinge.")


# --------------------------------------------------------------- gram_matrix ---

def _gram(features, *, normalise="positions", axes="channels", batch=True):
    """Gram matrices in float64 with switches for known mistakes (defaults: right)."""
    f = np.asarray(features, np.float64)
    b, h, w, c = f.shape
    flat = f.reshape(b, h * w, c)
    if axes == "positions":
        gram = np.einsum("bpc,bqc->bpq", flat, flat)
    elif axes == "reshaped":  # (C, H * W) by reshaping, without moving the channel axis
        wrong = f.reshape(b, c, h * w)
        gram = np.einsum("bcp,bdp->bcd", wrong, wrong)
    else:
        gram = np.einsum("bpc,bpd->bcd", flat, flat)
    gram = gram / {"positions": h * w, "all": h * w * c, "none": 1}[normalise]
    return gram if batch else gram.sum(axis=0)


def _gram_mistakes(features):
    return _distinct({
        "not normalised: divide the sums by H * W, the number of positions":
            _gram(features, normalise="none"),
        "divided by H * W * C: divide by H * W, the number of positions":
            _gram(features, normalise="all"),
        "positions x positions (F F^T): the Gram matrix compares channels, "
        "sum over positions of F[..., c] * F[..., c'], shape (batch, C, C)":
            _gram(features, axes="positions"),
        "the features reshaped to (C, H * W) without moving the channel axis first: "
        "reshape to (batch, H * W, C), then multiply the transpose by it":
            _gram(features, axes="reshaped"),
        "summed over the batch: each example has its own Gram matrix, (batch, C, C)":
            _gram(features, batch=False),
    })


@exercise("04.7")
def gram_matrix(ex):
    """Checks `gram_matrix(features)`: (batch, H, W, C) -> (batch, C, C), divided by H * W.

    Compared (a NumPy array or a tensor) with hand-worked Grams (one example of 2
    positions and 2 channels; a batch of two), then with the float64 NumPy
    definition on (2, 3, 4, 5) and (1, 4, 4, 3) features, then on float32 tensors,
    eagerly and inside tf.function; the gradient of sum(G * R) for a fixed R with
    respect to the features (under tf.GradientTape) against its closed form
    F (R + R^T) / (H W).
    """
    hint = ("G[b, c, d] = sum over h, w of F[b, h, w, c] * F[b, h, w, d], divided by H * W "
            "(keras.ops.einsum('bhwc,bhwd->bcd', F, F) / (H * W)).")
    hand = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])            # positions (1, 2) and (3, 4)
    pair = np.array([[[[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 0.0], [0.0, 2.0]]]])
    expected_hand = {"hand": np.array([[[5.0, 7.0], [7.0, 10.0]]]),
                     "pair": np.array([[[5.0, 7.0], [7.0, 10.0]], [[0.5, 0.0], [0.0, 2.0]]])}
    cases = tensor_modes.with_tensor_modes([
        ("hand-worked: (1, 1, 2, 2), 2 positions", "numpy", hand),
        ("hand-worked: a batch of two, each its own Gram", "numpy", pair),
        ("(2, 3, 4, 5) features", "numpy", random_values(700, (2, 3, 4, 5))),
        ("(1, 4, 4, 3) features", "numpy", random_values(701, (1, 4, 4, 3))),
    ])
    for case, mode, features in cases:
        out = tensor_modes.call(ex, case, mode, features)
        expected = expected_hand["hand"] if features is hand else \
            expected_hand["pair"] if features is pair else _gram(features)
        rtol, atol = tensor_modes.tolerances(np.float32 if mode != "numpy" else np.float64)
        ex.compare(case, tensor_modes.as_numpy(out), expected, kind="tensor", rtol=rtol, atol=atol,
                   mistakes=_gram_mistakes(features), hint=hint,
                   shape_hint="one C x C matrix per example: shape (batch, C, C).")
    features = random_values(702, (2, 3, 2, 4))
    upstream = random_values(703, (2, 4, 4))
    flat = features.reshape(2, 6, 4)
    grad = np.einsum("bpc,bdc->bpd", flat, upstream + upstream.transpose(0, 2, 1)) / 6
    _compare_gradients(ex, "the gradient of sum(G * R) under tf.GradientTape, (2, 3, 2, 4)",
                       (features,), [0], [grad.reshape(features.shape)],
                       "build the Gram with keras.ops (einsum or matmul), not NumPy.",
                       upstream=upstream.astype(np.float32))


# -------------------------------------------------------------- content_cost ---

def _content(a_c, a_g, *, scale="4HWC", batch=np.mean):
    a_c, a_g = np.asarray(a_c, np.float64), np.asarray(a_g, np.float64)
    b, h, w, c = a_c.shape
    per_example = np.sum((a_c - a_g) ** 2, axis=(1, 2, 3))
    return float(batch(per_example) / {"4HWC": 4 * h * w * c, "HWC": h * w * c, "1": 1}[scale])


def _content_mistakes(a_c, a_g):
    return _distinct({
        "not normalised: divide each example's sum by 4 * H * W * C":
            _content(a_c, a_g, scale="1"),
        "the 4 missing (e.g. the mean of the squares): the cost is sum / (4 * H * W * C)":
            _content(a_c, a_g, scale="HWC"),
        "summed over the batch: the cost is the mean over the batch":
            _content(a_c, a_g, batch=np.sum),
        "summed over the batch and not normalised: batch mean of sum / (4 * H * W * C)":
            _content(a_c, a_g, scale="1", batch=np.sum),
    })


@exercise("04.8")
def content_cost(ex):
    """Checks `content_cost(a_c, a_g)`: the batch mean of sum((a_c - a_g)**2) / (4 H W C).

    One number (a NumPy or Python number, or a 0-d tensor), compared with
    hand-worked values ((1, 1, 2, 1): 5 / 8; a batch of two), equal activations (0),
    the float64 definition on (2, 3, 4, 5), then float32 tensors, eagerly and inside
    tf.function; the gradient with respect to a_g (under tf.GradientTape) against
    (a_g - a_c) / (2 H W C B).
    """
    hint = ("per example: the sum of (a_c - a_g)**2 over H, W and C, divided by "
            "4 * H * W * C; then the mean over the batch.")
    same = random_values(801, (1, 2, 3, 4))
    cases = tensor_modes.with_tensor_modes([
        ("hand-worked: (1, 1, 2, 1), 5 / 8", "numpy", np.array([[[[1.0], [2.0]]]]),
         np.array([[[[0.0], [4.0]]]]), 0.625),
        ("hand-worked: a batch of two, (0.25 + 0.5) / 2", "numpy",
         np.array([[[[1.0, 1.0]]], [[[2.0, 0.0]]]]), np.zeros((2, 1, 1, 2)), 0.375),
        ("equal activations: the cost is 0", "numpy", same, same.copy(), 0.0),
        ("(2, 3, 4, 5) activations", "numpy", random_values(800, (2, 3, 4, 5)),
         random_values(802, (2, 3, 4, 5)), None),
    ])
    for case, mode, a_c, a_g, hand in cases:
        out = tensor_modes.call(ex, case, mode, a_c, a_g)
        rtol, atol = tensor_modes.tolerances(np.float32 if mode != "numpy" else np.float64)
        ex.compare(case, tensor_modes.as_numpy(out), _content(a_c, a_g) if hand is None else hand,
                   kind="scalar", rtol=rtol, atol=atol, mistakes=_content_mistakes(a_c, a_g),
                   hint=hint, shape_hint="return one number, the mean over the batch.")
    a_c, a_g = random_values(803, (2, 2, 3, 4)), random_values(804, (2, 2, 3, 4))
    _compare_gradients(ex, "the gradient with respect to a_g under tf.GradientTape",
                       (a_c, a_g), [1], [(a_g - a_c) / (2 * 2 * 3 * 4 * 2)],
                       "write the cost with keras.ops (ops.sum, ops.square, ops.mean).")


# ---------------------------------------------------------------- style_cost ---

def _style(grams_s, grams_g, weights, *, scale="4C2", batch=np.mean, weighted=True,
           combine="sum"):
    costs = []
    for gs, gg in zip(grams_s, grams_g):
        gs, gg = np.asarray(gs, np.float64), np.asarray(gg, np.float64)
        c = gs.shape[-1]
        per_example = np.sum((gs - gg) ** 2, axis=(1, 2))
        costs.append(batch(per_example) /
                     {"4C2": 4 * c ** 2, "4C": 4 * c, "4": 4, "1": 1}[scale])
    terms = [w * cost for w, cost in zip(weights, costs)] if weighted else costs
    return float({"sum": sum, "mean": np.mean, "last": lambda t: t[-1]}[combine](terms))


def _style_mistakes(grams_s, grams_g, weights):
    def style(**switches):
        return _style(grams_s, grams_g, weights, **switches)

    return _distinct({
        "the weights ignored: the cost is sum over layers of weights[l] times the layer's "
        "cost": style(weighted=False),
        "without 1 / (4 C**2): each layer's cost is its batch mean of sum((G_s - G_g)**2) "
        "divided by 4 * C_l**2": style(scale="1"),
        "divided by 4 * C instead of 4 * C**2": style(scale="4C"),
        "divided by 4 only: each layer's cost is divided by 4 * C_l**2": style(scale="4"),
        "summed over the batch: each layer's cost is the mean over the batch":
            style(batch=np.sum),
        "the weighted costs averaged over the layers: add them up": style(combine="mean"),
        "only the last layer counted (the total overwritten in the loop): add each "
        "layer's weighted cost to the total": style(combine="last"),
    })


def _grams(seed, batch, channels):
    """Random symmetric 'Gram matrices' (batch, C, C) of random features."""
    features = random_values(seed, (batch, 6, channels))
    return np.einsum("bpc,bpd->bcd", features, features) / 6


@exercise("04.9")
def style_cost(ex):
    """Checks `style_cost(grams_s, grams_g, weights)` against hand-worked values.

    sum over layers l of weights[l] * batch mean of sum((G_s - G_g)**2) / (4 C_l**2),
    one number (a NumPy or Python number, or a 0-d tensor). The Grams come as lists
    of arrays (batch, C_l, C_l), the weights as a list of floats. Cases: hand-worked
    (one layer, 0.3 * 5 / 16; two layers of 1 and 2 channels), three layers of 2, 3
    and 4 channels with a batch of two, weights [1, 0], then float32 tensors, eagerly
    and inside tf.function; the gradients with respect to grams_g (under
    tf.GradientTape) against weights[l] * (G_g - G_s) / (2 C_l**2 B).
    """
    hint = ("for each layer l: sum((G_s - G_g)**2) over the two channel axes, mean over "
            "the batch, divided by 4 * C_l**2, times weights[l]; then the sum over layers.")
    eye, other = np.array([[[1.0, 0.0], [0.0, 1.0]]]), np.array([[[0.0, 0.0], [0.0, 3.0]]])
    three = ([_grams(900 + c, 2, c) for c in (2, 3, 4)],
             [_grams(910 + c, 2, c) for c in (2, 3, 4)])
    cases = tensor_modes.with_tensor_modes([
        ("hand-worked: one layer of 2 channels, weight 0.3: 0.3 * 5 / 16", "numpy", [eye],
         [other], [0.3], 0.09375),
        ("hand-worked: layers of 1 and 2 channels, weights 0.25 and 2: 0.25 * 1 + 2 * "
         "0.3125", "numpy", [np.array([[[2.0]]]), eye], [np.array([[[0.0]]]), other],
         [0.25, 2.0], 0.875),
        ("weights [1, 0]: the second layer does not count", "numpy", three[0][1:],
         three[1][1:], [1.0, 0.0], None),
        ("3 layers of 2, 3 and 4 channels, batch 2, weights 0.5, 0.3, 0.2", "numpy",
         *three, [0.5, 0.3, 0.2], None),
    ])
    for case, mode, grams_s, grams_g, weights, hand in cases:
        out = tensor_modes.call(ex, case, mode, grams_s, grams_g, weights)
        expected = _style(grams_s, grams_g, weights) if hand is None else hand
        rtol, atol = tensor_modes.tolerances(np.float32 if mode != "numpy" else np.float64)
        ex.compare(case, tensor_modes.as_numpy(out), expected, kind="scalar", rtol=rtol, atol=atol,
                   mistakes=_style_mistakes(grams_s, grams_g, weights), hint=hint,
                   shape_hint="return one number: a weighted sum over the layers of each "
                              "layer's batch mean.")
    weights = [0.5, 0.3, 0.2]
    expected = [w * (gg - gs) / (2 * gs.shape[-1] ** 2 * len(gs))
                for w, gs, gg in zip(weights, *three)]
    _compare_gradients(ex, "the gradients with respect to grams_g under tf.GradientTape",
                       (*three, weights), [1], expected,
                       "write the cost with keras.ops (ops.sum, ops.square, ops.mean) and "
                       "add the layers' weighted costs.")
