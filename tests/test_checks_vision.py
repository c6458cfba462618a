"""Mutation tests of helpers.checks.vision (notebook 04): the tests of every exercise
(tests/mutants.py) on the references and wrong versions below, then other correct
answers that must pass, the oracles against independent derivations, the cases'
own promises (IoUs away from the threshold, hinges active for some rows only) and
messages read in full.
"""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.checks import vision as check
from helpers.checks.core import CheckError

from mutants import CheckTests

ops = keras.ops


# ------------------------------------------------------------ references ---
# The notebook's solutions (/tmp/nb04 solution cells), with keyword-only switches
# whose defaults give the solution and whose other values give a known wrong version.

def iou(boxes_a, boxes_b, *, clamp="sides", centres=False, guard=True, transpose=False,
        plus=0.0, union_twice=False, over_a=False):
    a = np.asarray(boxes_a, dtype=np.float64)[:, None, :]  # (N, 1, 4)
    b = np.asarray(boxes_b, dtype=np.float64)[None, :, :]  # (1, M, 4)
    if centres:
        a = np.concatenate([a[..., :2] - a[..., 2:] / 2, a[..., :2] + a[..., 2:] / 2], -1)
        b = np.concatenate([b[..., :2] - b[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2], -1)
    width = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + plus
    height = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + plus
    if clamp == "sides":
        width, height = np.maximum(width, 0.0), np.maximum(height, 0.0)
    intersection = width * height if clamp != "area" else np.maximum(width * height, 0.0)
    area_a = (a[..., 2] - a[..., 0] + plus) * (a[..., 3] - a[..., 1] + plus)
    area_b = (b[..., 2] - b[..., 0] + plus) * (b[..., 3] - b[..., 1] + plus)
    union = area_a + area_b - (0.0 if union_twice else intersection)
    if over_a:
        union = area_a + 0.0 * area_b
    if guard:
        result = np.divide(intersection, union, out=np.zeros_like(intersection),
                           where=union > 0)
    else:
        with np.errstate(all="ignore"):
            result = intersection / union
    return result.T if transpose else result


def non_max_suppression(boxes, scores, iou_threshold, max_out, *, rule=np.less_equal,
                        order=None, limit=True, dtype=np.int64, suppressed_too=False):
    order = np.argsort(-np.asarray(scores), kind="stable") if order is None else order(scores)
    keep, visited = [], []
    for i in order:
        if len(keep) == max_out and limit:
            break
        earlier = visited if suppressed_too else keep
        if not earlier or rule(iou(boxes[[i]], boxes[earlier]).max(), iou_threshold):
            keep.append(i)
        visited.append(i)
    return np.array(keep, dtype=dtype)


def make_anchors(feature_size, scales, ratios, *, swap=False, root=np.sqrt, offset=0.5,
                 scale_fastest=False, xy=True, corners=True, d2l=False):
    height, width = feature_size
    pairs = [(s, r) for r in ratios for s in scales] if scale_fastest else \
        [(s, r) for s in scales for r in ratios]
    if d2l:  # each scale with the first ratio, then the first scale with the other ratios
        pairs = [(s, ratios[0]) for s in scales] + [(scales[0], r) for r in ratios[1:]]
    sizes = np.array([(s * root(r), s / root(r)) for s, r in pairs])
    if swap:
        sizes = sizes[:, ::-1]
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    centres = np.stack([(cols + offset) / width, (rows + offset) / height], axis=-1)
    if not xy:
        centres = np.stack([(rows + offset) / height, (cols + offset) / width], axis=-1)
    centres = centres.reshape(-1, 1, 2)                   # (H * W, 1, 2), row by row
    half = sizes[None, :, :] / 2                          # (1, k, 2)
    boxes = np.concatenate([centres - half, centres + half], axis=-1).reshape(-1, 4)
    return boxes if corners else np.concatenate(
        [(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], axis=1)


def encode_grid_targets(boxes, labels, grid, num_classes, *, by="centre", offsets="cell",
                        swap=False, clamp=True, replace=True, dtype=np.float32,
                        index=np.floor, size=1):
    target = np.zeros((grid, grid, 5 + num_classes), dtype=dtype)
    for (x1, y1, x2, y2), label in zip(boxes, labels):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        px, py = (cx, cy) if by == "centre" else (x1, y1)
        col, row = int(index(px * grid)), int(index(py * grid))
        if clamp:
            col, row = min(col, grid - 1), min(row, grid - 1)
        if by == "corner only":  # the offsets from the corner too
            cx, cy = x1, y1
        cell = np.zeros(5 + num_classes, dtype=np.float32)
        ox, oy = (cx * grid - col, cy * grid - row) if offsets == "cell" else (cx, cy)
        cell[:5] = [1.0, ox, oy, (x2 - x1) * size, (y2 - y1) * size]
        cell[5 + label] = 1.0
        if swap:
            row, col = col, row
        if replace:
            target[row, col] = cell  # the whole vector: a later box replaces an earlier one
        else:  # the numbers and the new class written, the old class left
            target[row, col, :5] = cell[:5]
            target[row, col, 5 + label] = 1.0
    return target


def decode_grid_predictions(predictions, threshold, *, objectness_only=False, keep=np.greater,
                            offsets="cell", corners=True, label_dtype=None, by_column=False):
    predictions = np.asarray(predictions, dtype=np.float64)
    grid = predictions.shape[0]
    rows, cols = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    class_probs = predictions[..., 5:]
    scores = predictions[..., 0] * (1.0 if objectness_only else class_probs.max(axis=-1))
    labels = class_probs.argmax(axis=-1)
    if offsets == "cell":
        cx, cy = (cols + predictions[..., 1]) / grid, (rows + predictions[..., 2]) / grid
    elif offsets == "swapped":
        cx, cy = (rows + predictions[..., 1]) / grid, (cols + predictions[..., 2]) / grid
    else:
        cx, cy = predictions[..., 1], predictions[..., 2]
    w, h = predictions[..., 3], predictions[..., 4]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] if corners else
                     [cx, cy, w, h], axis=-1)
    mask = keep(scores, threshold)  # a boolean mask picks cells in row-major order
    if by_column:
        boxes, scores, labels, mask = (np.swapaxes(x, 0, 1) for x in (boxes, scores, labels, mask))
    labels = labels[mask] if label_dtype is None else labels[mask].astype(label_dtype)
    return boxes[mask], scores[mask], labels


def triplet_loss(anchor, positive, negative, margin=0.2, *, squared=True, hinge=True,
                 batch=ops.mean, reduce=ops.sum):
    positive_distance = reduce(ops.square(anchor - positive), axis=-1)
    negative_distance = reduce(ops.square(anchor - negative), axis=-1)
    if not squared:
        positive_distance, negative_distance = ops.sqrt(positive_distance), \
            ops.sqrt(negative_distance)
    rows = positive_distance - negative_distance + margin
    return batch(ops.maximum(rows, 0.0) if hinge else rows)


def gram_matrix(features, *, spec="bhwc,bhwd->bcd", divide=True):
    height, width = features.shape[1], features.shape[2]
    gram = ops.einsum(spec, features, features)
    return gram / (height * width) if divide else gram


def content_cost(a_c, a_g, *, scale=4, batch=ops.mean):
    height, width, channels = a_c.shape[1], a_c.shape[2], a_c.shape[3]
    per_example = ops.sum(ops.square(a_c - a_g), axis=(1, 2, 3))
    return batch(per_example) / (scale * height * width * channels)


def style_cost(grams_s, grams_g, weights, *, weighted=True, four=4, power=2, batch=ops.mean):
    total = 0.0
    for gram_s, gram_g, weight in zip(grams_s, grams_g, weights):
        channels = gram_s.shape[-1]
        per_example = ops.sum(ops.square(gram_s - gram_g), axis=(1, 2))
        total = total + (weight if weighted else 1.0) * batch(per_example) / (
            four * channels ** power)
    return total


def roi_pool(features, boxes, output_size, *, columns=(1, 0, 3, 2), samples=2, pool="max",
             bins=(2, 4), transpose=False):
    oh, ow = output_size[::-1] if transpose else output_size
    boxes = np.asarray(boxes, dtype=np.float32)
    crops = tf.image.crop_and_resize(np.asarray(features, dtype=np.float32)[None],
                                     boxes[:, list(columns)], np.zeros(len(boxes), np.int32),
                                     (samples * oh, samples * ow))  # (K, s oh, s ow, C)
    if samples == 1:
        return crops.numpy()
    if pool == "max" and bins == (2, 4):
        return tf.nn.max_pool2d(crops, 2, 2, "VALID").numpy()
    k, c = crops.shape[0], crops.shape[-1]
    shape = (k, oh, 2, ow, 2, c) if bins == (2, 4) else (k, oh, ow, 2, 2, c)
    axes = (2, 4) if bins == (2, 4) else (3, 4)
    return (ops.max if pool == "max" else ops.mean)(ops.reshape(crops, shape), axis=axes)


REFERENCES = {
    "iou": iou,
    "non_max_suppression": non_max_suppression,
    "make_anchors": make_anchors,
    "encode_grid_targets": encode_grid_targets,
    "decode_grid_predictions": decode_grid_predictions,
    "triplet_loss": triplet_loss,
    "gram_matrix": gram_matrix,
    "content_cost": content_cost,
    "style_cost": style_cost,
    "roi_pool": roi_pool,
}


# ---------------------------------------------------------------- mutants ---

def _numpy_triplet(anchor, positive, negative, margin=0.2):
    d = np.sum((anchor - positive) ** 2, -1) - np.sum((anchor - negative) ** 2, -1)
    return np.mean(np.maximum(d + margin, 0.0))


def _numpy_gram(features):
    features = np.asarray(features)
    b, h, w, c = features.shape
    flat = features.reshape(b, h * w, c)
    return np.einsum("bpc,bpd->bcd", flat, flat) / (h * w)


def _reshaped_gram(features):
    b, h, w, c = features.shape
    wrong = ops.reshape(features, (b, c, h * w))
    return ops.matmul(wrong, ops.transpose(wrong, (0, 2, 1))) / (h * w)


def _last_layer_style(grams_s, grams_g, weights):
    for gram_s, gram_g, weight in zip(grams_s, grams_g, weights):
        total = weight * ops.mean(ops.sum(ops.square(gram_s - gram_g), axis=(1, 2))) / (
            4 * gram_s.shape[-1] ** 2)
    return total


def _nms_marking_scores(mark):
    """NMS that marks kept and suppressed boxes by setting their score to `mark`, and runs
    while the best score is above it: boxes scored `mark` or less are never kept."""
    def nms(boxes, scores, iou_threshold, max_out):
        scores = np.array(scores, dtype=np.float64)  # a copy
        keep = []
        while len(keep) < max_out and scores.size and scores.max() > mark:
            i = int(np.argmax(scores))  # the first of equal scores
            keep.append(i)
            scores[iou(boxes[[i]], boxes)[0] > iou_threshold] = mark
            scores[i] = mark
        return np.array(keep, dtype=np.int64)

    return nms


def _nms_first_box_first(boxes, scores, iou_threshold, max_out):
    order = np.argsort(-scores, kind="stable")
    keep = [order[0]]  # IndexError when there are no boxes
    for i in order[1:]:
        if len(keep) < max_out and iou(boxes[[i]], boxes[keep]).max() <= iou_threshold:
            keep.append(i)
    return np.array(keep[:max_out], dtype=np.int64)


def _nms_limit_after_append(boxes, scores, iou_threshold, max_out):
    keep = []
    for i in np.argsort(-scores, kind="stable"):
        if not keep or iou(boxes[[i]], boxes[keep]).max() <= iou_threshold:
            keep.append(i)
            if len(keep) == max_out:  # tested after keeping: max_out 0 keeps one box
                break
    return np.array(keep, dtype=np.int64)


def _decode_lists_to_array(predictions, threshold):
    boxes, scores, labels = _decode_with_loops(predictions, threshold)
    return np.array(boxes.tolist()), scores, labels  # np.array([]) has shape (0,)


def _stop_gradient(fn):
    @functools.wraps(fn)  # the reference's argument names, for the message
    def stopped(*args, **kwargs):
        return ops.stop_gradient(fn(*args, **kwargs))

    return stopped


def _roi_pool_with_loops(features, boxes, output_size, *, scale=-1, end=True, clamp=True):
    """RoI pooling with NumPy loops: bilinear samples from corner to corner (`end`: x2
    included), at u * (size + scale) pixels, clamped to the map (`clamp`: the next row
    and column too); the max of each bin."""
    features = np.asarray(features, dtype=np.float64)
    h, w, c = features.shape
    oh, ow = output_size
    out = np.zeros((len(boxes), oh, ow, c))
    for k, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, dtype=np.float64)):
        ys = np.linspace(y1, y2, 2 * oh, endpoint=end) * (h + scale)
        xs = np.linspace(x1, x2, 2 * ow, endpoint=end) * (w + scale)
        for i in range(oh):
            for j in range(ow):
                best = np.full(c, -np.inf)
                for y in np.clip(ys[2 * i:2 * i + 2], 0, h - 1):
                    for x in np.clip(xs[2 * j:2 * j + 2], 0, w - 1):
                        top, left = int(y), int(x)
                        bottom, right = top + 1, left + 1
                        if clamp:
                            bottom, right = min(bottom, h - 1), min(right, w - 1)
                        dy, dx = y - top, x - left
                        upper = (1 - dx) * features[top, left] + dx * features[top, right]
                        lower = (1 - dx) * features[bottom, left] + dx * features[bottom, right]
                        best = np.maximum(best, (1 - dy) * upper + dy * lower)
                out[k, i, j] = best
    return out


def _roi_pool_channels_first(features, boxes, output_size):
    """The map read as (C, H, W) by a reshape, and moved back with a transpose."""
    h, w, c = features.shape
    return roi_pool(np.reshape(features, (c, h, w)).transpose(1, 2, 0), boxes, output_size)


def _roi_pool_twice_normalised(features, boxes, output_size):
    h, w, _ = features.shape
    return roi_pool(features, boxes / np.array([w - 1, h - 1, w - 1, h - 1], np.float32),
                    output_size)


MUTANTS = [
    # iou
    ("iou", lambda a, b: iou(a, b, clamp=None), "not clamped at 0"),
    ("iou", lambda a, b: iou(a, b, clamp=None, guard=False), "not clamped at 0"),
    ("iou", lambda a, b: iou(a, b, centres=True), r"read as centres and sizes \(cx, cy, w, h\)"),
    ("iou", lambda a, b: iou(a, b, guard=False),
     r"(?s)case 'degenerate boxes.*0 / 0 = NaN .*degenerate boxes"),
    ("iou", lambda a, b: iou(a, b, transpose=True), "the table transposed"),
    ("iou", lambda a, b: iou(a, b, clamp="area"),
     "the overlap's area clamped at 0 instead of its width and height"),
    ("iou", lambda a, b: iou(a, b, union_twice=True), "the union counts the overlap twice"),
    ("iou", lambda a, b: iou(a, b, plus=1.0), r"\+1 added to widths and heights"),
    ("iou", lambda a, b: iou(a, b, over_a=True), "divided by the area of the box from boxes_a"),
    ("iou", lambda a, b: iou(a, b).astype(np.float32).tolist(), "expected a NumPy array"),
    ("iou", lambda a, b: (iou(a, b) > 0.5).astype(np.int64),
     "expected floating-point values"),
    # non_max_suppression
    ("non_max_suppression", lambda *a: non_max_suppression(*a, rule=np.greater),
     "the test inverted: boxes that overlap a kept box by MORE"),
    ("non_max_suppression",
     lambda *a: non_max_suppression(*a, order=lambda s: np.arange(len(s))),
     "boxes visited in index order"),
    ("non_max_suppression", lambda *a: non_max_suppression(*a, rule=np.less),
     r"case 'an IoU of exactly 0.5.*\(>=\)"),
    ("non_max_suppression",
     lambda *a: non_max_suppression(*a, order=lambda s: np.argsort(s, kind="stable")[::-1]),
     r"case 'equal scores.*the lower index goes first"),
    ("non_max_suppression", lambda *a: non_max_suppression(*a, suppressed_too=True),
     r"case 'hand-worked chain.*compared with every box visited before"),
    ("non_max_suppression", lambda *a: np.sort(non_max_suppression(*a)),
     "the kept indices sorted"),
    ("non_max_suppression", lambda *a: non_max_suppression(*a, limit=False),
     r"more than max_out = 2"),
    ("non_max_suppression", lambda *a: non_max_suppression(*a, dtype=np.float64),
     "the index array has dtype float64, expected an integer dtype"),
    ("non_max_suppression", lambda b, *a: b[non_max_suppression(b, *a)],
     "not the boxes themselves"),
    ("non_max_suppression", lambda *a: non_max_suppression(*a, order=lambda s: np.argsort(-s)),
     r"np.argsort\(-scores\) without kind='stable'"),
    ("non_max_suppression", _nms_marking_scores(0.0),
     r"case 'zero and negative scores.*a score of 0 or less never kept"),
    ("non_max_suppression", _nms_marking_scores(-1.0),
     r"case 'zero and negative scores.*a score of -1 or less never kept"),
    ("non_max_suppression", lambda *a: non_max_suppression(*a, order=lambda s: [
        i for i in np.argsort(-s, kind="stable") if s[i] > 0]),
     r"case 'zero and negative scores.*a score of 0 or less never kept"),
    ("non_max_suppression", _nms_first_box_first,
     r"(?s)case 'no boxes.*IndexError.*return an empty integer array"),
    ("non_max_suppression", lambda *a: np.array(non_max_suppression(*a).tolist()),
     r"case 'no boxes.*the index array has dtype float64"),
    ("non_max_suppression", _nms_limit_after_append,
     r"(?s)case 'max_out 0.*more than max_out = 0.*test the count before keeping"),
    # make_anchors
    ("make_anchors", lambda *a: make_anchors(*a, swap=True), r"w = s / sqrt\(r\)"),
    ("make_anchors", lambda *a: make_anchors(*a, root=lambda r: r),
     "r used without its square root"),
    ("make_anchors", lambda *a: make_anchors(*a, offset=0.0), "at the cell's corner"),
    ("make_anchors", lambda *a: make_anchors(*a, scale_fastest=True), "the scale changes fastest"),
    ("make_anchors", lambda *a: make_anchors(*a, xy=False), "the centre's x and y swapped"),
    ("make_anchors", lambda *a: make_anchors(*a, corners=False),
     r"centre format \(cx, cy, w, h\) returned"),
    ("make_anchors", lambda *a: make_anchors(*a, d2l=True), "d2l's anchor set"),
    ("make_anchors", lambda size, s, r: make_anchors(size, s, r).reshape(
        size[0], size[1], -1, 4).transpose(1, 0, 2, 3).reshape(-1, 4),
     "cells in column-major order"),
    ("make_anchors", lambda size, s, r: make_anchors(size, s[:1], r) if len(r) > 1 else
     make_anchors(size, s, r), r"(?s)case '1 x 1 map, scales 0.2 and 0.4.*(d2l|H \* W cells)"),
    ("make_anchors", lambda *a: np.clip(make_anchors(*a), 0.0, 1.0),
     r"the anchors clipped to \[0, 1\]"),
    # encode_grid_targets
    ("encode_grid_targets", lambda *a: encode_grid_targets(*a, by="corner"),
     r"the cell chosen by the box's corner"),
    ("encode_grid_targets", lambda *a: encode_grid_targets(*a, by="corner only"),
     r"the cell and the offsets from the box's corner"),
    ("encode_grid_targets", lambda *a: encode_grid_targets(*a, size=a[2]),
     "width and height in cells"),
    ("encode_grid_targets", lambda *a: encode_grid_targets(*a, index=lambda v: np.ceil(v) - 1),
     r"case 'a centre on a cell's edge.*\(ceil\(c \* grid\) - 1\)"),
    ("encode_grid_targets", lambda *a: encode_grid_targets(*a, offsets="image"),
     "offsets relative to the image"),
    ("encode_grid_targets", lambda *a: encode_grid_targets(*a, swap=True),
     "row and column swapped"),
    ("encode_grid_targets", lambda *a: encode_grid_targets(*a, clamp=False),
     r"(?s)case 'centres at exactly 1.0.*IndexError.*min\(floor\(c \* grid\), grid - 1\)"),
    ("encode_grid_targets", lambda *a: encode_grid_targets(*a, replace=False),
     r"case 'two centres in one cell.*(earlier box's class left|earlier box kept)"),
    ("encode_grid_targets", lambda b, l, *a: encode_grid_targets(b[::-1], l[::-1], *a),
     "the earlier box kept when two centres share a cell"),
    ("encode_grid_targets", lambda *a: encode_grid_targets(*a, dtype=np.float64),
     "the dtype is float64, expected float32"),
    # decode_grid_predictions
    ("decode_grid_predictions", lambda *a: decode_grid_predictions(*a, objectness_only=True),
     "the score is the objectness alone"),
    ("decode_grid_predictions", lambda *a: decode_grid_predictions(*a, keep=np.greater_equal),
     r"a score equal to the threshold kept \(>=\)"),
    ("decode_grid_predictions", lambda *a: decode_grid_predictions(*a, offsets="image"),
     "relative to the image"),
    ("decode_grid_predictions", lambda *a: decode_grid_predictions(*a, offsets="swapped"),
     "row and column swapped"),
    ("decode_grid_predictions", lambda *a: decode_grid_predictions(*a, corners=False),
     r"centre format \(cx, cy, w, h\) returned"),
    ("decode_grid_predictions", lambda *a: decode_grid_predictions(*a, by_column=True),
     "cells in column-major order"),
    ("decode_grid_predictions", lambda *a: decode_grid_predictions(*a, label_dtype=np.float64),
     "labels has dtype float64, expected an integer dtype"),
    ("decode_grid_predictions", lambda *a: decode_grid_predictions(*a)[:2],
     r"expected a tuple \(boxes, scores, labels\)"),
    ("decode_grid_predictions", lambda *a: (np.clip(decode_grid_predictions(*a)[0], 0.0, 1.0),
                                            *decode_grid_predictions(*a)[1:]),
     r"the boxes clipped to \[0, 1\]"),
    ("decode_grid_predictions", _decode_lists_to_array,
     r"(?s)case 'nothing above the threshold.*boxes: wrong shape.*\(0, 4\)"),
    # triplet_loss
    ("triplet_loss", lambda a, p, n, margin=0.2: triplet_loss(a, p, n, 0.0), "no margin"),
    ("triplet_loss", lambda *a: triplet_loss(*a, hinge=False), "no hinge"),
    ("triplet_loss", lambda *a: triplet_loss(*a, squared=False), "distances not squared"),
    ("triplet_loss", lambda *a: ops.maximum(triplet_loss(*a, hinge=False), 0.0),
     "the hinge after the batch mean"),
    ("triplet_loss", lambda *a: triplet_loss(*a, reduce=ops.mean),
     "distances averaged over the embedding's dimensions"),
    ("triplet_loss", lambda a, p, n, margin=0.2: triplet_loss(a, p, n, -margin),
     "the margin subtracted"),
    ("triplet_loss", lambda *a: triplet_loss(*a, batch=ops.sum), "summed over the batch"),
    ("triplet_loss", lambda a, p, n, margin=0.2: triplet_loss(a, n, p, margin),
     "positive and negative swapped"),
    ("triplet_loss", lambda a, p, n, margin=0.5: triplet_loss(a, p, n, margin),
     r"case 'the default margin, 0.2'.*values differ"),
    ("triplet_loss", lambda anchor, positive, negative, alpha=0.2: triplet_loss(
        anchor, positive, negative, alpha),
     r"case 'float32 tensors.*unexpected keyword argument 'margin'"),
    ("triplet_loss", _numpy_triplet,
     r"(?s)case 'float32 tensors inside tf.function.*Use keras.ops"),
    ("triplet_loss", _stop_gradient(triplet_loss), "no gradient flows from your result back "
                                                   "to `anchor`"),
    # gram_matrix
    ("gram_matrix", lambda f: gram_matrix(f, divide=False), "not normalised"),
    ("gram_matrix", lambda f: gram_matrix(f, spec="bhwc,bhwd->cd"), "summed over the batch"),
    ("gram_matrix", lambda f: ops.einsum("bpc,bqc->bpq", *(ops.reshape(
        f, (f.shape[0], -1, f.shape[3])),) * 2) / (f.shape[1] * f.shape[2]),
     r"positions x positions"),
    ("gram_matrix", _reshaped_gram, "without moving the channel axis first"),
    ("gram_matrix", lambda f: gram_matrix(f) / f.shape[3], r"divided by H \* W \* C"),
    ("gram_matrix", _numpy_gram, "symbolic tf.Tensor"),
    ("gram_matrix", _stop_gradient(gram_matrix), "no gradient flows"),
    # content_cost
    ("content_cost", lambda a, g: content_cost(a, g, scale=1), "the 4 missing"),
    ("content_cost", lambda a, g: content_cost(a, g, batch=ops.sum), "summed over the batch"),
    ("content_cost", lambda a, g: ops.mean(ops.sum(ops.square(a - g), axis=(1, 2, 3))),
     "not normalised"),
    ("content_cost", lambda a, g: ops.sum(ops.square(a - g)),
     "summed over the batch and not normalised"),
    ("content_cost", lambda a, g: ops.mean(ops.abs(a - g)) / 4, r"case 'hand-worked.*values "
                                                               r"differ"),
    ("content_cost", lambda a, g: np.mean(np.sum((np.asarray(a) - np.asarray(g)) ** 2,
                                                 axis=(1, 2, 3))) / (4 * np.prod(a.shape[1:])),
     r"(?s)case 'float32 tensors inside tf.function.*Use keras.ops"),
    ("content_cost", _stop_gradient(content_cost), "no gradient flows from your result back "
                                                   "to `a_g`"),
    # style_cost
    ("style_cost", lambda *a: style_cost(*a, weighted=False), "the weights ignored"),
    ("style_cost", lambda *a: style_cost(*a, four=1, power=0), r"without 1 / \(4 C\*\*2\)"),
    ("style_cost", lambda *a: style_cost(*a, power=0), "divided by 4 only"),
    ("style_cost", lambda *a: style_cost(*a, power=1), r"divided by 4 \* C instead"),
    ("style_cost", lambda *a: style_cost(*a, batch=ops.sum), "summed over the batch"),
    ("style_cost", _last_layer_style, "only the last layer counted"),
    ("style_cost", lambda s, g, w: style_cost(s, g, w) / len(w),
     "the weighted costs averaged over the layers"),
    ("style_cost", lambda s, g, w: sum(wl * np.mean(np.sum((np.asarray(a) - np.asarray(b)) ** 2,
                                                          axis=(1, 2))) / (4 * a.shape[-1] ** 2)
                                       for a, b, wl in zip(s, g, w)),
     r"(?s)case 'float32 tensors inside tf.function.*Use keras.ops"),
    ("style_cost", _stop_gradient(style_cost), r"no gradient flows .* `grams_g\[0\]`"),
    # roi_pool
    ("roi_pool", lambda *a: roi_pool(*a, columns=(0, 1, 2, 3)),
     r"case 'hand-worked.*x and y swapped"),
    ("roi_pool", lambda *a: roi_pool(*a, pool="mean"), r"case 'hand-worked.*average pooling"),
    ("roi_pool", lambda *a: roi_pool(*a, samples=1), r"case 'hand-worked.*one sample per bin"),
    ("roi_pool", _roi_pool_twice_normalised,
     r"case 'hand-worked.*read in pixels \(or normalised twice\)"),
    ("roi_pool", lambda *a: _roi_pool_with_loops(*a, scale=0),
     r"case 'hand-worked.*positions u \* H"),
    ("roi_pool", lambda *a: _roi_pool_with_loops(*a, end=False),
     r"case 'hand-worked.*the box's end left out"),
    ("roi_pool", lambda *a: roi_pool(*a, bins=(3, 4)),
     r"case 'one box, a 6 x 8 map.*the bins taken from a reshape"),
    ("roi_pool", lambda *a: _roi_pool_with_loops(*a, clamp=False),
     r"(?s)case 'boxes touching the border.*IndexError.*min\(top \+ 1, H - 1\)"),
    ("roi_pool", lambda *a: roi_pool(*a, transpose=True),
     r"(?s)case 'output_size not square.*the output transposed, \(K, ow, oh, C\)"),
    ("roi_pool", _roi_pool_channels_first,
     r"(?s)case 'one box, a 6 x 8 map with 2 channels.*channels mixed"),
    ("roi_pool", lambda *a: roi_pool(*a)[..., :1],
     r"(?s)case 'one box, a 6 x 8 map.*wrong shape.*\(K, oh, ow, C\)"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("iou", lambda a, b: iou(a, b, clamp=None),
     "04.1 iou, case 'hand-worked: overlapping, touching",
     ["common mistake: the overlap's width and height not clamped at 0", "expected:",
      "received:"]),
    ("roi_pool", lambda *a: roi_pool(*a, columns=(0, 1, 2, 3)),
     "04.10 roi_pool, case 'hand-worked: a 3 x 3 map with a peak in the middle",
     ["common mistake: x and y swapped", "boxes[:, [1, 0, 3, 2]]", "expected: [6.5]",
      "received: [7.5]"]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


# ------------------------------------------------------- other right answers ---

def _iou_with_loops(boxes_a, boxes_b):
    out = np.zeros((len(boxes_a), len(boxes_b)))
    for i, (ax1, ay1, ax2, ay2) in enumerate(boxes_a):
        for j, (bx1, by1, bx2, by2) in enumerate(boxes_b):
            overlap = max(0.0, min(ax2, bx2) - max(ax1, bx1)) * \
                max(0.0, min(ay2, by2) - max(ay1, by1))
            union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - overlap
            out[i, j] = overlap / union if union > 0 else 0.0
    return out


def _tf_nms_answer(boxes, scores, iou_threshold, max_out):
    return tf.image.non_max_suppression(boxes.astype(np.float32), scores.astype(np.float32),
                                        max_out, iou_threshold).numpy()


def _nms_pruning(boxes, scores, iou_threshold, max_out):
    """The classic pruning loop, with Python's stable sort (reverse keeps ties in order)."""
    order = np.array(sorted(range(len(scores)), key=lambda i: scores[i], reverse=True),
                     dtype=int)
    keep = []
    while order.size and len(keep) < max_out:
        i, rest = order[0], order[1:]
        keep.append(i)
        order = rest[iou(boxes[[i]], boxes[rest])[0] <= iou_threshold]
    return np.array(keep, dtype=int)


def _nms_suppressed_mask(boxes, scores, iou_threshold, max_out):
    """A boolean mask of suppressed boxes and the whole IoU table up front."""
    overlaps = iou(boxes, boxes)
    suppressed = np.zeros(len(scores), dtype=bool)
    keep = []
    for i in np.argsort(-scores, kind="stable"):
        if suppressed[i] or len(keep) >= max_out:
            continue
        keep.append(i)
        suppressed |= overlaps[i] > iou_threshold
    return np.asarray(keep, dtype=np.int32).reshape(-1)


def _anchors_with_loops(feature_size, scales, ratios):
    height, width = feature_size
    boxes = []
    for i in range(height):
        for j in range(width):
            for s in scales:
                for r in ratios:
                    w, h = s * r ** 0.5, s / r ** 0.5
                    cx, cy = (j + 0.5) / width, (i + 0.5) / height
                    boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return np.array(boxes)


def _decode_with_loops(predictions, threshold):
    grid = predictions.shape[0]
    boxes, scores, labels = [], [], []
    for row in range(grid):
        for col in range(grid):
            cell = predictions[row, col]
            score = cell[0] * cell[5:].max()
            if score > threshold:
                cx, cy = (col + cell[1]) / grid, (row + cell[2]) / grid
                boxes.append([cx - cell[3] / 2, cy - cell[4] / 2, cx + cell[3] / 2,
                              cy + cell[4] / 2])
                scores.append(score)
                labels.append(int(cell[5:].argmax()))
    return np.reshape(boxes, (-1, 4)), np.array(scores), np.array(labels, dtype=int)


def test_other_correct_answers_pass(capsys):
    check.iou(_iou_with_loops)
    check.iou(lambda a, b: check._keras_iou(a, b))  # float64 from Keras's float32 table
    check.non_max_suppression(_tf_nms_answer)
    check.non_max_suppression(_nms_pruning)
    check.non_max_suppression(_nms_suppressed_mask)
    check.make_anchors(_anchors_with_loops)
    check.encode_grid_targets(lambda *a: check._encode_grid_targets_answer(*a))
    check.decode_grid_predictions(_decode_with_loops)
    check.triplet_loss(lambda a, p, n, margin=0.2: ops.mean(ops.relu(
        ops.sum((a - p) ** 2, axis=1) - ops.sum((a - n) ** 2, axis=1) + margin)))
    # the batch size read statically: the notebook traces the loss with 128 triplets
    check.triplet_loss(lambda anchor, positive, negative, margin=0.2: ops.sum(ops.relu(
        ops.sum((anchor - positive) ** 2, axis=-1) - ops.sum((anchor - negative) ** 2, axis=-1)
        + margin)) / anchor.shape[0])
    check.gram_matrix(lambda f: ops.matmul(ops.transpose(ops.reshape(
        f, (f.shape[0], -1, f.shape[3])), (0, 2, 1)), ops.reshape(
        f, (f.shape[0], -1, f.shape[3]))) / (f.shape[1] * f.shape[2]))
    check.content_cost(lambda a, g: ops.sum(ops.square(a - g)) / (
        4 * a.shape[1] * a.shape[2] * a.shape[3] * a.shape[0]))
    check.style_cost(lambda s, g, w: sum(
        wl * ops.mean(ops.sum((gs - gg) ** 2, axis=(1, 2))) / (4 * gs.shape[-1] ** 2)
        for gs, gg, wl in zip(s, g, w)))
    check.roi_pool(_roi_pool_with_loops)
    check.roi_pool(lambda f, b, size: check._roi_pool_answer(f, b, size).astype(np.float32))
    assert capsys.readouterr().out.count("passed") == 15


# ------------------------------------------------------------------ oracles ---

def test_the_hand_worked_ious_are_keras_s():
    for case, a, b, hand in check._iou_cases():
        if hand is not None:
            assert np.allclose(check._keras_iou(a, b), hand, atol=1e-6), case
        assert np.allclose(check._iou_answer(a, b), check._keras_iou(a, b), atol=1e-6), case


def test_the_nms_written_out_is_tensorflow_s_and_ious_stay_off_the_threshold():
    for case, boxes, scores, threshold, max_out in check._non_max_suppression_cases():
        kept = check._non_max_suppression_answer(boxes, scores, threshold, max_out)
        assert np.array_equal(kept, check._tf_nms(boxes, scores, threshold, max_out)), case
        overlaps = check._iou_answer(boxes, boxes)[np.triu_indices(len(boxes), 1)]
        if not overlaps.size:  # a single box
            continue
        gap = np.abs(overlaps - threshold)
        if "exactly" in case:
            assert np.isclose(gap.min(), 0.0), case
        else:
            assert gap.min() > 0.02, (case, gap.min())


def test_every_nms_case_tells_its_mistakes_apart_from_the_answer():
    """Each named NMS mistake differs from the answer in at least one case."""
    names = set()
    for case, boxes, scores, threshold, max_out in check._non_max_suppression_cases():
        right = check._tf_nms(boxes, scores, threshold, max_out)
        for name, switches in check._NON_MAX_SUPPRESSION_MISTAKES.items():
            wrong = check._non_max_suppression_answer(boxes, scores, threshold, max_out,
                                                      **switches)
            if wrong.shape != right.shape or not np.array_equal(wrong, right):
                names.add(name)
    assert names == set(check._NON_MAX_SUPPRESSION_MISTAKES), names


def test_the_equal_scores_case_has_ties_that_matter():
    case, boxes, scores, threshold, max_out = check._non_max_suppression_cases()[3]
    assert "equal scores" in case and np.sum(scores == 0.8) >= 4
    reversed_ties = check._non_max_suppression_answer(boxes, scores, threshold, max_out,
                                                      order="reversed ties")
    assert not np.array_equal(reversed_ties, check._tf_nms(boxes, scores, threshold, max_out))


def test_the_many_ties_case_sorts_apart_from_numpy_s_default_sort():
    """NumPy's default argsort swaps equal scores on this case whatever its SIMD sort
    (measured with NPY_DISABLE_CPU_FEATURES unset, "X86_V4" and "X86_V4 X86_V3")."""
    case, boxes, scores, threshold, max_out = check._non_max_suppression_cases()[11]
    assert "many ties" in case and len(np.unique(scores)) == 3
    unstable = check._non_max_suppression_answer(boxes, scores, threshold, max_out,
                                                 order="unstable")
    assert not np.array_equal(unstable, check._tf_nms(boxes, scores, threshold, max_out))


def test_the_edge_cases_hold_what_their_names_say():
    cases = {case: rest for case, *rest in check._non_max_suppression_cases()}
    boxes, scores, _, max_out = cases["no boxes: an empty integer array"]
    assert boxes.shape == (0, 4) and scores.shape == (0,) and max_out > 0
    boxes, scores, _, max_out = cases["max_out 0: nothing kept"]
    assert len(boxes) > 0 and max_out == 0
    boxes, scores, threshold, max_out = cases["zero and negative scores count like any other"]
    kept = check._tf_nms(boxes, scores, threshold, max_out)
    assert np.sum(scores == 0) == 2 and np.sum(scores < -1) == 1
    assert len(kept) == len(boxes) - 1  # one box suppressed, every other one kept
    assert np.sum(np.isin(np.flatnonzero(scores <= 0), kept)) == np.sum(scores <= 0) - 1


def test_the_anchor_loops_agree_with_the_hand_worked_anchors():
    for case, size, scales, ratios, hand in check._make_anchors_cases():
        if hand is not None:
            assert np.allclose(check._make_anchors_answer(size, scales, ratios), hand), case


def test_anchors_keep_the_area_and_the_ratio():
    boxes = check._make_anchors_answer((2, 3), [0.3, 0.6], [0.5, 1.0, 2.0]).reshape(6, 6, 4)
    w, h = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    assert np.allclose(w * h, np.repeat([0.09, 0.36], 3)[None, :])
    assert np.allclose(w / h, np.tile([0.5, 1.0, 2.0], 2)[None, :])


def test_random_box_centres_keep_off_the_cell_edges():
    for case, boxes, labels, grid, _, hand in check._encode_grid_targets_cases():
        if hand is None:
            centres = (boxes[:, :2] + boxes[:, 2:]) / 2 * grid
            assert np.min(np.abs(centres - np.round(centres))) > 0.01, case
            assert boxes.min() >= 0 and boxes.max() <= 1, case


def test_the_grid_oracles_agree_with_the_hand_worked_cells():
    for case, boxes, labels, grid, classes, hand in check._encode_grid_targets_cases():
        if hand is not None:
            target = check._encode_grid_targets_answer(boxes, labels, grid, classes)
            assert np.allclose(target, hand), case
    for case, predictions, threshold, hand in check._decode_grid_predictions_cases():
        if hand is not None:
            decoded = check._decode_grid_predictions_answer(predictions, threshold)
            for got, want in zip(decoded, hand):
                assert got.shape == want.shape and np.allclose(got, want), case


def test_random_grid_scores_keep_off_the_threshold():
    for case, predictions, threshold, hand in check._decode_grid_predictions_cases():
        if hand is None:
            scores = predictions[..., 0] * predictions[..., 5:].max(axis=-1)
            assert np.min(np.abs(scores - threshold)) >= 0.03, case
            assert 2 <= np.sum(scores > threshold) < scores.size - 2, case


def test_the_triplet_cases_have_hinges_active_for_some_rows_only():
    for seed, batch, dim, margin in ((601, 6, 3, 1.0), (603, 5, 4, 0.2)):
        a, p, n = check._triplets(seed, batch, dim)
        rows = np.sum((a - p) ** 2, axis=-1) - np.sum((a - n) ** 2, axis=-1) + margin
        assert 0 < np.sum(rows > 0) < batch, (seed, rows)
        assert np.min(np.abs(rows)) > 1e-3


def test_the_closed_form_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    a, p, n = check._triplets(601, 6, 3)
    grads = check._triplet_gradients(a, p, n, 1.0)
    step = 1e-6
    for index, x in enumerate((a, p, n)):
        i, j = rng.integers(0, 6), rng.integers(0, 3)
        moved = [y.copy() for y in (a, p, n)]
        moved[index][i, j] += step
        numeric = (check._triplet_loss_answer(*moved, 1.0) -
                   check._triplet_loss_answer(a, p, n, 1.0)) / step
        assert np.isclose(numeric, grads[index][i, j], atol=1e-4)


def test_the_gram_and_costs_match_loops():
    features = check.random_values(5, (2, 2, 3, 4))
    loops = np.zeros((2, 4, 4))
    for b in range(2):
        for h in range(2):
            for w in range(3):
                loops[b] += np.outer(features[b, h, w], features[b, h, w])
    assert np.allclose(check._gram_matrix_answer(features), loops / 6)
    a_c, a_g = features, features[::-1]
    assert np.isclose(check._content_cost_answer(a_c, a_g),
                      np.sum((a_c - a_g) ** 2) / (2 * 4 * 2 * 3 * 4))


def test_the_roi_pool_oracles_agree():
    """crop_and_resize and max pooling (the oracle), the switch oracle and the loops give one
    answer on every case, the hand-worked one included: no sample falls off the map."""
    for case, features, boxes, size, hand in check._roi_pool_cases():
        expected = check._tf_roi_pool(features, boxes, size)
        assert np.allclose(check._roi_pool_answer(features, boxes, size), expected,
                           atol=1e-5), case
        assert np.allclose(_roi_pool_with_loops(features, boxes, size), expected,
                           atol=1e-5), case
        if hand is not None:
            assert np.allclose(expected, hand), case


def test_every_roi_pool_mistake_shows_in_some_case():
    """Each named mistake differs from the answer in at least one case, and the border
    case has coordinates 0 and 1."""
    names = set()
    for case, features, boxes, size, _ in check._roi_pool_cases():
        right = check._roi_pool_answer(features, boxes, size)
        for name, switches in check._ROI_POOL_MISTAKES.items():
            wrong = check._roi_pool_answer(features, boxes, size, **switches)
            if wrong.shape != right.shape or not np.allclose(wrong, right, atol=1e-4):
                names.add(name)
    assert names == set(check._ROI_POOL_MISTAKES), set(check._ROI_POOL_MISTAKES) - names
    border = {case: boxes for case, _, boxes, *_ in check._roi_pool_cases()}[
        "boxes touching the border (coordinates 0 and 1), output (2, 2)"]
    assert border.min() == 0.0 and border.max() == 1.0


# ---------------------------------------------------------- messages in full ---


def test_numpy_on_tensors_is_reported_in_graph_mode():
    def numpy_inside(a, p, n, margin=0.2):
        return _numpy_triplet(np.asarray(a), np.asarray(p), np.asarray(n), margin)

    with pytest.raises(CheckError, match=r"(?s)graph mode.*keras.ops"):
        check.triplet_loss(numpy_inside)
