"""Time reading progress returns and evaluating them; prints figures, asserts nothing.

Run: ``/work/venv/bin/python tests/benchmarks/bench_progress.py [QUARTERS]``. Writes one xlsx per
unit per quarter (22 × QUARTERS files, the realistic worst case: every unit sends its own file)
into a temporary folder, then times ``read_progress`` and ``evaluate`` with and without the re-plan.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tuoyu_model.data import load_targets  # noqa: E402
from tuoyu_model.progress import evaluate, read_progress, write_return_csv, write_return_xlsx  # noqa: E402
from tuoyu_model.progress.template import TEMPLATE_EXAMPLE  # noqa: E402


def main(quarters: int = 4) -> None:
    units = load_targets().drop_duplicates("town_id")
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for q in range(quarters):
            month = 3 * (q % 4) + 3
            date = dt.date(2024 + q // 4, month, 30 if month in (6, 9) else 31)
            for n, town in enumerate(units.town):
                rec = {**TEMPLATE_EXAMPLE, "town": town, "date": date, "total_slots": 100 + 10 * q + n}
                path = Path(tmp) / f"{town}_{date}.{'xlsx' if n % 2 else 'csv'}"
                files.append(write_return_xlsx(path, [rec]) if n % 2 else write_return_csv(path, [rec], "gbk"))
        t0 = time.perf_counter()
        df = read_progress(files)
        t1 = time.perf_counter()
        evaluate(files, with_replan=False)
        t2 = time.perf_counter()
        evaluate(files, with_replan=True)
        t3 = time.perf_counter()
    print(f"files: {len(files)} ({quarters} quarters × 22 units, half xlsx, half GBK csv); rows read: {len(df)}")
    print(f"read_progress:            {t1 - t0:6.2f} s  ({(t1 - t0) / len(files) * 1000:.1f} ms per file)")
    print(f"evaluate (no re-plan):    {t2 - t1:6.2f} s")
    print(f"evaluate (with re-plan):  {t3 - t2:6.2f} s  (the scenario's run and the re-plan's solve)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
