"""Check that every executed notebook's plot cells produced an image.

Every code cell tagged `plot` must have an `image/svg+xml` or `image/png` output in the
executed copy (so a plot that silently stopped rendering fails CI).
Usage: python tools/check_notebook_plots.py target/notebooks-out
"""
import glob
import os
import sys

import nbformat

out_dir = sys.argv[1]
problems = []
checked = 0
for path in sorted(glob.glob(os.path.join(out_dir, "**", "*.ipynb"), recursive=True)):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "plot" not in cell.get("metadata", {}).get("tags", []):
            continue
        checked += 1
        has_image = any(
            "image/svg+xml" in o.get("data", {}) or "image/png" in o.get("data", {})
            for o in cell.get("outputs", [])
        )
        if not has_image:
            problems.append(f"{os.path.relpath(path, out_dir)} cell {i}: tagged `plot` but produced no image")
print(f"plot cells checked: {checked}")
for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
