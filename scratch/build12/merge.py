# Copies the outputs of an executed notebook into the built one (code cells must match).
import sys, nbformat
built, executed, dst = sys.argv[1:4]
a = nbformat.read(built, as_version=4); b = nbformat.read(executed, as_version=4)
ca = [c for c in a.cells if c.cell_type == "code"]; cb = [c for c in b.cells if c.cell_type == "code"]
assert len(ca) == len(cb), (len(ca), len(cb))
for x, y in zip(ca, cb):
    assert x.source == y.source, x.source[:80]
    x.outputs, x.execution_count = y.outputs, y.execution_count
nbformat.write(a, dst)
