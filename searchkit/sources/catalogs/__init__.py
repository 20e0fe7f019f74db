"""Dataset catalogues published by French open-data portals, read as ``Record``s.

The index layer calls three things:

- ``CATALOG_SUFFIXES``: file suffixes worth sniffing (``.rdf.xml`` counts as
  ``.xml``, which is what ``Path.suffix`` gives);
- ``sniff(path)``: the format name found in the file's content, or None;
- ``iter_catalog(path)``: the file's records, one ``Record`` per dataset
  description (``kind="dataset"``, ``types=("dataset",)``), and a ``Problem``
  for each bad record, in order.  It never raises for bad content; only an
  unreadable file raises ``SourceError``.

::

    >>> for item in iter_catalog(Path("export-dataset.csv")):   # doctest: +SKIP
    ...     print(item.id if isinstance(item, Record) else item)
    datagouv:6969c228770f993ed4817ef7
    export-dataset.csv:ligne 1234: fichier tronqué : ...

Formats (``FORMATS``), one module each:

=================  ===================================================  ===============
format             what                                                 module
=================  ===================================================  ===============
datagouv-csv       data.gouv.fr CSV exports (40 columns ``;``, or       datagouv_csv
                   narrower ``id,title,url,...``), streamed
udata-json         udata API: a dataset, a list, a page                 udata
ckan-json          CKAN / DKAN ``package_search`` / ``package_show``    ckan
http-session       recorded harvester sessions (bodies read as above)   session
dcat-us-json       DCAT-US ``data.json`` (ArcGIS Hub)                   dcat
dcat-rdfxml        DCAT / GeoDCAT-AP in RDF/XML (also in a CSW answer)  dcat
dcat-turtle        DCAT in Turtle, N-Triples, N3                        dcat
dcat-jsonld        DCAT in JSON-LD (remote contexts never fetched)      dcat
iso19139           ISO 19139 / 19115-3, alone or in a CSW answer         iso19139
ods-json           OpenDataSoft Explore API v2.x JSON                   ods
ods-v1-json        OpenDataSoft API v1 ``datasets/1.0/search``          ods
ods-csv            OpenDataSoft ``catalog/exports/csv``                 ods
datapackage        Frictionless ``datapackage.json``                    datapackage
=================  ===================================================  ===============

CSV is streamed (a 100 MB export is never held in memory); JSON, RDF and XML
are read whole, up to 200 MB (``common.MAX_WHOLE_FILE``), ISO 19139 records
then being parsed one at a time.

Shared pieces: ``dispatch`` (detection), ``common`` (the file, ``build`` of a
Record, dates, places, the richness prior), ``text`` (``html_to_text``,
``summarize``), ``licences`` and ``formats`` (normalisation), ``csvfile``
(streaming rows with their line numbers), ``wording`` (every message, French
and English).  ``common`` re-exports the helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from searchkit.errors import SearchkitError, SourceError
from searchkit.model import Problem, Record

from .common import Src
from .dispatch import FORMATS, read_path, sniff_path
from searchkit import config

from .wording import say

__all__ = ["CATALOG_SUFFIXES", "FORMATS", "sniff", "iter_catalog", "is_candidate"]

CATALOG_SUFFIXES: frozenset[str] = config.CATALOG_SUFFIXES  # one list, in config


def is_candidate(path: Path) -> bool:
    """Whether ``path``'s suffix is worth sniffing (``x.rdf.xml`` is an ``.xml``)."""
    return Path(path).suffix.lower() in CATALOG_SUFFIXES


def sniff(path: Path) -> str | None:
    """The catalogue format of ``path`` from its content, or None if it is not one we know.

    Reads the first 64 KB (CSV header, XML root and namespaces, JSON keys);
    a JSON file up to 4 MB is parsed whole and classified by its structure.
    """
    return sniff_path(Path(path))


def iter_catalog(path: Path) -> Iterator[Record | Problem]:
    """Stream the dataset records of one catalogue file, with a Problem for each bad one.

    Raises ``SourceError`` only when the file cannot be read at all.
    """
    path = Path(path)
    src = Src.of(path)
    try:
        yield from read_path(src, path)
    except SearchkitError:
        raise
    except OSError as exc:
        raise SourceError(say("file.unreadable", path=path, reason=exc.strerror or exc)) from exc
    except Exception as exc:  # a reader bug must not stop an index run: report it
        yield src.problem(say("reader.bug", kind=type(exc).__name__, error=exc))
