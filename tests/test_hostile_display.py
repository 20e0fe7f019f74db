"""Issue 11: text from notes never drives the terminal, links are checked, odd input never
shows a traceback.  Real files, the real command line (through a pseudo-terminal where the
terminal matters), the app through Pilot, and a property test over every renderer."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from searchkit import cli
from searchkit.check import BrokenLink, CheckReport, DuplicateId, Spellings
from searchkit.cli import main, render_check, render_text
from searchkit.display import PLACEHOLDER, escaped, problem_line, safe, safe_hit, safe_record, safe_results
from searchkit.model import FacetValue, Hit, Problem, Record, Results
from searchkit.sources.scan import scan
from searchkit.query.records import Linked, RecordView
from searchkit.tui.preview import meta_content
from searchkit.tui.results import empty_text, hit_prompt, status_text
from searchkit.urls import openable

SEARCHKIT = [sys.executable, "-m", "searchkit.cli"]
# what a terminal acts on: C0 but newline, DEL, C1 (the one-character CSI among them)
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
OUR_COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # the SGR sequences click.style writes, and only those

EVIL = ('---\ntitle: "Evil \\e[2J\\e]52;c;cm0gLXJmIH4=\\a zorglub"\ntypes: ["\\e]0;pwned\\a"]\n'
        'tags: ["\\e[31mred"]\n---\nzorglub \x1b]52;c;aGVsbG8=\x07\n')


@pytest.fixture
def evil_index(tmp_path) -> Path:
    notes = tmp_path / "ansi"
    notes.mkdir()
    (notes / "evil.md").write_text(EVIL, encoding="utf-8")
    (notes / "twin.md").write_text('---\ntitle: Twin zorglub\ntags: ["\\e[31mRed"]\n---\nzorglub\n', encoding="utf-8")
    done = subprocess.run(SEARCHKIT + ["index", str(notes), "--index", str(tmp_path / "ix")], capture_output=True)
    assert done.returncode == 0, done.stderr
    return tmp_path / "ix"


def run_in_terminal(args: list[str], env: dict) -> tuple[int, bytes]:
    """Run a command with its output on a pseudo-terminal (what a person sees), all of it."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other side closed
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=30), out


def test_query_on_a_terminal_prints_no_escape_sequence_of_a_note(evil_index):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}  # colours on: the terminal path
    code, raw = run_in_terminal(SEARCHKIT + ["query", "zorglub", "--index", str(evil_index)], env)
    assert code == 0
    text = raw.decode("utf-8")
    assert OUR_COLOURS.search(text), "the terminal path (with colours) was not taken"
    shown = OUR_COLOURS.sub("", text)
    assert not FORBIDDEN.search(shown.replace("\r\n", "\n")), repr(shown)
    assert "\x1b" not in shown
    lines = shown.replace("\r\n", "\n").splitlines()
    evil_line = next(line for line in lines if "Evil" in line)
    assert evil_line == f" {evil_line.split('.')[0].strip()}. Evil {PLACEHOLDER}{PLACEHOLDER} zorglub  [{PLACEHOLDER}]  # {PLACEHOLDER}red"
    assert f"zorglub {PLACEHOLDER}" in shown


def test_piped_query_and_check_keep_no_control_either(evil_index):
    query = subprocess.run(SEARCHKIT + ["query", "zorglub", "--index", str(evil_index), "--facets"], capture_output=True)
    check = subprocess.run(SEARCHKIT + ["check", "--index", str(evil_index)], capture_output=True)
    assert query.returncode == 0 and check.returncode == 1  # the tag is written two ways: a problem to look at
    for out in (query.stdout, query.stderr, check.stdout, check.stderr):
        assert not FORBIDDEN.search(out.decode("utf-8")), out
    assert f"mot-clé : « {PLACEHOLDER}Red » (1), « {PLACEHOLDER}red » (1)" in check.stdout.decode()


def test_json_keeps_the_data_as_it_is(evil_index):
    out = subprocess.run(SEARCHKIT + ["query", "zorglub", "--index", str(evil_index), "--format", "json"],
                         capture_output=True, check=True).stdout
    assert b"\x1b" not in out  # JSON escapes it...
    hits = {h["id"]: h for h in json.loads(out)["hits"]}
    assert hits["evil.md"]["title"] == "Evil \x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07 zorglub"  # ...and keeps it
    assert hits["evil.md"]["types"] == ["\x1b]0;pwned\x07"]


def test_invalid_utf8_in_a_query_is_shown_as_bytes(evil_index):
    query = os.fsdecode(b"caf\xff")
    text = subprocess.run(SEARCHKIT + ["query", query, "--index", str(evil_index)], capture_output=True)
    assert text.returncode == 1
    assert text.stderr.decode("utf-8").splitlines()[-1] == "Aucun résultat pour « caf\\xff »."
    out = subprocess.run(SEARCHKIT + ["query", query, "--index", str(evil_index), "--format", "json"], capture_output=True)
    assert out.returncode == 1
    assert json.loads(out.stdout.decode("utf-8"))["query"] == query  # valid UTF-8 JSON, the bytes kept


def test_a_file_name_with_a_newline_stays_on_one_line(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    odd = notes / "deux\nlignes.md"
    odd.write_text("---\ntitle: Zorglub en deux lignes\ntags: [a, b\n---\nzorglub\n", encoding="utf-8")
    (notes / "plain.md").write_text("---\ntitle: Zorglub simple\n---\nzorglub\n", encoding="utf-8")
    index = subprocess.run(SEARCHKIT + ["index", str(notes), "--index", str(tmp_path / "ix")], capture_output=True, text=True)
    assert index.returncode == 0
    warning = [line for line in index.stderr.splitlines() if "deux" in line]
    assert len(warning) == 1 and warning[0].startswith(f"attention: {notes}/deux\\nlignes.md:")
    paths = subprocess.run(SEARCHKIT + ["query", "zorglub", "--index", str(tmp_path / "ix"), "--format", "paths",
                                        "--sort", "title"], capture_output=True, text=True)
    assert paths.stdout.splitlines() == [f"{notes}/deux\\nlignes.md", f"{notes}/plain.md"]
    zero = subprocess.run(SEARCHKIT + ["query", "zorglub", "--index", str(tmp_path / "ix"), "--format", "paths0",
                                       "--sort", "title"], capture_output=True)
    assert zero.stdout == os.fsencode(odd) + b"\0" + os.fsencode(notes / "plain.md") + b"\0"


def test_watch_on_a_missing_folder_says_so_and_exits_2(tmp_path):
    done = subprocess.run(SEARCHKIT + ["watch", str(tmp_path / "nosuchdir"), "--index", str(tmp_path / "w")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"erreur: Rien à surveiller : {tmp_path / 'nosuchdir'} n'existe pas. Donnez un dossier de notes ou un "
        "catalogue : searchkit watch DOSSIER"]


def test_a_path_too_long_to_examine_is_one_warning_and_the_run_goes_on(tmp_path, evil_index):
    long = "a" * 300
    check = subprocess.run(SEARCHKIT + ["check", "--index", str(evil_index), long], capture_output=True, text=True)
    assert "Traceback" not in check.stderr + check.stdout
    assert check.returncode == 1
    assert f"  {tmp_path / long}: impossible à examiner (File name too long) ; ignoré" in check.stdout.splitlines()
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("---\ntitle: A\n---\nmot\n", encoding="utf-8")
    index = subprocess.run(SEARCHKIT + ["index", long, str(notes), "--index", str(tmp_path / "ix2")],
                           capture_output=True, text=True)
    assert index.returncode == 0
    assert index.stderr.splitlines() == [f"attention: {tmp_path / long}: impossible à examiner (File name too long) ; ignoré"]
    assert index.stdout.startswith("1 ajouté(s)")


def test_every_command_has_the_last_resort_handler(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("searchkit.check.check_index", broken)
    result = CliRunner().invoke(main, ["check", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2
    log = Path(os.environ["XDG_STATE_HOME"]) / "searchkit" / "errors.log"
    assert result.stderr.splitlines() == [
        f"erreur: Erreur inattendue (RuntimeError: boom). Si elle se répète, lancez « searchkit check » ou "
        f"« searchkit index --rebuild ». Détails dans {log}."]
    details = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in details and "RuntimeError: boom" in details


def test_a_folder_with_the_index_marker_is_never_scanned(tmp_path):
    project = tmp_path / "project"
    (project / "notes").mkdir(parents=True)
    (project / "notes" / "a.md").write_text("---\ntitle: A\n---\n", encoding="utf-8")
    (project / "index").mkdir()
    (project / "index" / ".searchkit-index").write_text("8\n", encoding="utf-8")
    (project / "index" / "manifest.json").write_text("{}", encoding="utf-8")
    files, problems = scan([project])
    assert [Path(f.real).relative_to(project.resolve()).as_posix() for f in files] == ["notes/a.md"]
    assert problems == []
    assert scan([project / "index"]) == ([], [])


@pytest.mark.parametrize("url, expected", [
    ("https://www.cnil.fr", "https://www.cnil.fr"), ("http://x.org/a?b=c", "http://x.org/a?b=c"),
    ("mailto:contact@example.org", "mailto:contact@example.org"), ("www.insee.fr", "https://www.insee.fr"),
    ("javascript:alert(1)", None), ("file:///etc/passwd", None), ("--new-instance --profile /tmp/evil", None),
    ("-https://x.org", None), ("https://x.org/\x1b]52;c;x\x07", None), ("data:text/html,<b>x</b>", None),
    ("https:///nohost", None), ("", None), ("ftp://x.org/f", None),
])
def test_only_http_https_and_mailto_links_are_opened(url, expected):
    assert openable(url) == expected


def test_a_catalogue_url_is_stored_only_when_it_could_be_opened(tmp_path):
    from searchkit.sources.catalogs import iter_catalog

    data = [{"id": f"d{n}", "title": f"Jeu {n}", "page": page, "slug": f"jeu-{n}"} for n, page in enumerate(
        ["https://www.data.gouv.fr/fr/datasets/x/", "javascript:alert(1)", "-profile", "file:///etc/passwd"])]
    path = tmp_path / "udata.json"
    path.write_text(json.dumps({"data": data, "next_page": None, "page": 1, "page_size": 4, "total": 4}), encoding="utf-8")
    urls = [r.url for r in iter_catalog(path) if isinstance(r, Record)]
    assert urls == ["https://www.data.gouv.fr/fr/datasets/x/", "", "", ""]


# ---------------------------------------------------------------- property test of every renderer

hostile = st.text(st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0xA0),
    st.sampled_from(list("\x1b[]();\x07\x9b\x9d\u202e\u2066é ")),
    st.characters(blacklist_categories=("Cs",)),
), max_size=40)


def _hit(title, tag, snippet, path) -> Hit:
    marks = ((0, min(3, len(snippet))),) if snippet else ()
    return Hit(id=title, kind="note", types=(tag,), title=title, tags=(tag, title), path=path, url=tag, score=1.0,
               snippet=snippet, marks=marks, summary=snippet, explain=(tag,))


@settings(max_examples=150, deadline=None)
@given(title=hostile, tag=hostile, snippet=hostile, path=hostile)
@example(title="t", tag="x", snippet="a\u2029b", path="\u2028")  # Unicode line separators: a line each
def test_no_renderer_lets_a_control_through(title, tag, snippet, path):
    hits = (_hit(title, tag, snippet, path), _hit(tag, title, path, snippet))
    results = Results(query=title, total=2, took_ms=1.0, hits=hits, notice=snippet,
                      facets={"tag": (FacetValue(tag, title, 1),)}, suggestions=(tag,))
    text = render_text(results, colour=False, show_facets=False, explain=False)
    assert not FORBIDDEN.search(text)
    assert len(text.splitlines()) == sum(3 if h.snippet else 2 for h in hits) + 1  # nothing a record holds adds a line
    coloured = OUR_COLOURS.sub("", render_text(results, colour=True, show_facets=True, explain=True))
    assert not FORBIDDEN.search(coloured)
    problem = Problem(path, title, tag)
    assert not FORBIDDEN.search(problem_line(problem)) and "\n" not in problem_line(problem)
    report = CheckReport(index=path, records=1, problems=(problem,),
                         broken_links=(BrokenLink(title, path, tag),), duplicate_ids=(DuplicateId(tag, (path, title)),),
                         spellings=(Spellings("tag", "k", ((title, 1), (tag, 2))),))
    assert not FORBIDDEN.search(render_check(report))
    # the app: the backend makes results and records safe once; every widget renders from them
    shown = safe_results(results)
    for hit in shown.hits:
        assert not FORBIDDEN.search(hit_prompt(hit).plain)
    assert not FORBIDDEN.search(status_text(shown, "relevance", 1, True))
    assert not FORBIDDEN.search(empty_text(shown, {"tag": [tag]}, {}, "notes").plain)
    record = Record(id=tag, kind="note", title=title, path=path, types=(tag,), summary=snippet, body=snippet + "\n" + title,
                    tags=(tag,), url=snippet, publisher=title, spatial=tag)
    view = RecordView(safe_record(record), (Linked(tag, None),), (Linked(title, safe(title)),))
    assert not FORBIDDEN.search(meta_content(view, back_to=safe(title)).plain)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", safe_record(record).body)  # a body keeps tabs and lines
    assert not FORBIDDEN.search(safe(title)) and not FORBIDDEN.search(escaped(path))
    assert "\n" not in escaped(path)


def test_safe_marked_keeps_marks_on_the_same_words():
    text = safe_hit(_hit("t", "x", "ab\x1b[31mcd zorglub", "/p")).snippet
    hit = safe_hit(Hit(id="i", kind="note", types=(), title="t", tags=(), path="/p", url="", score=0.0,
                       snippet="\x1b[2Jzorglub et \x1b]0;x\x07zorglub", marks=((4, 11), (21, 28))))
    assert hit.snippet == f"{PLACEHOLDER}zorglub et {PLACEHOLDER}zorglub"
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["zorglub", "zorglub"]
    assert text == f"ab{PLACEHOLDER}cd zorglub"


# ---------------------------------------------------------------- the app, through Pilot


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _app_on(tmp_path: Path, notes: dict[str, str], opened: list[str]):
    from searchkit.tui.app import create_app

    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in notes.items():
        (folder / name).write_text(text, encoding="utf-8")
    return create_app(tmp_path / "index", (folder,), watch=False, show_timing=False, open_url=opened.append)


async def _started(pilot):
    from tests.test_tui import until

    app = pilot.app
    await until(pilot, lambda: app.search_count > 0 and not app._indexing, what="startup")
    await pilot.pause(0.05)


def _rendered_text(app) -> str:
    """The text of every widget that shows a record: the hits, the preview, the status line."""
    from searchkit.tui.preview import Preview
    from searchkit.tui.results import ResultList

    parts = [str(app.query_one("#status").render())]
    results = app.query_one(ResultList)
    parts += [results.get_option_at_index(i).prompt.plain for i in range(results.option_count)
              if results.get_option_at_index(i) is not None]
    preview = app.query_one(Preview)
    parts.append(str(preview.query_one("#preview-meta").render()))
    parts.append(preview.query_one("#preview-body")._markdown)
    return "\n".join(parts)


@pytest.mark.anyio
async def test_the_app_shows_no_control_of_a_hostile_note(tmp_path):
    from tests.test_tui import type_query, until

    app = _app_on(tmp_path, {"evil.md": EVIL, "ok.md": "---\ntitle: Zorglub sage\n---\nzorglub\n"}, [])
    async with app.run_test(size=(120, 40)) as pilot:
        await _started(pilot)
        await type_query(pilot, "evil zorglub")
        await pilot.press("enter")
        await until(pilot, lambda: app.view is not None and app.view.record.title.startswith("Evil"), what="preview")
        await pilot.pause(0.1)
        text = _rendered_text(app)
        assert f"Evil {PLACEHOLDER}{PLACEHOLDER} zorglub" in text
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), repr(text)


@pytest.mark.anyio
@pytest.mark.parametrize("link", ["javascript:alert(1)", "--new-instance --profile /tmp/evil", "file:///etc/passwd"])
async def test_the_app_opens_only_safe_links(tmp_path, link):
    from tests.test_tui import type_query, until

    opened: list[str] = []
    notes = {"bad.md": f'---\ntitle: Zorglub piégé\nlink: "{link}"\n---\nzorglub\n',
             "good.md": "---\ntitle: Zorglub sûr\nlink: https://www.etalab.gouv.fr\n---\nzorglub\n"}
    app = _app_on(tmp_path, notes, opened)
    async with app.run_test(size=(120, 40)) as pilot:
        await _started(pilot)
        await type_query(pilot, "zorglub piege")
        await pilot.press("enter")
        await until(pilot, lambda: app.view is not None and app.view.record.title == "Zorglub piégé", what="bad note")
        await pilot.press("o")
        await pilot.pause(0.1)
        assert opened == []
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Lien non ouvert : seuls les liens http, https et mailto s'ouvrent") for m in messages)
        await type_query(pilot, "zorglub sur")
        await pilot.press("enter")
        await until(pilot, lambda: app.view is not None and app.view.record.title == "Zorglub sûr", what="good note")
        await pilot.press("o")
        assert opened == ["https://www.etalab.gouv.fr"]


def test_indexing_the_project_folder_skips_its_own_index(tmp_path):
    """``searchkit index .`` with the default ./index: the index is not read as a catalogue."""
    project = tmp_path / "project"
    (project / "notes").mkdir(parents=True)
    (project / "notes" / "a.md").write_text("---\ntitle: Zorglub\n---\nzorglub\n", encoding="utf-8")
    first = subprocess.run(SEARCHKIT + ["index", "."], cwd=project, capture_output=True, text=True)
    assert first.returncode == 0 and first.stderr == ""
    assert first.stdout.startswith("1 ajouté(s), 0 mis à jour")
    again = subprocess.run(SEARCHKIT + ["index", "."], cwd=project, capture_output=True, text=True)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout.startswith("0 ajouté(s), 0 mis à jour, 0 supprimé(s), 0 déplacé(s), 1 inchangé(s), "
                                   "0 avertissement(s) — 0 fiche(s)")
