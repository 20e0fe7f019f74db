"""The terminal app's start-up time and keystroke-to-results latency, headless (Pilot).

    python benchmarks/tui_latency.py --notes 10000            # generate, index, measure
    python benchmarks/tui_latency.py --index IDX --sources NOTES

Start-up: from creating the app to the first results on screen (the index is up
to date, so the start-up check reads the manifest and finds nothing to do).
Keystroke: a word is typed one key at a time; the time from its last key press
to its first hits on screen (a screenful, ``FIRST_PAGE``), and to the whole list.  The app waits ``DEBOUNCE`` after a key before it
searches (so that typing is never slowed down); the table gives the latency
with it and without it.  Medians and p95 over the words typed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate, load_model  # noqa: E402

from searchkit.index import update_index  # noqa: E402
from searchkit.query import Engine  # noqa: E402
from searchkit.tui import app as tui_app  # noqa: E402
from searchkit.tui.backend import HIT_LIMIT  # noqa: E402


def _words(index: Path, n: int, seed: int = 11) -> list[str]:
    engine = Engine(index)
    words: list[str] = []
    for k, doc in enumerate(engine.searcher().documents()):
        if k > 2000:
            break
        words += [w.strip(",.;:()«»\"'").lower() for w in doc["title"].split() if len(w) > 4]
    engine.close()
    random.Random(seed).shuffle(words)
    return [w for w in dict.fromkeys(words) if w.isalpha()][:n]


async def _measure(index: Path, sources: Path, words: list[str]) -> dict:
    started = time.perf_counter()
    app = tui_app.create_app(index, (sources,), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.search_count < 1:
            await asyncio.sleep(0.002)
        startup = time.perf_counter() - started
        await pilot.pause()
        latencies, complete = [], []
        for word in words:
            search = app.query_one("#search")
            search.value = ""
            await pilot.pause(tui_app.DEBOUNCE + 0.1)
            pages, searches = app.pages_shown, app.search_count
            for ch in word[:-1]:
                await pilot.press(ch)
            pressed = time.perf_counter()
            await pilot.press(word[-1])
            while app.pages_shown == pages or app.results is None or app.results.query != word:
                await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - pressed)
            while app.search_count == searches or app.results.query != word:
                await asyncio.sleep(0.001)
            complete.append(time.perf_counter() - pressed)
    return {"startup": startup, "latencies": latencies, "complete": complete}


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, help="generate this many notes, index them, measure")
    parser.add_argument("--index", type=Path)
    parser.add_argument("--sources", type=Path)
    parser.add_argument("--words", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="searchkit-tui-") as tmp:
        if args.notes:
            sources, index = Path(tmp) / "notes", Path(tmp) / "index"
            generate(args.notes, sources, load_model())
            update_index(index, [sources])
        elif args.index and args.sources:
            sources, index = args.sources, args.index
        else:
            parser.error("give --notes N, or --index and --sources")
        words = _words(index, args.words)
        result = asyncio.run(_measure(index, sources, words))
    lat = [x * 1000 for x in result["latencies"]]
    whole = [x * 1000 for x in result["complete"]]
    debounce = tui_app.DEBOUNCE * 1000
    print(f"| measure ({len(lat)} words typed) | median | p95 |")
    print("|---|---:|---:|")
    print(f"| app start-up to first results | {result['startup']:.2f} s | |")
    print(f"| last keystroke to results shown (first {tui_app.FIRST_PAGE} hits) | {statistics.median(lat):.0f} ms "
          f"| {_p(lat, 0.95):.0f} ms |")
    print(f"| ... without the {debounce:.0f} ms typing debounce | {statistics.median(lat) - debounce:.0f} ms "
          f"| {_p(lat, 0.95) - debounce:.0f} ms |")
    print(f"| ... the whole list ({HIT_LIMIT} hits), without the debounce | {statistics.median(whole) - debounce:.0f} ms "
          f"| {_p(whole, 0.95) - debounce:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
