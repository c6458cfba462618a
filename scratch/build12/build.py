import nbformat, sys, json
exec(open("/tmp/nb12b/part1.py").read())
exec(open("/tmp/nb12b/part2.py").read())
exec(open("/tmp/nb12b/part3.py").read())
import os
if os.path.exists("/tmp/nb12b/part4.py"):
    exec(open("/tmp/nb12b/part4.py").read()); exec(open("/tmp/nb12b/part4b.py").read())
values = json.load(open("/tmp/nb12b/values.json"))
nb = nbformat.v4.new_notebook()
nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
               "language_info": {"name": "python"}}
for kind, src in CELLS:
    for k, v in values.items():
        src = src.replace(k, str(v))
    nb.cells.append(nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src))
nbformat.write(nb, "/work/nb12/solutions/12_language.ipynb")
left = [k for k in values if any(k in s for _, s in CELLS)]
import re
print(len(nb.cells), "cells")
