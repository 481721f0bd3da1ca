"""Charts drawn in a forked helper process are the same files as drawn one by one; a failed helper is covered."""

import os

import pytest

from tuoyu_model.presentation import chart_style as S
from tuoyu_model.presentation import figure_helper as H
from tuoyu_model.presentation import figures as F
from tuoyu_model.results import run_model

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the helper process needs os.fork")


@pytest.fixture(scope="module")
def makers():
    results = run_model("baseline")
    return F.scenario_figure_makers(results.tables, results.years)


@pytest.mark.e2e
def test_charts_from_the_helper_are_the_same_bytes_as_drawn_here(makers, tmp_path, monkeypatch):
    monkeypatch.setattr(H, "spare_core", lambda: True)
    pids = []
    fork = os.fork

    def counting_fork():
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counting_fork)
    paths = H.save_figures(makers, tmp_path / "two", H.HELPER_CHARTS)()
    assert pids, "no helper process was started"
    for name, make in makers.items():
        alone = S.save_figure(make(), tmp_path / "one" / f"{name}.png")
        assert paths[name].read_bytes() == alone.read_bytes(), name


@pytest.mark.e2e
def test_a_helper_that_fails_leaves_its_charts_drawn_here(makers, tmp_path, monkeypatch):
    monkeypatch.setattr(H, "spare_core", lambda: True)
    broken = dict(makers)
    first = H.HELPER_CHARTS[0]
    calls = []

    def fails_in_the_helper():
        calls.append(os.getpid())
        if len(calls) == 1 and os.getpid() != parent:
            raise RuntimeError("helper broke")
        return makers[first]()

    parent = os.getpid()
    broken[first] = fails_in_the_helper
    paths = H.save_figures(broken, tmp_path, H.HELPER_CHARTS)()
    assert all(p.is_file() for p in paths.values())
    assert paths[first].stat().st_size > 0
