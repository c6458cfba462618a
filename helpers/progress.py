"""Live training progress that leaves a compact record.

Every notebook trains with `verbose=0` and this callback:

    from helpers import progress
    model.fit(x, y, epochs=EPOCHS, verbose=0, callbacks=[progress.Progress()])

A loop written by hand (a custom training step, episodes of a game, the steps of
sampling) shows the same display with `Loop`, in its own units:

    bar = progress.Loop("Q-learning", rounds=10, steps=1000, unit="episode",
                        round_unit="block")
    for block in range(10):
        for episode in range(1000):
            ...
            bar.step(success=rate)
        bar.end_round(success=rate)
    bar.end()

While `fit` runs, the cell shows one line that is rewritten about twice a second:
the epoch, the step, the loss and metrics so far and the time left. When an epoch
ends, its line stays: the cell keeps about one line per epoch, and the notebook
prints its own summary after training. With `per_epoch=False` a whole `fit` call
leaves a single line (for cells that train many small models).

Why not Keras's own progress bar (`verbose=1`)? In Jupyter it redraws itself by
writing a new copy of the bar (backspaces, then the bar), and a notebook executed
outside a browser stores every copy: a 12-second, 3-epoch fit stored 9.5 kB of
redraws, so minutes of training store hundreds of kilobytes. It also shows only the
time left in the current epoch. `verbose=2` leaves one line per epoch but shows nothing while an
epoch runs.
"""

import time

import keras

__all__ = ["Loop", "Progress", "format_duration"]


def format_duration(seconds):
    """Formats seconds for people: `"8 s"`, `"4 min 05 s"`, `"1 h 02 min"`.

    Example:

    >>> format_duration(245.2)
    '4 min 05 s'
    """
    seconds = int(round(max(seconds, 0)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def format_metrics(logs):
    """Formats Keras logs as `"loss 0.4123, accuracy 0.8512, val_loss 0.3918, ..."`."""
    logs = logs or {}

    def order(name):  # loss first, then the metrics, then the same for validation
        return (name.startswith("val_"), name.removeprefix("val_") != "loss")

    parts = []
    for name, value in sorted(logs.items(), key=lambda item: order(item[0])):
        try:
            parts.append(f"{name} {float(value):.4f}")
        except (TypeError, ValueError):  # a value that is not one number
            continue
    return ", ".join(parts)


class _LiveText:
    """One block of text in the cell's output that can be rewritten in place.

    In Jupyter it is a display that is updated (`update_display_data`); a saved
    notebook keeps only its last state. Elsewhere (a script, a test) only the
    lines that are final are printed.
    """

    def __init__(self):
        self._handle = None
        self._printed = 0
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:
            shell = None
        if shell is not None and getattr(shell, "kernel", None) is not None:
            from IPython.display import display

            self._handle = display({"text/plain": ""}, raw=True, display_id=True)

    def show(self, final_lines, live_line=""):
        """Shows the final lines, then the live line (which the next call replaces)."""
        if self._handle is not None:
            text = "\n".join(final_lines + ([live_line] if live_line else []))
            self._handle.update({"text/plain": text}, raw=True)
            return
        for line in final_lines[self._printed:]:
            print(line, flush=True)
        self._printed = len(final_lines)


class Progress(keras.callbacks.Callback):
    """Shows training progress live and keeps about one line per epoch.

    Pass it to `fit` together with `verbose=0` (which turns Keras's own bar off).

    Args:
        label: a name printed at the start of every line, e.g. `"deep plain"`,
            for cells that train several models.
        per_epoch: keep one line per epoch (True), or a single line for the
            whole `fit` call (False).
        every: seconds between two updates of the live line.

    Example:

    >>> model.fit(x, y, epochs=3, verbose=0, callbacks=[Progress()])
    epoch 1/3: loss 0.5901, accuracy 0.7982 (4 s)
    epoch 2/3: loss 0.4012, accuracy 0.8583 (4 s)
    epoch 3/3: loss 0.3620, accuracy 0.8702 (4 s)
    """

    #: What one epoch and one step are called in the lines (`Loop` names its own).
    round_unit, step_unit = "epoch", "step"

    def __init__(self, label=None, per_epoch=True, every=0.5):
        super().__init__()
        if label is not None and not isinstance(label, str):
            raise TypeError(f"{type(self).__name__}(label=...) takes a string, received "
                            f"{label!r}.")
        self.prefix = f"{label}: " if label else ""
        self.per_epoch = per_epoch
        self.every = every

    def _round(self, index):
        """`"epoch 2/5"`: where training is, by its rounds."""
        return f"{self.round_unit} {index + 1}/{self._epochs}"

    def _starting(self):
        """The live line before the first step, while Keras builds and traces the model
        (several seconds for a large one): `"epoch 1/5: building the model"`."""
        return f"{self._round(0)}: building the model"

    def _where(self, batch):
        """`"epoch 2/5, step 30/200"`: where training is, for the live line."""
        step = f"{self.step_unit} {batch + 1}" + (f"/{self._steps}" if self._steps else "")
        return f"{self._round(self._epoch)}, {step}"

    def _record(self, where, logs, seconds):
        """A line that stays: `"epoch 2/5: loss 0.3120 (4 s)"` (no colon without metrics)."""
        metrics = format_metrics(logs)
        return (f"{self.prefix}{where}{': ' + metrics if metrics else ''} "
                f"({format_duration(seconds)})")

    def _summary(self):
        """What a whole run was, for its one line: `"4 epochs"`."""
        epochs = self._epoch + 1 if hasattr(self, "_epoch") else 0
        return f"{epochs} {self.round_unit}{'s' if epochs != 1 else ''}"

    def on_train_begin(self, logs=None):
        self._epochs = self.params.get("epochs") or 1
        self._steps = self.params.get("steps")  # per epoch; None when Keras cannot tell
        self._lines = []
        self._done_steps = 0
        self._start = self._last_shown = time.perf_counter()
        self._first_step_end = None  # the first step also builds and traces: timed apart
        self._display = _LiveText()
        self._display.show(self._lines, f"{self.prefix}{self._starting()}")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._done_steps += 1
        now = time.perf_counter()
        if self._first_step_end is None:
            self._first_step_end = now
        if now - self._last_shown < self.every:
            return
        self._last_shown = now
        shown = [format_metrics(logs)]
        if self._steps and self._done_steps > 1:  # the rate of the steps after the first
            left = self._epochs * self._steps - self._done_steps
            per_step = (now - self._first_step_end) / (self._done_steps - 1)
            shown.append(f"about {format_duration(left * per_step)} left")
        shown = ", ".join(part for part in shown if part)
        self._display.show(self._lines,
                           f"{self.prefix}{self._where(batch)}{': ' + shown if shown else ''}")

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._epoch_start
        self._last_logs = logs
        if self.per_epoch:
            self._lines.append(self._record(self._round(epoch), logs, seconds))
        self._display.show(self._lines)

    def on_train_end(self, logs=None):
        if not self.per_epoch:
            self._lines.append(self._record(self._summary(), getattr(self, "_last_logs", None),
                                            time.perf_counter() - self._start))
        self._display.show(self._lines)


class Loop(Progress):
    """The live display of `Progress` for a loop you write yourself.

    A custom training loop, the episodes of a game or the steps of sampling: call
    `step()` after every step, `end_round()` after every round of `steps` steps (an
    epoch, a block of episodes), and `end()` at the end. Lines name your units, e.g.
    `"Q-learning: block 3/10, episode 250/1000: success 0.5200, about 4 s left"`, and
    each finished round leaves one line (or, with `per_round=False`, the whole loop
    leaves one).

    Args:
        label: a name printed at the start of every line, e.g. `"DQN"`.
        steps: steps per round (a positive int).
        rounds: how many rounds (a positive int). With one round, lines say only the
            step (`"sampling: reverse step 40/100"`) and the loop leaves one line.
        unit: what a step is, e.g. `"episode"` (plural: an `s` is added).
        round_unit: what a round is, e.g. `"block"`.
        per_round: keep one line per round (True) or one line for the whole loop.
        every: seconds between two updates of the live line.

    Example:

    >>> bar = Loop("style", steps=400, per_round=False)
    >>> for i in range(400):
    ...     bar.step(loss=losses[i])
    >>> bar.end(loss=losses[-1])
    style: 400 steps: loss 0.0123 (9 s)
    """

    def __init__(self, label=None, *, steps, rounds=1, unit="step", round_unit="epoch",
                 per_round=True, every=0.5):
        super().__init__(label, per_epoch=per_round and rounds != 1, every=every)
        for name, value in (("steps", steps), ("rounds", rounds)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Loop({name}=...) takes a positive int, received {value!r}.")
        for name, value in (("unit", unit), ("round_unit", round_unit)):
            if not isinstance(value, str) or not value:
                raise TypeError(f"Loop({name}=...) takes a word, received {value!r}.")
        self.step_unit, self.round_unit = unit, round_unit
        self.set_params({"epochs": rounds, "steps": steps})
        self.on_train_begin()
        self._step_in_round = 0
        self.on_epoch_begin(0)

    def _starting(self):
        """`"starting"`, or `"block 1/4: starting"`: a loop builds nothing before its first
        step that the progress line could name."""
        return "starting" if self._epochs == 1 else f"{self._round(0)}: starting"

    def _where(self, batch):
        if self._epochs == 1:  # one round: the steps say it all
            return f"{self.step_unit} {batch + 1}/{self._steps}"
        return super()._where(batch)

    def _summary(self):
        if self._epochs == 1:
            steps = self._done_steps
            return f"{steps} {self.step_unit}{'s' if steps != 1 else ''}"
        return super()._summary()

    def step(self, **metrics):
        """Counts one step; `metrics` (numbers) show on the live line."""
        self.on_train_batch_end(self._step_in_round, metrics)
        self._step_in_round += 1

    def end_round(self, **metrics):
        """Ends a round; with `per_round`, its line stays with these `metrics`."""
        self.on_epoch_end(self._epoch, metrics)
        self._step_in_round = 0
        if self._epoch + 1 < self._epochs:
            self.on_epoch_begin(self._epoch + 1)

    def end(self, **metrics):
        """Ends the loop; with `per_round=False` its one line shows these `metrics`."""
        if metrics:
            self._last_logs = metrics
        self.on_train_end()
