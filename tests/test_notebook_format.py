"""The notebook format (helpers.notebook_format): every reader and writer of it."""

import doctest

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers import notebook_format as nf

SETUP = [f"{nf.COLAB_SETUP_MARKER} in Colab this fetches the workbook.\nimport os",
         "# NBVAL_IGNORE_OUTPUT\nimport helpers\n\nhelpers.setup()"]


def test_module_examples():
    assert doctest.testmod(nf).failed == 0


def test_first_line():
    assert nf.first_line("a\nb\nc") == "a"
    assert nf.first_line("") == ""


@pytest.mark.parametrize("exercise_id, name, points, line", [
    ("01.9", "softmax", 2, "# TEST: 01.9 softmax [2 pts]"),
    ("02.3", "conv2d_forward", 1, "# TEST: 02.3 conv2d_forward [1 pt]"),
    ("03.12", "bottleneck", 0.5, "# TEST: 03.12 bottleneck [0.5 pts]"),
])
def test_test_line_round_trip(exercise_id, name, points, line):
    assert nf.format_test_line(exercise_id, name, points) == line
    parsed = nf.parse_test_line(line + "\ncheck.softmax(softmax)")
    assert parsed == (exercise_id, name, points)
    assert type(parsed.points) is type(points)


@pytest.mark.parametrize("source", [
    "#TEST: 01.9 softmax [2 pts]",
    "# TEST: 1.9 softmax [2 pts]",
    "# TEST: 01.9 softmax",
    "# TEST: 01.9 softmax [two pts]",
    "# TEST: 01.9 softmax [2 pts] and more",
    "  # TEST: 01.9 softmax [2 pts]",
    "check()\n# TEST: 01.9 softmax [2 pts]",
    "",
])
def test_parse_test_line_rejects_anything_but_a_well_formed_first_line(source):
    assert nf.parse_test_line(source) is None


@pytest.mark.parametrize("source, claimed", [
    ("# TEST: 01.9 softmax [2 pts]\ncheck()", "01.9"),
    ("#TEST: 01.9 softmax [20 pts]", "01.9"),
    ("#TEST:01.9", "01.9"),
    ("   #  TEST:   01.9 whatever", "01.9"),
    ("\n\n# TEST: 01.9 softmax [2 pts]", "01.9"),
    ("x = 1\n# TEST: 01.9 softmax [2 pts]", None),
    ("# TESTS: 01.9", None),
    ("", None),
])
def test_claimed_exercise_id_is_loose_about_the_first_line_only(source, claimed):
    assert nf.claimed_exercise_id(source) == claimed


@pytest.mark.parametrize("cases, line", [(8, "02.3 conv2d_forward: all 8 cases passed"),
                                         (1, "02.3 conv2d_forward: all 1 case passed")])
def test_success_line_round_trip(cases, line):
    assert nf.success_line("02.3", "conv2d_forward", cases) == line
    assert nf.parse_success_line(line + "\n") == ("02.3", "conv2d_forward", cases)


@pytest.mark.parametrize("text", ["02.3 conv2d_forward: 7 of 8 cases passed",
                                  "conv2d_forward: all 8 cases passed", ""])
def test_parse_success_line_rejects_other_text(text):
    assert nf.parse_success_line(text) is None


def test_is_solution_cell():
    assert nf.is_solution_cell(f"def f(x):\n    {nf.BEGIN_SOLUTION}\n    return x\n"
                               f"    {nf.END_SOLUTION}")
    assert not nf.is_solution_cell("def f(x):\n    " + "\n    ".join(nf.STUB))
    assert not nf.is_solution_cell(f"print('{nf.BEGIN_SOLUTION}')")


def test_count_setup_cells_runs_from_the_colab_cell_to_the_setup_call():
    assert nf.count_setup_cells(SETUP + ["import numpy as np"]) == 2
    three = [SETUP[0], "import numpy as np", SETUP[1], "x = 1"]
    assert nf.count_setup_cells(three) == 3


@pytest.mark.parametrize("code, message", [
    ([], "the first code cell must be the setup cell starting with '# Workbook setup:'"),
    (["import os", SETUP[1]], "the first code cell must be the setup cell"),
    ([SETUP[0], "import numpy"], r"no code cell calls helpers\.setup\(\) before the first test"),
    ([SETUP[0], "# TEST: 01.1 sigmoid [2 pts]\ncheck()", SETUP[1]],
     r"no code cell calls helpers\.setup\(\) before the first test cell"),
])
def test_count_setup_cells_says_what_is_missing(code, message):
    with pytest.raises(ValueError, match=message):
        nf.count_setup_cells(code)


def test_code_sources_skips_markdown():
    nb = new_notebook(cells=[new_markdown_cell("# Title"), new_code_cell("x = 1"),
                             new_markdown_cell("text"), new_code_cell("y = 2")])
    assert nf.code_sources(nb) == ["x = 1", "y = 2"]


def test_exercises_reads_every_test_cell_with_its_position_and_anchor():
    code = SETUP + ["def sigmoid(x):\n    return x", "# TEST: 01.1 sigmoid [2 pts]\ncheck()",
                    "print('scratch')", "# TEST: 01.2 tanh [1 pt]\ncheck()"]
    found = nf.exercises(code)
    assert [(ex.id, ex.name, ex.points, ex.test_index) for ex in found] == [
        ("01.1", "sigmoid", 2, 3), ("01.2", "tanh", 1, 5)]
    assert found[0].source == code[3] and found[0].anchor == code[2]
    assert found[1].anchor == "print('scratch')"


def test_exercises_refuses_an_id_twice():
    code = SETUP + ["# TEST: 01.1 sigmoid [2 pts]", "# TEST: 01.1 tanh [1 pt]"]
    with pytest.raises(ValueError, match="exercise 01.1 has two test cells"):
        nf.exercises(code)


def test_parse_check_call_reads_the_module_and_the_check():
    source = ("# TEST: 02.3 conv2d_forward [3 pts]\n"
              "from helpers.checks import cnn_pipeline as check\n"
              "check.conv2d_forward(conv2d_forward)")
    assert nf.parse_check_call(source) == ("cnn_pipeline", "conv2d_forward", "conv2d_forward")


@pytest.mark.parametrize("source", [
    "# TEST: 02.3 conv2d_forward [3 pts]\ncheck.conv2d_forward(conv2d_forward)",
    "from helpers.checks import cnn_pipeline as check\nprint(check)",
    "from helpers.checks import cnn_pipeline\ncnn_pipeline.conv2d_forward(conv2d_forward)",
])
def test_parse_check_call_rejects_other_cells(source):
    assert nf.parse_check_call(source) is None


def test_strip_solution_keeps_indentation_and_surrounding_code():
    source = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    ### BEGIN SOLUTION\n"
        "    y = x + 1\n"
        "    return y\n"
        "    ### END SOLUTION\n"
        "\n"
        "print('after')"
    )
    assert nf.strip_solution(source) == (
        "def f(x):\n"
        '    """Doc."""\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
        "\n"
        "print('after')"
    )


def test_strip_solution_handles_two_blocks_and_plain_cells():
    source = ("### BEGIN SOLUTION\na = 1\n### END SOLUTION\nb = 2\n"
              "### BEGIN SOLUTION\nc = 3\n### END SOLUTION")
    assert nf.strip_solution(source).count("raise NotImplementedError()") == 2
    assert nf.strip_solution("x = 1") == "x = 1"


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
])
def test_strip_solution_rejects_unbalanced_markers(source, message):
    with pytest.raises(ValueError, match=message):
        nf.strip_solution(source, "solutions/x.ipynb cell 3")


def test_defines_finds_the_graded_function_or_class():
    assert nf.defines("import numpy as np\n\ndef relu(x):\n    pass", "relu")
    assert nf.defines("class ReplayBuffer:\n    pass", "ReplayBuffer")
    assert not nf.defines("def relu_grad(x):\n    pass", "relu")
    assert not nf.defines("y = relu(x)", "relu")


def test_released_notebooks_carry_the_format_version():
    import glob
    import json
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = sorted(glob.glob(os.path.join(root, "notebooks", "*.ipynb")))
    assert paths
    for path in paths:
        with open(path, encoding="utf-8") as f:
            metadata = json.load(f)["metadata"]
        assert nf.format_version(metadata) == nf.FORMAT_VERSION, path
    assert nf.workbook_metadata(generated_from="solutions/x.ipynb") == {
        "format": nf.FORMAT_VERSION, "generated_from": "solutions/x.ipynb"}


def test_messages_wrap_on_words_and_keep_values_aligned():
    message = ("04.1 iou, case 'hand-worked': " + "a long explanation " * 8 + "\n"
               "  expected: [0.1429, 0.    , 0.    , 0.25  , 1.    , 0.    , ...] "
               "(shape (2, 6), dtype float64)\n"
               "  received: [0.2   , 0.    , 0.    , 0.25  , 1.    , 0.    , ...] "
               "(shape (2, 6), dtype float64)\nHint: " + "look here " * 12)
    lines = nf.wrap_message(message).splitlines()
    assert max(len(line) for line in lines) <= nf.MESSAGE_WIDTH
    assert " ".join(" ".join(lines).split()) == " ".join(message.split())  # no word broken
    expected = lines.index(next(line for line in lines if line.startswith("  expected: ")))
    assert lines[expected + 1].startswith(" " * 12) and lines[expected + 1][12] != " "
    after_hint = lines[[i for i, line in enumerate(lines) if line.startswith("Hint: ")][0] + 1]
    assert after_hint.startswith(" " * 6) and after_hint[6] != " "  # under the hint's text
    assert "\n" + " " * 12 + "(shape (2, 6), dtype float64)" in nf.wrap_message(message, 80)
    assert nf.wrap_message("short\n  lines stay") == "short\n  lines stay"
    long_word = "x" * 120
    assert nf.wrap_message(long_word) == long_word
