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


def test_image_rows_tiles_images_into_one_picture():
    images = np.random.default_rng(0).random((6, 8, 8, 1))
    fig = plots.image_rows(images, ncols=3, row_labels=["first", "second"], title="samples")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_images()[0].get_array().shape == (2 * 8 + 1, 3 * 8 + 2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first", "second"]
    assert ax.get_title() == "samples"
    assert len(plots.image_rows(images[..., 0], ncols=6).axes) == 1


@pytest.mark.parametrize("images, kwargs, message", [
    (np.zeros((4, 8, 8, 3)), {"ncols": 2}, r"grayscale images of shape"),
    (np.zeros((0, 8, 8)), {"ncols": 1}, r"grayscale images of shape"),
    (np.zeros((5, 8, 8)), {"ncols": 2}, "divides the number of images"),
    (np.zeros((4, 8, 8)), {"ncols": 2, "row_labels": ["a"]}, "2 rows but 1 row_labels"),
])
def test_image_rows_rejects_bad_input(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.image_rows(images, **kwargs)


def test_moving_average_is_trailing_and_keeps_the_length():
    np.testing.assert_allclose(plots.moving_average([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(plots.moving_average([4.0, 0.0], 10), [4, 2])
    assert plots.moving_average([], 3).shape == (0,)
    for window in (0, 1.5, True):
        with pytest.raises(ValueError, match="positive integer window"):
            plots.moving_average([1, 2], window)
    with pytest.raises(ValueError, match=r"1-D sequence, received shape \(2, 2\)"):
        plots.moving_average(np.zeros((2, 2)), 2)


def test_plot_returns_draws_every_episode_and_the_average():
    fig = plots.plot_returns({"DQN": [10, 20, 30, 500], "random": [20, 22, 21, 19]}, window=2,
                             threshold=475, title="CartPole")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.lines) == 5  # two runs, each raw and averaged, and the threshold
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [10, 15, 25, 265])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "DQN, mean of 2", "random, mean of 2", "threshold 475"]
    assert len(plots.plot_returns([1.0, 0.0, 1.0]).axes[0].lines) == 2
    fig = plots.plot_returns({"a": [1.0, 0.0]}, window=2, every_episode=False, threshold=0.74,
                             threshold_label="optimum")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [1, 0.5])  # the average only
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a, mean of 2",
                                                                          "optimum"]
    with pytest.raises(ValueError, match="run 'a' needs a non-empty 1-D sequence"):
        plots.plot_returns({"a": []})
    with pytest.raises(ValueError, match="no runs"):
        plots.plot_returns({})


def test_policy_arrows_one_panel_per_policy_and_no_arrow_on_terminal_tiles():
    desc = np.array([list(b"SFFF"), list(b"FHFH"), list(b"FFFH"), list(b"HFFG")], dtype="u1")
    desc = desc.view("S1")  # bytes, as gymnasium's env.unwrapped.desc
    policy = np.arange(16) % 4
    fig = plots.policy_arrows(desc, {"mine": policy, "grid": policy.reshape(4, 4)},
                              values={"mine": np.linspace(0, 1, 16)}, title="FrozenLake")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    first, second = fig.axes
    assert first.get_title() == "mine" and second.get_title() == "grid"
    arrows = [t for t in second.texts if getattr(t, "arrow_patch", None)]
    assert len(arrows) == 11  # 16 tiles, 4 holes and the goal have none
    start = arrows[0]  # state 0 takes action 0: left, so the arrow points to smaller x
    assert start.xy[0] < start.xyann[0] and start.xy[1] == start.xyann[1]
    labels = [t.get_text() for t in first.texts if not getattr(t, "arrow_patch", None)]
    assert labels.count("hole") == 4 and "goal" in labels and "0.00" in labels
    assert len(plots.policy_arrows(["SF", "HG"], {"p": [2, 1, 0, 0]}).axes) == 1


@pytest.mark.parametrize("desc, policies, kwargs, error, message", [
    (["SFX"], {"p": [0, 0, 0]}, {}, ValueError, "letters S, F, H, G"),
    (["SF", "F"], {"p": [0, 0, 0]}, {}, ValueError, "rectangular map"),
    (["SF", "HG"], {"p": [0, 0, 0]}, {}, ValueError, "'p' has 3 entries, expected one per tile"),
    (["SF", "HG"], {"p": [0, 4, 0, 0]}, {}, ValueError, r"ints in \[0, 4\)"),
    (["SF", "HG"], {"p": [0.5, 1, 0, 0]}, {}, ValueError, r"ints in \[0, 4\)"),
    (["SF", "HG"], {}, {}, TypeError, "non-empty dict"),
    (["SF", "HG"], {"p": [0, 1, 0, 0]}, {"actions": "LDRX"}, ValueError, "letters from 'LDRU'"),
    (["SF", "HG"], {"p": [0, 1, 0, 0]}, {"values": {"p": [1, 2]}}, ValueError, "2 entries"),
])
def test_policy_arrows_rejects_bad_input(desc, policies, kwargs, error, message):
    with pytest.raises(error, match=message):
        plots.policy_arrows(desc, policies, **kwargs)


def _rectangles(ax):
    from matplotlib.patches import Rectangle

    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_draw_boxes_outlines_predictions_and_dashes_true_boxes():
    images = np.zeros((3, 64, 64, 3), dtype=np.float32)
    boxes = [np.array([[0.25, 0.5, 0.5, 0.75]]), np.zeros((0, 4)),
             np.array([[0.0, 0.0, 0.25, 0.25], [0.5, 0.5, 1.0, 1.0]])]
    labels = [np.array([2]), np.array([], dtype=int), np.array([0, 1])]
    scores = [np.array([0.9]), np.array([]), np.array([0.5, 0.25])]
    truth = [np.array([[0.25, 0.5, 0.5, 0.75]]), np.array([[0.1, 0.1, 0.2, 0.2]]),
             np.zeros((0, 4))]
    fig = plots.draw_boxes(images, boxes, labels=labels, scores=scores,
                           class_names=("circle", "square", "triangle"), true_boxes=truth,
                           ncols=2, title="detections")
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_images()]
    assert len(axes) == 3
    first = _rectangles(axes[0])
    assert len(first) == 2 and first[0].get_linestyle() != "-"  # true box first, dashed
    predicted = first[1]
    # Normalised corners become pixel edges: column 16 starts at x = 15.5.
    assert predicted.get_xy() == (15.5, 31.5)
    assert predicted.get_width() == 16 and predicted.get_height() == 16
    assert [t.get_text() for t in axes[0].texts] == ["triangle 0.90"]
    assert [t.get_text() for t in axes[2].texts] == ["circle 0.50", "square 0.25"]
    assert len(_rectangles(axes[1])) == 1 and not axes[1].texts
    assert fig._suptitle.get_text() == "detections"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["predicted",
                                                                 "true (white, dashed)"]


def test_draw_boxes_accepts_arrays_grayscale_and_no_labels():
    images = np.zeros((2, 16, 16, 1), dtype=np.uint8)
    fig = plots.draw_boxes(images, np.full((2, 1, 4), 0.5) + [[[-0.25, -0.25, 0, 0]]])
    axes = [ax for ax in fig.axes if ax.get_images()]
    assert len(axes) == 2 and all(len(_rectangles(ax)) == 1 for ax in axes)
    assert not axes[0].texts and not fig.legends
    fig = plots.draw_boxes(images[:1], [[[0.1, 0.1, 0.3, 0.3]]], scores=[[0.123]])
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.12"]
    fig = plots.draw_boxes(images[:1], [[[0.1, 0.1, 0.3, 0.3]]], labels=[[4]])
    assert [t.get_text() for t in fig.axes[0].texts] == ["4"]


@pytest.mark.parametrize("images, boxes, kwargs, message", [
    (np.zeros((2, 8)), [[], []], {}, r"shape \(n, h, w\)"),
    (np.zeros((0, 8, 8)), [], {}, "no images"),
    (np.zeros((2, 8, 8)), [[]], {}, "2 images but 1 boxes"),
    (np.zeros((1, 8, 8)), [[[0, 0, 1]]], {}, r"boxes\[0\] must have shape \(k, 4\)"),
    (np.zeros((1, 8, 8)), [[[0, 0, 1, 1]]], {"labels": [[0, 1]]}, "1 boxes but 2 labels"),
    (np.zeros((1, 8, 8)), [[[0, 0, 1, 1]]], {"scores": []}, "1 images but 0 scores"),
    (np.zeros((1, 8, 8)), [[[0, 0, 1, 1]]], {"labels": [[3]], "class_names": "ab"},
     "labels must be ints 0-1"),
    (np.zeros((1, 8, 8)), [[[0, 0, 1, 1]]], {"labels": [[0.5]]}, "labels must be ints"),
    (np.zeros((1, 8, 8)), [[[0, 0, 1, 1]]], {"true_boxes": [[[0, 0]]]},
     r"true_boxes\[0\] must have shape \(k, 4\)"),
    (np.zeros((1, 8, 8)), [[[0, 0, 1, 1]]], {"ncols": 0}, "positive integer"),
])
def test_draw_boxes_rejects_bad_input(images, boxes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.draw_boxes(images, boxes, **kwargs)


def test_scatter_classes_one_colour_and_legend_entry_per_class():
    points = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.repeat([2, 0, 1], 10)
    fig = plots.scatter_classes(points, labels, class_names=["a", "b", "c"], title="map")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    assert [len(c.get_offsets()) for c in ax.collections] == [10, 10, 10]
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), points[10:20])
    assert ax.get_title() == "map"
    fig = plots.scatter_classes(points, labels)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["0", "1", "2"]


@pytest.mark.parametrize("points, labels, kwargs, message", [
    (np.zeros((4, 3)), np.zeros(4, dtype=int), {}, r"points of shape \(n, 2\), received shape"),
    (np.zeros(4), np.zeros(4, dtype=int), {}, r"points of shape \(n, 2\)"),
    (np.zeros((4, 2)), np.zeros(3, dtype=int), {}, "4 points but labels of shape"),
    (np.zeros((2, 2)), np.array([0.5, 1.0]), {}, "labels must be ints"),
    (np.zeros((2, 2)), np.array([0, 2]), {"class_names": "ab"}, "labels must be ints 0-1"),
])
def test_scatter_classes_rejects_bad_input(points, labels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.scatter_classes(points, labels, **kwargs)


def test_a_legend_below_sits_under_the_plot_and_keeps_the_axes_size():
    plain = plots.plot_lines([1, 2, 3], {"a": [1, 2, 3], "b": [3, 2, 1]})
    fig = plots.plot_lines([1, 2, 3], {"a": [1, 2, 3], "b": [3, 2, 1]}, legend="below")
    ax = fig.axes[0]
    fig.canvas.draw()
    plain.canvas.draw()
    legend_box = fig.legends[0].get_window_extent()
    assert ax.get_legend() is None and [t.get_text() for t in fig.legends[0].texts] == ["a", "b"]
    assert legend_box.y1 <= ax.xaxis.label.get_window_extent().y0  # under the x label
    assert abs(ax.get_window_extent().height - plain.axes[0].get_window_extent().height) < 15
    dates = np.arange("2020-01-01", "2020-03-01", 7, dtype="datetime64[D]")
    plots.plot_lines(dates, {"weekly": np.arange(len(dates))}, xlabel="date", legend="below")


def test_legend_below_replaces_a_legend_and_names_lines_added_later():
    fig = plots.plot_returns({"run": np.arange(30.0)}, threshold=20)
    fig.axes[0].plot([5, 10], [1, 2], "o", label="greedy")
    plots.legend_below(fig)
    assert fig.axes[0].get_legend() is None
    assert [t.get_text() for t in fig.legends[0].texts] == [
        "run, mean of 20", "threshold 20", "greedy"]


def test_text_inside_the_grid_world_is_readable():
    fig = plots.policy_arrows(["SF", "HG"], {"policy": [2, 1, 0, 0]},
                              values={"values": [0.5, 0.9, 0.0, 0.0]})
    sizes = [text.get_fontsize() for ax in fig.axes for text in ax.texts]
    assert sizes and min(sizes) >= plots.SMALL_TEXT_SIZE >= 9


def test_heatmap_overlays_lays_each_map_over_its_image():
    images = np.random.default_rng(0).random((3, 8, 8, 1))
    maps = {"saliency": np.random.default_rng(1).random((3, 8, 8)),
            "Grad-CAM": np.zeros((3, 4, 4))}                   # coarser, and all zero
    fig = plots.heatmap_overlays(images, maps, [0, 1, 2], ["a", "b", "c"],
                                 predictions=[0, 2, 2])
    assert isinstance(fig, Figure) and len(fig.axes) == 9
    assert [ax.get_ylabel() for ax in fig.axes[::3]] == ["image", "saliency", "Grad-CAM"]
    assert fig.axes[1].get_title() == "c\n(true: b)"
    assert fig.axes[1].title.get_color() == "red" and fig.axes[0].title.get_color() == "black"
    overlay = fig.axes[7].get_images()[1]                       # Grad-CAM of image 1
    assert overlay.get_array().shape == (4, 4) and overlay.get_extent() == [-0.5, 7.5, 7.5, -0.5]
    assert np.asarray(fig.axes[4].get_images()[1].get_array()).max() == pytest.approx(1.0)
    assert all(ax.title.get_fontsize() >= 10 for ax in fig.axes[:3])


@pytest.mark.parametrize("maps, kwargs, message", [
    ({"a": np.zeros((2, 4, 4))}, {}, r"maps\['a'\] must have shape \(3, h, w\)"),
    ({"a": np.zeros((3, 4))}, {}, r"maps\['a'\] must have shape"),
    ({}, {}, "needs maps, a dict"),
    ({"a": np.zeros((3, 4, 4))}, {"labels": [0, 1]}, "3 images but 2 labels"),
])
def test_heatmap_overlays_rejects_bad_input(maps, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.heatmap_overlays(np.zeros((3, 8, 8)), maps, **kwargs)
