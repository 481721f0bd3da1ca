"""``python -m tuoyu_model`` is the same as the ``tuoyu`` command."""

from tuoyu_model.cli import run

run()
