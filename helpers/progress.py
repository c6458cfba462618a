"""Live training progress that leaves a compact record.

Every notebook trains with `verbose=0` and this callback:

    from helpers import progress
    model.fit(x, y, epochs=EPOCHS, verbose=0, callbacks=[progress.Progress()])

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

__all__ = ["Progress", "format_duration"]


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

    def __init__(self, label=None, per_epoch=True, every=0.5):
        super().__init__()
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Progress(label=...) takes a string, received {label!r}.")
        self.prefix = f"{label}: " if label else ""
        self.per_epoch = per_epoch
        self.every = every

    def on_train_begin(self, logs=None):
        self._epochs = self.params.get("epochs") or 1
        self._steps = self.params.get("steps")  # per epoch; None when Keras cannot tell
        self._lines = []
        self._done_steps = 0
        self._start = self._last_shown = time.perf_counter()
        self._first_step_end = None  # the first step also builds and traces: timed apart
        self._display = _LiveText()
        self._display.show(self._lines, f"{self.prefix}epoch 1/{self._epochs}: starting")

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
        step = f"step {batch + 1}" + (f"/{self._steps}" if self._steps else "")
        line = (f"{self.prefix}epoch {self._epoch + 1}/{self._epochs}, {step}: "
                f"{format_metrics(logs)}")
        if self._steps and self._done_steps > 1:  # the rate of the steps after the first
            left = self._epochs * self._steps - self._done_steps
            per_step = (now - self._first_step_end) / (self._done_steps - 1)
            line += f", about {format_duration(left * per_step)} left"
        self._display.show(self._lines, line)

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._epoch_start
        self._last_logs = logs
        if self.per_epoch:
            self._lines.append(f"{self.prefix}epoch {epoch + 1}/{self._epochs}: "
                               f"{format_metrics(logs)} ({format_duration(seconds)})")
        self._display.show(self._lines)

    def on_train_end(self, logs=None):
        if not self.per_epoch:
            epochs = self._epoch + 1 if hasattr(self, "_epoch") else 0
            self._lines.append(
                f"{self.prefix}{epochs} epoch{'s' if epochs != 1 else ''}: "
                f"{format_metrics(getattr(self, '_last_logs', None))} "
                f"({format_duration(time.perf_counter() - self._start)})")
        self._display.show(self._lines)
