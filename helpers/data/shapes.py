"""Images of circles, squares and triangles with their boxes (notebook 04's data).

A seeded generator, nothing stored: `make_shapes` draws coloured shapes that never
overlap on a noisy background and returns their tight boxes and classes. `helpers.data`
exports it.
"""

import functools

import numpy as np

from helpers.data.arguments import require_int


#: The classes of `make_shapes`, in label order (0-2).
SHAPE_CLASSES = ("circle", "square", "triangle")

#: `make_shapes` tries this many spots for one object, and starts an image's objects
#: afresh this many times, before it gives up.
_SHAPE_ATTEMPTS = 100


def make_shapes(n, seed=0, image_size=64, max_objects=3, min_size=12, max_size=28):
    """Makes `n` images of coloured shapes with their boxes and classes.

    Each image holds 1 to `max_objects` objects (the number drawn uniformly),
    each a filled circle, an axis-aligned square or an upright triangle (apex at
    the top), with the class drawn uniformly from `SHAPE_CLASSES`. An object
    fills a square of side `size` pixels (drawn uniformly from `min_size` to
    `max_size`): the circle touches its four sides, the triangle's base is its
    bottom row and its apex the middle of its top row. The background has one
    dark colour per image, each object one bright colour (unrelated to its
    class), and the whole image a little Gaussian noise (standard deviation
    0.03, then clipped to [0, 1]).

    No two objects overlap: their boxes keep at least one pixel of background
    between them. So the centres of two objects are at least `min_size` pixels
    apart along x or along y, and with `min_size` at least the size of a
    grid cell (`image_size / grid`) no two centres share a cell of that grid.

    Image `i` depends only on `seed` and `i`, so `make_shapes(100, seed)`
    starts with the 10 images of `make_shapes(10, seed)`; other seeds give
    other images.

    Args:
        n: how many images, an int >= 0.
        seed: the seed of the random generator, an int >= 0.
        image_size: the height and width of an image in pixels, an int >= 8.
        max_objects: the most objects in one image, an int >= 1.
        min_size: the smallest object side in pixels, an int >= 4.
        max_size: the largest object side in pixels, an int from `min_size` to
            `image_size`.

    Returns:
        `(images, boxes, labels)`: `images` a float32 array of shape
        `(n, image_size, image_size, 3)` with values in [0, 1]; `boxes` a list
        of `n` float32 arrays of shape `(k, 4)`, one row `(x1, y1, x2, y2)` per
        object: the corners of the smallest box that holds its pixels, divided
        by `image_size` (so in [0, 1]; pixel column `c` spans `c / image_size`
        to `(c + 1) / image_size`); `labels` a list of `n` int64 arrays of
        shape `(k,)` with values 0-2 (indices into `SHAPE_CLASSES`). `k`, from
        1 to `max_objects`, differs between images.

    Raises:
        ValueError: an argument is not an int in its range, `min_size` is
            larger than `max_size`, or `max_objects` objects of `min_size`
            cannot fit side by side in an image.

    Example:

    >>> images, boxes, labels = make_shapes(100, seed=0)
    >>> images.shape, images.dtype, boxes[0].dtype, labels[0].dtype
    ((100, 64, 64, 3), dtype('float32'), dtype('float32'), dtype('int64'))
    >>> [SHAPE_CLASSES[label] for label in labels[0]]
    ['square', 'triangle', 'square']
    >>> boxes[0][0] * 64  # pixel columns 21-42 and rows 11-32
    array([21., 11., 43., 33.], dtype=float32)
    """
    require_int("n", n, 0)
    require_int("seed", seed, 0)
    require_int("image_size", image_size, 8)
    require_int("max_objects", max_objects, 1)
    require_int("min_size", min_size, 4)
    require_int("max_size", max_size, 4)
    if min_size > max_size:
        raise ValueError(f"min_size ({min_size}) must be <= max_size ({max_size}): swap them "
                         "or change one.")
    if max_size > image_size:
        raise ValueError(f"max_size ({max_size}) must be <= image_size ({image_size}): an "
                         "object must fit in the image.")
    per_side = (image_size + 1) // (min_size + 1)  # squares of min_size, 1 pixel apart
    if per_side * per_side < max_objects:
        raise ValueError(
            f"max_objects={max_objects} objects of at least min_size={min_size} pixels cannot "
            f"fit without overlapping in a {image_size}x{image_size} image (at most "
            f"{per_side * per_side}): lower max_objects or min_size, or raise image_size.")
    images = np.empty((n, image_size, image_size, 3), dtype=np.float32)
    boxes, labels = [], []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        images[i], corners, classes = _draw_shapes(rng, image_size, max_objects, min_size,
                                                   max_size)
        boxes.append(np.asarray(corners, dtype=np.float32).reshape(-1, 4) / image_size)
        labels.append(np.asarray(classes, dtype=np.int64))
    return images, boxes, labels


def _draw_shapes(rng, image_size, max_objects, min_size, max_size):
    """One image of `make_shapes`: `(image, pixel corners, classes)`."""
    count = int(rng.integers(1, max_objects + 1))
    corners = _place_squares(rng, count, image_size, min_size, max_size)
    classes = rng.integers(len(SHAPE_CLASSES), size=count)
    image = np.empty((image_size, image_size, 3), dtype=np.float32)
    image[:] = rng.uniform(0.0, 0.3, size=3)
    for (x1, y1, x2, y2), label in zip(corners, classes):
        colour = rng.uniform(0.4, 1.0, size=3)
        colour[rng.integers(3)] = 1.0  # at least one channel far above the background's
        image[y1:y2, x1:x2][_shape_mask(int(label), x2 - x1)] = colour
    image += rng.normal(0.0, 0.03, size=image.shape).astype(np.float32)
    return np.clip(image, 0.0, 1.0), corners, classes


def _place_squares(rng, count, image_size, min_size, max_size):
    """`count` squares as pixel corners `(x1, y1, x2, y2)`, 1 pixel or more apart."""
    for _ in range(_SHAPE_ATTEMPTS):
        placed = []
        while len(placed) < count:
            square = _free_square(rng, placed, image_size, min_size, max_size)
            if square is None:
                break
            placed.append(square)
        if len(placed) == count:
            return placed
    raise ValueError(
        f"make_shapes() could not place {count} objects of {min_size}-{max_size} pixels "
        f"without overlap in a {image_size}x{image_size} image ({_SHAPE_ATTEMPTS} tries): "
        "lower max_objects or max_size, or raise image_size.")


def _free_square(rng, placed, image_size, min_size, max_size):
    """A random square 1 pixel or more from all `placed` ones, or None if none was found."""
    for _ in range(_SHAPE_ATTEMPTS):
        size = int(rng.integers(min_size, max_size + 1))
        x1, y1 = (int(v) for v in rng.integers(0, image_size - size + 1, size=2))
        square = (x1, y1, x1 + size, y1 + size)
        if all(_apart(square, other) for other in placed):
            return square
    return None


def _apart(a, b):
    """True when squares `a` and `b` have at least one pixel between them."""
    return a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


@functools.cache
def _shape_mask(label, size):
    """The pixels of one shape in a `size` x `size` square, a bool array."""
    rows, cols = np.mgrid[0:size, 0:size]
    x = cols + 0.5 - size / 2  # pixel centre, from the square's middle
    if SHAPE_CLASSES[label] == "circle":
        mask = x ** 2 + (rows + 0.5 - size / 2) ** 2 <= (size / 2) ** 2
    elif SHAPE_CLASSES[label] == "square":
        mask = np.ones((size, size), dtype=bool)
    else:  # triangle: half as wide as tall at each height, measured at a row's lower edge
        mask = np.abs(x) <= (rows + 1) / 2
    mask.setflags(write=False)
    return mask
