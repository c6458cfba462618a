"""Argument checks shared by the data generators."""

import numpy as np


def require_int(name, value, low):
    """Raises ValueError unless `value` is an int (not a bool) of at least `low`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, received {value!r}.")
