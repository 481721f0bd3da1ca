"""The what-if explorer: controls → parameter overrides → a re-plan → the numbers people read.

:mod:`tuoyu_model.explore.session` holds the logic (no widgets): which controls exist, how a typed
value becomes an override (with a Chinese message when it cannot), the fast re-plan, the headline
figures, the sentence of what changed and "保存为情景". :mod:`tuoyu_model.explore.app` puts
ipywidgets on it for ``notebooks/explore.ipynb``; :mod:`tuoyu_model.explore.serve` runs that
notebook as a Voilà app for ``tuoyu explore``.
"""
