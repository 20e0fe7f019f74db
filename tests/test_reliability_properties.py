"""Property-based tests (issue 7): the note reader and the query layer never crash.

``read_note`` on arbitrary bytes and arbitrary front matter, and
``Engine.search`` on arbitrary text, raise nothing but SearchkitError
subclasses, and those always carry a message.  Example counts stay modest so
the suite stays fast; ``HYPOTHESIS_PROFILE=thorough`` runs many more.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit.errors import SearchkitError
from searchkit.index import update_index
from searchkit.model import Problem, Record
from searchkit.query import Engine, build, parse
from searchkit.sources.notes import read_note
from tests.test_reliability_support import write_notes

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
settings.register_profile("reliability", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
PROFILE = settings.get_profile("thorough" if THOROUGH else "reliability")

# ---------------------------------------------------------------- notes

yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
    st.sampled_from(["null", "~", "2023-01-01", "2023-13-45", "12:30:00", "0x1F", ".inf", "-.nan", "yes", "*a", "&a x",
                     "!!binary aGVsbG8=", "!!python/object:os.system", "'", '"', "[", "{", "|", ">", "- ", ": ", "#", "\t"]),
)
keys = st.one_of(st.sampled_from(["id", "title", "titre", "tags", "Tags", "mots-clés", "types", "type", "kesako",
                                  "date", "modified", "link", "null", "1", "2020-01-01", "[a]", "? x"]),
                 st.text(min_size=1, max_size=12))


@st.composite
def front_matter(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        key = draw(keys)
        if draw(st.booleans()):
            value = draw(yaml_scalars)
            lines.append(f"{key}: {value}")
        else:
            items = draw(st.lists(yaml_scalars, max_size=4))
            if draw(st.booleans()):
                lines.append(f"{key}: [{', '.join(map(str, items))}]")
            else:
                lines.append(f"{key}:")
                lines.extend(f"  - {item}" for item in items)
    fence = draw(st.sampled_from(["---", "----", "---  ", "--- x"]))
    close = draw(st.sampled_from(["---", "----", "", "..."]))
    body = draw(st.text(max_size=200))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return eol.join([fence, *lines, close, body])


encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"])


def _check_note(path: Path, root: Path) -> None:
    try:
        record, problems = read_note(path, root)
    except SearchkitError as exc:
        assert exc.message
        return
    assert record is None or isinstance(record, Record)
    assert all(isinstance(p, Problem) and p.message and p.path for p in problems)
    if record is not None:
        assert record.id and isinstance(record.title, str) and record.path
        for text in (record.id, record.title, record.body, *record.tags, *record.types):
            text.encode("utf-8")  # no lone surrogate: it could be neither indexed nor printed


@PROFILE
@given(data=st.binary(max_size=3000))
def test_read_note_on_arbitrary_bytes(tmp_path, data):
    path = tmp_path / "n.md"
    path.write_bytes(data)
    _check_note(path, tmp_path)


@PROFILE
@given(text=front_matter(), encoding=encodings)
def test_read_note_on_arbitrary_front_matter(tmp_path, text, encoding):
    path = tmp_path / "n.md"
    path.write_bytes(text.encode(encoding, errors="replace"))
    _check_note(path, tmp_path)


@PROFILE
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=500))
def test_read_note_on_arbitrary_text(tmp_path, text):
    path = tmp_path / "n.md"
    path.write_text("---\n" + text, "utf-8")
    _check_note(path, tmp_path)


# ---------------------------------------------------------------- queries


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("prop")
    notes = root / "notes"
    write_notes(notes, [f"n{i:05d}" for i in range(15)])
    (notes / "liens.md").write_text("---\ntitle: Liens\ntags: [Open data, open-data]\n---\n[[n00001]] [[nulle]]\n", "utf-8")
    update_index(root / "idx", [notes])
    engine = Engine(root / "idx")
    yield engine
    engine.close()


operators = st.sampled_from(['"', "(", ")", "-", "*", "?", ":", "OR", "OU", "AND", "ET", "NOT", "SAUF", "title:",
                             "tag:", "type:", "kind:", "id:", "format:", "licence:", "publisher:", "kesako:",
                             "données", "école", "transport", "commun", "réseau", "l'eau", "aujourd'hui", " ", "\t",
                             "\x00", "\x1f", "\u200b", "\ufeff", "😀", "ß", "İ", "ﬁ"])
queries = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(operators, st.text(alphabet=string.ascii_letters + "éèàçœ'’-", max_size=10)),
             max_size=15).map(" ".join),
    st.lists(operators, max_size=20).map("".join),
)


def _search(engine, text, **kw):
    try:
        return engine.search(text, **kw)
    except SearchkitError as exc:
        assert exc.message
        return None


@PROFILE
@given(text=queries, prefix_last=st.booleans(), fuzzy=st.booleans(),
       sort=st.sampled_from(["relevance", "title", "modified"]))
def test_search_on_arbitrary_text(engine, text, prefix_last, fuzzy, sort):
    results = _search(engine, text, facets=("type", "tag"), prefix_last=prefix_last, fuzzy=fuzzy, sort=sort, limit=5)
    if results is not None:
        assert results.total >= len(results.hits)
        for hit in results.hits:
            for a, b in hit.marks:
                assert 0 <= a < b <= len(hit.snippet)


@PROFILE
@given(text=queries, filters=st.dictionaries(st.sampled_from(["tag", "type", "kind", "id", "couleur"]),
                                             st.lists(st.text(max_size=10), max_size=3), max_size=3),
       limit=st.integers(-5, 20))
def test_search_with_arbitrary_filters_and_limits(engine, text, filters, limit):
    _search(engine, text, filters=filters, limit=limit)


@PROFILE
@given(text=queries)
def test_parse_and_build_never_raise(engine, text):
    clauses, ignored = parse(text)
    assert isinstance(ignored, list)
    built = build(engine.searcher().reader(), text)
    assert isinstance(built.notes, list)
