"""Unit tests of helpers.plots: each helper returns a Figure and rejects bad input."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_image_grid_grayscale_with_labels_and_predictions():
    images = np.random.default_rng(0).random((10, 28, 28))
    fig = plots.image_grid(images, labels=np.arange(10), class_names=list("abcdefghij"),
                           predictions=np.r_[np.arange(9), 0], ncols=5)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "a\n(true: a)"
    assert fig.axes[9].title.get_color() == "red"  # wrong prediction shown in red
    assert len(fig.axes) == 10


def test_image_grid_rgb_and_channel_axis():
    assert isinstance(plots.image_grid(np.zeros((3, 8, 8, 3))), Figure)
    assert isinstance(plots.image_grid(np.zeros((3, 8, 8, 1))), Figure)


@pytest.mark.parametrize("images, kwargs, message", [
    (np.zeros((4, 8)), {}, r"shape \(n, h, w\)"),
    (np.zeros((4, 8, 8, 2)), {}, "1 or 3"),
    (np.zeros((4, 8, 8)), {"labels": [1, 2]}, "4 images but 2 labels"),
    (np.zeros((0, 8, 8)), {}, "no images"),
    (np.zeros((2, 8, 8)), {"ncols": 0}, "positive integer"),
])
def test_image_grid_rejects_bad_input(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.image_grid(images, **kwargs)


def test_plot_history_from_dict_and_from_history_object():
    logs = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}
    fig = plots.plot_history(logs, title="run")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert [line.get_label() for line in fig.axes[0].lines] == ["training", "validation"]

    class FakeHistory:
        history = logs

    assert len(plots.plot_history(FakeHistory(), metrics=["loss"]).axes) == 1


def test_plot_history_rejects_bad_input():
    with pytest.raises(TypeError, match="Keras History"):
        plots.plot_history([1, 2])
    with pytest.raises(ValueError, match=r"no values for \['acc'\]"):
        plots.plot_history({"loss": [1.0]}, metrics=["acc"])


def test_plot_lines_and_log_axis():
    fig = plots.plot_lines([1, 2, 3], {"a": [1, 2, 3], "b": [3, 2, 1]}, logy=True, title="t")
    assert fig.axes[0].get_yscale() == "log"
    assert [line.get_label() for line in fig.axes[0].lines] == ["a", "b"]
    with pytest.raises(ValueError, match="series 'a' has 2 values but x has 3"):
        plots.plot_lines([1, 2, 3], {"a": [1, 2]})
    with pytest.raises(TypeError, match="non-empty dict"):
        plots.plot_lines([1], [1])


def test_heatmap_with_annotations():
    fig = plots.heatmap(np.eye(3), xlabels="abc", ylabels="xyz", annotate=True)
    assert isinstance(fig, Figure)
    assert len(fig.axes[0].texts) == 9
    with pytest.raises(ValueError, match="2-D array"):
        plots.heatmap(np.zeros(3))
    with pytest.raises(ValueError, match="xlabels has 2 entries, expected 3"):
        plots.heatmap(np.eye(3), xlabels="ab")


def test_use_style_sets_defaults():
    import matplotlib.pyplot as plt

    plots.use_style()
    assert plt.rcParams["image.cmap"] == "gray"


def test_epoch_axes_have_whole_number_ticks():
    fig = plots.plot_history({"loss": [0.9, 0.7], "val_loss": [1.0, 0.8]})
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 2]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    fig = plots.plot_lines(np.arange(1, 4), {"a": [1, 2, 3]})
    assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())
    fig = plots.plot_lines(np.linspace(0, 1, 5), {"a": np.arange(5)})  # real x: any ticks
    assert not all(float(t).is_integer() for t in fig.axes[0].get_xticks())


def test_image_grid_titles_are_readable():
    fig = plots.image_grid(np.zeros((2, 4, 4)), [0, 1], ["a", "b"])
    assert all(ax.title.get_fontsize() >= 10 for ax in fig.axes)
