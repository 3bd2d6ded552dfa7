import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_52b5df1d0099c1a6.txt"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def geoparser():
    """One Geoparser for the whole run: loading spaCy and the gazetteer is the slow part."""
    from geo.pipeline import Geoparser
    return Geoparser()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_gold() -> dict:
    """The seed's gold reading: from ../shared when present, else the project's own copy of its facts."""
    shared = SHARED / "seeds" / "gold.json"
    path = shared if shared.exists() else ROOT / "tests" / "fixtures" / "seed_gold.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (tests/browser.py); skips without /usr/bin/chromium,
    except with CI=true (then the tests fail)."""
    from tests.browser import launch_chromium
    yield from launch_chromium()


@pytest.fixture
def open_page(browser):
    """open_page(app, path) -> (page, seen): a new page on a running app (anything with `.url`), every
    request that leaves it recorded in `seen` and blocked (tests/browser.py: watch)."""
    from tests.browser import SCRIPT_STATE_JS, watch
    opened = []

    def _open(app, path: str = "/"):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        seen = watch(page, (app.url + "/", "data:", "blob:", "about:"))
        page.add_init_script(SCRIPT_STATE_JS)
        opened.append(page)
        page.goto(app.url + path)
        return page, seen
    yield _open
    for page in opened:
        page.close()


# --------------------------------------------------------------------------- PostgreSQL + PostGIS

def _postgres_bin() -> tuple:
    """(the PostgreSQL bin folder, None) with initdb, pg_ctl and PostGIS installed; else (None, why)."""
    import glob
    import re
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
    if not found:
        return None, ("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                      "apt-get install postgresql postgis to run the PostGIS tests")
    bindir = Path(found[-1]).parent
    version = bindir.parent.name
    if not Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
        return None, (f"PostGIS is not installed for PostgreSQL {version}: "
                      "apt-get install postgis to run the PostGIS tests")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "psycopg is not installed: pip install -r requirements.txt to run the PostGIS tests"
    return bindir, None


def _unavailable(reason: str):
    """Skip with the reason; under CI=true the PostGIS tests must run, so fail instead."""
    import os
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true, but the PostGIS tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster for the run: `initdb` in a temporary folder, `pg_ctl start`
    listening only on a Unix socket in that folder (no TCP port), as an unprivileged user (the
    'postgres' user when the tests run as root, since initdb refuses root), durability off for
    speed; a template database `geo_template` with PostGIS enabled once. Yields a dict with
    `url(dbname)` and `admin` (a function running one SQL statement on the `postgres` database).
    Stopped (pg_ctl stop -m immediate) and removed at the end. Skips when PostgreSQL or PostGIS is
    missing, except under CI=true (fails)."""
    import os
    import pwd
    import shutil
    import subprocess
    import tempfile
    bindir, why = _postgres_bin()
    if bindir is None:
        _unavailable(why)
    import psycopg
    run_as = {}
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("tests run as root and there is no 'postgres' user to run PostgreSQL as "
                         "(Debian's postgresql package creates it)")
        run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    root = Path(tempfile.mkdtemp(prefix="geo-pg-"))
    data, log = root / "data", root / "server.log"
    if run_as:
        os.chown(root, run_as["user"], run_as["group"])
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    def pg(*cmd, check=True):
        return subprocess.run([str(bindir / cmd[0]), *cmd[1:]], cwd=root, env=env, capture_output=True,
                              text=True, timeout=120, check=False, **run_as)

    started = False
    try:
        done = pg("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-sync")
        if done.returncode != 0:
            pytest.fail(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}", pytrace=False)
        options = (f"-k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=60 -c shared_buffers=64MB")
        done = pg("pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"pg_ctl start failed: {done.stderr.strip()} {tail}", pytrace=False)
        started = True

        def url(dbname: str) -> str:
            return f"postgresql://postgres@/{dbname}?host={root}&port=5432"

        def admin(sql: str, dbname: str = "postgres") -> None:
            with psycopg.connect(url(dbname), autocommit=True) as conn:
                conn.execute(sql)

        admin("CREATE DATABASE geo_template")
        admin("CREATE EXTENSION postgis", "geo_template")
        yield {"url": url, "admin": admin, "root": root}
    finally:
        if started:
            pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgis_url(postgres_cluster, request):
    """The URL of a fresh, empty database (PostGIS enabled) for one test; dropped afterwards."""
    import itertools
    counter = postgres_cluster.setdefault("counter", itertools.count(1))
    name = f"geo_test_{next(counter)}"
    postgres_cluster["admin"](f"CREATE DATABASE {name} TEMPLATE geo_template STRATEGY FILE_COPY")
    yield postgres_cluster["url"](name)
    postgres_cluster["admin"](f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgis"])
def store_location(request, tmp_path):
    """Where a test's store lives, once per backend: an SQLite file in tmp_path, and a fresh
    PostgreSQL + PostGIS database (`postgis_url`). `Store.open(store_location)` opens either."""
    if request.param == "sqlite":
        return str(tmp_path / "events.db")
    return request.getfixturevalue("postgis_url")


def shown_links(container) -> list:
    """The links an AppTest container shows as code text (app.py `link_text`), in page order."""
    return [m.value.strip("`") for m in container.markdown if m.value.startswith("`http")]
