"""The index: one module per role, and what the rest of searchkit uses of it.

- ``schema``: the fields, the stored document, and its decoding into a Record;
- ``open``: opening for reading, checked (damage found on open), and ``inspect_index``;
- ``manifest``: what each indexed file was, and the journal of a write;
- ``folder``: the marker that makes a folder an index, and the only deletions;
- ``lock``: one writer at a time;
- ``update``: the incremental update, the only writer.

Layout of an index folder::

    index/
      .searchkit-index  written first: says the folder is an index, and its format
      _sk<version>_<gen>.toc, sk<version>_*.seg   Whoosh's files
      manifest.json     what each indexed file was (size, mtime, hash, ids), the segments
      journal.json      the write in progress (or killed): its segments, the paths it changes
      seal.json         the manifest's size and time and the commit it describes: while they
                        fit, opening for a search does not read the whole manifest
      .lock             held (flock) by the process writing, with its pid

Crash safety, step by step (a SIGKILL or a power cut can land anywhere):

1. the lock: ``flock`` on ``.lock``, released by the kernel if the holder dies;
2. leftovers of a killed run are removed (``folder.sweep``, from its journal);
3. the journal names the segments about to be written; they are written next to
   the current ones: readers do not see them;
4. the journal is saved again with the paths this commit changes, and fsynced;
5. the new segments and the folder are fsynced (the journal's rename with them), then
   the new TOC is written and renamed into place: readers now see the new records;
6. the manifest is saved with the new generation, record count and segments; the
   replaced files are deleted, then the journal.

Killed before 5, the previous index answers and the journal makes the next run
read those paths again; killed between 5 and 6, the new index answers and the
journal again says which entries of the (older) manifest not to trust.
``open_index`` compares the manifest with the index it opens (generation,
record count, indexed paths) and reports a mismatch as IndexDamaged; the next
``update_index`` rebuilds a damaged index and says so.
"""

from searchkit.index.lock import index_lock
from searchkit.index.manifest import MANIFEST, Manifest
from searchkit.index.folder import MARKER_FORMAT
from searchkit.index.open import IndexedRecord, as_damaged, inspect_index, open_index
from searchkit.index.schema import INDEX_NAME, SEP, build_schema, record_from_stored
from searchkit.index.update import update_index

__all__ = [
    "INDEX_NAME", "MANIFEST", "MARKER_FORMAT", "SEP", "IndexedRecord", "Manifest", "as_damaged", "build_schema",
    "index_lock", "inspect_index", "open_index", "record_from_stored", "update_index",
]
