"""``python -m tuoyu_model`` is the same as the ``tuoyu`` command."""

from tuoyu_model.cli import run

if __name__ == "__main__":  # worker processes (spawn) import this module again: only the parent runs
    run()
