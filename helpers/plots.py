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


def _whole_number_ticks(ax, x):
    """Ticks only at whole numbers when x counts something (epochs, layers, steps)."""
    x = np.asarray(x)
    if x.size and np.issubdtype(x.dtype, np.integer):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


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
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(
            f"image_grid() needs images of shape (n, h, w) or (n, h, w, 1 or 3), "
            f"received shape {images.shape}."
        )
    n = len(images)
    for label, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n:
            raise ValueError(f"image_grid() received {n} images but {len(values)} {label}.")
    if n == 0:
        raise ValueError("image_grid() received no images.")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, received {ncols!r}.")

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


def plot_lines(x, series, *, xlabel="", ylabel="", title=None, logy=False):
    """Plots several named lines over a shared x axis.

    Args:
        x: sequence of x values, length `n`.
        series: dict mapping a legend name to a sequence of `n` y values.
        xlabel: label of the x axis.
        ylabel: label of the y axis.
        title: optional title.
        logy: use a logarithmic y axis.

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
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


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
    fig, ax = plt.subplots(figsize=(min(1 + 0.6 * cols, 12), min(1 + 0.5 * rows, 10)))
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
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if value < middle else "black")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
