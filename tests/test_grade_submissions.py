"""Finding and reading submissions (helpers.grade.submissions)."""

import json

import pytest

from helpers.grade.submissions import (NotANotebook, find_submissions, read_code_cells,
                                      read_format)


def test_find_submissions_accepts_both_layouts(tmp_path):
    for path in ["zoe.ipynb", "amy/work/x.ipynb", "amy/01_foundations.ipynb",
                 "amy/.ipynb_checkpoints/01_foundations-checkpoint.ipynb", ".hidden.ipynb",
                 "ben/readme.md", "grades.csv"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("{}")
    found = find_submissions(str(tmp_path), "01_foundations.ipynb",
                             exclude={str(tmp_path / "grades.csv")})
    assert [(s.student, s.notes) for s in found] == [
        ("amy", ["duplicate submission: used amy/01_foundations.ipynb, ignored amy/work/x.ipynb"]),
        ("ben", ["no notebook in folder"]),
        ("zoe", []),
    ]


def test_read_code_cells_joins_sources_given_as_lines(tmp_path):
    cells = [{"cell_type": "markdown", "source": "notes"},
             {"cell_type": "code", "source": ["x = 1\n", "y = 2"]},
             {"cell_type": "code", "source": "z = 3"}]
    (tmp_path / "a.ipynb").write_text(json.dumps({"nbformat": 4, "cells": cells}))
    assert read_code_cells(str(tmp_path / "a.ipynb")) == ["x = 1\ny = 2", "z = 3"]


def test_read_code_cells_says_why_a_file_is_not_a_notebook(tmp_path):
    cells = [{"cell_type": "code", "source": 3}]
    (tmp_path / "a.ipynb").write_text(json.dumps({"nbformat": 4, "cells": cells}))
    with pytest.raises(NotANotebook, match="a code cell's source is not text"):
        read_code_cells(str(tmp_path / "a.ipynb"))


@pytest.mark.parametrize("metadata, version", [
    ({"workbook": {"format": 2, "generated_from": "solutions/01_x.ipynb"}}, 2),
    ({"workbook": {"generated_from": "solutions/01_x.ipynb"}}, 1),  # before versions
    ({"kernelspec": {}}, None),  # an editor dropped the workbook's metadata
    ({"workbook": "odd"}, None),
    ({"workbook": {"format": "2"}}, None),
    ("not a dict", None),
])
def test_read_format_reads_the_version_from_the_metadata(tmp_path, metadata, version):
    (tmp_path / "a.ipynb").write_text(json.dumps({"nbformat": 4, "cells": [],
                                                  "metadata": metadata}))
    assert read_format(str(tmp_path / "a.ipynb")) == version
