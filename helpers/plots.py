"""Small plotting helpers. Each returns a matplotlib Figure and works headless.

Notebooks end a plot cell with `plt.show()` so that no object repr (which holds
a memory address) lands in the stored outputs.
"""

import matplotlib
import numpy as np


def _pyplot():
    """Imports pyplot, choosing the headless Agg backend when there is no display."""
    import os
    import sys

    in_notebook = "ipykernel" in sys.modules
    if not in_notebook and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: Font size of image-grid titles: readable at the notebook's width (8 was too small).
TITLE_SIZE = 10
#: The smallest text in a figure (labels inside plots), in points: readable at
#: JupyterLab's size.
SMALL_TEXT_SIZE = 9


def _whole_number_ticks(ax, x):
    """Ticks only at whole numbers when x counts something (epochs, layers, steps), and
    short date labels when x holds dates (`1999`, `Jul`, ... rather than `1999-07-01`)."""
    x = np.asarray(x)
    if x.size and np.issubdtype(x.dtype, np.integer):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    elif x.size and np.issubdtype(x.dtype, np.datetime64):
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def legend_below(fig, ax=None):
    """Puts a plot's legend under it, below the x label, off the data.

    The figure grows by the legend's height, so the axes keep their size. Call it
    after the last line is drawn (it shows every labelled line of `ax`).

    Args:
        fig: the matplotlib Figure.
        ax: the axes whose lines the legend names; `fig.axes[0]` by default.

    Returns:
        The Figure.

    Example:

    >>> fig = plot_returns({"DQN": returns}, threshold=475)
    >>> fig.axes[0].plot(episodes, greedy, "o", label="greedy policy")
    >>> fig = legend_below(fig)
    """
    ax = fig.axes[0] if ax is None else ax
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    handles, labels = ax.get_legend_handles_labels()
    columns = min(len(labels), 3)
    rows = -(-len(labels) // max(columns, 1))
    extra = 0.28 * rows + 0.1  # inches: one line of legend text per row
    width, height = fig.get_size_inches()
    fig.set_size_inches(width, height + extra)
    fig.legend(handles, labels, loc="lower center", ncol=max(columns, 1), frameon=False)
    fig.tight_layout(rect=(0, extra / (height + extra), 1, 1))
    return fig


def _finish(fig, ax, xlabel, ylabel, title, legend="best"):
    """Labels one plot's axes, adds its legend and returns the tidied Figure.

    `legend` is a matplotlib location, or "below" (under the plot, off the data).
    """
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend == "below":
        return legend_below(fig, ax)
    ax.legend(loc=legend)
    fig.tight_layout()
    return fig


def use_style():
    """Sets the workbook's plot defaults (called by `helpers.setup()`)."""
    plt = _pyplot()
    plt.rcParams.update(
        {
            "figure.dpi": 80,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.cmap": "gray",
        }
    )


def _image_batch(images, ncols, caller):
    """Checks a batch of images and a column count for a grid; 1 channel becomes none."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(
            f"{caller}() needs images of shape (n, h, w) or (n, h, w, 1 or 3), "
            f"received shape {images.shape}."
        )
    if len(images) == 0:
        raise ValueError(f"{caller}() received no images.")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, received {ncols!r}.")
    return images


def image_grid(images, labels=None, class_names=None, *, predictions=None, ncols=8, size=1.5):
    """Shows images in a grid, each with its label (and prediction) as title.

    Args:
        images: array of shape `(n, height, width)` (grayscale) or
            `(n, height, width, channels)` with 1 or 3 channels.
        labels: optional integer labels of shape `(n,)`.
        class_names: optional sequence that maps a label to its name.
        predictions: optional predicted labels of shape `(n,)`; a title turns
            red when the prediction differs from the label.
        ncols: number of columns.
        size: width and height of one cell, in inches.

    Returns:
        The matplotlib Figure.

    Example:

    >>> fig = image_grid(x_train[:16], y_train[:16], FASHION_MNIST_CLASSES)
    """
    images = _image_batch(images, ncols, "image_grid")
    n = len(images)
    for label, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n:
            raise ValueError(f"image_grid() received {n} images but {len(values)} {label}.")

    def name(index):
        index = int(index)
        return class_names[index] if class_names is not None else str(index)

    plt = _pyplot()
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3))
    axes = np.atleast_1d(axes).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray" if images.ndim == 3 else None)
        if labels is not None:
            title, color = name(labels[i]), "black"
            if predictions is not None:
                title = f"{name(predictions[i])}\n(true: {title})"
                color = "black" if int(predictions[i]) == int(labels[i]) else "red"
            ax.set_title(title, fontsize=TITLE_SIZE, color=color)
    fig.tight_layout()
    return fig


def heatmap_overlays(images, maps, labels=None, class_names=None, *, predictions=None,
                     alpha=0.55, size=1.5):
    """Shows images in columns, with one row per kind of heatmap laid over them.

    The first row holds the images, titled like `image_grid`; each further row
    shows one kind of map (a saliency map, a Grad-CAM heatmap, ...) in colour
    over the grayscale image. Every map is scaled to [0, 1] by its own maximum
    (a map that is all zero stays zero) and stretched over the whole image with
    bilinear interpolation, so maps coarser than the image (a 14x14 Grad-CAM on a
    28x28 image) line up with it.

    Args:
        images: array of shape `(n, height, width)` or `(n, height, width, 1 or 3)`.
        maps: dict mapping a row's name (written left of the row) to an array of
            shape `(n, map_height, map_width)`, one non-negative map per image.
        labels: optional integer labels of shape `(n,)`.
        class_names: optional sequence that maps a label to its name.
        predictions: optional predicted labels of shape `(n,)`; a title turns
            red when the prediction differs from the label.
        alpha: opacity of the maps over the images, in (0, 1].
        size: width and height of one cell, in inches.

    Returns:
        The matplotlib Figure.

    Example:

    >>> fig = heatmap_overlays(x[:8], {"Grad-CAM": cams}, y[:8], FASHION_MNIST_CLASSES,
    ...                        predictions=predicted[:8])
    """
    images = _image_batch(images, 1, "heatmap_overlays")
    n = len(images)
    if not isinstance(maps, dict) or not maps:
        raise ValueError("heatmap_overlays() needs maps, a dict of row name -> array of "
                         f"shape (n, h, w); received {type(maps).__name__}.")
    arrays = {}
    for name, values in maps.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 3 or len(values) != n:
            raise ValueError(f"heatmap_overlays(): maps[{name!r}] must have shape ({n}, h, w), "
                             f"one map per image; received shape {values.shape}.")
        top = values.max(axis=(1, 2), keepdims=True)
        arrays[name] = values / np.where(top > 0, top, 1.0)
    for label, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n:
            raise ValueError(f"heatmap_overlays() received {n} images but {len(values)} "
                             f"{label}.")

    def name_of(index):
        return class_names[int(index)] if class_names is not None else str(int(index))

    plt = _pyplot()
    rows = len(arrays) + 1
    fig, axes = plt.subplots(rows, n, figsize=(size * n + 0.6, size * rows + 0.5),
                             squeeze=False)
    height, width = images.shape[1:3]
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)
    gray = images if images.ndim == 3 else images.mean(axis=-1)
    for i in range(n):
        axes[0, i].imshow(images[i], cmap="gray" if images.ndim == 3 else None)
        if labels is not None:
            title, color = name_of(labels[i]), "black"
            if predictions is not None:
                title = f"{name_of(predictions[i])}\n(true: {title})"
                color = "black" if int(predictions[i]) == int(labels[i]) else "red"
            axes[0, i].set_title(title, fontsize=TITLE_SIZE, color=color)
        for row, values in enumerate(arrays.values(), start=1):
            axes[row, i].imshow(gray[i], cmap="gray")
            axes[row, i].imshow(values[i], cmap="jet", alpha=alpha, vmin=0, vmax=1,
                                extent=extent, interpolation="bilinear")
    for row, name in enumerate(["image", *arrays]):
        axes[row, 0].set_ylabel(name, fontsize=TITLE_SIZE)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.tight_layout()
    return fig

def plot_history(history, metrics=None, *, title=None):
    """Plots training curves: one panel per metric, training and validation.

    Args:
        history: a Keras `History` (what `model.fit` returns) or a dict that
            maps names like `"loss"` and `"val_loss"` to lists of numbers.
        metrics: names to plot, e.g. `["loss", "accuracy"]`. Defaults to every
            name without a `val_` prefix.
        title: optional title for the whole figure.

    Returns:
        The matplotlib Figure.

    Example:

    >>> fig = plot_history(model.fit(x, y, validation_split=0.1, epochs=5))
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise TypeError(
            "plot_history() needs a Keras History or a non-empty dict of lists, "
            f"received {type(history).__name__}."
        )
    if metrics is None:
        metrics = [k for k in logs if not k.startswith("val_")]
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise ValueError(f"plot_history(): no values for {missing}; available: {sorted(logs)}.")
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2))
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], marker="o", label="training")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], marker="o", label="validation")
        _whole_number_ticks(ax, epochs)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_lines(x, series, *, xlabel="", ylabel="", title=None, logy=False, legend="best"):
    """Plots several named lines over a shared x axis.

    Args:
        x: sequence of x values, length `n` (numbers, or dates as `datetime64`).
        series: dict mapping a legend name to a sequence of `n` y values.
        xlabel: label of the x axis.
        ylabel: label of the y axis.
        title: optional title.
        logy: use a logarithmic y axis.
        legend: where the legend goes: a matplotlib location (`"best"`, `"upper left"`,
            ...), or `"below"`, under the plot, off the data (`legend_below`).

    Returns:
        The matplotlib Figure.

    Example:

    >>> fig = plot_lines(z, {"sigmoid": sigmoid(z), "relu": relu(z)}, xlabel="z")
    """
    if not isinstance(series, dict) or not series:
        raise TypeError("plot_lines() needs series as a non-empty dict of name -> values.")
    x = np.asarray(x)
    for name, values in series.items():
        if len(values) != len(x):
            raise ValueError(
                f"plot_lines(): series {name!r} has {len(values)} values but x has {len(x)}."
            )
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in series.items():
        ax.plot(x, np.asarray(values), label=str(name))
    if logy:
        ax.set_yscale("log")
    _whole_number_ticks(ax, x)
    return _finish(fig, ax, xlabel, ylabel, title, legend)


def heatmap(matrix, *, xlabels=None, ylabels=None, xlabel="", ylabel="", title=None,
            annotate=False, cmap="viridis"):
    """Shows a 2-D array as a coloured grid (confusion matrices, weights, ...).

    Args:
        matrix: array of shape `(rows, cols)`.
        xlabels: optional tick labels for the columns.
        ylabels: optional tick labels for the rows.
        xlabel: label of the x axis.
        ylabel: label of the y axis.
        title: optional title.
        annotate: write each value in its cell.
        cmap: matplotlib colour map name.

    Returns:
        The matplotlib Figure.

    Example:

    >>> fig = heatmap(confusion, xlabels=names, ylabels=names, annotate=True)
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"heatmap() needs a 2-D array, received shape {matrix.shape}.")
    for label, ticks, size in (("xlabels", xlabels, matrix.shape[1]),
                               ("ylabels", ylabels, matrix.shape[0])):
        if ticks is not None and len(ticks) != size:
            raise ValueError(f"heatmap(): {label} has {len(ticks)} entries, expected {size}.")
    plt = _pyplot()
    rows, cols = matrix.shape
    fig, ax = plt.subplots(figsize=(min(1 + 0.6 * cols, 12), min(1 + 0.5 * rows, 7)))
    shown = ax.imshow(matrix, cmap=cmap, aspect="auto")
    ax.grid(False)
    fig.colorbar(shown, ax=ax)
    if xlabels is not None:
        ax.set_xticks(range(cols), [str(t) for t in xlabels], rotation=45, ha="right")
    if ylabels is not None:
        ax.set_yticks(range(rows), [str(t) for t in ylabels])
    if annotate:
        middle = (np.nanmax(matrix) + np.nanmin(matrix)) / 2
        for i in range(rows):
            for j in range(cols):
                value = matrix[i, j]
                text = f"{value:.2g}" if np.issubdtype(matrix.dtype, np.floating) else str(value)
                ax.text(j, i, text, ha="center", va="center", fontsize=SMALL_TEXT_SIZE,
                        color="white" if value < middle else "black")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def image_rows(images, *, ncols, row_labels=None, title=None, size=0.7):
    """Shows many small images as one tiled picture, one label per row.

    Much faster than `image_grid` for large grids (one picture instead of one
    panel per image), so it suits generated samples: a row per class, a row per
    training epoch, a walk through a latent space.

    Args:
        images: array of shape `(n, height, width)` or `(n, height, width, 1)`
            with values in [0, 1]; `n` must be a multiple of `ncols`.
        ncols: number of images per row.
        row_labels: optional sequence of `n // ncols` strings written left of
            the rows.
        title: optional title.
        size: width and height of one image, in inches.

    Returns:
        The matplotlib Figure.

    Example:

    >>> fig = image_rows(samples, ncols=10, row_labels=FASHION_MNIST_CLASSES)
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(
            f"image_rows() needs grayscale images of shape (n, h, w) or (n, h, w, 1), "
            f"received shape {images.shape}."
        )
    if not isinstance(ncols, int) or ncols < 1 or len(images) % ncols:
        raise ValueError(
            f"image_rows() needs ncols, a positive integer that divides the number of "
            f"images ({len(images)}), received ncols={ncols!r}."
        )
    n, height, width = images.shape
    nrows = n // ncols
    if row_labels is not None and len(row_labels) != nrows:
        raise ValueError(
            f"image_rows() received {nrows} rows but {len(row_labels)} row_labels."
        )
    gap = 1  # a thin dark line between images
    tiled = np.full((nrows * (height + gap) - gap, ncols * (width + gap) - gap), 0.5)
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        tiled[r * (height + gap):r * (height + gap) + height,
              c * (width + gap):c * (width + gap) + width] = image
    plt = _pyplot()
    left = 1.4 if row_labels is not None else 0.1
    fig = plt.figure(figsize=(size * ncols + left, size * nrows + (0.4 if title else 0.1)))
    ax = fig.add_axes([left / fig.get_figwidth(), 0.02, 1 - left / fig.get_figwidth() - 0.01,
                       0.96 - (0.35 / fig.get_figheight() if title else 0)])
    ax.imshow(tiled, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.grid(False)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if row_labels is not None:
        ax.set_yticks([r * (height + gap) + height / 2 for r in range(nrows)],
                      [str(label) for label in row_labels], fontsize=TITLE_SIZE)
        ax.tick_params(axis="y", length=0)
    else:
        ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=TITLE_SIZE + 1)
    return fig


def moving_average(values, window):
    """The trailing mean of the last `window` values at every position.

    The first `window - 1` positions average what there is so far, so the result
    has the length of `values` and starts at `values[0]`.

    Args:
        values: 1-D sequence of numbers (e.g. the return of every episode).
        window: a positive integer.

    Returns:
        A float array of the length of `values`.

    Example:

    >>> moving_average([1, 2, 3, 4], 2)
    array([1. , 1.5, 2.5, 3.5])
    """
    if not isinstance(window, (int, np.integer)) or isinstance(window, bool) or window < 1:
        raise ValueError(f"moving_average() needs a positive integer window, received {window!r}.")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"moving_average() needs a 1-D sequence, received shape {values.shape}.")
    sums = np.cumsum(np.concatenate([[0.0], values]))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def plot_returns(returns, *, window=20, xlabel="episode", ylabel="return", title=None,
                 threshold=None, threshold_label=None, every_episode=True, legend="best"):
    """Plots learning curves of reinforcement learning: every episode and a moving average.

    Each run's per-episode values are drawn thin and faint, their trailing moving
    average (`moving_average`) thick in the same colour. The axes are `fig.axes[0]`,
    for anything a notebook wants to add.

    Args:
        returns: dict mapping a run's name to its per-episode values (returns,
            successes, ...), or one sequence for a single unnamed run.
        window: episodes in the moving average.
        xlabel: label of the x axis.
        ylabel: label of the y axis.
        title: optional title.
        threshold: optional number drawn as a dotted horizontal line (e.g. 475,
            CartPole-v1's threshold of solving).
        threshold_label: the legend of that line; `"threshold <number>"` by default.
        every_episode: draw every episode's value too (turn off for values that are
            only 0 or 1, such as successes, where only the average is readable).
        legend: a matplotlib location, or `"below"`, under the plot (`legend_below`).

    Returns:
        The matplotlib Figure.

    Example:

    >>> fig = plot_returns({"DQN": episode_returns}, window=20, threshold=475)
    """
    if not isinstance(returns, dict):
        returns = {"": returns}
    if not returns:
        raise ValueError("plot_returns() received no runs; pass a dict of name -> returns.")
    curves = {}
    for name, values in returns.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"plot_returns(): run {name!r} needs a non-empty 1-D sequence of per-episode "
                f"values, received shape {values.shape}."
            )
        curves[name] = values
    smooth = {name: moving_average(values, window) for name, values in curves.items()}
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, values in curves.items():
        episodes = np.arange(1, len(values) + 1)
        colour = None
        if every_episode:
            (line,) = ax.plot(episodes, values, linewidth=0.6, alpha=0.35)
            colour = line.get_color()
        label = f"{name}, mean of {window}" if name else f"mean of {window} episodes"
        ax.plot(episodes, smooth[name], color=colour, linewidth=2, label=label)
    if threshold is not None:
        ax.axhline(threshold, color="grey", linestyle=":",
                   label=threshold_label or f"threshold {threshold}")
    _whole_number_ticks(ax, np.arange(1, 2))
    return _finish(fig, ax, xlabel, ylabel, title, legend)


#: The moves of gymnasium's grid worlds FrozenLake: action 0 left, 1 down, 2 right, 3 up.
FROZEN_LAKE_ACTIONS = "LDRU"
_MOVES = {"L": (-1, 0), "D": (0, 1), "R": (1, 0), "U": (0, -1)}
_TILE_COLOURS = {"S": "#d8ecf7", "F": "#d8ecf7", "H": "#24466b", "G": "#f2c94c"}


def policy_arrows(desc, policies, *, values=None, actions=FROZEN_LAKE_ACTIONS, title=None,
                  size=3.4):
    """Draws policies of a grid world as arrows on its map, one panel per policy.

    Tiles are coloured by kind: start `S` and frozen `F` pale, holes `H` dark, the
    goal `G` gold. Holes and the goal end the episode, so they get no arrow.

    Args:
        desc: the map as rows of tile letters, e.g. `["SFFF", "FHFH", "FFFH", "HFFG"]`,
            or gymnasium's `env.unwrapped.desc` (a 2-D array of bytes).
        policies: dict mapping a panel title to the actions: ints, one per state in
            row-major order (`rows * cols` of them) or an array of shape `(rows, cols)`.
        values: optional dict with some of the same titles, mapping to one number
            per state (e.g. the state values), written small in each tile.
        actions: the direction of each action number, letters from `L`, `D`, `R`,
            `U`; the default is FrozenLake's order (0 left, 1 down, 2 right, 3 up).
        title: optional title above the panels.
        size: width and height of one panel, in inches.

    Returns:
        The matplotlib Figure.

    Example:

    >>> fig = policy_arrows(env.unwrapped.desc, {"value iteration": q.argmax(axis=1)})
    """
    rows_text = ["".join(c.decode() if isinstance(c, bytes) else str(c) for c in row)
                 for row in desc]
    if not rows_text or len({len(row) for row in rows_text}) != 1 or \
            set("".join(rows_text)) - set(_TILE_COLOURS):
        raise ValueError(
            f"policy_arrows() needs a rectangular map of the letters S, F, H, G, "
            f"received {rows_text!r}."
        )
    if set(actions) - set(_MOVES):
        raise ValueError(f"policy_arrows(): actions are letters from 'LDRU', received {actions!r}.")
    if not isinstance(policies, dict) or not policies:
        raise TypeError("policy_arrows() needs policies as a non-empty dict of title -> actions.")
    values = values or {}
    nrows, ncols = len(rows_text), len(rows_text[0])
    grids = {}
    for name, policy in list(policies.items()) + list(values.items()):
        array = np.asarray(policy)
        if array.size != nrows * ncols:
            raise ValueError(
                f"policy_arrows(): {name!r} has {array.size} entries, expected one per "
                f"tile ({nrows} x {ncols} = {nrows * ncols})."
            )
    for name, policy in policies.items():
        grid = np.asarray(policy).reshape(nrows, ncols)
        if (not np.issubdtype(grid.dtype, np.integer) or grid.min() < 0
                or grid.max() >= len(actions)):
            raise ValueError(
                f"policy_arrows(): the actions of {name!r} must be ints in [0, {len(actions)}), "
                f"received {np.unique(grid)[:8]}."
            )
        grids[name] = grid
    from matplotlib.colors import to_rgb

    tiles = np.array([[to_rgb(_TILE_COLOURS[c]) for c in row] for row in rows_text])
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(grids),
                             figsize=(size * len(grids), size + 0.4 + 0.3 * bool(title)))
    for ax, (name, grid) in zip(np.atleast_1d(axes), grids.items()):
        ax.imshow(tiles, interpolation="nearest")
        ax.grid(False)
        ax.set_xticks([])
        ax.set_yticks([])
        for edge in np.arange(0.5, max(nrows, ncols) - 1):  # white lines between the tiles
            ax.axhline(edge, color="white", linewidth=1.5)
            ax.axvline(edge, color="white", linewidth=1.5)
        for r in range(nrows):
            for c in range(ncols):
                kind = rows_text[r][c]
                if kind == "S":
                    ax.text(c + 0.45, r + 0.45, "start", ha="right", va="bottom",
                            fontsize=SMALL_TEXT_SIZE, color="#555555")
                if kind in "HG":
                    ax.text(c, r, "hole" if kind == "H" else "goal", ha="center", va="center",
                            fontsize=SMALL_TEXT_SIZE, color="white" if kind == "H" else "black")
                    continue
                dx, dy = _MOVES[actions[grid[r, c]]]
                ax.annotate("", xy=(c + 0.3 * dx, r + 0.3 * dy),
                            xytext=(c - 0.3 * dx, r - 0.3 * dy),
                            arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})
                if name in values:
                    value = np.asarray(values[name]).ravel()[r * ncols + c]
                    ax.text(c - 0.45, r - 0.45, f"{value:.2f}",
                            ha="left", va="top", fontsize=SMALL_TEXT_SIZE, color="#555555")
        ax.set_title(str(name), fontsize=TITLE_SIZE)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _per_image(name, values, n, columns=None):
    """`values` as a list of `n` arrays, one per image, each checked; None stays None."""
    if values is None:
        return None
    if len(values) != n:
        raise ValueError(f"draw_boxes() received {n} images but {len(values)} {name}: give "
                         "one entry per image (a list of arrays, or an array of that length).")
    arrays = []
    for i, value in enumerate(values):
        array = np.asarray(value, dtype=np.float64)
        if columns is not None and array.size == 0:
            array = array.reshape(0, columns)
        expected = (-1, columns) if columns is not None else (-1,)
        if array.ndim != len(expected) or (columns is not None and array.shape[1] != columns):
            shape = "(k, 4)" if columns else "(k,)"
            raise ValueError(f"draw_boxes(): {name}[{i}] must have shape {shape}, received "
                             f"shape {array.shape}.")
        arrays.append(array)
    return arrays


def _class_indices(labels, class_names, caller):
    """Checks that `labels` are whole numbers that index `class_names`; returns them as ints."""
    labels = np.asarray(labels)
    numeric = np.issubdtype(labels.dtype, np.integer) or np.issubdtype(labels.dtype, np.floating)
    if labels.size and (not numeric or labels.min() < 0 or (labels != np.round(labels)).any()
                        or (class_names is not None and labels.max() >= len(class_names))):
        known = f" 0-{len(class_names) - 1}" if class_names is not None else " >= 0"
        raise ValueError(f"{caller}(): labels must be ints{known} (indices into class_names), "
                         f"received {np.unique(labels)[:8]}.")
    return labels.astype(np.int64)


def draw_boxes(images, boxes, *, labels=None, scores=None, class_names=None, true_boxes=None,
               ncols=4, size=2.0, title=None):
    """Shows images in a grid with boxes drawn on them: predicted solid, true dashed.

    Each predicted box is outlined in its class's colour and captioned with the
    class name and the score ("circle 0.93"). True boxes, when given, are
    dashed white lines, so a good prediction sits on its dashed box.

    Args:
        images: array of shape `(n, height, width)` or `(n, height, width,
            channels)` with 1 or 3 channels, floats in [0, 1] or uint8.
        boxes: `n` arrays (a list, or an array of shape `(n, k, 4)`), image
            `i`'s of shape `(k_i, 4)`: one row `(x1, y1, x2, y2)` per box,
            corners divided by the image's width and height (in [0, 1]).
        labels: optional `n` integer arrays of shape `(k_i,)`, each box's class.
        scores: optional `n` float arrays of shape `(k_i,)`, each box's score.
        class_names: optional sequence that maps a label to its name.
        true_boxes: optional `n` arrays of shape `(m_i, 4)`, the true boxes of
            each image, in the same format as `boxes`.
        ncols: number of columns.
        size: width and height of one image, in inches.
        title: optional title of the whole figure.

    Returns:
        The matplotlib Figure.

    Example:

    >>> images, boxes, labels = data.make_shapes(8)
    >>> fig = draw_boxes(images, boxes, labels=labels, class_names=data.SHAPE_CLASSES)
    """
    images = _image_batch(images, ncols, "draw_boxes")
    n = len(images)
    boxes = _per_image("boxes", boxes, n, columns=4)
    true_boxes = _per_image("true_boxes", true_boxes, n, columns=4)
    labels = _per_image("labels", labels, n)
    scores = _per_image("scores", scores, n)
    for name, values in (("labels", labels), ("scores", scores)):
        for i, (value, box) in enumerate(zip(values or [], boxes)):
            if len(value) != len(box):
                raise ValueError(f"draw_boxes(): image {i} has {len(box)} boxes but "
                                 f"{len(value)} {name}.")
    if labels is not None:
        _class_indices(np.concatenate(labels), class_names, "draw_boxes")

    plt = _pyplot()
    colours = plt.get_cmap("tab10").colors
    height, width = images.shape[1:3]
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4 * bool(title)
                                                    + 0.3 * (true_boxes is not None)))
    axes = np.atleast_1d(axes).ravel()

    def outline(ax, box, colour, style):
        x1, y1, x2, y2 = box * [width, height, width, height] - [0.5, 0.5, 0.5, 0.5]
        ax.add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour,
                                   linewidth=1.5, linestyle=style))
        return x1, y1, x2

    def caption(ax, text, colour, x1, y1, x2):
        """Above the box's top edge, or just inside it at the image's top; from the
        box's left edge, or back from its right edge in the image's right half."""
        right = x1 > width / 2
        inside = y1 < height / 8
        x = min(x2, width - 1.5) if right else max(x1, 0.5)  # keep the pad in the image
        ax.text(x, max(y1, 0.5), text, fontsize=SMALL_TEXT_SIZE, color="white",
                ha="right" if right else "left", va="top" if inside else "bottom",
                clip_on=True, bbox={"facecolor": colour, "edgecolor": "none", "pad": 1,
                                    "alpha": 0.85})

    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray" if images.ndim == 3 else None,
                  vmin=0, vmax=255 if images.dtype == np.uint8 else 1)
        for box in true_boxes[i] if true_boxes is not None else []:
            outline(ax, box, "white", (0, (3, 2)))
        for j, box in enumerate(boxes[i]):
            label = int(labels[i][j]) if labels is not None else None
            colour = colours[label % len(colours)] if label is not None else colours[0]
            corners = outline(ax, box, colour, "-")
            words = []
            if label is not None:
                words.append(str(class_names[label]) if class_names is not None else str(label))
            if scores is not None:
                words.append(f"{scores[i][j]:.2f}")
            if words:
                caption(ax, " ".join(words), colour, *corners)
    if true_boxes is not None:
        from matplotlib.lines import Line2D

        fig.legend(handles=[Line2D([], [], color="black", linewidth=1.5, label="predicted"),
                            Line2D([], [], color="gray", linewidth=1.5, linestyle=(0, (3, 2)),
                                   label="true (white, dashed)")],
                   loc="lower center", ncol=2, frameon=False, fontsize=TITLE_SIZE - 1)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE + 1)
    fig.tight_layout(rect=(0, 0.3 / fig.get_figheight() if true_boxes is not None else 0, 1, 1))
    return fig


def scatter_classes(points, labels, *, class_names=None, title=None):
    """Plots 2-D points coloured by class, with a legend (e.g. an embedding map).

    Args:
        points: array of shape `(n, 2)`.
        labels: integer labels of shape `(n,)`.
        class_names: optional sequence that maps a label to its name.
        title: optional title.

    Returns:
        The matplotlib Figure.

    Example:

    >>> fig = scatter_classes(embeddings_2d, y_test, class_names=FASHION_MNIST_CLASSES)
    """
    points = np.asarray(points)
    labels = np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"scatter_classes() needs points of shape (n, 2), received shape "
                         f"{points.shape}; project higher-dimensional points to 2-D first.")
    if labels.shape != (len(points),):
        raise ValueError(f"scatter_classes() received {len(points)} points but labels of "
                         f"shape {labels.shape}; give one label per point.")
    labels = _class_indices(labels, class_names, "scatter_classes")
    plt = _pyplot()
    colours = plt.get_cmap("tab10").colors
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for label in np.unique(labels):
        chosen = labels == label
        name = str(class_names[label]) if class_names is not None else str(label)
        ax.scatter(points[chosen, 0], points[chosen, 1], s=10, alpha=0.7,
                   color=colours[label % len(colours)], label=name)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("dimension 1")
    ax.set_ylabel("dimension 2")
    if title:
        ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, markerscale=1.5)
    fig.tight_layout()
    return fig
