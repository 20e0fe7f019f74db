"""`searchkit harvest` against a portal on the loopback interface serving the corpus's
real records in each API's real answer shape (tests/portal_server.py): the real CLI
in a subprocess, then `searchkit index` and `searchkit query`; faults on demand."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal_server import Fault, Portal, serve
from searchkit.sources.harvest import Client, Policy, harvest
from searchkit.sources.harvest.client import USER_AGENT

FAST = {"SEARCHKIT_HARVEST_PAGE_SIZE": "50", "SEARCHKIT_HARVEST_RATE": "0", "SEARCHKIT_HARVEST_BACKOFF": "0.01",
        "SEARCHKIT_HARVEST_TIMEOUT": "2", "SEARCHKIT_HARVEST_RETRIES": "2", "SEARCHKIT_HARVEST_MAX_WAIT": "0.05"}
UDATA = "/api/1/datasets/"


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "searchkit.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **FAST, **(env or {})}, timeout=timeout)


def udata_records(corpus: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((corpus / "datasets" / "udata_json").glob("*.json"))]


def folder_of(portal: Portal, root: Path) -> Path:
    return root / f"127.0.0.1_{portal.port}"


def local_ids(folder: Path, list_path=("data",), key="id") -> list[str]:
    """Every dataset id in the page files (a list: duplicates show)."""
    ids = []
    for page in sorted(folder.glob("*-[0-9][0-9][0-9][0-9].json")):
        obj = json.loads(page.read_bytes())
        for step in list_path:
            obj = obj[step]
        ids.extend(str(r[key]) for r in obj)
    return ids


def query_ids(text: str, index: Path) -> list[str]:
    done = cli("query", text, "--index", str(index), "--format", "json", "-n", "50")
    assert done.returncode in (0, 1), done.stderr
    return [hit["id"] for hit in json.loads(done.stdout)["hits"]]


def policy(**changes) -> Policy:
    return Policy(**dict(dict(timeout=2.0, retries=2, backoff=0.01, max_wait=10.0, rate=0, page_size=50), **changes))


class Sleeps(list):
    """A client's sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))


@pytest.fixture
def udata(corpus):
    with serve(Portal("udata", udata_records(corpus))) as portal:
        yield portal


# --- the whole loop: harvest, index, query ---


def test_harvest_then_index_and_query_find_the_harvested_datasets(udata, tmp_path):
    done = cli("harvest", udata.url(UDATA), "--into", "catalogues")
    assert done.returncode == 0, done.stderr
    folder = folder_of(udata, tmp_path / "catalogues")
    assert sorted(local_ids(folder)) == sorted(udata.ids())
    assert sorted(p.name for p in folder.iterdir()) == [".harvest-udata.json", ".harvest-udata.lock"] + [f"udata-{n:04d}.json" for n in range(1, 9)]
    assert "moissonnage complet — 8 page(s) dont 0 inchangée(s), 366 jeu(x) de données reçu(s), 366 dans" in done.stdout
    assert done.stderr.splitlines()[0] == "127.0.0.1 : page 1, 50 jeu(x) de données sur 366"  # one line per page
    assert len(done.stderr.splitlines()) == 8
    assert {headers["User-Agent"] for _, headers in udata.log} == {USER_AGENT}
    assert USER_AGENT.startswith("searchkit/0.1.0 ")

    assert cli("index", "catalogues", "--index", "idx").returncode == 0
    target = udata.records[123]
    assert f"datagouv:{target['id']}" in query_ids(f'"{target["title"]}"', tmp_path / "idx")


def test_a_second_run_fetches_only_what_changed(udata, tmp_path):
    assert cli("harvest", udata.url(UDATA), "--into", "c").returncode == 0
    first_requests = len(udata.log)
    changed = udata.records[10]["id"]
    udata.records[10] = dict(udata.records[10], title="Inventaire des ruchers communaux",
                             last_update="2099-01-01T00:00:00")
    new = dict(udata.records[20], id="ffffffffffffffffffffffff", title="Comptage des hirondelles de fenêtre",
               created_at="2099-01-01T00:00:00", last_update="2099-01-01T00:00:00")
    udata.records.append(new)

    done = cli("harvest", udata.url(UDATA), "--into", "c", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["portals"][0]
    assert (report["mode"], report["pages"], report["requests"], report["datasets"]) == ("update", 1, 1, 367)
    second = [path for path, _ in udata.log[first_requests:]]
    assert len(second) == 1 and "sort=-last_update" in second[0]
    ids = local_ids(folder_of(udata, tmp_path / "c"))
    assert len(ids) == len(set(ids)) == 367
    assert cli("index", "c", "--index", "idx").returncode == 0
    assert query_ids('"ruchers communaux"', tmp_path / "idx")[0] == f"datagouv:{changed}"
    assert query_ids("hirondelles", tmp_path / "idx")[0] == "datagouv:ffffffffffffffffffffffff"


def test_a_dataset_removed_on_the_server_leaves_the_copy_and_the_index_on_the_next_full_run(udata, tmp_path):
    assert cli("harvest", udata.url(UDATA), "--into", "c").returncode == 0
    assert cli("index", "c", "--index", "idx").returncode == 0
    gone = udata.records[200]
    assert f"datagouv:{gone['id']}" in query_ids(f'"{gone["title"]}"', tmp_path / "idx")
    udata.remove(gone["id"])

    done = cli("harvest", udata.url(UDATA), "--into", "c", "--full")
    assert done.returncode == 0, done.stderr
    assert "365 dans" in done.stdout and "1 retiré(s)" in done.stdout
    assert sorted(local_ids(folder_of(udata, tmp_path / "c"))) == sorted(udata.ids())
    assert cli("index", "c", "--index", "idx").returncode == 0
    assert f"datagouv:{gone['id']}" not in query_ids(f'"{gone["title"]}"', tmp_path / "idx")


# --- kills ---


def test_runs_killed_at_random_points_resume_to_exactly_the_portals_datasets(udata, tmp_path):
    udata.delay = 0.04  # each page takes a while: the kills land while pages are being fetched or published
    folder = folder_of(udata, tmp_path / "c")
    rng = random.Random(14)
    command = [sys.executable, "-m", "searchkit.cli", "harvest", udata.url(UDATA), "--into", "c"]
    for _ in range(5):
        process = subprocess.Popen(command, env=dict(os.environ, **FAST), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.6))
        process.send_signal(signal.SIGKILL)
        process.wait()
        for page in folder.glob("udata-*.json") if folder.exists() else ():
            json.loads(page.read_bytes())  # never half a page
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".udata-0001.json.4242.tmp").write_bytes(b'{"data": [')  # as a kill inside a write leaves it
    done = cli("harvest", udata.url(UDATA), "--into", "c")
    assert done.returncode == 0, done.stderr
    ids = local_ids(folder)
    assert sorted(ids) == sorted(udata.ids())  # each exactly once
    assert sorted(p.name for p in folder.glob(".*")) == [".harvest-udata.json", ".harvest-udata.lock"]


def test_ctrl_c_keeps_the_pages_and_the_next_run_resumes(udata, tmp_path):
    calls = []

    def interrupt(progress):
        calls.append(progress.pages)
        if progress.pages == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        harvest(udata.url(UDATA), "udata", tmp_path / "c", policy=policy(), progress=interrupt)
    asked = len(udata.log)
    report = harvest(udata.url(UDATA), "udata", tmp_path / "c", policy=policy())
    assert (report.resumed, report.outcome, report.datasets) == (True, "done", 366)
    assert len(udata.log) - asked == 5  # pages 4 to 8 only
    assert sorted(local_ids(tmp_path / "c")) == sorted(udata.ids())


def test_ctrl_c_on_the_command_line_says_how_to_resume(udata, tmp_path):
    udata.delay = 0.2
    process = subprocess.Popen([sys.executable, "-m", "searchkit.cli", "harvest", udata.url(UDATA), "--into", "c"],
                               env={**os.environ, **FAST}, stderr=subprocess.PIPE, text=True)
    assert process.stderr.readline().startswith("127.0.0.1 : page 1, 50 jeu(x)")
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    assert process.wait() == 130
    assert rest.splitlines()[-1] == ("Interrompu : les pages reçues sont gardées ; relancez « searchkit harvest » "
                                     "pour reprendre là où il s'est arrêté.")
    udata.delay = 0
    done = cli("harvest", udata.url(UDATA), "--into", "c")
    assert done.returncode == 0 and sorted(local_ids(folder_of(udata, tmp_path / "c"))) == sorted(udata.ids())


def test_max_keeps_a_sample_of_exactly_n_datasets_then_a_full_run_completes_it(udata, tmp_path):
    done = cli("harvest", udata.url(UDATA), "--into", "c", "--max", "120")
    assert done.returncode == 0, done.stderr
    assert "échantillon (--max) — 3 page(s) dont 0 inchangée(s), 150 jeu(x) de données reçu(s), 120 dans" in done.stdout
    assert len(set(local_ids(folder_of(udata, tmp_path / "c")))) == 120
    done = cli("harvest", udata.url(UDATA), "--into", "c")
    assert "moissonnage complet" in done.stdout
    assert sorted(local_ids(folder_of(udata, tmp_path / "c"))) == sorted(udata.ids())


def test_two_harvests_of_one_folder_never_run_at_once(udata, tmp_path):
    import fcntl

    folder = folder_of(udata, tmp_path / "c")
    folder.mkdir(parents=True)
    with open(folder / ".harvest-udata.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = cli("harvest", udata.url(UDATA), "--into", "c")
    assert (done.returncode, done.stderr) == (
        2, f"erreur: {folder} est en cours de moissonnage par un autre processus ; réessayez quand il aura fini.\n")
    assert not udata.log


# --- a polite client, faults ---


def test_429_waits_what_retry_after_says(udata, tmp_path):
    udata.faults.append(Fault(match="page=2", status=429, headers={"Retry-After": "7"}))
    sleeps = Sleeps()
    with Client(policy(), sleep=sleeps) as client:
        report = harvest(udata.url(UDATA), "udata", tmp_path / "c", client=client)
    assert report.outcome == "done" and report.datasets == 366
    assert sleeps == [7.0]
    assert [p for p, _ in udata.log].count(udata.log[1][0]) == 2  # page 2 asked again


def test_500s_are_retried_with_exponential_backoff(udata, tmp_path):
    udata.faults.append(Fault(match="page=3", status=500, times=2))
    udata.faults.append(Fault(match="page=5", status=503, times=1))  # 503 without Retry-After: the backoff
    sleeps = Sleeps()
    with Client(policy(backoff=0.5), sleep=sleeps) as client:
        report = harvest(udata.url(UDATA), "udata", tmp_path / "c", client=client)
    assert report.outcome == "done" and report.datasets == 366
    assert sleeps == [0.5, 1.0, 0.5]


def test_retries_spent_keep_the_pages_and_the_next_run_resumes(udata, tmp_path):
    udata.faults.append(Fault(match="page=4", status=500, times=3))
    done = cli("harvest", udata.url(UDATA), "--into", "c")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "erreur: 127.0.0.1 : portail injoignable (HTTP 500) malgré plusieurs essais ; 3 page(s) gardée(s) : "
        "relancez « searchkit harvest » pour reprendre.")
    asked = len(udata.log)
    done = cli("harvest", udata.url(UDATA), "--into", "c")
    assert done.returncode == 0, done.stderr
    assert len(udata.log) - asked == 5
    assert sorted(local_ids(folder_of(udata, tmp_path / "c"))) == sorted(udata.ids())


def test_a_timeout_is_retried(udata, tmp_path):
    udata.faults.append(Fault(match="page=2", sleep=1.0))
    report = harvest(udata.url(UDATA), "udata", tmp_path / "c", policy=policy(timeout=0.3))
    assert report.outcome == "done" and report.datasets == 366
    assert sum("page=2" in p for p, _ in udata.log) == 2


def test_truncated_json_is_asked_again_then_ends_the_run_keeping_what_was_fetched(udata, tmp_path):
    udata.faults.append(Fault(match="page=2", body=b'{"data": [{"id": "a", "title": "cut'))
    report = harvest(udata.url(UDATA), "udata", tmp_path / "a", policy=policy())
    assert report.outcome == "done" and report.datasets == 366  # once: asked again

    udata.faults.append(Fault(match="page=3", body=b'{"data": [{"id": "a", "title": "cut', times=99))
    done = cli("harvest", udata.url(UDATA), "--into", "c")
    assert done.returncode == 2
    [line] = [x for x in done.stderr.splitlines() if x.startswith("erreur")]
    assert "page=3" in line and "réponse inutilisable après plusieurs essais (JSON: " in line
    assert line.endswith(f"Les 100 jeu(x) de données reçus sont gardés dans {folder_of(udata, tmp_path / 'c')}.")
    assert len(local_ids(folder_of(udata, tmp_path / "c"))) == 100


def test_a_redirect_to_another_host_is_not_followed(udata, tmp_path):
    udata.faults.append(Fault(match="page=1", redirect="localhost"))
    done = cli("harvest", udata.url(UDATA), "--into", "c")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert f"redirige vers un autre hôte (http://localhost:{udata.port}/api/1/datasets/?" in line
    assert len(udata.log) == 1  # localhost is this very server: it was never asked


def test_a_paging_loop_ends_the_run_keeping_what_was_fetched(udata, tmp_path):
    udata.loop = True  # page 2 says the next page is page 1
    done = cli("harvest", udata.url(UDATA), "--into", "c")
    assert done.returncode == 2
    assert "boucle de pagination" in done.stderr and "Les 100 jeu(x) de données reçus sont gardés" in done.stderr
    assert len(udata.log) == 2
    assert len(set(local_ids(folder_of(udata, tmp_path / "c")))) == 100


def test_an_endless_catalogue_ends_the_run(udata, tmp_path):
    udata.endless = True  # always a next page, always the same 50 datasets
    report = harvest(udata.url(UDATA), "udata", tmp_path / "c", policy=policy())
    assert (report.outcome, report.stop.code) == ("stopped", "endless")
    assert report.pages == 17  # more than twice the 366 announced, plus two pages
    ids = local_ids(tmp_path / "c")
    assert len(ids) == len(set(ids)) == 50


def test_an_oversized_page_ends_the_run(udata, tmp_path):
    done = cli("harvest", udata.url(UDATA), "--into", "c", env={"SEARCHKIT_HARVEST_MAX_MB": "0.6"})
    assert done.returncode == 2
    [line] = [x for x in done.stderr.splitlines() if x.startswith("erreur")]
    assert "page=3" in line and "au-delà de la limite de 0.6 Mo" in line  # page 3 holds 0.7 MB
    assert len(local_ids(folder_of(udata, tmp_path / "c"))) == 100


def test_bad_arguments_get_one_line(udata, tmp_path):
    done = cli("harvest", "ftp://example.org/x")
    assert (done.returncode, done.stderr) == (2, "erreur: « ftp://example.org/x » n'est pas une adresse http(s) : "
                                                 "donnez l'adresse de l'API du portail.\n")
    done = cli("harvest", udata.url("/portail"))
    assert done.returncode == 2 and "donnez --kind (udata, ckan, ods, dcat, csw)" in done.stderr
    done = cli("harvest", udata.url(UDATA), "--since", "hier")
    assert done.returncode == 2 and "--since « hier » n'est pas une date" in done.stderr
    done = cli("harvest")
    assert done.returncode == 2 and "Aucun portail à moissonner" in done.stderr
    assert not udata.log


# --- the other APIs ---


def test_ckan_full_then_update_with_a_modification_date_filter(corpus, tmp_path):
    answer = json.loads((corpus / "datasets" / "ckan_json" /
                         "datasud_package_search__conciergerie-open-data__fake_api_results.json").read_text())
    records = answer["result"]["results"]
    with serve(Portal("ckan", records)) as ckan:
        url = ckan.url("/api/3/action/package_search")
        done = cli("harvest", url, "--into", "c", env={"SEARCHKIT_HARVEST_PAGE_SIZE": "3"})
        assert done.returncode == 0, done.stderr
        folder = folder_of(ckan, tmp_path / "c")
        assert sorted(local_ids(folder, ("result", "results"))) == sorted(ckan.ids())
        assert len(ckan.log) == 3
        ckan.records[0] = dict(records[0], title="Registre des conciergeries", metadata_modified="2099-01-01T00:00:00")
        done = cli("harvest", url, "--into", "c", env={"SEARCHKIT_HARVEST_PAGE_SIZE": "3"})
        assert done.returncode == 0, done.stderr
        assert len(ckan.log) == 4 and "fq=metadata_modified" in ckan.log[-1][0]
        assert sorted(local_ids(folder, ("result", "results"))) == sorted(ckan.ids())
        assert cli("index", "c", "--index", "idx").returncode == 0
        assert query_ids('"registre des conciergeries"', tmp_path / "idx") == [f"ckan:{records[0]['id']}"] or \
            query_ids('"registre des conciergeries"', tmp_path / "idx")[0].endswith(records[0]["name"])


def _ods(record: dict) -> dict:
    """A udata record in the shape of an OpenDataSoft Explore v2.1 catalogue dataset."""
    return {"dataset_id": record["slug"][:60], "dataset_uid": f"da_{record['id'][:6]}", "has_records": True,
            "features": ["analyze"], "fields": [], "attachments": [], "data_visible": True,
            "metas": {"default": {"title": record["title"], "description": record["description"],
                                  "keyword": record["tags"], "modified": record["last_modified"],
                                  "publisher": (record.get("organization") or {}).get("name"),
                                  "license": record.get("license"), "theme": None, "language": "fr"}}}


def test_opendatasoft_pages(corpus, tmp_path):
    records = [_ods(r) for r in udata_records(corpus)[:40]]
    with serve(Portal("ods", records)) as ods:
        done = cli("harvest", ods.url("/api/explore/v2.1/catalog/datasets"), "--into", "c",
                   env={"SEARCHKIT_HARVEST_PAGE_SIZE": "15"})
        assert done.returncode == 0, done.stderr
        folder = folder_of(ods, tmp_path / "c")
        assert sorted(local_ids(folder, ("results",), "dataset_id")) == sorted(ods.ids())
        assert [p.name for p in sorted(folder.glob("ods-*"))] == ["ods-0001.json", "ods-0002.json", "ods-0003.json"]
        assert cli("index", "c", "--index", "idx").returncode == 0
        assert query_ids(f'"{records[7]["metas"]["default"]["title"]}"', tmp_path / "idx")


def _dcat(record: dict) -> dict:
    return {"@id": record["uri"], "@type": "dcat:Dataset", "dct:identifier": record["id"],
            "dct:title": record["title"], "dct:description": record["description"],
            "dcat:keyword": record["tags"], "dct:modified": record["last_modified"]}


def test_dcat_hydra_pages_asked_again_with_their_etag(corpus, tmp_path):
    records = [_dcat(r) for r in udata_records(corpus)[:60]]
    with serve(Portal("dcat", records)) as dcat:
        url = dcat.url("/catalog.jsonld")
        done = cli("harvest", url, "--into", "c")
        assert done.returncode == 0, done.stderr
        folder = folder_of(dcat, tmp_path / "c")
        assert [p.name for p in sorted(folder.glob("dcat-*"))] == ["dcat-0001.jsonld", "dcat-0002.jsonld",
                                                                   "dcat-0003.jsonld"]
        done = cli("harvest", url, "--into", "c", "--format", "json")
        report = json.loads(done.stdout)["portals"][0]
        assert (report["pages"], report["unchanged_pages"], report["datasets"]) == (3, 3, 60)
        assert all(headers.get("If-None-Match") for _, headers in dcat.log[3:])
        assert cli("index", "c", "--index", "idx").returncode == 0
        assert query_ids(f'"{records[42]["dct:title"]}"', tmp_path / "idx")


# --- the configuration file ---


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "home" / ".config" / "searchkit" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_configured_portals_are_harvested_without_url_and_indexed_by_default(udata, tmp_path):
    write_config(tmp_path, f'''
index = "{tmp_path / 'idx'}"
harvest = "{tmp_path / 'moisson'}"

[[portals]]
name = "Démo udata"
url = "{udata.url(UDATA)}"
schedule = "chaque nuit"
''')
    done = cli("harvest")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Démo udata : moissonnage complet")
    assert cli("index").returncode == 0  # the harvested folder is a default source
    target = udata.records[5]
    assert f"datagouv:{target['id']}" in query_ids(f'"{target["title"]}"', tmp_path / "idx")
    shown = json.loads(cli("config", "--format", "json").stdout)
    assert shown["settings"]["index"] == {"value": str(tmp_path / "idx"), "from": "file"}
    assert shown["settings"]["sources"]["value"] == [str(tmp_path / "notes"), str(folder_of(udata, tmp_path / "moisson"))]
    [portal] = shown["portals"]
    assert (portal["name"], portal["kind"], portal["schedule"]) == ("Démo udata", "udata", "chaque nuit")
    assert portal["last_harvested"].endswith("Z")


def test_environment_and_options_override_the_file(tmp_path):
    write_config(tmp_path, 'index = "from-file"\nlang = "en"\nworkers = 3\n\n[ranking]\nrichness = 0.3\n')
    text = cli("config", env={"SEARCHKIT_WORKERS": "2"}).stdout
    config_path = tmp_path / "home" / ".config" / "searchkit" / "config.toml"
    assert text.splitlines()[0] == f"Fichier de configuration : {config_path}"  # SEARCHKIT_LANG=fr beats the file
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert lines["index"].endswith(f"{config_path.parent / 'from-file'}  (fichier)")
    assert lines["workers"].split()[1:] == ["2", "(environnement)"]
    assert lines["ranking.richness"].split()[1:] == ["0.3", "(fichier)"]
    assert lines["ranking.popularity"].split()[1:] == ["1.0", "(défaut)"]
    shown = json.loads(cli("config", "--index", "opt", "--format", "json").stdout)
    assert shown["settings"]["index"] == {"value": str(tmp_path / "opt"), "from": "option"}
    assert json.loads(cli("config", "--format", "json", env={"SEARCHKIT_INDEX": "env"}).stdout)["settings"]["index"][
        "from"] == "environment"
    env = {k: v for k, v in os.environ.items() if k != "SEARCHKIT_LANG"}
    english = subprocess.run([sys.executable, "-m", "searchkit.cli", "config"], capture_output=True, text=True,
                             env=dict(env, LANG="fr_FR.UTF-8"))
    assert english.stdout.startswith("Configuration file: ")  # the file's lang beats LANG


@pytest.mark.parametrize("text, message", [
    ('index = "a"\nsources = ["notes"\n', "config.toml, ligne 2 : syntaxe TOML invalide (Unclosed array)"),
    ('index = "a"\nsources = notes\n', "config.toml, ligne 2 : syntaxe TOML invalide (Invalid value)"),
    ('index = "a"\n\n[ranking]\nrichness = 0.2\nfreshness = 1\n',
     "config.toml, ligne 5 : clé inconnue « ranking.freshness » (clés possibles : richness, popularity)"),
    ('index = "a"\nworkers = "deux"\n', "config.toml, ligne 2 : « workers » doit être un nombre entier"),
    ('[[portals]]\nname = "x"\nurl = "https://x.fr/api/1/datasets/"\nkind = "socrata"\n',
     "config.toml, ligne 4 : valeur de « portals.kind » non valable (attendu : udata, ckan, ods, dcat, csw)"),
    ('indx = "a"\n', "config.toml, ligne 1 : clé inconnue « indx »"),
])
def test_a_config_file_with_an_error_gets_one_line_naming_the_file_the_line_and_the_key(tmp_path, text, message):
    path = write_config(tmp_path, text)
    for command in (["config"], ["query", "x"]):
        done = cli(*command)
        assert done.returncode == 2
        [line] = done.stderr.splitlines()
        assert line.startswith(f"erreur: {path.parent}/") and message in line, line
    env = {k: v for k, v in os.environ.items() if k != "SEARCHKIT_LANG"}  # the language is then read from the file
    done = subprocess.run([sys.executable, "-m", "searchkit.cli", "config"], capture_output=True, text=True,
                          env=dict(env, LANG="en_US.UTF-8"))
    assert done.returncode == 2 and done.stderr.startswith(f"error: {path}") and len(done.stderr.splitlines()) == 1


def test_searchkit_config_points_to_another_file(tmp_path):
    other = tmp_path / "autre.toml"
    other.write_text('index = "ailleurs"\n', encoding="utf-8")
    shown = json.loads(cli("config", "--format", "json", env={"SEARCHKIT_CONFIG": str(other)}).stdout)
    assert (shown["file"], shown["settings"]["index"]["value"]) == (str(other), str(tmp_path / "ailleurs"))
    done = cli("config", env={"SEARCHKIT_CONFIG": str(tmp_path / "absent.toml")})
    assert done.returncode == 2 and "absent.toml introuvable (SEARCHKIT_CONFIG)" in done.stderr


def test_the_config_files_thesaurus_expands_queries(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "ruches.md").write_text("---\ntitle: Ruches\n---\nRecensement de l'apiculture.\n",
                                                  encoding="utf-8")
    (tmp_path / "mots.yaml").write_text("- [bourdonnement, apiculture]\n", encoding="utf-8")
    assert cli("index").returncode == 0
    assert cli("query", "bourdonnement").returncode == 1
    write_config(tmp_path, f'thesaurus = "{tmp_path / "mots.yaml"}"\n')
    done = cli("query", "bourdonnement")
    assert done.returncode == 0 and "Ruches" in done.stdout
    # the tables are kept in the cache folder; an edited thesaurus replaces them, a damaged one is read again
    cached = sorted(p.name for p in (tmp_path / "home" / ".cache" / "searchkit").iterdir())
    assert cached == ["thesaurus-terms.marshal", "thesaurus-words.marshal"]
    (tmp_path / "mots.yaml").write_text("- [essaim, apiculture]\n", encoding="utf-8")
    assert cli("query", "bourdonnement").returncode == 1
    assert "Ruches" in cli("query", "essaim").stdout
    for name in cached:
        (tmp_path / "home" / ".cache" / "searchkit" / name).write_bytes(b"\x00garbage")
    done = cli("query", "essaim")
    assert done.returncode == 0 and "Ruches" in done.stdout and done.stderr == "Synonymes ajoutés : essaim = apiculture.\n"


# --- the app ---


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_apps_status_line_says_when_each_portal_was_last_harvested(udata, tmp_path, anyio_backend):
    from searchkit.config import Portal
    from searchkit.tui.app import create_app

    harvested = Portal("Démo", udata.url(UDATA), "udata", "", tmp_path / "c")
    never = Portal("Autre", udata.url("/api/3/action/package_search"), None, "", tmp_path / "d")
    harvest(harvested.url, "udata", harvested.folder, policy=policy())
    app = create_app(tmp_path / "idx", (harvested.folder,), watch=False, show_timing=False,
                     portals=(harvested, never))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(400):
            if app.search_count:
                break
            await pilot.pause(0.05)
        status = str(app.query_one("#status").render())
    assert app.results.total == 366
    assert " · Démo moissonné 20" in status and status.endswith(" · Autre moissonné jamais")


def test_csw_getrecords_pages_follow_next_record(corpus, tmp_path):
    answer = (corpus / "datasets" / "dcat_rdf" / "geonetwork-dcat-page-1.xml").read_bytes()  # 2 of 6 records
    with serve(Portal("csw", [answer, answer, answer])) as csw:
        url = csw.url("/geonetwork/srv/fre/csw")
        done = cli("harvest", url, "--into", "c", "--format", "json")
        assert done.returncode == 0, done.stderr
        assert ["startPosition=1", "startPosition=3", "startPosition=5"] == [
            next(part for part in path.split("&") if part.startswith("startPosition")) for path, _ in csw.log]
        assert "request=GetRecords" in csw.log[0][0] and "service=CSW" in csw.log[0][0]
        folder = folder_of(csw, tmp_path / "c")
        assert [p.name for p in sorted(folder.glob("csw-*"))] == ["csw-0001.xml", "csw-0002.xml", "csw-0003.xml"]
        assert json.loads(done.stdout)["portals"][0]["datasets"] == 6
        done = cli("harvest", url, "--into", "c", "--format", "json")
        assert json.loads(done.stdout)["portals"][0]["unchanged_pages"] == 3
        assert cli("index", "c", "--index", "idx").returncode == 0
        assert query_ids("ménages", tmp_path / "idx")
