"""Shell completion through click's own mechanism: the scripts, and --tag / --type values from the index."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from searchkit.cli import main
from tests.helpers import copy_notes


def complete(words: str, env: dict | None = None) -> list[str]:
    """What bash would offer for the last word of ``words`` (click's bash_complete protocol)."""
    parts = words.split(" ")
    result = CliRunner().invoke(main, [], prog_name="searchkit", env={
        "_SEARCHKIT_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1), **(env or {})})
    assert result.exit_code == 0, result.output
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


@pytest.fixture
def index(tmp_path):
    CliRunner().invoke(main, ["index", str(copy_notes(tmp_path)), "--index", str(tmp_path / "idx"), "-q"])
    return tmp_path / "idx"


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o nosort -F"), ("zsh", "#compdef searchkit"),
                                           ("fish", "complete --no-files --command searchkit")])
def test_each_shell_gets_its_script(shell, marker):
    result = CliRunner().invoke(main, [], prog_name="searchkit", env={"_SEARCHKIT_COMPLETE": f"{shell}_source"})
    assert result.exit_code == 0
    assert marker in result.stdout and "_SEARCHKIT_COMPLETE" in result.stdout


def test_commands_complete_even_though_searchkit_alone_opens_the_app():
    assert complete("searchkit sa") == ["saved"]
    assert complete("searchkit saved ") == ["add", "list", "rm", "run"]


def test_tag_and_type_values_come_from_the_index(index):
    assert complete(f"searchkit query --index {index} --tag li") == ["libre d/accès"]  # the most common spelling in the index
    assert complete(f"searchkit query --index {index} --type o") == ["organisation"]
    assert complete("searchkit query --tag ", env={"SEARCHKIT_INDEX": str(index)}) == [
        "libre d/accès", "opendata", "a", "administration", "b", "boisson", "loisirs", "morale", "plateforme"]
    assert complete("searchkit saved add x y --tag mor", env={"SEARCHKIT_INDEX": str(index)}) == ["morale"]
    assert complete("searchkit query --tag li", env={"SEARCHKIT_INDEX": "/nulle/part"}) == []  # no index: nothing


def test_saved_search_names_complete(index):
    CliRunner().invoke(main, ["saved", "add", "ouverture", "données"])
    assert complete("searchkit saved run ou") == ["ouverture"]
