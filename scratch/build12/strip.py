# Removes TensorFlow's native log lines (which nbval never sees) from stored stderr outputs,
# and the execution timings, then writes the notebook back with nbformat.
import sys, nbformat
sys.path.insert(0, "/work/nb12")
from helpers import NATIVE_LOG_LINE
src, dst = sys.argv[1], sys.argv[2]
nb = nbformat.read(src, as_version=4)
for c in nb.cells:
    c.metadata.pop("execution", None)
    if c.cell_type != "code": continue
    outs = []
    for o in c.outputs:
        if o.output_type == "stream" and o.name == "stderr":
            lines = [l for l in o.text.splitlines(True) if not NATIVE_LOG_LINE.match(l)]
            if not lines: continue
            o.text = "".join(lines)
        outs.append(o)
    c.outputs = outs
nbformat.write(nb, dst)
