"""Exercise checks, one module per notebook.

Use them from a notebook's test cell, e.g.:

    from helpers.checks import foundations as check
    check.softmax(softmax)

Modules:
    helpers.checks.core             the shared machinery (`@exercise`, `Exercise`, `CheckError`,
                                    value helpers, the statistical rules).
    helpers.checks.keras_models     tools to inspect Keras models and give layers known weights.
    helpers.checks.references       formulas more than one check needs (multi-head attention, ...).
    helpers.checks.getting_started  notebook 00.
    helpers.checks.foundations      notebook 01.
    helpers.checks.cnn_pipeline     notebook 02.
    helpers.checks.deep_cnns        notebook 03.
    helpers.checks.vision           notebook 04.
    helpers.checks.rnns             notebook 05.
    helpers.checks.attention        notebook 06.
    helpers.checks.transformers     notebook 07.
    helpers.checks.optimisers       notebook 08.
    helpers.checks.regularisation   notebook 09.
    helpers.checks.generative       notebook 10.
    helpers.checks.reinforcement    notebook 11.
    helpers.checks.language         notebook 12.
"""

from helpers.checks.core import CheckError, NotAttemptedError

__all__ = ["CheckError", "NotAttemptedError"]
