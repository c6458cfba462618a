"""Checks for notebook 04, vision applications: intersection over union, non-maximum
suppression, anchor boxes, the targets and outputs of a grid detector, RoI pooling, the
triplet loss and the three costs of neural style transfer.

Boxes are in corner format (x1, y1, x2, y2). The oracles are libraries where one
does the job: `keras.utils.bounding_boxes.compute_iou` for IoU and
`tf.image.non_max_suppression` for NMS (whose boxes are (y1, x1, y2, x2); IoU does
not change when x and y swap roles, so the same arrays are passed), and
`tf.image.crop_and_resize` followed by `tf.nn.max_pool2d` for RoI pooling (04.10,
eager, on NumPy arrays, as the notebook calls it). Anchors, grid
targets and grid decoding follow this notebook's own conventions, which no
installed library shares (Keras has no anchor generator and no YOLO-style grid), so
their oracles are written out here, and the small cases are worked by hand. The
losses are compared with hand-worked numbers and with their formulas in float64.
Each exercise has a switch oracle, `_<exercise>_answer`: with no switches it gives the
right answer, and each switch turns on one known mistake of the table
`_<EXERCISE>_MISTAKES` (IoU without clamping, NMS with `>=`, width and height swapped
for a ratio, the cell of a box's corner, a Gram matrix over positions, ...), so that a
message can name the mistake.

The triplet loss and the style-transfer costs (04.6 to 04.9) are called in training
loops, so each is also run on float32 tensors, eagerly, inside `tf.function`, and
under `tf.GradientTape`, whose gradients must reach the inputs. The notebook traces
them with every shape known (batches of 128 triplets; the activations of one image),
so the traced cases keep the shapes known: a static `x.shape[0]` works there.

Example:

>>> from helpers.checks import vision as check
>>> check.iou(iou)
04.1 iou: all 6 cases passed
"""

import numpy as np

from helpers.checks import tensor_modes
from helpers.checks.core import (exercise, import_keras, import_tensorflow, mistakes_from,
                                 random_values)

__all__ = [
    "iou", "non_max_suppression", "make_anchors", "encode_grid_targets",
    "decode_grid_predictions", "triplet_loss", "gram_matrix", "content_cost", "style_cost",
    "roi_pool",
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


def _iou_answer(boxes_a, boxes_b, *, clamp="sides", centres=False, subtract=True, plus=0.0,
                over="union", guard=True, transpose=False):
    """Pairwise IoU (N, M) of corner boxes, in float64.

    Args:
        boxes_a, boxes_b: corner boxes (x1, y1, x2, y2), shapes (N, 4) and (M, 4).
        clamp: "sides" clamps the overlap's width and height at 0 (right); "area"
            clamps their product instead; None does not clamp.
        centres: read the boxes as (cx, cy, w, h).
        subtract: False leaves the intersection in the union (counted twice).
        plus: added to every width and height (the pixel-counting convention).
        over: "union" (right), or "a" to divide by the area of the box from boxes_a.
        guard: False gives 0 / 0 = NaN where the union is 0 (instead of 0).
        transpose: return the (M, N) table.
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
    table = np.where(below > 0, ratio, 0.0) if guard else ratio
    return table.T if transpose else table


_IOU_MISTAKES = {
    "the overlap's width and height not clamped at 0: for boxes apart along x or y, "
    "min(x2) - max(x1) is negative, and two negatives multiply to a positive 'overlap'":
        {"clamp": None, "guard": False},
    "the overlap's width and height not clamped at 0 (a zero-union guard hides some "
    "pairs): for boxes apart along x or y, min(x2) - max(x1) is negative, and two "
    "negatives multiply to a positive 'overlap'": {"clamp": None},
    "the overlap's area clamped at 0 instead of its width and height: boxes apart along "
    "both x and y give (-w) * (-h) > 0": {"clamp": "area"},
    "the boxes read as centres and sizes (cx, cy, w, h): they are corners "
    "(x1, y1, x2, y2), so width = x2 - x1": {"centres": True},
    "the union counts the overlap twice: union = area_a + area_b - intersection":
        {"subtract": False},
    "+1 added to widths and heights (the pixel-counting convention of old PASCAL VOC "
    "code): these corners are real numbers, width = x2 - x1": {"plus": 1.0},
    "the intersection divided by the area of the box from boxes_a, not by the union":
        {"over": "a"},
    "0 / 0 = NaN for a pair whose union has zero area (degenerate boxes): return 0 "
    "there": {"guard": False},
    "the table transposed: row i is box i of boxes_a, column j box j of boxes_b, "
    "shape (N, M)": {"transpose": True},
}


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
                   mistakes=mistakes_from(_iou_answer, _IOU_MISTAKES, boxes_a, boxes_b),
                   hint=hint,
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


def _non_max_suppression_answer(boxes, scores, iou_threshold, max_out, *, order="score",
                                rule="above", against="kept", sort=False, floor=None):
    """Greedy NMS in float64: the indices of the kept boxes, in the order kept.

    Args:
        boxes, scores, iou_threshold, max_out: as for the exercise.
        order: the order boxes are visited in: "score" (right: highest first, equal
            scores by index), "index", "reversed ties" (argsort(scores)[::-1]) or
            "unstable" (np.argsort(-scores) with NumPy's default, unstable sort: which
            of equal scores goes first depends on the machine).
        rule: which IoU with a kept box suppresses: "above" (right: > threshold),
            "at or above" (>=), or "below" (the test inverted: a box is kept when it
            overlaps a kept box by more than the threshold).
        against: compare with the "kept" boxes (right), or with "all" boxes visited
            before.
        sort: return the kept indices sorted.
        floor: None (right), or a score at or below which a box is never kept (nor
            suppresses): suppressed boxes marked by setting their score to 0 or -1,
            and the loop stopped at the first marked score.
    """
    overlaps = _iou_answer(boxes, boxes)
    scores = np.asarray(scores, np.float64)
    visit = {"score": np.argsort(-scores, kind="stable"), "index": np.arange(len(scores)),
             "reversed ties": np.argsort(scores, kind="stable")[::-1],
             "unstable": np.argsort(-scores)}[order]
    if floor is not None:
        visit = visit[scores[visit] > floor]
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
    return np.array(sorted(kept) if sort else kept, np.int64)


_NON_MAX_SUPPRESSION_MISTAKES = {
    "the test inverted: boxes that overlap a kept box by MORE than the threshold are "
    "the ones to drop": {"rule": "below"},
    "boxes visited in index order: visit them from the highest score down":
        {"order": "index"},
    "an IoU equal to the threshold suppresses (>=): only an IoU strictly greater than "
    "the threshold does, as in tf.image.non_max_suppression": {"rule": "at or above"},
    "equal scores visited from the higher index (argsort(scores)[::-1] reverses ties): "
    "the lower index goes first (np.argsort(-scores, kind='stable'))":
        {"order": "reversed ties"},
    "boxes compared with every box visited before, suppressed ones too: only the kept "
    "boxes suppress": {"against": "all"},
    "the kept indices sorted: return them in the order they were kept, highest score "
    "first": {"sort": True},
    "equal scores in the order of np.argsort(-scores) without kind='stable' (NumPy's "
    "default sort may swap equal values): the lower index goes first, "
    "np.argsort(-scores, kind='stable')": {"order": "unstable"},
    "boxes with a score of 0 or less never kept (suppressed boxes marked by setting their "
    "score to 0, and the loop run while the best score is > 0?): a score may be 0 or "
    "negative and still counts; mark suppressed boxes apart, in a list or a boolean mask":
        {"floor": 0.0},
    "boxes with a score of -1 or less never kept (suppressed boxes marked by setting "
    "their score to -1?): a score may be any number; mark suppressed boxes apart, in a "
    "list or a boolean mask": {"floor": -1.0},
}


def _clustered(seed, clusters, per_cluster, spread=0.08):
    """Boxes around a few centres (overlapping inside a cluster) and their scores."""
    rng = np.random.default_rng(seed)
    centres = np.repeat(rng.uniform(0.2, 0.8, size=(clusters, 2)), per_cluster, axis=0)
    centres = centres + rng.normal(0.0, spread, size=centres.shape)
    sizes = rng.uniform(0.15, 0.3, size=centres.shape)
    return _corners(centres, sizes), rng.uniform(0.05, 1.0, size=len(centres))


def _non_max_suppression_cases():
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
    signed = np.array([[0.0, 0.0, 1.0, 1.0], [2.05, 0.0, 3.05, 1.0],  # box 1: IoU 0.905
                       [2.0, 0.0, 3.0, 1.0], [0.0, 2.0, 1.0, 3.0],    # with box 2
                       [2.0, 2.0, 3.0, 3.0], [4.0, 4.0, 5.0, 5.0]])
    many_boxes, _ = _clustered(248, 6, 4)
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
        ("no boxes: an empty integer array", np.zeros((0, 4)), np.zeros(0), 0.5, 5),
        ("max_out 0: nothing kept", *_clustered(65, 2, 3), 0.5, 0),
        ("zero and negative scores count like any other", signed,
         np.array([0.0, -0.5, 0.3, -2.0, 0.0, -0.7]), 0.5, 6),
        ("24 boxes, 3 distinct scores: many ties, the lower index first, threshold 0.45",
         many_boxes, np.random.default_rng(1248).choice([0.3, 0.6, 0.9], size=24), 0.45, 24),
    ]


@exercise("04.2")
def non_max_suppression(ex):
    """Checks `non_max_suppression(boxes, scores, iou_threshold, max_out)`.

    Greedy NMS: boxes from the highest score down (equal scores: the lower index
    first), a box dropped when its IoU with a kept box is strictly greater than the
    threshold, at most max_out kept. The result, an integer NumPy array of indices
    in the order kept, is compared with `tf.image.non_max_suppression`. Cases: a
    hand-worked chain (only kept boxes suppress), clustered boxes at thresholds 0.5
    and 0.3, equal scores (12 boxes, and 24 boxes with 3 distinct scores, where
    NumPy's default unstable sort swaps some on any machine), max_out below the
    number kept, a single box, disjoint boxes, an IoU exactly at the threshold, no
    boxes at all, max_out 0, and zero and negative scores (kept like any other).
    """
    hint = ("visit the boxes from the highest score down (np.argsort(-scores, "
            "kind='stable') keeps equal scores in index order); keep a box unless its IoU "
            "with a box already kept is > iou_threshold; stop at max_out boxes.")

    def explain_empty(message):
        if "case 'no boxes" in message:
            return ("with no boxes (boxes of shape (0, 4)) nothing is kept: return an empty "
                    "integer array, np.array([], dtype=int), without indexing the first box.")
        return None

    for case, boxes, scores, threshold, max_out in _non_max_suppression_cases():
        out = ex.call_explained(case, explain_empty, boxes, scores, threshold, max_out)
        ex.require(case, not isinstance(out, np.ndarray) or out.ndim != 1 or
                   len(out) <= max_out,
                   f"your function returned {len(out) if isinstance(out, np.ndarray) else 0} "
                   f"indices, more than max_out = {max_out}.",
                   "test the count before keeping a box (while len(keep) < max_out): a loop "
                   "that appends, then stops at len(keep) == max_out keeps one box when "
                   "max_out is 0." if max_out == 0 else "stop once max_out boxes are kept.")
        ex.compare(case, out, _tf_nms(boxes, scores, threshold, max_out),
                   mistakes=mistakes_from(_non_max_suppression_answer,
                                          _NON_MAX_SUPPRESSION_MISTAKES, boxes, scores,
                                          threshold, max_out),
                   hint=hint,
                   shape_hint="return the indices of the kept boxes, one number per box, "
                              "not the boxes themselves.")
        _require_int_array(ex, case, out, "the index array",
                           "build it with np.array(kept, dtype=int): indices are integers.")


# ------------------------------------------------------------- make_anchors ---

def _make_anchors_answer(feature_size, scales, ratios, *, swap=False, root=True,
                         ratio_fastest=True, row_major=True, offset=0.5, centre_xy=True,
                         centre_format=False, d2l=False, clip=False):
    """Anchors (H * W * k, 4) written out with loops, in float64.

    Args:
        feature_size, scales, ratios: as for the exercise.
        swap: width and height swapped for a ratio (w = s / sqrt(r)).
        root: False uses r without its square root (w = s * r, h = s / r).
        ratio_fastest: False makes the scale change fastest within a cell.
        row_major: False visits the cells column by column.
        offset: where a cell's centre sits in it (0.5, right; 0.0 is its corner).
        centre_xy: False swaps the centre's x and y.
        centre_format: return (cx, cy, w, h) instead of corners.
        d2l: d2l's anchor set: each scale with the first ratio, then the first scale
            with the other ratios (n + m - 1 per cell).
        clip: the corners clipped to [0, 1].
    """
    height, width = feature_size
    if d2l:
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
    boxes = np.array(boxes, np.float64).reshape(-1, 4)
    return np.clip(boxes, 0.0, 1.0) if clip else boxes


_MAKE_ANCHORS_MISTAKES = {
    "width and height swapped for a ratio (w = s / sqrt(r)): r is width / height, so "
    "w = s * sqrt(r) and h = s / sqrt(r)": {"swap": True},
    "r used without its square root (w = s * r, h = s / r): then the area is not "
    "s**2; w = s * sqrt(r), h = s / sqrt(r)": {"root": False},
    "the scale changes fastest: for each cell, the order is scale, then ratio (the "
    "ratio fastest), as in `for s in scales: for r in ratios`": {"ratio_fastest": False},
    "cells in column-major order: row i first, then column j (row by row)":
        {"row_major": False},
    "cell centres at the cell's corner (j / W, i / H): the centre is at "
    "((j + 0.5) / W, (i + 0.5) / H)": {"offset": 0.0},
    "the centre's x and y swapped: cell (i, j) is at x = (j + 0.5) / W, "
    "y = (i + 0.5) / H": {"centre_xy": False},
    "centre format (cx, cy, w, h) returned: the anchors are corners (x1, y1, x2, y2)":
        {"centre_format": True},
    "d2l's anchor set (every scale with the first ratio, then the first scale with "
    "the other ratios, n + m - 1 per cell): here every scale x ratio pair is used":
        {"d2l": True},
    "the anchors clipped to [0, 1]: they are not clipped; an anchor near the edge may "
    "reach outside the image": {"clip": True},
}


def _make_anchors_cases():
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
    for case, size, scales, ratios, hand in _make_anchors_cases():
        out = ex.call(case, size, scales, ratios)
        expected = hand if hand is not None else _make_anchors_answer(size, scales, ratios)
        ex.compare(case, out, expected,
                   mistakes=mistakes_from(_make_anchors_answer, _MAKE_ANCHORS_MISTAKES, size,
                                          scales, ratios),
                   hint=hint,
                   shape_hint="one row of 4 corners per anchor: H * W cells times "
                              "len(scales) * len(ratios) pairs, shape (H * W * k, 4).")


# ------------------------------------------------------ encode_grid_targets ---

def _encode_grid_targets_answer(boxes, labels, grid, num_classes, *, cell_by="centre",
                                offsets="cell", swap=False, later_wins=True, clear=True,
                                size_in_cells=False, edge="floor"):
    """The targets (grid, grid, 5 + num_classes) of one image written out, in float32.

    Args:
        boxes, labels, grid, num_classes: as for the exercise.
        cell_by: "centre" (right); "corner", the cell of (x1, y1) with offsets from the
            centre; or "corner only", cell and offsets from (x1, y1).
        offsets: "cell" (right), or "image" for (cx, cy) themselves.
        swap: row and column swapped.
        later_wins: False keeps the first box in a taken cell.
        clear: False leaves the replaced box's class in the cell.
        size_in_cells: width and height times grid.
        edge: "floor" (right), or "ceil" for the cell ceil(c * grid) - 1.
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


_ENCODE_GRID_TARGETS_MISTAKES = {
    "the cell chosen by the box's corner (x1, y1): the box belongs to the cell that "
    "holds its centre ((x1 + x2) / 2, (y1 + y2) / 2)": {"cell_by": "corner"},
    "the cell and the offsets from the box's corner (x1, y1): use the box's centre "
    "((x1 + x2) / 2, (y1 + y2) / 2)": {"cell_by": "corner only"},
    "offsets relative to the image (cx, cy): they are relative to the cell, "
    "cx * grid - column and cy * grid - row": {"offsets": "image"},
    "row and column swapped: the row comes from cy, the column from cx, and the "
    "target is indexed [row, column]": {"swap": True},
    "width and height in cells (times grid): they are fractions of the image, "
    "x2 - x1 and y2 - y1": {"size_in_cells": True},
    "the earlier box kept when two centres share a cell: the later box replaces it":
        {"later_wins": False},
    "the earlier box's class left in the cell: a later box replaces the whole vector, "
    "its one-hot class included": {"clear": False},
    "a centre on a cell's edge put in the cell before it (ceil(c * grid) - 1): the "
    "cell is floor(c * grid)": {"edge": "ceil"},
}


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


def _encode_grid_targets_cases():
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
    for case, boxes, labels, grid, num_classes, hand in _encode_grid_targets_cases():
        out = ex.call_explained(case, _explain_encode_error, boxes, labels, grid, num_classes)
        expected = hand if hand is not None else \
            _encode_grid_targets_answer(boxes, labels, grid, num_classes)
        ex.compare(case, out, expected, rtol=1e-5, atol=1e-5,
                   mistakes=mistakes_from(_encode_grid_targets_answer,
                                          _ENCODE_GRID_TARGETS_MISTAKES, boxes, labels, grid,
                                          num_classes),
                   hint=hint,
                   shape_hint="the target is (grid, grid, 5 + num_classes): one vector per "
                              "cell, objectness, two offsets, width, height, then the "
                              "one-hot class.")
        ex.require(case, out.dtype == np.float32,
                   f"the values are right, but the dtype is {out.dtype}, expected float32.",
                   "start from np.zeros((grid, grid, 5 + num_classes), dtype=np.float32): "
                   "the detector trains in float32.")


# --------------------------------------------------- decode_grid_predictions ---

def _decode_grid_predictions_answer(predictions, threshold, *, score="product", strict=True,
                                    offsets="cell", swap=False, corners=True, row_major=True,
                                    clip=False, part=None):
    """Decoded (boxes, scores, labels) written out with loops, in float64 (labels int64).

    Args:
        predictions, threshold: as for the exercise.
        score: "product" (right: objectness times the largest class probability), or
            "objectness" alone.
        strict: False keeps a score equal to the threshold (>=).
        offsets: "cell" (right), or "image" for a centre at the offsets themselves.
        swap: row and column swapped.
        corners: False returns boxes as (cx, cy, w, h).
        row_major: False visits the cells column by column.
        clip: the corners clipped to [0, 1].
        part: "boxes", "scores" or "labels" to return that array alone (None: all three).
    """
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
    boxes = np.array(boxes, np.float64).reshape(-1, 4)
    decoded = {"boxes": np.clip(boxes, 0.0, 1.0) if clip else boxes,
               "scores": np.array(scores, np.float64), "labels": np.array(labels, np.int64)}
    return tuple(decoded.values()) if part is None else decoded[part]


_DECODE_GRID_PREDICTIONS_MISTAKES = {
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
    "the boxes clipped to [0, 1]: they are not clipped; a box near the edge may reach "
    "outside the image": {"clip": True},
}


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


def _decode_grid_predictions_cases():
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
    round_trip = _encode_grid_targets_answer(boxes, labels, 5, 3)
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
    for case, predictions, threshold, hand in _decode_grid_predictions_cases():
        out = ex.call(case, predictions, threshold)
        boxes, scores, labels = hand if hand is not None else \
            _decode_grid_predictions_answer(predictions, threshold)
        ex.require(case, isinstance(out, (tuple, list)) and len(out) == 3,
                   f"expected a tuple (boxes, scores, labels), received "
                   f"{type(out).__name__} {out!r:.80}.", "return boxes, scores, labels")
        for part, received, expected in zip(("boxes", "scores", "labels"), out,
                                            (boxes, scores, labels)):
            ex.compare(case, received, expected, rtol=1e-5, atol=1e-6,
                       mistakes=mistakes_from(_decode_grid_predictions_answer,
                                              _DECODE_GRID_PREDICTIONS_MISTAKES, predictions,
                                              threshold, part=part),
                       hint=hint, part=part,
                       shape_hint=f"{part}: one entry per kept cell (score > threshold); "
                                  f"boxes (k, 4), scores and labels (k,).")
        _require_int_array(ex, case, out[2], "labels",
                           "take the labels with np.argmax, which gives integers.")


# -------------------------------------------------------------- triplet_loss ---

def _triplet_loss_answer(anchor, positive, negative, margin, *, square=True, reduce=np.sum,
                         swap=False, margin_sign=1.0, hinge="rows", batch=np.mean):
    """The triplet loss, one number, in float64.

    Args:
        anchor, positive, negative, margin: as for the exercise.
        square: False uses Euclidean distances, not their squares.
        reduce: how a squared distance combines the embedding's dimensions (np.sum,
            right; np.mean averages them).
        swap: positive and negative swapped.
        margin_sign: 1.0 (right); 0.0 leaves the margin out; -1.0 subtracts it.
        hinge: "rows" (right: max(..., 0) for each row), "none", or "after mean"
            (max(..., 0) of the batch mean).
        batch: how the rows combine (np.mean, right; np.sum).
    """
    a, p, n = (np.asarray(x, np.float64) for x in (anchor, positive, negative))
    d_ap, d_an = reduce((a - p) ** 2, axis=-1), reduce((a - n) ** 2, axis=-1)
    if not square:
        d_ap, d_an = np.sqrt(d_ap), np.sqrt(d_an)
    if swap:
        d_ap, d_an = d_an, d_ap
    rows = d_ap - d_an + margin_sign * margin
    if hinge == "after mean":
        return float(max(batch(rows), 0.0))
    return float(batch(np.maximum(rows, 0.0) if hinge == "rows" else rows))


_TRIPLET_LOSS_MISTAKES = {
    "no margin: max(d(a, p) - d(a, n) + margin, 0)": {"margin_sign": 0.0},
    "no hinge (the mean of the raw differences): clip each row at 0 with "
    "max(..., 0) before the mean": {"hinge": "none"},
    "the hinge after the batch mean: take max(..., 0) for each row, then the mean":
        {"hinge": "after mean"},
    "distances not squared (Euclidean norms): FaceNet's loss uses squared distances, "
    "sum((a - p)**2)": {"square": False},
    "distances averaged over the embedding's dimensions: sum the squares over them":
        {"reduce": np.mean},
    "summed over the batch: the loss is the mean over the batch": {"batch": np.sum},
    "positive and negative swapped: d(a, p) - d(a, n) + margin": {"swap": True},
    "the margin subtracted: d(a, p) - d(a, n) + margin": {"margin_sign": -1.0},
}


def _triplet_gradients(anchor, positive, negative, margin):
    """d(loss)/d(anchor, positive, negative): rows past the margin give 0."""
    a, p, n = (np.asarray(x, np.float64) for x in (anchor, positive, negative))
    rows = np.sum((a - p) ** 2, axis=-1) - np.sum((a - n) ** 2, axis=-1) + margin
    active = (rows > 0)[:, None] * (2.0 / len(a))
    return [active * (n - p), active * (p - a), active * (a - n)]


def _triplets(seed, batch, dim, spread=1.0):
    rng = np.random.default_rng(seed)
    anchor = rng.normal(size=(batch, dim))
    return (anchor, anchor + rng.normal(0.0, 0.5, (batch, dim)),
            anchor + rng.normal(0.0, spread, (batch, dim)))


def _triplet_loss_cases():
    """(case, mode, anchor, positive, negative, margin or None for the default), the last
    case again on float32 tensors, eagerly and inside tf.function."""
    hand = (np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 2.0]]),
            np.array([[2.0, 0.0], [1.0, 1.5]]))  # rows: max(1 - 4 + 0.2, 0), 1 - 0.25 + 0.2
    far = _triplets(602, 3, 4, spread=0.1)
    return tensor_modes.with_tensor_modes([
        ("hand-worked: the hinge active for row 2 only, 0.95 / 2", "numpy", *hand, 0.2),
        ("margin 1.0, (6, 3) embeddings: the hinge active for some rows only", "numpy",
         *_triplets(601, 6, 3), 1.0),
        ("every row past the margin: the loss is 0", "numpy", far[0], far[0] + 0.01,
         far[0] + 3.0, 0.5),
        ("the default margin, 0.2", "numpy", *_triplets(603, 5, 4), None),
        ("(4, 16) embeddings, margin 0.5", "numpy", *_triplets(604, 4, 16), 0.5),
    ])


@exercise("04.6")
def triplet_loss(ex):
    """Checks `triplet_loss(anchor, positive, negative, margin=0.2)`.

    The batch mean of max(||a - p||**2 - ||a - n||**2 + margin, 0), one number (a
    NumPy or Python number, or a 0-d tensor). Cases: hand-worked (the hinge active
    for one row of two), margin 1.0 with the hinge active for some rows only, every
    row past the margin (0), the default margin, float64 (4, 16) embeddings, then
    float32 tensors, eagerly and inside tf.function; the gradients with respect to
    the three inputs (under tf.GradientTape) against their closed form. The tensor
    cases pass the margin by keyword (`margin=...`), as the notebook's training step
    does. The notebook traces the loss with a known batch (128 triplets per step),
    so the traced case keeps the batch size known: reading it statically is fine.
    """
    hint = ("per row: d_ap = sum((a - p)**2), d_an = sum((a - n)**2) over the embedding "
            "axis; max(d_ap - d_an + margin, 0); then the mean over the batch.")
    shape_hint = "return one number: the mean over the batch of the per-row losses."
    for case, mode, anchor, positive, negative, margin in _triplet_loss_cases():
        args, given = (anchor, positive, negative), {}
        if margin is not None and mode == "numpy":
            args += (margin,)
        elif margin is not None:  # by keyword, as the notebook's training step passes it
            given = {"margin": margin}
        out = tensor_modes.call(ex, case, mode, *args, **given)
        margin = 0.2 if margin is None else margin
        rtol, atol = tensor_modes.tolerances(np.float32 if mode != "numpy" else np.float64)
        ex.compare(case, tensor_modes.as_numpy(out),
                   _triplet_loss_answer(anchor, positive, negative, margin), kind="scalar",
                   rtol=rtol, atol=atol,
                   mistakes=mistakes_from(_triplet_loss_answer, _TRIPLET_LOSS_MISTAKES, anchor,
                                          positive, negative, margin),
                   hint=hint, shape_hint=shape_hint)
    anchor, positive, negative = _triplets(601, 6, 3)
    _compare_gradients(ex, "gradients under tf.GradientTape, margin 1.0, hinge active for "
                           "some rows", (anchor, positive, negative, 1.0), [0, 1, 2],
                       _triplet_gradients(anchor, positive, negative, 1.0),
                       "d/da = 2 (n - p) / B for each row with a positive hinge, 0 for the "
                       "others; use keras.ops.maximum for the hinge.")


# --------------------------------------------------------------- gram_matrix ---

def _gram_matrix_answer(features, *, normalise="positions", axes="channels", batch=True):
    """Gram matrices (batch, C, C) of features (batch, H, W, C), in float64.

    Args:
        features: as for the exercise.
        normalise: what the sums are divided by: "positions" (right: H * W), "all"
            (H * W * C) or "none".
        axes: "channels" (right); "positions" for F F^T, (batch, H * W, H * W); or
            "reshaped" for the features reshaped to (C, H * W) without moving the
            channel axis.
        batch: False sums the Gram matrices over the batch.
    """
    f = np.asarray(features, np.float64)
    b, h, w, c = f.shape
    flat = f.reshape(b, h * w, c)
    if axes == "positions":
        gram = np.einsum("bpc,bqc->bpq", flat, flat)
    elif axes == "reshaped":
        wrong = f.reshape(b, c, h * w)
        gram = np.einsum("bcp,bdp->bcd", wrong, wrong)
    else:
        gram = np.einsum("bpc,bpd->bcd", flat, flat)
    gram = gram / {"positions": h * w, "all": h * w * c, "none": 1}[normalise]
    return gram if batch else gram.sum(axis=0)


_GRAM_MATRIX_MISTAKES = {
    "not normalised: divide the sums by H * W, the number of positions":
        {"normalise": "none"},
    "divided by H * W * C: divide by H * W, the number of positions": {"normalise": "all"},
    "positions x positions (F F^T): the Gram matrix compares channels, "
    "sum over positions of F[..., c] * F[..., c'], shape (batch, C, C)":
        {"axes": "positions"},
    "the features reshaped to (C, H * W) without moving the channel axis first: "
    "reshape to (batch, H * W, C), then multiply the transpose by it": {"axes": "reshaped"},
    "summed over the batch: each example has its own Gram matrix, (batch, C, C)":
        {"batch": False},
}


def _gram_matrix_cases():
    """(case, mode, features, hand-worked Gram or None), the last case again on float32
    tensors, eagerly and inside tf.function."""
    hand = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])            # positions (1, 2) and (3, 4)
    pair = np.array([[[[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 0.0], [0.0, 2.0]]]])
    return tensor_modes.with_tensor_modes([
        ("hand-worked: (1, 1, 2, 2), 2 positions", "numpy", hand,
         np.array([[[5.0, 7.0], [7.0, 10.0]]])),
        ("hand-worked: a batch of two, each its own Gram", "numpy", pair,
         np.array([[[5.0, 7.0], [7.0, 10.0]], [[0.5, 0.0], [0.0, 2.0]]])),
        ("(2, 3, 4, 5) features", "numpy", random_values(700, (2, 3, 4, 5)), None),
        ("(1, 4, 4, 3) features", "numpy", random_values(701, (1, 4, 4, 3)), None),
    ])


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
    for case, mode, features, hand in _gram_matrix_cases():
        out = tensor_modes.call(ex, case, mode, features)
        expected = hand if hand is not None else _gram_matrix_answer(features)
        rtol, atol = tensor_modes.tolerances(np.float32 if mode != "numpy" else np.float64)
        ex.compare(case, tensor_modes.as_numpy(out), expected, kind="tensor", rtol=rtol, atol=atol,
                   mistakes=mistakes_from(_gram_matrix_answer, _GRAM_MATRIX_MISTAKES, features),
                   hint=hint,
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

def _content_cost_answer(a_c, a_g, *, scale="4HWC", batch=np.mean):
    """The content cost, one number, in float64.

    Args:
        a_c, a_g: as for the exercise.
        scale: what each example's sum is divided by: "4HWC" (right), "HWC" or "1".
        batch: how the examples combine (np.mean, right; np.sum).
    """
    a_c, a_g = np.asarray(a_c, np.float64), np.asarray(a_g, np.float64)
    b, h, w, c = a_c.shape
    per_example = np.sum((a_c - a_g) ** 2, axis=(1, 2, 3))
    return float(batch(per_example) / {"4HWC": 4 * h * w * c, "HWC": h * w * c, "1": 1}[scale])


_CONTENT_COST_MISTAKES = {
    "not normalised: divide each example's sum by 4 * H * W * C": {"scale": "1"},
    "the 4 missing (e.g. the mean of the squares): the cost is sum / (4 * H * W * C)":
        {"scale": "HWC"},
    "summed over the batch: the cost is the mean over the batch": {"batch": np.sum},
    "summed over the batch and not normalised: batch mean of sum / (4 * H * W * C)":
        {"scale": "1", "batch": np.sum},
}


def _content_cost_cases():
    """(case, mode, a_c, a_g, hand-worked cost or None), the last case again on float32
    tensors, eagerly and inside tf.function."""
    same = random_values(801, (1, 2, 3, 4))
    return tensor_modes.with_tensor_modes([
        ("hand-worked: (1, 1, 2, 1), 5 / 8", "numpy", np.array([[[[1.0], [2.0]]]]),
         np.array([[[[0.0], [4.0]]]]), 0.625),
        ("hand-worked: a batch of two, (0.25 + 0.5) / 2", "numpy",
         np.array([[[[1.0, 1.0]]], [[[2.0, 0.0]]]]), np.zeros((2, 1, 1, 2)), 0.375),
        ("equal activations: the cost is 0", "numpy", same, same.copy(), 0.0),
        ("(2, 3, 4, 5) activations", "numpy", random_values(800, (2, 3, 4, 5)),
         random_values(802, (2, 3, 4, 5)), None),
    ])


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
    for case, mode, a_c, a_g, hand in _content_cost_cases():
        out = tensor_modes.call(ex, case, mode, a_c, a_g)
        rtol, atol = tensor_modes.tolerances(np.float32 if mode != "numpy" else np.float64)
        expected = hand if hand is not None else _content_cost_answer(a_c, a_g)
        ex.compare(case, tensor_modes.as_numpy(out), expected, kind="scalar", rtol=rtol,
                   atol=atol,
                   mistakes=mistakes_from(_content_cost_answer, _CONTENT_COST_MISTAKES, a_c, a_g),
                   hint=hint, shape_hint="return one number, the mean over the batch.")
    a_c, a_g = random_values(803, (2, 2, 3, 4)), random_values(804, (2, 2, 3, 4))
    _compare_gradients(ex, "the gradient with respect to a_g under tf.GradientTape",
                       (a_c, a_g), [1], [(a_g - a_c) / (2 * 2 * 3 * 4 * 2)],
                       "write the cost with keras.ops (ops.sum, ops.square, ops.mean).")


# ---------------------------------------------------------------- style_cost ---

def _style_cost_answer(grams_s, grams_g, weights, *, scale="4C2", batch=np.mean,
                       weighted=True, combine="sum"):
    """The style cost, one number, in float64.

    Args:
        grams_s, grams_g, weights: as for the exercise.
        scale: what a layer's batch mean is divided by: "4C2" (right: 4 * C_l**2),
            "4C", "4" or "1".
        batch: how the examples combine (np.mean, right; np.sum).
        weighted: False leaves the weights out.
        combine: how the layers' costs combine: "sum" (right), "mean", or "last"
            (the last layer's alone).
    """
    costs = []
    for gs, gg in zip(grams_s, grams_g):
        gs, gg = np.asarray(gs, np.float64), np.asarray(gg, np.float64)
        c = gs.shape[-1]
        per_example = np.sum((gs - gg) ** 2, axis=(1, 2))
        costs.append(batch(per_example) /
                     {"4C2": 4 * c ** 2, "4C": 4 * c, "4": 4, "1": 1}[scale])
    terms = [w * cost for w, cost in zip(weights, costs)] if weighted else costs
    return float({"sum": sum, "mean": np.mean, "last": lambda t: t[-1]}[combine](terms))


_STYLE_COST_MISTAKES = {
    "the weights ignored: the cost is sum over layers of weights[l] times the layer's "
    "cost": {"weighted": False},
    "without 1 / (4 C**2): each layer's cost is its batch mean of sum((G_s - G_g)**2) "
    "divided by 4 * C_l**2": {"scale": "1"},
    "divided by 4 * C instead of 4 * C**2": {"scale": "4C"},
    "divided by 4 only: each layer's cost is divided by 4 * C_l**2": {"scale": "4"},
    "summed over the batch: each layer's cost is the mean over the batch": {"batch": np.sum},
    "the weighted costs averaged over the layers: add them up": {"combine": "mean"},
    "only the last layer counted (the total overwritten in the loop): add each "
    "layer's weighted cost to the total": {"combine": "last"},
}


def _grams(seed, batch, channels):
    """Random symmetric 'Gram matrices' (batch, C, C) of random features."""
    features = random_values(seed, (batch, 6, channels))
    return np.einsum("bpc,bpd->bcd", features, features) / 6


def _three_layers():
    """(grams_s, grams_g): three layers of 2, 3 and 4 channels, a batch of two."""
    return ([_grams(900 + c, 2, c) for c in (2, 3, 4)],
            [_grams(910 + c, 2, c) for c in (2, 3, 4)])


def _style_cost_cases():
    """(case, mode, grams_s, grams_g, weights, hand-worked cost or None), the last case
    again on float32 tensors, eagerly and inside tf.function."""
    eye, other = np.array([[[1.0, 0.0], [0.0, 1.0]]]), np.array([[[0.0, 0.0], [0.0, 3.0]]])
    three = _three_layers()
    return tensor_modes.with_tensor_modes([
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
    for case, mode, grams_s, grams_g, weights, hand in _style_cost_cases():
        out = tensor_modes.call(ex, case, mode, grams_s, grams_g, weights)
        expected = hand if hand is not None else _style_cost_answer(grams_s, grams_g, weights)
        rtol, atol = tensor_modes.tolerances(np.float32 if mode != "numpy" else np.float64)
        ex.compare(case, tensor_modes.as_numpy(out), expected, kind="scalar", rtol=rtol, atol=atol,
                   mistakes=mistakes_from(_style_cost_answer, _STYLE_COST_MISTAKES, grams_s,
                                          grams_g, weights),
                   hint=hint,
                   shape_hint="return one number: a weighted sum over the layers of each "
                              "layer's batch mean.")
    three, weights = _three_layers(), [0.5, 0.3, 0.2]
    expected = [w * (gg - gs) / (2 * gs.shape[-1] ** 2 * len(gs))
                for w, gs, gg in zip(weights, *three)]
    _compare_gradients(ex, "the gradients with respect to grams_g under tf.GradientTape",
                       (*three, weights), [1], expected,
                       "write the cost with keras.ops (ops.sum, ops.square, ops.mean) and "
                       "add the layers' weighted costs.")


# ------------------------------------------------------------------ roi_pool ---

def _tf_roi_pool(features, boxes, output_size):
    """RoI pooling from TensorFlow: `tf.image.crop_and_resize` then `tf.nn.max_pool2d`.

    Each box (x1, y1, x2, y2) is reordered to crop_and_resize's (y1, x1, y2, x2), sampled
    on a (2 oh, 2 ow) grid, and every 2 x 2 block of samples max-pooled. Float64 of
    TensorFlow's float32 result, (K, oh, ow, C).
    """
    tf = import_tensorflow()
    oh, ow = output_size
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)[:, [1, 0, 3, 2]]
    crops = tf.image.crop_and_resize(np.asarray(features, np.float32)[None], boxes,
                                     np.zeros(len(boxes), np.int32), (2 * oh, 2 * ow))
    return np.asarray(tf.nn.max_pool2d(crops, 2, 2, "VALID"), np.float64)


def _roi_pool_positions(start, end, count, size, *, scale, end_included):
    """`count` sample positions along one axis of a map of `size` pixels, in pixel units."""
    if end_included:
        steps = np.linspace(start, end, count) if count > 1 else np.array([(start + end) / 2])
    else:
        steps = start + np.arange(count) * (end - start) / count
    return steps * {"size - 1": size - 1, "size": size, "pixels": 1}[scale]


def _bilinear(features, ys, xs):
    """features (H, W, C) sampled at every (y, x) of ys x xs (pixel units, clamped to
    the map): (len(ys), len(xs), C)."""
    h, w, _ = features.shape
    ys, xs = np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)
    top, left = np.floor(ys).astype(int), np.floor(xs).astype(int)
    bottom, right = np.minimum(top + 1, h - 1), np.minimum(left + 1, w - 1)
    dy, dx = (ys - top)[:, None, None], (xs - left)[None, :, None]
    rows = [features[r][:, left] * (1 - dx[0]) + features[r][:, right] * dx[0]
            for r in (top, bottom)]
    return rows[0] * (1 - dy) + rows[1] * dy


def _roi_pool_answer(features, boxes, output_size, *, order="xy", scale="size - 1",
                     end_included=True, samples=2, pool=np.max, bins="rows",
                     transposed=False, channels="last"):
    """RoI pooling written out in NumPy float64 (bilinear samples, then a max per bin).

    Args:
        features, boxes, output_size: as for the exercise.
        order: "xy" (right: boxes are (x1, y1, x2, y2)), or "yx" to read them as
            (y1, x1, y2, x2), as crop_and_resize does.
        scale: what a coordinate u is multiplied by: "size - 1" (right), "size", or
            "pixels" (1: the box read in pixels, or normalised twice).
        end_included: False spaces the samples by (x2 - x1) / n, leaving x2 out.
        samples: samples per bin and axis (2, right; 1 crops to (oh, ow) without pooling).
        pool: how a bin's samples combine (np.max, right; np.mean).
        bins: "rows" (right: bin (i, j) holds samples 2i..2i+1 and 2j..2j+1), or
            "blocks" for the crop reshaped to (oh, ow, 2, 2, C).
        transposed: the output (ow, oh) instead of (oh, ow).
        channels: "last" (right), or "reshaped" for the map reshaped to (C, H, W) and
            transposed back.
    """
    f = np.asarray(features, np.float64)
    h, w, c = f.shape
    if channels == "reshaped":
        f = f.reshape(c, h, w).transpose(1, 2, 0)
    oh, ow = output_size[::-1] if transposed else output_size
    pooled = []
    for box in np.asarray(boxes, np.float64).reshape(-1, 4):
        x1, y1, x2, y2 = box if order == "xy" else box[[1, 0, 3, 2]]
        ys = _roi_pool_positions(y1, y2, oh * samples, h, scale=scale,
                                 end_included=end_included)
        xs = _roi_pool_positions(x1, x2, ow * samples, w, scale=scale,
                                 end_included=end_included)
        crop = _bilinear(f, ys, xs)                                 # (oh * s, ow * s, C)
        if bins == "rows":
            pooled.append(pool(crop.reshape(oh, samples, ow, samples, c), axis=(1, 3)))
        else:
            pooled.append(pool(crop.reshape(oh, ow, samples, samples, c), axis=(2, 3)))
    return np.stack(pooled) if pooled else np.zeros((0, oh, ow, c))


_ROI_POOL_MISTAKES = {
    "x and y swapped: the boxes are (x1, y1, x2, y2), and tf.image.crop_and_resize reads "
    "(y1, x1, y2, x2): reorder the columns with boxes[:, [1, 0, 3, 2]]": {"order": "yx"},
    "average pooling: each bin is the MAX of its 2 x 2 samples": {"pool": np.mean},
    "one sample per bin (a crop of (oh, ow) without pooling): crop to (2 * oh, 2 * ow), "
    "then take the max of each 2 x 2 block": {"samples": 1},
    "the box read in pixels (or normalised twice): the coordinates are fractions, and "
    "u is the position u * (H - 1) down (u * (W - 1) across) the map": {"scale": "pixels"},
    "positions u * H (u * W): with crop_and_resize's convention 0 is the centre of the "
    "first pixel and 1 the centre of the last, u * (H - 1)": {"scale": "size"},
    "the box's end left out (samples spaced by (x2 - x1) / n): the first sample is at x1 "
    "and the last exactly at x2, spaced by (x2 - x1) / (n - 1)": {"end_included": False},
    "the bins taken from a reshape to (K, oh, ow, 2, 2, C): bin (i, j) holds the samples "
    "of rows 2i and 2i + 1 and columns 2j and 2j + 1 (reshape to (K, oh, 2, ow, 2, C), "
    "or tf.nn.max_pool2d with a 2 x 2 window and stride 2)": {"bins": "blocks"},
    "the output transposed, (K, ow, oh, C): output_size is (oh, ow), rows first":
        {"transposed": True},
    "channels mixed: the map reshaped to (C, H, W) instead of transposed; the channels "
    "are the last axis, each pooled on its own": {"channels": "reshaped"},
}


def _roi_pool_cases():
    """(case, features, boxes, output_size, hand-worked result or None)."""
    peak = np.array([[0, 1, 2], [3, 8, 5], [6, 7, 4]], np.float32)[..., None]   # (3, 3, 1)
    rng = np.random.default_rng(1000)
    map_6x8 = rng.normal(size=(6, 8, 2)).astype(np.float32)
    map_10x12 = rng.normal(size=(10, 12, 3)).astype(np.float32)
    map_9x9 = rng.normal(size=(9, 9, 2)).astype(np.float32)
    map_7x9 = rng.normal(size=(7, 9, 1)).astype(np.float32)
    ys, xs = np.meshgrid(np.arange(7.0), np.arange(11.0), indexing="ij")
    channels = np.stack([xs, 10 * ys, rng.normal(size=(7, 11)), -xs * ys],
                        axis=-1).astype(np.float32)                # (7, 11, 4): each its own
    return [
        ("hand-worked: a 3 x 3 map with a peak in the middle, one box (0.25, 0.5, 0.75, "
         "0.75), output (1, 1)", peak, np.array([[0.25, 0.5, 0.75, 0.75]], np.float32), (1, 1),
         np.array([[[[6.5]]]])),  # x = 0.5, 1.5 and y = 1, 1.5: 5.5, 6.5, 6.0, 6.0; max 6.5
        ("one box, a 6 x 8 map with 2 channels, output (2, 2)", map_6x8,
         np.array([[0.1, 0.2, 0.7, 0.9]], np.float32), (2, 2), None),
        ("three boxes of different sizes and aspect ratios (wide, tall, large), output (3, 3)",
         map_10x12, np.array([[0.05, 0.3, 0.95, 0.55], [0.6, 0.05, 0.8, 0.9],
                              [0.2, 0.1, 0.85, 0.8]], np.float32), (3, 3), None),
        ("boxes touching the border (coordinates 0 and 1), output (2, 2)", map_9x9,
         np.array([[0.0, 0.0, 0.375, 0.5], [0.625, 0.5, 1.0, 1.0], [0.0, 0.25, 1.0, 1.0]],
                  np.float32), (2, 2), None),
        ("a box smaller than the output (about 2 x 2 pixels pooled to 4 x 4: upsampling)",
         map_7x9, np.array([[0.3, 0.4, 0.55, 0.75]], np.float32), (4, 4), None),
        ("output_size not square, (2, 3), two boxes", map_10x12,
         np.array([[0.1, 0.15, 0.6, 0.5], [0.35, 0.4, 0.9, 0.95]], np.float32), (2, 3), None),
        ("4 channels that differ (x, 10 y, noise, -x y), output (3, 2)", channels,
         np.array([[0.2, 0.1, 0.7, 0.6], [0.05, 0.45, 0.5, 0.95]], np.float32), (3, 2), None),
    ]


def _explain_roi_pool_error(message):
    if "out of bounds" in message or "IndexError" in message:
        return ("a sample exactly on the last row or column (a box touching the border) has "
                "no row or column after it: use min(top + 1, H - 1) and min(left + 1, W - 1) "
                "for the second pair of cells.")
    return None


@exercise("04.10")
def roi_pool(ex):
    """Checks `roi_pool(features, boxes, output_size)` against `tf.image.crop_and_resize`.

    Each box (x1, y1, x2, y2), coordinates as fractions with 0 and 1 at the centres of
    the first and last pixels, is sampled bilinearly on an evenly spaced
    (2 oh) x (2 ow) grid from corner to corner, and each bin is the max of its 2 x 2
    samples: the oracle is crop_and_resize (columns reordered to (y1, x1, y2, x2),
    crop (2 oh, 2 ow)) followed by a 2 x 2 max pooling with stride 2. The result, a
    NumPy array or a tensor of any float dtype, is (K, oh, ow, C). Cases: a hand-worked
    ramp, one box, three boxes of different sizes and shapes, boxes on the border, a
    box smaller than the output, a non-square output, four channels that differ.
    """
    hint = ("sample each box on a (2 oh) x (2 ow) grid from (x1, y1) to (x2, y2) inclusive, "
            "position u * (H - 1) down and u * (W - 1) across, with bilinear interpolation "
            "(tf.image.crop_and_resize with boxes[:, [1, 0, 3, 2]] and crop_size "
            "(2 * oh, 2 * ow) does exactly that), then the max of each 2 x 2 block.")
    for case, features, boxes, output_size, hand in _roi_pool_cases():
        out = ex.call_explained(case, _explain_roi_pool_error, features, boxes, output_size)
        expected = hand if hand is not None else _tf_roi_pool(features, boxes, output_size)
        ex.compare(case, tensor_modes.as_numpy(out), expected, kind="tensor", rtol=1e-4,
                   atol=1e-5,
                   mistakes=mistakes_from(_roi_pool_answer, _ROI_POOL_MISTAKES, features,
                                          boxes, output_size),
                   hint=hint,
                   shape_hint="one (oh, ow) grid of C channels per box: shape "
                              "(K, oh, ow, C), with output_size = (oh, ow).")
