"""Run a sweep's points: here, in worker processes (``--jobs``) or on Dask (``--scheduler``, ``--dask-local``).

The points travel in chunks of plain, picklable data (``{name: value}`` dicts); each worker
process keeps one :class:`~tuoyu_model.sweep.evaluate.PointEvaluator` per scenario, so the data is
read and the model built once per worker. Results come back in the order the points were made,
whatever finished first, so ``points.csv`` is the same for any number of workers or machines.
Distribution is Dask's (``client.map`` over the chunks, gathered in submission order); a
``LocalCluster`` listens on 127.0.0.1 only and is closed at the end.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tuoyu_model.errors import ScenarioError
from tuoyu_model.runs.signals import worker_signals

# Points per task: enough to keep the per-task overhead (pickling, scheduling) small, few enough
# that the progress bar moves and the work spreads over the workers.
CHUNK_MAX = 25


@dataclass(frozen=True)
class Context:
    """What a worker needs to build its evaluator: the scenario, the fixed overrides, the data folder."""

    scenario: str
    fixed: tuple  # ((dotted name, value), …), hashable for the worker's cache
    data_dir: str


_EVALUATORS: dict = {}  # one per context in each worker process


def evaluator(ctx: Context) -> Any:
    """Return the worker's evaluator for ``ctx`` (built on first use)."""
    from tuoyu_model.sweep.evaluate import PointEvaluator  # the model stack loads in the worker, not the client

    if ctx not in _EVALUATORS:
        os.environ["TUOYU_DATA_DIR"] = ctx.data_dir  # a Dask worker on another machine may start elsewhere
        _EVALUATORS[ctx] = PointEvaluator(ctx.scenario, dict(ctx.fixed))
    return _EVALUATORS[ctx]


def evaluate_chunk(ctx: Context, chunk: Sequence[dict]) -> list[dict]:
    """Evaluate a chunk of points; returns one metrics row per point, in order."""
    ev = evaluator(ctx)
    return [ev.evaluate(p) for p in chunk]


def chunks(points: Sequence[dict], workers: int) -> list[list[dict]]:
    """Split ``points`` into chunks: about eight per worker, at most :data:`CHUNK_MAX` points each.

    Examples
    --------
    >>> [len(c) for c in chunks([{}] * 10, 1)]
    [2, 2, 2, 2, 2]

    """
    size = max(1, min(CHUNK_MAX, -(-len(points) // (8 * max(1, workers)))))
    return [list(points[i : i + size]) for i in range(0, len(points), size)]


def _bar(total: int, desc: str) -> Any:
    from tqdm import tqdm  # console only

    # Shown on stderr after two seconds, so quick sweeps and tests print nothing extra.
    return tqdm(total=total, desc=desc, unit="点", file=sys.stderr, delay=2.0, dynamic_ncols=True, leave=False)


def run_points(
    ctx: Context,
    points: Sequence[dict],
    jobs: int = 1,
    scheduler: str | None = None,
    dask_local: int | None = None,
    on_done: Callable[[int], None] | None = None,
) -> tuple[list[dict], str]:
    """Evaluate ``points`` and return their metrics rows in order, and how they ran (for the manifest).

    Raises
    ------
    ScenarioError
        ``--scheduler`` or ``--dask-local`` without Dask installed, or a scheduler that cannot be reached.

    """
    if scheduler or dask_local:
        return _run_dask(ctx, points, scheduler, dask_local), (
            f"dask scheduler {scheduler}" if scheduler else f"dask LocalCluster, {dask_local} workers"
        )
    jobs = max(1, min(jobs, len(points) or 1))
    parts = chunks(points, jobs)
    out: list[list[dict] | None] = [None] * len(parts)
    with _bar(len(points), "求解") as bar:
        if jobs == 1:
            for i, part in enumerate(parts):
                out[i] = evaluate_chunk(ctx, part)
                bar.update(len(part))
        else:
            mp = multiprocessing.get_context("spawn")
            pool = concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=mp, initializer=worker_signals)
            try:
                futures = {pool.submit(evaluate_chunk, ctx, part): i for i, part in enumerate(parts)}
                for fut in concurrent.futures.as_completed(futures):
                    out[futures[fut]] = fut.result()
                    bar.update(len(parts[futures[fut]]))
            except BaseException:
                for proc in list(getattr(pool, "_processes", {}).values()):
                    proc.terminate()  # each worker by its own process handle
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
    return [row for part in out for row in (part or [])], f"local, {jobs} process{'es' if jobs > 1 else ''}"


def _run_dask(ctx: Context, points: Sequence[dict], scheduler: str | None, n_local: int | None) -> list[dict]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed  # optional extra: pip install -e ".[dask]"
    except ImportError:
        raise ScenarioError(
            '--scheduler/--dask-local 需要 Dask：在本环境运行 pip install -e ".[dask]" 后重试'
        ) from None
    import logging

    cluster = None
    try:
        if n_local:
            cluster = LocalCluster(
                n_workers=n_local,
                threads_per_worker=1,  # HiGHS and numpy in one thread per worker process
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise ScenarioError(
                    f"--scheduler {scheduler}: 无法连接 Dask 调度器（{type(exc).__name__}）；"
                    "检查地址（如 tcp://10.0.0.5:8786）和调度器是否在运行"
                ) from None
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})) or (n_local or 1))
            parts = chunks(points, workers)
            futures = client.map(evaluate_chunk, [ctx] * len(parts), parts, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            out: list = [None] * len(parts)
            with _bar(len(points), "求解（Dask）") as bar:
                for fut in as_completed(futures):
                    i = index[fut.key]
                    out[i] = fut.result()
                    bar.update(len(parts[i]))
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
    return [row for part in out for row in part]
