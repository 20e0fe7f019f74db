"""Deterministic generator of realistic French Cosma-style notes, and of benchmark queries.

The language model is learnt from the real notes of the shared corpus
(``../shared/corpus/notes-ods``, or ``$SEARCHKIT_CORPUS/notes-ods``):

- word frequencies: the empirical distribution of every word of the bodies
  (Zipf-like, stop words at their natural rate), plus a long tail of rare
  French-looking words spliced from real ones, so that the vocabulary keeps
  growing with the corpus size (Heaps' law) instead of stopping at ~8,000 words;
- word order: half of the words follow a real successor of the previous word
  (bigrams), so phrases such as "protection des données" occur naturally;
- sentence and note lengths: drawn from the real notes' distributions;
- front matter: title, 14-digit id, types from the real set, 1-5 tags drawn
  with Zipf frequencies from the real tags, kesako, link, ``[[id]]`` links to
  other generated notes, and the key spellings real users wrote
  (``tags``/``tag``/``Tags``, ``kesako``/``kezako``/``short``, list or string types).

When the shared corpus is absent, a small built-in French word list is used
and ``Model.source`` says so.

    >>> model = load_model()                                   # doctest: +SKIP
    >>> info = generate(1000, Path("/tmp/notes-1000"), model)  # doctest: +SKIP
    >>> queries = make_queries(info, 300)                       # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SEARCHKIT_CORPUS", REPO.parent / "shared" / "corpus"))
REAL_NOTES = CORPUS / "notes-ods"

WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d+", re.UNICODE)
_FENCE = re.compile(r"\A-{3,4}\s*\n(.*?)\n-{3,4}\s*(?:\n|\Z)", re.DOTALL)
_NOISE = re.compile(r"\[\[[^\]]*\]\]|https?://\S+|www\.\S+|!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|[*_#>`|]")

# stop words for choosing query words (never the query engine's own list)
STOP = frozenset("""
a à au aux avec ce ces cet cette d dans de des du elle elles en et eux il ils je l la le les leur leurs lui
ma mais me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son sur ta te tes
toi ton tu un une vos votre vous c j m n s t y est sont été être a ont avait sont fait plus aussi comme
ainsi entre tout tous toute toutes très peut être ces qui dont cela ceci afin lors leurs son sans sous
""".split())

BUILTIN_TEXT = """
Les données ouvertes permettent aux citoyens et aux entreprises de réutiliser librement les informations
publiques produites par les administrations. La transparence de l'action publique repose sur la publication
de jeux de données dans des formats ouverts et lisibles par les machines. Le portail national recense les
jeux de données des collectivités, des ministères et des établissements publics. Une licence ouverte
autorise la réutilisation gratuite, y compris commerciale, sous réserve de mentionner la source. La
protection des données personnelles impose l'anonymisation avant toute diffusion. Les chercheurs, les
journalistes et les associations exploitent ces ressources pour analyser les politiques publiques, les
budgets, les transports, l'environnement, la santé et l'éducation. Une interface de programmation facilite
l'accès automatisé aux données mises à jour régulièrement. Les communautés du logiciel libre contribuent
aux outils de cartographie, de visualisation et de recherche. La gouvernance de la donnée associe les
producteurs, les réutilisateurs et les usagers dans une démarche d'innovation et de modernisation numérique.
"""
BUILTIN_TAGS = ["open data", "transparence", "base de données", "données gouvernementales", "collecte",
                "libre d'accès", "open access", "information", "numérique", "innovation", "recherche"]
BUILTIN_TYPES = ["organisation", "personne", "portail", "outil", "notion", "droit"]


# ---------------------------------------------------------------- model


@dataclass
class Model:
    source: str  # where the vocabulary came from (said in the report)
    words: list[str]  # lower-case vocabulary, most frequent first
    counts: list[int]
    display: dict[str, str]  # lower-case word -> most common written form (CNIL, Etalab)
    successors: dict[str, list[str]]  # real bigrams
    starts: list[str]  # first words of real sentences
    sentence_lengths: list[int]
    body_lengths: list[int]
    tags: list[str]  # most frequent first (real spellings, variants included)
    tag_counts: list[int]
    types: list[str]
    type_counts: list[int]


def _front_matter(text: str) -> tuple[dict, str]:
    m = _FENCE.match(text)
    if not m:
        return {}, text
    try:
        data = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError:
        data = {}
    return (data if isinstance(data, dict) else {}), text[m.end():]


def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def load_model(notes_dir: Path | None = None) -> Model:
    """Learn the vocabulary, lengths, tags and types of the real notes."""
    notes_dir = Path(notes_dir or REAL_NOTES)
    files = sorted(notes_dir.glob("*.md")) if notes_dir.is_dir() else []
    word_counts: Counter = Counter()
    forms: dict[str, Counter] = {}
    successors: dict[str, list[str]] = {}
    starts: list[str] = []
    sentence_lengths: list[int] = []
    body_lengths: list[int] = []
    tags: Counter = Counter()
    types: Counter = Counter()
    texts = []
    if files:
        source = f"{len(files)} real notes of {notes_dir}"
        for path in files:
            fm, body = _front_matter(path.read_text("utf-8", errors="replace"))
            for key, value in fm.items():
                k = str(key).strip().lower()
                if k in ("tags", "tag"):
                    tags.update(_list(value))
                elif k in ("types", "type"):
                    types.update(v.lower() for v in _list(value) if v.lower() != "undefined")
            texts.append(body)
    else:
        source = f"built-in French word list (shared corpus not found at {notes_dir})"
        texts = [BUILTIN_TEXT]
        tags.update({t: len(BUILTIN_TAGS) - i for i, t in enumerate(BUILTIN_TAGS)})
        types.update({t: len(BUILTIN_TYPES) - i for i, t in enumerate(BUILTIN_TYPES)})
    for body in texts:
        clean = unicodedata.normalize("NFC", _NOISE.sub(" ", body))
        n_body = 0
        for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n", clean):
            toks = WORD.findall(sentence)
            if not toks:
                continue
            sentence_lengths.append(len(toks))
            n_body += len(toks)
            low = [t.lower().replace("’", "'") for t in toks]
            starts.append(low[0])
            for surface, w in zip(toks, low):
                forms.setdefault(w, Counter())[surface.replace("’", "'")] += 1
            word_counts.update(low)
            for a, b in zip(low, low[1:]):
                successors.setdefault(a, []).append(b)
        if n_body:
            body_lengths.append(n_body)
    ranked = word_counts.most_common()
    tag_ranked = tags.most_common()
    type_ranked = types.most_common()
    return Model(
        source=source,
        words=[w for w, _ in ranked],
        counts=[c for _, c in ranked],
        display={w: c.most_common(1)[0][0] for w, c in forms.items()},
        successors=successors,
        starts=starts,
        sentence_lengths=sentence_lengths,
        body_lengths=body_lengths if files else [60, 120, 250, 300, 400],
        tags=[t for t, _ in tag_ranked],
        tag_counts=[c for _, c in tag_ranked],
        types=[t for t, _ in type_ranked],
        type_counts=[c for _, c in type_ranked],
    )


def _content(word: str) -> bool:
    return len(word) >= 4 and word.isalpha() and word not in STOP


def _pseudo_words(model: Model, count: int, rng: random.Random) -> list[str]:
    """Rare French-looking words: the head of one real word + the tail of another."""
    pool = [w for w in model.words if _content(w) and len(w) >= 5 and w.isalpha()]
    known = set(model.words)
    out: list[str] = []
    seen: set[str] = set()
    tries = 0
    while len(out) < count and tries < count * 20:
        tries += 1
        a, b = rng.choice(pool), rng.choice(pool)
        w = a[: rng.randint(2, max(2, len(a) - 2))] + b[rng.randint(1, len(b) - 3):]
        if 5 <= len(w) <= 16 and w not in known and w not in seen:
            seen.add(w)
            out.append(w)
    return out


# ---------------------------------------------------------------- generator


@dataclass
class NoteMeta:
    id: str
    title: str
    path: Path
    types: list[str]
    tags: list[str]
    words: list[str] | None = None  # lower-case body words (kept for a sample only)


@dataclass
class CorpusInfo:
    n: int
    folder: Path
    seed: int
    source: str
    notes: list[NoteMeta]
    tokens: int = 0
    distinct_words: int = 0
    zipf_slope: float = 0.0
    bytes: int = 0
    seconds: float = 0.0
    word_counts: Counter = field(default_factory=Counter)
    doc_counts: Counter = field(default_factory=Counter)  # word -> notes containing it
    tags: list[str] = field(default_factory=list)  # most frequent first
    types: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.n} notes, {self.tokens:,} words, {self.distinct_words:,} distinct words, "
                f"Zipf slope {self.zipf_slope:.2f}, {self.bytes / 2**20:.1f} MiB on disk "
                f"(seed {self.seed}; vocabulary from {self.source})")


def _zipf_cum(n: int, s: float = 1.0, offset: float = 1.0) -> list[float]:
    acc, out = 0.0, []
    for r in range(n):
        acc += 1.0 / (r + offset) ** s
        out.append(acc)
    return out


def _cum(weights) -> list[float]:
    acc, out = 0.0, []
    for w in weights:
        acc += w
        out.append(acc)
    return out


def _zipf_slope(counts: Counter) -> float:
    """Least-squares slope of log(frequency) against log(rank), ranks 10-2000."""
    freqs = sorted(counts.values(), reverse=True)[9:2000]
    if len(freqs) < 10:
        return 0.0
    xs = [math.log(r) for r in range(10, 10 + len(freqs))]
    ys = [math.log(f) for f in freqs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den


def _file_name(title: str) -> str:
    name = re.sub(r'[/\\:*?"<>|\x00-\x1f]', "-", title).strip(" .") or "note"
    return name[:120]


def generate(n: int, folder: Path, model: Model | None = None, seed: int = 20240601,
             sample: int = 400, tail_mass: float = 0.08) -> CorpusInfo:
    """Write ``n`` notes into ``folder`` (created); same ``n`` and seed, same bytes."""
    import time

    started = time.perf_counter()
    model = model or load_model()
    rng = random.Random(f"{seed}-{n}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    # vocabulary: the real distribution, plus a Zipf tail of rare words that grows with n.
    # Half of the words follow a real bigram, so the tail gets about tail_mass / 2 of the
    # words: about 11k distinct words for 1k notes, 48k for 10k, 370k for 100k (Heaps-like).
    tail = _pseudo_words(model, min(1_000_000, 10 * n + 20_000), random.Random(seed))
    real_total = float(sum(model.counts))
    tail_cum = _zipf_cum(len(tail), 0.9, 20.0)
    scale = real_total * tail_mass / (1 - tail_mass) / tail_cum[-1] if tail else 0.0
    vocab = model.words + tail
    cum = _cum(model.counts)
    cum += [cum[-1] + c * scale for c in tail_cum]
    succ = model.successors
    display = model.display
    content_words = [w for w in model.words if _content(w)]
    tag_cum = _zipf_cum(len(model.tags), 1.0)
    type_cum = _cum(model.type_counts)
    sentence_lengths = model.sentence_lengths
    body_lengths = model.body_lengths

    def draw(k: int) -> list[str]:
        return rng.choices(vocab, cum_weights=cum, k=k)

    def sentence() -> tuple[str, list[str]]:
        length = max(3, min(60, rng.choice(sentence_lengths)))
        fresh = iter(draw(length))
        words = [rng.choice(model.starts)]
        while len(words) < length:
            options = succ.get(words[-1])
            words.append(rng.choice(options) if options and rng.random() < 0.5 else next(fresh))
        out = []
        for i, w in enumerate(words):
            shown = display.get(w, w)
            if i == 0:
                shown = shown[:1].upper() + shown[1:]
            out.append(shown)
            if 0 < i < len(words) - 2 and rng.random() < 0.06:
                out[-1] += ","
        return " ".join(out) + ".", words

    # ids: 14-digit timestamps, increasing, unique
    t0 = datetime(2023, 9, 24, 19, 0, 0)
    ids, t = [], t0
    for _ in range(n):
        t += timedelta(seconds=rng.randint(1, 3600))
        ids.append(t.strftime("%Y%m%d%H%M%S"))

    notes: list[NoteMeta] = []
    counts: Counter = Counter()
    doc_counts: Counter = Counter()
    tokens = 0
    total_bytes = 0
    used_names: set[str] = set()
    step = max(1, n // sample)
    for i in range(n):
        # title: one to three real words, capitalised like names of organisations and notions
        k = rng.choices((1, 2, 3), (0.4, 0.4, 0.2))[0]
        title_words = [display.get(w, w) for w in rng.choices(content_words[:3000], k=k)]
        title = " ".join(w[:1].upper() + w[1:] for w in title_words)
        types = [rng.choices(model.types, cum_weights=type_cum)[0]] if model.types else []
        if types and rng.random() < 0.08:
            types.append(rng.choices(model.types, cum_weights=type_cum)[0])
        n_tags = rng.choices((0, 1, 2, 3, 4, 5), (0.03, 0.15, 0.3, 0.27, 0.15, 0.1))[0]
        tags = list(dict.fromkeys(rng.choices(model.tags, cum_weights=tag_cum, k=n_tags))) if model.tags else []
        kesako, _ = sentence()
        kesako = " ".join(kesako.rstrip(".").split()[: rng.randint(3, 10)])

        # body
        target = max(15, int(rng.choice(body_lengths) * rng.uniform(0.6, 1.4)))
        paragraphs, words_all, para, n_words = [], [], [], 0
        while n_words < target:
            s, ws = sentence()
            para.append(s)
            words_all.extend(ws)
            n_words += len(ws)
            if len(para) >= rng.randint(1, 5):
                paragraphs.append(" ".join(para))
                para = []
        if para:
            paragraphs.append(" ".join(para))
        if len(paragraphs) > 2 and rng.random() < 0.15:
            paragraphs.insert(rng.randint(1, len(paragraphs) - 1),
                              "## " + " ".join(display.get(w, w) for w in rng.choices(content_words[:2000], k=rng.randint(1, 3))))
        if rng.random() < 0.1:
            items = [" ".join(draw(rng.randint(2, 6))) for _ in range(rng.randint(2, 4))]
            paragraphs.append("\n".join("- " + it for it in items))
        n_links = rng.choices((0, 1, 2, 3, 4), (0.3, 0.3, 0.2, 0.12, 0.08))[0] if n > 1 else 0
        for _ in range(n_links):
            j = rng.randrange(n)
            if j == i:
                continue
            p = rng.randrange(len(paragraphs))
            if paragraphs[p].startswith(("## ", "- ")):
                continue
            link = rng.choice((f" En lien avec [[{ids[j]}]].", f" Voir aussi [[{ids[j]}]]", f" [[{ids[j]}]]"))
            paragraphs[p] += link
        aide = "\n\nAide à la rédaction : *ChatGpt*" if rng.random() < 0.05 else ""

        # front matter, with the spellings real users wrote
        fm = ["---"]
        fm.append(f'title: "{title}"' if rng.random() < 0.3 else f"title: {title}")
        r = rng.random()
        if r < 0.01:
            note_id = None
        else:
            key = "Id" if r < 0.03 else "id"
            note_id = ids[i]
            fm.append(f'{key}: "{note_id}"' if rng.random() < 0.5 else f"{key}: {note_id}")
        if types:
            shown_types = [t.capitalize() if rng.random() < 0.03 else t for t in types]
            if rng.random() < 0.1 and len(shown_types) == 1:
                fm.append(f"{'type' if rng.random() < 0.2 else 'types'}: {shown_types[0]}")
            else:
                fm.append("types:")
                fm.extend(f"  - {t}" for t in shown_types)
            if rng.random() < 0.9:
                fm.append(f"thumbnail: {types[0]}.png")
        r = rng.random()
        if r < 0.96:
            key = "kesako" if r < 0.75 else ("kezako" if r < 0.93 else "short")
            fm.append(f"{key}: {kesako}")
        if tags:
            r = rng.random()
            fm.append("tags:" if r < 0.9 else ("tag:" if r < 0.98 else "Tags:"))
            fm.extend(f"- {yaml_scalar(t)}" for t in tags)
        if rng.random() < 0.65:
            slug = re.sub(r"[^a-z0-9]+", "-", strip_accents(title.lower())).strip("-") or "site"
            fm.append(f"{'Link' if rng.random() < 0.04 else 'link'}: https://www.{slug}.fr/")
        fm.append("---")
        text = "\n".join(fm) + "\n\n" + "\n\n".join(paragraphs) + aide + "\n"

        name = _file_name(title)
        base, k = name, 2
        while name.casefold() in used_names:
            name = f"{base} ({k})"
            k += 1
        used_names.add(name.casefold())
        path = folder / f"{name}.md"
        data = text.encode("utf-8")
        path.write_bytes(data)
        total_bytes += len(data)
        counts.update(words_all)
        doc_counts.update(set(words_all))
        tokens += len(words_all)
        notes.append(NoteMeta(note_id or f"{name}.md", title, path, types, tags,
                              words_all if i % step == 0 else None))

    info = CorpusInfo(n=n, folder=folder, seed=seed, source=model.source, notes=notes, tokens=tokens,
                      distinct_words=len(counts), zipf_slope=_zipf_slope(counts), bytes=total_bytes,
                      word_counts=counts, doc_counts=doc_counts, tags=model.tags, types=model.types)
    info.seconds = time.perf_counter() - started
    return info


def yaml_scalar(value: str) -> str:
    """A tag as a YAML list item (quoted only when YAML needs it)."""
    if re.match(r"^[\w][\w ']*$", value) and value.strip() == value and value.lower() not in ("yes", "no", "true", "false", "null"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def edit_note(path: Path, k: int) -> None:
    """Change one note as a person would: one more sentence at the end."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"\nModification {k} : une phrase ajoutée pendant la mesure de la mise à jour.\n")


# ---------------------------------------------------------------- queries


@dataclass
class BenchQuery:
    kind: str  # word, words, topical, phrase, prefix, typo, filter
    text: str  # what a person types into searchkit
    words: list[str]  # the words, for the FTS5 MATCH expression
    filters: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"kind": self.kind, "text": self.text, "words": self.words, "filters": self.filters}

    @classmethod
    def from_json(cls, d: dict) -> "BenchQuery":
        return cls(d["kind"], d["text"], list(d["words"]), {k: list(v) for k, v in d.get("filters", {}).items()})


def _typo(word: str, rng: random.Random) -> str:
    for _ in range(10):
        i = rng.randint(1, len(word) - 2)
        op = rng.choice(("delete", "swap", "replace", "insert"))
        if op == "delete":
            w = word[:i] + word[i + 1:]
        elif op == "swap":
            w = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        elif op == "replace":
            w = word[:i] + rng.choice("aeioustrnl") + word[i + 1:]
        else:
            w = word[:i] + rng.choice("aeioustrnl") + word[i:]
        if w != word:
            return w
    return word[:-1]


def make_queries(word_counts: Counter, samples: list[tuple[list[str], list[str], list[str]]], tags: list[str],
                 types: list[str], n: int = 300, seed: int = 7, topical: list[str] | None = None) -> list[BenchQuery]:
    """``n`` varied queries: single words of every frequency, two-three words from one
    document, phrases cut from documents, prefixes, typos, and words with tag/type filters.

    ``word_counts`` is the corpus' word frequency, ``samples`` (words, tags, types) of a
    few documents, so that multi-word queries, phrases and half of the filtered queries
    match something; the other filtered queries take a frequent word and a frequent tag.
    ``topical`` are topic words (in 10-30 % of the notes): one to three of them make
    a "topical" query, as a librarian types "santé" or "environnement numérique"."""
    rng = random.Random(seed)
    ranked = [w for w, _ in word_counts.most_common() if _content(w)]
    if not ranked:
        return []
    head, mid, rare = ranked[:300], ranked[300:3000] or ranked, ranked[3000:] or ranked
    full = [s for s in samples if s[0] and sum(1 for w in s[0] if _content(w)) >= 4] or [(ranked[:50], [], [])]
    samples = [s[0] for s in full]
    shares = {"word": 0.2, "words": 0.15, "topical": 0.15, "phrase": 0.12, "prefix": 0.1, "typo": 0.12, "filter": 0.16}
    topical = [w for w in topical or () if _content(w)]
    if not topical:
        del shares["topical"]
    out: list[BenchQuery] = []
    for kind, share in shares.items():
        for j in range(max(1, round(n * share))):
            if kind == "word":
                w = rng.choice((head, mid, rare)[j % 3])
                out.append(BenchQuery(kind, w, [w]))
            elif kind == "words":
                doc = rng.choice(samples)
                ws = list(dict.fromkeys(w for w in doc if _content(w)))
                pick = rng.sample(ws, min(len(ws), rng.choice((2, 2, 3))))
                out.append(BenchQuery(kind, " ".join(pick), pick))
            elif kind == "topical":
                pick = rng.sample(topical, min(len(topical), rng.choice((1, 2, 2, 3))))
                out.append(BenchQuery(kind, " ".join(pick), pick))
            elif kind == "phrase":
                doc = rng.choice(samples)
                for _ in range(50):
                    size = rng.choice((2, 2, 3))
                    i = rng.randrange(max(1, len(doc) - size))
                    chunk = doc[i:i + size]
                    if len(chunk) == size and _content(chunk[0]) and _content(chunk[-1]) and all(w.isalpha() for w in chunk):
                        break
                out.append(BenchQuery(kind, '"' + " ".join(chunk) + '"', chunk))
            elif kind == "prefix":
                w = rng.choice([x for x in (head + mid)[:2000] if len(x) >= 6])
                p = w[: rng.randint(4, 5)]
                out.append(BenchQuery(kind, p + "*", [p]))
            elif kind == "typo":
                w = rng.choice([x for x in (head + mid)[:3000] if len(x) >= 6])
                typo = _typo(w, rng)
                out.append(BenchQuery(kind, typo, [typo]))
            else:
                if j % 2 == 0:  # a frequent word and a frequent tag or type
                    pick = [rng.choice(head + mid[:500])]
                    if types and (j % 3 == 2 or not tags):
                        filters = {"type": [rng.choice(types[:4])]}
                    else:
                        filters = {"tag": [rng.choice(tags[:15])]}
                else:  # one or two words of a document, and one of its tags (or its type)
                    words_, tags_, types_ = rng.choice(full)
                    ws = list(dict.fromkeys(x for x in words_ if _content(x)))
                    pick = rng.sample(ws, min(1 + (j % 4 == 3), len(ws)))
                    if tags_ and (j % 3 or not types_):
                        filters = {"tag": [rng.choice(tags_)]}
                    elif types_:
                        filters = {"type": [rng.choice(types_)]}
                    else:
                        filters = {"tag": [rng.choice(tags[:15])]} if tags else {}
                out.append(BenchQuery(kind, " ".join(pick), pick, filters))
    rng.shuffle(out)
    return out


def queries_for(info: CorpusInfo, n: int = 300, seed: int = 7) -> list[BenchQuery]:
    samples = [(m.words, m.tags, m.types) for m in info.notes if m.words]
    tag_counts = Counter(t for m in info.notes for t in m.tags)
    type_counts = Counter(t for m in info.notes for t in m.types)
    topical = [w for w, c in info.doc_counts.most_common() if 0.10 * info.n <= c <= 0.30 * info.n]
    return make_queries(info.word_counts, samples, [t for t, _ in tag_counts.most_common()],
                        [t for t, _ in type_counts.most_common()], n, seed, topical)


if __name__ == "__main__":  # python benchmarks/corpus.py 1000 /tmp/notes
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/tmp/searchkit-bench-notes")
    info = generate(count, target)
    print(info.summary(), f"in {info.seconds:.1f} s ->", target)
    for q in queries_for(info, 20):
        print(q.kind, repr(q.text), q.filters or "")
