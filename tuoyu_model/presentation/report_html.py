"""How the report notebooks render what they show: tables as fixed HTML, charts with alt text, the stylesheet.

Tables are rendered with ``to_html`` (fixed formats, no random element ids) so the exported
report is the same on every run; every number goes through
:func:`tuoyu_model.presentation.formatting.text_for_people`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from tuoyu_model.presentation.formatting import text_for_people
from tuoyu_model.presentation.vocabulary import FIGURE_ALT_ZH


def html_table(
    df: pd.DataFrame,
    digits: int = 1,
    index: bool = False,
    formats: Mapping[str, int] | None = None,
    classes: str = "",
    colours: Mapping[tuple[int, int], str] | None = None,
) -> Any:
    """Return an IPython HTML table; every number shown by :func:`tuoyu_model.presentation.formatting.text_for_people`.

    Decimals follow the unit (row's ``单位`` or the header's brackets: 个/人/元 none, 万元 two,
    % one); ``digits`` applies to numbers without a known unit, ``formats`` to named columns.
    Missing values are blank cells. ``classes`` adds CSS classes: ``compact`` (headers wrap,
    for wide tables of numbers), ``wrap`` (text cells wrap, for tables of sentences).
    ``colours`` gives cells (0-based row, column) a class by meaning: ``worse`` (red) or ``better`` (green).
    """
    from IPython.display import HTML  # lazy: only the notebooks need IPython

    return HTML(table_html(df.reset_index() if index else df, digits, formats, classes, colours))


def table_html(
    df: pd.DataFrame,
    digits: int = 1,
    formats: Mapping[str, int] | None = None,
    classes: str = "",
    colours: Mapping[tuple[int, int], str] | None = None,
) -> str:
    """Render ``df`` as the report's HTML table (see :func:`html_table`); text escaped, cells classed by ``colours``.

    Examples
    --------
    >>> html = table_html(pd.DataFrame({"指标": ["<b>缺口</b>"], "差（个）": [120.0]}), colours={(0, 1): "worse"})
    >>> "&lt;b&gt;缺口&lt;/b&gt;" in html, '<td class="worse">120</td>' in html
    (True, True)

    """
    text = text_for_people(df, digits, formats)
    css = " ".join(["tuoyu-table", *classes.split()])
    if not colours:
        return text.to_html(index=False, na_rep="", border=0, classes=css, justify="left", escape=True)
    head = "".join(f"<th>{escape(str(c))}</th>" for c in text.columns)
    rows = []
    for i, row in enumerate(text.itertuples(index=False)):
        cells = []
        for j, v in enumerate(row):
            cls = colours.get((i, j), "")
            cells.append(f'<td class="{cls}">{escape(str(v))}</td>' if cls else f"<td>{escape(str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="{css}"><thead><tr style="text-align: left;">{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


class ReportFigure:
    """A chart of the report: the PNG (for the notebook) and an ``<img>`` with its Chinese alt text (for the HTML)."""

    def __init__(self, path: Any, alt: str) -> None:
        self.data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        self.alt = alt

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        img = f'<img class="tuoyu-figure" alt="{escape(self.alt)}" src="data:image/png;base64,{self.data}">'
        return {"image/png": self.data, "text/html": img, "text/plain": self.alt}


def figure(files: Mapping[str, Any], name: str) -> ReportFigure:
    """Return the chart ``figure:<name>`` written by the run, with its alt text from :data:`FIGURE_ALT_ZH`."""
    return ReportFigure(files[f"figure:{name}"], FIGURE_ALT_ZH.get(name, "图表"))


REPORT_CSS = """
body, .jp-Notebook, .jp-RenderedHTMLCommon {
  font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "SimHei", sans-serif;
}
.jp-Notebook { max-width: 100%; box-sizing: border-box; }
.jp-OutputArea-output { max-width: 100%; overflow-x: auto; }
.tuoyu-title h1 { margin-bottom: 0.2em; }
.tuoyu-subtitle { font-size: 1.3em; margin: 0 0 0.6em 0; }
table.tuoyu-meta th { text-align: left; padding-right: 1em; white-space: nowrap; }
img.tuoyu-figure { max-width: 100%; height: auto; }
table.tuoyu-table { border-collapse: collapse; table-layout: auto; max-width: 100%; }
table.tuoyu-table th, table.tuoyu-table td { padding: 2px 8px; word-break: normal; overflow-wrap: normal; }
table.tuoyu-table td { white-space: nowrap; }
table.tuoyu-table th { white-space: nowrap; }
table.tuoyu-table.compact th { white-space: normal; min-width: 4em; vertical-align: bottom; }
table.tuoyu-table.compact th, table.tuoyu-table.compact td { padding: 2px 5px; font-size: 0.92em; }
table.tuoyu-table.wrap td { white-space: normal; min-width: 5em; max-width: 32em; vertical-align: top; }
table.tuoyu-table.wrap td:first-child { min-width: 4em; }
table.tuoyu-table td.worse { background: #F8CBAD; }
table.tuoyu-table td.better { background: #C6EFCE; }
@media print {
  table.tuoyu-table td.worse, table.tuoyu-table td.better {
    print-color-adjust: exact; -webkit-print-color-adjust: exact;
  }
  @page { size: A4 landscape; margin: 10mm 12mm; }
  body { margin: 0 !important; padding: 0 !important; }
  .jp-Notebook { padding: 0 !important; }
  body, .jp-RenderedHTMLCommon { font-size: 9pt; }
  .jp-RenderedHTMLCommon { line-height: 1.45; }
  /* no scrollbars: Chromium prints a scrolling box as one unbreakable piece */
  .jp-Notebook, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output, .jp-InputArea,
  .jp-InputArea > * { overflow: visible !important; }
  /* headings kept with what follows: in JupyterLab's table layout (overflow hidden) Chromium cannot */
  .jp-MarkdownCell .jp-InputArea, .jp-MarkdownCell .jp-InputArea > * { display: block !important; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; break-inside: avoid; }
  .jp-MarkdownCell { break-after: avoid; page-break-after: avoid; }
  .jp-RenderedMarkdown p:has(> strong:only-child) { break-after: avoid; } /* a bold lead, as over a list */
  .jp-RenderedMarkdown li { break-inside: avoid; }
  /* a cell's tables and charts side by side where they fit (a table with its chart), text full width */
  .jp-OutputArea { display: flex; flex-wrap: wrap; align-items: flex-start; column-gap: 6mm; }
  .jp-OutputArea > .jp-OutputArea-child { display: block; width: auto; flex: 1 1 100%; min-width: 0; }
  .jp-OutputArea-child > .jp-OutputArea-output { display: block; width: auto; }
  .jp-OutputArea > .jp-OutputArea-child:has(table.tuoyu-table, img.tuoyu-figure) { flex: 0 1 auto; }
  /* a table or chart moves whole to the next page; text, and a table longer than a page (over 40
     rows, its header repeated), flow across pages instead of leaving a page half empty */
  .jp-OutputArea-child, img, table.tuoyu-meta { break-inside: avoid; page-break-inside: avoid; }
  .jp-OutputArea-child:has(> .jp-RenderedMarkdown),
  .jp-OutputArea-child:has(table.tuoyu-table > tbody > tr:nth-child(41)) {
    break-inside: auto; page-break-inside: auto;
  }
  table.tuoyu-table { font-size: 8pt; width: auto; max-width: 100%; }
  table.tuoyu-table td, table.tuoyu-table th { word-break: keep-all; padding: 1px 5px; line-height: 1.2; }
  table.tuoyu-table tr { break-inside: avoid; page-break-inside: avoid; }
  img.tuoyu-figure { max-height: 90mm; max-width: 100%; width: auto; }
  .celltag_title ol { columns: 3; } /* the scenario report's 目录 */
  /* no blank last page: the notebook's bottom padding must not spill over a full page */
  .jp-Notebook, .jp-Cell:last-child, .jp-Cell:last-child .jp-OutputArea,
  .jp-Cell:last-child .jp-OutputArea-child { padding-bottom: 0 !important; margin-bottom: 0 !important; }
}
"""


def report_style() -> Any:
    """Return the report's stylesheet as HTML: Chinese fonts, tables that keep words whole, a print layout."""
    from IPython.display import HTML  # lazy: only the notebooks need IPython

    return HTML(f"<style>{REPORT_CSS}</style>")
