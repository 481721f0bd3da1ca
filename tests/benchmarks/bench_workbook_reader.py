"""Time and peak memory of reading hostile workbooks; prints figures, asserts nothing.

Run: ``.venv/bin/python tests/benchmarks/bench_workbook_reader.py``. Each case runs in a fresh
child process (so its peak resident memory is its own): the stray cell at XFD1048576 / A1048576
that made the old reader allocate the whole grid (3.7–6.8 GB and a hang), the same far cell
styled but empty, a huge merged range, and a plain filled workbook for comparison. The
baseline line is the child's memory after importing the reader and openpyxl, reading nothing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import openpyxl

CHILD = """
import resource, sys, time
from tuoyu_model.errors import DataError
from tuoyu_model.workbook_reader import read_workbook
import openpyxl
t0 = time.perf_counter()
outcome = "nothing read"
if sys.argv[1] != "-":
    try:
        sheets = read_workbook(sys.argv[1], fill_merged=True)
        outcome = f"read {sum(s.n_rows * s.n_cols for s in sheets)} cells"
    except DataError as exc:
        outcome = "refused: " + str(exc).split("：", 1)[1][:60]
seconds = time.perf_counter() - t0
print(f"{seconds:.3f}\\t{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}\\t{outcome}")
"""


def _stray(path: Path, ref: str, value: bool = True) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B2"] = "属地", 5
    if value:
        ws[ref] = "x"
    else:
        ws[ref].font = openpyxl.styles.Font(bold=True)
    wb.save(path)
    return path


def _huge_merge(path: Path) -> Path:
    _stray(path, "C3")
    with zipfile.ZipFile(path) as z:
        entries = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</sheetData>", b'</sheetData><mergeCells><mergeCell ref="A1:XFD1048576"/></mergeCells>'
                )
            z.writestr(info, data)
    return path


def _filled(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, 25):
        ws.append([f"单位{r}"] + [r * c for c in range(1, 38)])
    wb.save(path)
    return path


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        cases = [
            ("baseline (imports only)", "-"),
            ("value at XFD1048576", _stray(t / "xfd.xlsx", "XFD1048576")),
            ("value at A1048576", _stray(t / "a.xlsx", "A1048576")),
            ("styled empty XFD1048576", _stray(t / "styled.xlsx", "XFD1048576", value=False)),
            ("merged A1:XFD1048576", _huge_merge(t / "merge.xlsx")),
            ("24 × 38 filled sheet", _filled(t / "filled.xlsx")),
        ]
        print(f"{'case':<26} {'seconds':>8} {'peak RSS MB':>12}  outcome")
        for label, path in cases:
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, cwd=root, check=True
            )
            seconds, rss, outcome = proc.stdout.strip().split("\t")
            print(f"{label:<26} {float(seconds):>8.3f} {float(rss):>12.0f}  {outcome}")


if __name__ == "__main__":
    main()
