"""Test settings for the whole workbook (at the root so it reaches solutions/).

Notebook kernels started by nbval inherit this process's environment, so the
variables set here put every kernel in quick mode and keep TensorFlow's C++ log
lines out of cell outputs (the stored outputs were made with the same settings,
see scripts/benchmark.py).
"""

import os

ROOT = os.path.dirname(os.path.abspath(__file__))

#: The environment every notebook kernel runs with in tests.
TEST_ENV = {
    "WORKBOOK_QUICK": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONHASHSEED": "0",
}
os.environ.update(TEST_ENV)


def pytest_configure(config):
    """Anchors nbval's sanitize file to the repository, whatever the working directory."""
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize and not os.path.isabs(sanitize):
        config.option.nbval_sanitize_with = os.path.join(ROOT, sanitize)
