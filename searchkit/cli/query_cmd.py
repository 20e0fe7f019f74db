"""``searchkit query`` and how hits are printed: as text, or as the records themselves (CSV,
CSL-JSON, BibTeX).  The module on the path of every search: it imports nothing heavy at the top."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from searchkit.cli.app import (EXIT_ERROR, EXIT_FOUND, EXIT_NOTHING, echo_err, filter_options,
                               index_option, json_text, main, parse_filters)
from searchkit.config import settings
from searchkit.display import escaped, safe, safe_marked
from searchkit.messages import t, value_label
from searchkit.model import FACETS, MAX_LIMIT, NOTE_FACETS, SORTS, Results


def _style(text: str, marks, colour: bool) -> str:
    if not colour or not marks:
        return text
    out, last = [], 0
    for a, b in marks:
        out.append(text[last:a])
        out.append(click.style(text[a:b], bold=True, fg="yellow"))
        last = b
    out.append(text[last:])
    return "".join(out)


def render_text(results: Results, colour: bool, show_facets: bool, explain: bool = False) -> str:
    """The text format: every field from the records goes through ``display.safe`` (colours are ours)."""
    lines = []
    for rank, hit in enumerate(results.hits, 1):
        badge = safe(", ".join(hit.types) or t(f"kind.{hit.kind}"))
        title = safe(hit.title)
        head = f"{rank:>2}. {click.style(title, bold=True) if colour else title}  [{badge}]"
        if hit.tags:
            head += "  # " + safe(", ".join(hit.tags[:8]))
        lines.append(head)
        if hit.snippet:
            lines.append("    " + _style(*safe_marked(hit.snippet, hit.marks), colour))
        location = escaped(hit.path) + (f"  {safe(hit.url)}" if hit.url and hit.kind == "dataset" else "")
        lines.append("    " + (click.style(location, dim=True) if colour else location))
        if explain:
            lines.append(f"    score {hit.score:.3f}: " + safe(" ".join(hit.explain)))
    lines.append(t("cli.results", total=results.total, ms=results.took_ms))
    if show_facets:
        for name, values in results.facets.items():
            if values:
                lines.append(f"{t('facet.' + name)}: " + ", ".join(f"{safe(value_label(name, v.label))} ({v.count})" for v in values))
    return "\n".join(lines)


# what ``query --format`` and ``saved run --format`` print: hits, or the records cited and exported
HIT_FORMATS = ("text", "json", "jsonl", "paths", "paths0")
RECORD_FORMATS = ("csv", "csl-json", "bibtex")


@main.command("query")
@click.argument("text", nargs=-1)
@index_option
@filter_options
@click.option("-n", "--limit", type=int, default=10, show_default=True, help="How many hits to show (0 to 10000).")
@click.option("--format", "fmt", type=click.Choice(HIT_FORMATS + RECORD_FORMATS), default="text", show_default=True,
              help="paths: one path a line (odd characters escaped); paths0: NUL-separated, as is; csv: one row per hit; "
                   "csl-json and bibtex: citations (datasets and notes).")
@click.option("--facets", "show_facets", is_flag=True, help="Print facet counts after the hits (text format).")
@click.option("--sort", type=click.Choice(SORTS), default=SORTS[0], show_default=True)
@click.option("--explain", is_flag=True, help="Show which words matched and the score of each hit.")
@click.option("--no-fuzzy", is_flag=True, help="No typo tolerance.")
def query_cmd(text, index_dir, types, tags, publishers, licences, formats, zones, granularities, frequencies,
              since, until, covers, facet_pairs, kind, limit, fmt, show_facets, sort, explain, no_fuzzy):
    """Search the index.  Exit status: 0 found, 1 nothing found, 2 error.

    \b
    Query language: words (all required, with a fallback to some),
    "a phrase", a OR b (OU), -word / NOT word (SAUF), prefix*,
    field:value for title: tag: type: kesako: publisher: licence: format: zone:
    granularity: frequency: kind: and any other front-matter key.
    """
    from searchkit.query import search

    query_text = " ".join(text).strip()
    if limit < 0 or limit > MAX_LIMIT:
        echo_err(f"{t('cli.error')}: {t('query.bad_limit', max=MAX_LIMIT)}")
        sys.exit(EXIT_ERROR)
    try:
        filters = parse_filters(facet_pairs, type=types, tag=tags, publisher=publishers, licence=licences, format=formats,
                                zone=zones, granularity=granularities, frequency=frequencies, since=since, until=until,
                                covers=covers)
    except click.UsageError as exc:
        echo_err(f"{t('cli.error')}: {exc.message}")
        sys.exit(EXIT_ERROR)
    if not query_text and not (filters or kind):
        echo_err(f"{t('cli.error')}: {t('query.empty')}")
        sys.exit(EXIT_ERROR)
    cfg = settings(index_dir)
    # facets are counted only when they are printed
    facet_names = FACETS if fmt == "json" or show_facets else ()
    results = search(cfg.index, query_text, filters=filters, kind=kind, limit=limit, facets=facet_names,
                     sort=sort, fuzzy=not no_fuzzy, explain=explain)
    remember_search(query_text, filters, kind)
    if fmt in RECORD_FORMATS:
        click.echo(render_records(fmt, cfg.index, results.hits))
    elif fmt == "json":
        payload = results.to_json()
        payload["facets"] = {k: v for k, v in payload["facets"].items() if k in NOTE_FACETS or v}
        if explain:  # the lines --explain prints, one key more on each hit
            for data, hit in zip(payload["hits"], results.hits):
                data["explain"] = list(hit.explain)
        click.echo(json_text(payload, indent=2))
    elif fmt == "jsonl":
        for hit in results.hits:
            click.echo(json_text(dict(hit.to_json(), explain=list(hit.explain)) if explain else hit.to_json()))
    elif fmt == "paths":
        for path in dict.fromkeys(h.path for h in results.hits):
            click.echo(escaped(path))
    elif fmt == "paths0":  # the exact bytes of each path, for xargs -0
        out = click.get_binary_stream("stdout")
        for path in dict.fromkeys(h.path for h in results.hits):
            out.write(os.fsencode(path) + b"\0")
        out.flush()
    else:
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        if results.notice:
            echo_err(results.notice)
        if not results.total:
            echo_err(t("query.no_results", query=query_text))
            if results.suggestions:
                echo_err(t("query.did_you_mean", words=", ".join(results.suggestions)))
        else:
            click.echo(render_text(results, colour, show_facets, explain))
    sys.exit(EXIT_FOUND if results.total else EXIT_NOTHING)


def remember_search(query_text: str, filters: dict[str, list[str]], kind: str | None) -> None:
    """Add a search to the history (never its results; off with SEARCHKIT_HISTORY=0)."""
    from searchkit.history import remember

    remember(query_text, filters, kind, origin="cli")


def _records(index_dir: Path, hits) -> list:
    """The stored records of ``hits``, in their order (what citations and exports need)."""
    from searchkit.query import Engine

    engine = Engine(index_dir)
    try:
        return [r for r in (engine.get(h.id) for h in hits) if r is not None]
    finally:
        engine.close()


def render_csv(records) -> str:
    import csv
    import io

    from searchkit.cite import CSV_COLUMNS, csv_row

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _spreadsheet_safe(v) for k, v in csv_row(r).items()} for r in records)
    return out.getvalue().rstrip("\n")


def _spreadsheet_safe(value):
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ gets a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_csl_json(records) -> str:
    from searchkit.cite import csl_items

    return json_text(csl_items(records), indent=2)


def render_bibtex(records) -> str:
    from searchkit.cite import bibtex

    return bibtex(records)


def render_records(fmt: str, index_dir: Path, hits) -> str:
    """``hits`` as CSV rows, CSL-JSON items or BibTeX entries."""
    render = {"csv": render_csv, "csl-json": render_csl_json, "bibtex": render_bibtex}[fmt]
    return render(_records(index_dir, hits))
