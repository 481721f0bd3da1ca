"""tuoyu-model: turn the Daxing district childcare (托育) plan into numbers people can act on.

Modules: ``data`` (the plan's annex and unit attributes), ``parameters`` (parameters with
provenance, scenarios), ``demand``, ``costs``, ``pricing``, ``workforce``, ``allocation`` (the
PuLP linear program), ``results`` (``run_model``: a scenario as tables and headline figures),
``presentation`` (Chinese words, tables for people, report, figures), ``writers`` (CSV, JSON,
xlsx), ``runs`` (runs scenarios into the output contract), ``progress`` (returns, evaluation,
re-planning), ``cli`` (the ``tuoyu`` command).
"""

__version__ = "0.1.0"
