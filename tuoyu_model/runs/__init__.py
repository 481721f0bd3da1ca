"""Runs: everything between a scenario and its published output folder.

``publish`` (the one publishing path: :func:`~tuoyu_model.runs.publish.publishing`, the marker,
the lock, the refusals) · ``provenance`` (manifest, hashes, git, versions) · ``notebook``
(papermill with this Python's kernel, html export) · ``scenario`` (``tuoyu run`` of one scenario)
· ``compare`` (``tuoyu compare``) · ``parallel`` (several scenarios in worker processes) ·
``signals`` (SIGTERM as Ctrl-C). Imports run one way: publish → provenance → notebook →
scenario → compare, parallel.
"""
