"""``python -m searchkit.cli``: the same as the ``searchkit`` command."""

from searchkit.cli import run

run()
