"""Runs: everything between a scenario and its published output folder.

``locations`` (where outputs may go: :func:`~tuoyu_model.runs.locations.output_base`,
:func:`~tuoyu_model.runs.locations.safe_output_dir`, the refused folders) · ``publish`` (the one
publishing path: :func:`~tuoyu_model.runs.publish.publishing`, the marker, the lock, the folders
it may replace) · ``provenance`` (manifest, hashes, git, versions) · ``notebook``
(papermill with this Python's kernel, html export) · ``scenario`` (``tuoyu run`` of one scenario)
· ``compare`` (``tuoyu compare``) · ``parallel`` (several scenarios in worker processes) ·
``signals`` (SIGTERM as Ctrl-C). Imports run one way: locations → publish → provenance → notebook →
scenario → compare, parallel.
"""
