"""``tuoyu sweep``: many solves of one scenario — grids, Monte Carlo draws, Morris and Sobol designs.

Layers, in the order data flows: :mod:`~tuoyu_model.sweep.spec` (the YAML spec, strictly
checked) → :mod:`~tuoyu_model.sweep.design` (the points: grid, draws, SALib samples) →
:mod:`~tuoyu_model.sweep.evaluate` and :mod:`~tuoyu_model.sweep.lp` (one point: inputs, a
highspy solve, metrics) → :mod:`~tuoyu_model.sweep.execute` (in this process, worker processes
or a Dask cluster) → :mod:`~tuoyu_model.sweep.analysis` (curves, fan chart, SALib indices) →
:mod:`~tuoyu_model.sweep.run` (the output folder, atomically, and the report).
"""
