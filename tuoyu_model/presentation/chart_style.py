"""The look of every chart: the bundled CJK font, the report's style, a new figure, saving it.

The font is Noto Sans CJK SC from the ``mplfonts`` package, loaded by path with
``matplotlib.font_manager.addfont``: nothing is installed on the user's machine and nothing
depends on the system's fonts. A glyph missing from the font would draw as a box; matplotlib
warns about it while saving, and :func:`save_figure` turns that warning into a
:class:`~tuoyu_model.errors.ReportError` so a broken chart never ships. PNGs are saved without
the software and date fields, so two runs give the same bytes; each figure is laid out once and
drawn once, on the Agg renderer of its own canvas (the drawing reuses the layout's text sizes).
matplotlib is imported when the first chart is drawn, not with this module.
The charts themselves are :mod:`tuoyu_model.presentation.figures` (the report's),
:mod:`tuoyu_model.presentation.progress_report` and :mod:`tuoyu_model.sweep.figures`.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuoyu_model.errors import ReportError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONT_FILE = "NotoSansCJKsc-Regular.otf"
DPI = 110


def font_path() -> Path:
    """Path of the bundled CJK font (Noto Sans CJK SC, from the ``mplfonts`` package).

    Raises
    ------
    ReportError
        ``mplfonts`` is not installed or lacks the font file.

    """
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise ReportError(
            "没有安装中文字体包 'mplfonts'，图表无法显示汉字；请运行 'pip install mplfonts' 安装",
            en="the CJK font package 'mplfonts' is not installed; run: pip install mplfonts",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / FONT_FILE
    if not path.is_file():
        raise ReportError(
            f"{path}：找不到字体文件；请运行 'pip install --force-reinstall mplfonts' 重新安装字体包",
            en=f"{path}: font file not found; reinstall mplfonts (pip install --force-reinstall mplfonts)",
        )
    return path


_FONT_NAME: str | None = None


def font_name() -> str:
    """Register the bundled font with matplotlib (once) and return its family name.

    Examples
    --------
    >>> font_name()
    'Noto Sans CJK SC'

    """
    global _FONT_NAME
    if _FONT_NAME is None:
        from matplotlib import font_manager  # heavy third-party library: loaded when a chart is drawn

        path = font_path()
        font_manager.fontManager.addfont(str(path))
        _FONT_NAME = font_manager.FontProperties(fname=str(path)).get_name()
    return _FONT_NAME


def style() -> dict:
    """Matplotlib settings of every chart: the CJK font, no hash salt, plain look."""
    return {
        "font.family": [font_name()],
        "font.size": 10,
        "axes.unicode_minus": False,  # ASCII hyphen for negatives; never depends on the font's U+2212
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "svg.hashsalt": "tuoyu",
        "figure.dpi": DPI,
        "figure.autolayout": False,  # the figures choose their layout (constrained); see save_figure
        "figure.constrained_layout.use": False,
    }


def new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    """Return an empty figure with the report's style (call inside :func:`styled`)."""
    # heavy third-party library: loaded when a chart is drawn
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    # An Agg canvas of its own: the layout and the PNG then use one renderer, whose cache of text
    # sizes the drawing reuses (a bare Figure lays out on a throwaway renderer: every label measured twice).
    FigureCanvasAgg(fig)
    return fig


class styled:  # noqa: N801 - used as a context manager like matplotlib.rc_context
    """Context manager applying :func:`style` while building and saving figures."""

    def __enter__(self) -> styled:
        import matplotlib  # heavy third-party library: loaded when a chart is drawn

        self._ctx = matplotlib.rc_context(style())
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def save_figure(fig: Figure, path: Path) -> Path:
    """Save ``fig`` as a reproducible PNG; a missing glyph is an error.

    Raises
    ------
    ReportError
        Matplotlib reported a glyph missing from the font (it would show as a box).

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with styled(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine = fig.get_layout_engine()
        if engine is not None and engine.__class__.__name__ != "PlaceHolderLayoutEngine":
            # Lay out once, then draw once. With a layout engine (even "none", a placeholder) savefig
            # first walks the whole figure without rendering, to lay it out; without one it only
            # draws. style() keeps rcParams from turning None back into an engine.
            engine.execute(fig)
            fig.set_layout_engine(None)
        fig.savefig(path, dpi=DPI, metadata={"Software": None}, format="png")
    for w in caught:
        text = str(w.message)
        if "missing from font" in text or "Glyph" in text:
            raise ReportError(
                f"{path.name}：字体缺少图中的字符（{text}），图上会显示方框；"
                "请重新安装字体包 'mplfonts'，或改掉这个字符",
                en=f"{path.name}: {text}; the chart would show a box instead of a character",
            )
    for w in caught:  # anything else is re-raised as a warning so pytest's "error" filter sees it
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return path


def legend_below(ax: Any, ncols: int = 2, handles: list | None = None, labels: list | None = None) -> None:
    """Put the legend under the chart, where it cannot cover bars, their labels or the axis title.

    A figure legend "outside lower center": the constrained layout gives it its own row below the
    x-axis label (an axes legend at a fixed fraction below the axes ran into the label on a short
    chart). ``handles``/``labels`` for entries of several axes (a twin axis); default ``ax``'s.
    """
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.figure.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=8, frameon=False)


def legend_stacked(ax: Any) -> None:
    """Put a stacked chart's legend beside the axes, one entry a line, in the order the stack reads.

    The top segment is listed first, as the eye reads the stack from top to bottom (matplotlib
    lists the bottom segment, drawn first, first).
    """
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
