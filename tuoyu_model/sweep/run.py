"""``tuoyu sweep SPEC.yaml``: solve every point of a spec and write ``outputs/sweeps/<spec name>/`` atomically.

The folder holds ``points.csv`` (one row per point, UTF-8 with BOM), ``tables/*.csv`` (the
analyses the spec calls for), ``summary.json``, ``results.xlsx`` (Chinese, 万元),
``figures/*.png``, ``spec.yaml`` (the spec as read), the report (``report.ipynb``,
``report.html``, from ``notebooks/sweep_report.ipynb``) and ``manifest.json``. It is written in a
temporary folder beside the final one and moved into place only when complete, as ``tuoyu run``
does: a sweep that fails, or is stopped, leaves the previous outputs as they were. Everything but
the manifest's run record is the same byte for byte when the sweep is run again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuoyu_model.csv_writer import write_csv, write_json
from tuoyu_model.errors import ScenarioError
from tuoyu_model.parameters import load_scenario
from tuoyu_model.paths import data_dir, notebooks_dir
from tuoyu_model.runs.locations import output_base, safe_output_dir, shown
from tuoyu_model.runs.notebook import clean_notebook, execute_notebook, export_html
from tuoyu_model.runs.provenance import _label, build_manifest, input_files
from tuoyu_model.runs.publish import check_replaceable, publishing
from tuoyu_model.sweep import analysis
from tuoyu_model.sweep.design import Design, make_design
from tuoyu_model.sweep.execute import Context, run_points
from tuoyu_model.sweep.figures import start_figures
from tuoyu_model.sweep.present import write_workbook
from tuoyu_model.sweep.spec import SweepSpec, load_spec

SWEEP_NOTEBOOK = "sweep_report.ipynb"
TOP_FACTORS = 5  # assumptions named in the summary (and in a scenario report's 不确定性 section)


@dataclass
class SweepRecord:
    """What a sweep wrote and how long it took."""

    name: str
    folder: Path
    n_points: int
    n_failed: int
    seconds: float
    executed_on: str
    timings: dict[str, float] = field(default_factory=dict)


def _integer_factors(spec: SweepSpec) -> dict[str, bool]:
    params = load_scenario(spec.scenario).parameters
    return {n: params.meta[n.split(".")[0]].get("type") == "integer" for n in spec.distributions}


def analyse(spec: SweepSpec, design: Design, points: Any, years: list[int]) -> tuple[dict, dict]:
    """Return the tables the spec calls for and the headline summary (``summary.json``)."""
    tables: dict = {"points": points, "failed": analysis.failed_table(points, design.names)}
    notes = []
    if spec.kind == "grid":
        tables["curve"] = analysis.curve_table(points, design.names)
        frontier = analysis.frontier_table(points, design.names)
        if frontier is not None:
            tables["frontier"] = frontier
    if spec.kind == "draws":
        tables["fan"] = analysis.fan_table(points, years)
        tables["budget_probability"] = analysis.budget_probability_table(points, spec.budgets_wan)
    if spec.kind in ("morris", "sobol"):
        sens, note = analysis.sensitivity_table(design, points, spec.seed, spec.levels)
        tables["sensitivity"] = sens
        if note:
            notes.append(note)
    ok = analysis.solved(points)
    summary: dict[str, Any] = {
        "sweep": spec.name,
        "title": spec.title,
        "description": spec.description,
        "spec_file": _label(spec.path),
        "scenario": spec.scenario,
        "kind": spec.kind,
        "factors": design.names,
        "fixed": spec.fixed,
        "seed": spec.seed,
        "years": years,
        "n_points": len(points),
        "n_failed": int((~ok).sum()),
        "failed_point_ids": points.loc[~ok, "point_id"].astype(int).tolist(),
        "notes": notes,
    }
    if "fan" in tables:
        total = tables["fan"].set_index("year").loc["total"]
        summary["public_cost_total_yuan"] = {k: round(float(total[f"{k}_yuan"]), 2) for k in analysis.QUANTILES}
    if "sensitivity" in tables and len(tables["sensitivity"]):
        s = tables["sensitivity"]
        top = s[s.metric == "public_cost_total_yuan"].sort_values("rank").head(TOP_FACTORS)
        summary["top_factors"] = top["factor"].tolist()
    return tables, summary


def _versions() -> dict[str, str]:
    """Versions of the packages only a sweep uses (the manifest's ``versions`` has the others)."""
    import importlib.metadata

    out = {}
    for pkg in ("SALib", "tqdm", "dask", "distributed"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _check_options(jobs: int, scheduler: str | None, dask_local: int | None) -> int:
    if jobs < 0:
        raise ScenarioError(f"--jobs {jobs}: 应为 0（每个 CPU 核一个进程）或正整数，例如 --jobs 2")
    if scheduler and dask_local:
        raise ScenarioError("--scheduler 与 --dask-local 只能选一个：连接已有的 Dask 集群，或在本机启动一个")
    if dask_local is not None and dask_local < 1:
        raise ScenarioError(f"--dask-local {dask_local}: 应为正整数（本机 Dask 工作进程数），例如 --dask-local 2")
    if scheduler and not str(scheduler).startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise ScenarioError(f"--scheduler {scheduler}: 应为 Dask 调度器地址，例如 tcp://10.0.0.5:8786")
    return jobs or os.cpu_count() or 1


def run_sweep(
    spec_path: str | Path,
    jobs: int = 1,
    scheduler: str | None = None,
    dask_local: int | None = None,
    out: str | Path | None = None,
    report: bool = True,
) -> SweepRecord:
    """Run a sweep spec into ``<out>/sweeps/<spec name>/``; see the module docstring.

    Parameters
    ----------
    spec_path : path
        The spec (e.g. ``data/sweeps/share_target_curve.yaml``).
    jobs : int, default 1
        Worker processes on this machine (0: one per core); ignored with Dask.
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``).
    dask_local : int, optional
        Start a Dask ``LocalCluster`` of this many workers on 127.0.0.1 for the sweep.
    out : path, optional
        The outputs folder (default ``outputs/``).
    report : bool, default True
        Execute the report notebook.

    Raises
    ------
    ScenarioError
        A bad spec or option (nothing is written).
    ReportError
        The report failed; the previous outputs are unchanged.

    """
    started, t0 = time.time(), time.perf_counter()
    spec = load_spec(spec_path)
    jobs = _check_options(jobs, scheduler, dask_local)
    base = output_base(out) / "sweeps"
    base.mkdir(exist_ok=True)
    final = safe_output_dir(base, spec.name)
    check_replaceable(final)  # before any point is solved: a folder that is not ours is refused now
    design = make_design(spec, _integer_factors(spec))
    ctx = Context(spec.scenario, tuple(spec.fixed.items()), str(data_dir()))
    points_in = [design.point(i) for i in range(len(design))]
    print(f"sweep {spec.name}: {len(design):,} 个点（{spec.kind}）…", file=sys.stderr, flush=True)
    t1 = time.perf_counter()
    rows, executed_on = run_points(ctx, points_in, jobs, scheduler, dask_local)
    timings = {"solve": time.perf_counter() - t1}
    scenario = load_scenario(spec.scenario)
    plan = scenario.parameters["plan_years"]
    years = list(range(int(plan["first"]), int(plan["last"]) + 1))
    points = analysis.points_table(design, rows, years)
    tables, summary = analyse(spec, design, points, years)
    notebook = notebooks_dir() / SWEEP_NOTEBOOK
    inputs = input_files(scenario, notebook if report else None)
    inputs[_label(spec.path)] = hashlib.sha256(spec.path.read_bytes()).hexdigest()

    def manifest(folder: Path) -> dict:
        return build_manifest(
            "sweep",
            folder,
            started=started,
            seconds=time.perf_counter() - t0,
            inputs=inputs,
            timings=timings,
            sweep=spec.name,
            title=spec.title,
            spec_file=_label(spec.path),
            scenario=spec.scenario,
            design=spec.kind,
            n_points=len(points),
            n_failed=summary["n_failed"],
            executed_on=executed_on,
            sweep_packages=_versions(),
        )

    with publishing(final, manifest, label=f"sweep {spec.name}") as tmp:
        t2 = time.perf_counter()
        charts = start_figures(tmp, summary, tables)  # drawn partly in a helper process meanwhile
        try:
            write_csv(points, tmp / "points.csv")
            for name, df in tables.items():
                if name != "points":
                    write_csv(df, tmp / "tables" / f"{name}.csv")
            write_json(summary, tmp / "summary.json")
            shutil.copyfile(spec.path, tmp / "spec.yaml")
            write_workbook(tmp / "results.xlsx", summary, tables)
        finally:
            charts()
        timings["write"] = time.perf_counter() - t2
        if report:
            t3 = time.perf_counter()
            timings |= execute_notebook(notebook, tmp / "report.ipynb", {"sweep_dir": "."}, cwd=tmp)
            nb = clean_notebook(tmp / "report.ipynb", notebook)
            export_html(nb, tmp / "report.html", spec.title)
            timings["report"] = time.perf_counter() - t3
    return SweepRecord(
        spec.name, final, len(points), summary["n_failed"], time.perf_counter() - t0, executed_on, timings
    )


def cli_sweep(args: Any) -> int:
    """``tuoyu sweep``: run, then say where the outputs are and how many points failed."""
    rec = run_sweep(
        args.spec,
        jobs=args.jobs,
        scheduler=args.scheduler,
        dask_local=args.dask_local,
        out=args.out,
        report=not args.no_report,
    )
    print(
        f"sweep {rec.name}: {rec.n_points:,} 个点，用时 {rec.seconds:.1f} 秒（{rec.executed_on}）；"
        f"写入 {shown(rec.folder)}/"
    )
    if rec.n_failed:
        print(f"注意：{rec.n_failed} 个点未求解，列在 points.csv 的 status 列和 tables/failed.csv 中")
    if (rec.folder / "report.html").is_file():  # the last line: what to open
        print(f"请打开报告：{shown(rec.folder)}/report.html")
    return 0
