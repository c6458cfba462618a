"""Unit tests of helpers.progress: the live training display and its record."""

import os
import re

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402

from helpers import progress  # noqa: E402


def _tiny_fit(callback, epochs=3, **kwargs):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=[callback], **kwargs)


def test_one_line_per_epoch_outside_jupyter(capsys):
    _tiny_fit(progress.Progress(), validation_split=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3, lines
    for number, line in enumerate(lines, start=1):
        assert re.fullmatch(rf"epoch {number}/3: loss \d\.\d{{4}}, accuracy \d\.\d{{4}}, "
                            r"val_loss \d\.\d{4}, val_accuracy \d\.\d{4} \(\d+ s\)", line), line


def test_a_label_and_one_line_per_fit(capsys):
    _tiny_fit(progress.Progress("small net", per_epoch=False), epochs=4)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and re.fullmatch(
        r"small net: 4 epochs: loss \d\.\d{4}, accuracy \d\.\d{4} \(\d+ s\)", lines[0]), lines


class _FakeHandle:
    def __init__(self):
        self.shown = []

    def update(self, data, raw):
        self.shown.append(data["text/plain"])


def test_the_live_line_shows_step_metrics_and_time_left(monkeypatch):
    handle = _FakeHandle()
    monkeypatch.setattr(progress._LiveText, "__init__",
                        lambda self: setattr(self, "_handle", handle))
    _tiny_fit(progress.Progress(every=0.0), epochs=2)
    assert handle.shown[0] == "epoch 1/2: building the model"  # Keras traces before step 1
    live = [text.splitlines()[-1] for text in handle.shown if "step" in text]
    assert live and re.fullmatch(r"epoch \d/2, step \d/4: loss \d\.\d{4}, accuracy \d\.\d{4}, "
                                 r"about \d+ s left", live[-1]), live[-1]
    assert handle.shown[-1].count("\n") == 1 and "step" not in handle.shown[-1]


def test_time_left_leaves_out_the_first_step(monkeypatch):
    """The first step also builds and traces the model: it would inflate the estimate."""
    handle = _FakeHandle()
    monkeypatch.setattr(progress._LiveText, "__init__",
                        lambda self: setattr(self, "_handle", handle))
    clock = iter([0.0, 0.0, 30.0, 31.0, 32.0, 33.0])  # start, epoch start, ends of steps 1-4
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    bar = progress.Progress(every=0.0)
    bar.set_params({"epochs": 1, "steps": 10})
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    lines = []
    for step in range(4):
        bar.on_train_batch_end(step, {"loss": 1.0})
        lines.append(handle.shown[-1])
    assert "left" not in lines[0]  # one step says nothing about the rate yet
    assert lines[1].endswith("about 8 s left") and lines[3].endswith("about 6 s left"), lines


@pytest.mark.parametrize("seconds, text", [(0.4, "0 s"), (8, "8 s"), (245.2, "4 min 05 s"),
                                           (3720, "1 h 02 min")])
def test_format_duration(seconds, text):
    assert progress.format_duration(seconds) == text


def test_a_label_must_be_text():
    with pytest.raises(TypeError, match="takes a string"):
        progress.Progress(3)


def _live(monkeypatch):
    handle = _FakeHandle()
    monkeypatch.setattr(progress._LiveText, "__init__",
                        lambda self: setattr(self, "_handle", handle))
    return handle


def test_a_loop_names_its_units_and_keeps_a_line_per_round(monkeypatch):
    handle = _live(monkeypatch)
    bar = progress.Loop("Q-learning", rounds=2, steps=3, unit="episode", round_unit="block",
                        every=0.0)
    assert handle.shown[0] == "Q-learning: block 1/2: starting"
    for block in range(2):
        for episode in range(3):
            bar.step(success=0.5)
        bar.end_round(success=0.5, greedy=0.75)
    bar.end()
    live = [text.splitlines()[-1] for text in handle.shown if "episode" in text]
    assert live[0] == "Q-learning: block 1/2, episode 1/3: success 0.5000"
    assert re.fullmatch(r"Q-learning: block 2/2, episode 3/3: success 0\.5000, about 0 s left",
                        live[-1]), live[-1]
    record = handle.shown[-1].splitlines()
    assert [re.sub(r" \(\d+ s\)$", "", line) for line in record] == [
        "Q-learning: block 1/2: success 0.5000, greedy 0.7500",
        "Q-learning: block 2/2: success 0.5000, greedy 0.7500"]


def test_a_loop_of_one_round_leaves_one_line_without_empty_metrics(capsys):
    bar = progress.Loop("sampling", steps=4, unit="reverse step")
    for t in range(4):
        bar.step()
    bar.end()
    assert re.fullmatch(r"sampling: 4 reverse steps \(\d+ s\)\n", capsys.readouterr().out)


def test_a_loop_of_one_round_says_the_step(monkeypatch, capsys):
    handle = _live(monkeypatch)
    bar = progress.Loop("style", steps=5, every=0.0)
    assert handle.shown[0] == "style: starting"
    bar.step(loss=2.0)
    assert handle.shown[-1] == "style: step 1/5: loss 2.0000"
    bar.end(loss=1.0)
    assert re.fullmatch(r"style: 1 step: loss 1\.0000 \(\d+ s\)", handle.shown[-1])


@pytest.mark.parametrize("kwargs, error, message", [
    ({"steps": 0}, ValueError, r"Loop\(steps=...\) takes a positive int, received 0"),
    ({"steps": 3, "rounds": 2.0}, ValueError, r"Loop\(rounds=...\) takes a positive int"),
    ({"steps": 3, "unit": ""}, TypeError, r"Loop\(unit=...\) takes a word"),
    ({"steps": 3, "label": 7}, TypeError, r"Loop\(label=...\) takes a string")])
def test_a_loop_refuses_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        progress.Loop(**kwargs)
