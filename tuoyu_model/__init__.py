"""tuoyu-model: turn the Daxing district childcare (托育) plan into numbers people can act on.

Modules: ``data`` (the plan's annex and unit attributes), ``parameters`` (parameters with
provenance, scenarios), ``demand``, ``costs``, ``pricing``, ``allocation`` (the PuLP linear
program), ``runs`` (runs scenarios into the output contract), ``cli`` (the ``tuoyu`` command).
"""

__version__ = "0.1.0"
