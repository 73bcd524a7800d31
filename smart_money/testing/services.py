"""Real Postgres, Redis, Dagster daemon and dagster-celery workers on loopback, for the end-to-end test and
the scale benchmark (README: Running at scale). Each service runs from a temporary directory on a free
port and is stopped, and its directory removed, on ``__exit__`` (also when the block failed).

The servers are Debian's ``postgresql`` and ``redis-server`` (``make services`` installs them). Postgres
refuses to run as root, so as root ``initdb`` and ``pg_ctl`` run as the ``postgres`` user (``runuser``).
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
LOCATION = "smart_money"
STARTUP_S = 60.0


class ServiceError(RuntimeError):
    """A local service could not be started."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin() -> Path:
    """The folder of Debian's Postgres binaries (``SMART_MONEY_PG_BIN`` overrides it)."""
    if os.environ.get("SMART_MONEY_PG_BIN"):
        return Path(os.environ["SMART_MONEY_PG_BIN"])
    found = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: int(p.split("/")[-2]))
    if not found or not Path(found[-1], "initdb").exists():
        raise ServiceError(
            f"no Postgres server binaries under {PG_BIN_GLOB}; run `make services` (apt-get install "
            "postgresql) or set SMART_MONEY_PG_BIN"
        )
    return Path(found[-1])


def redis_bin() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise ServiceError("no redis-server on PATH; run `make services` (apt-get install redis-server)")
    return found


def _wait_for_port(port: int, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServiceError(f"{what} exited with {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ServiceError(f"{what} did not listen on 127.0.0.1:{port} within {STARTUP_S:.0f}s")


class LocalPostgres:
    """A throwaway Postgres cluster: user ``dagster`` with ``password``, database ``dagster``."""

    def __init__(self, password: str, user: str = "dagster", db: str = "dagster") -> None:
        self.password, self.user, self.db = password, user, db
        self.port = free_port()
        self.root: Path | None = None

    def _as_owner(self, *command: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)

    def __enter__(self) -> Self:
        binaries = pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="smart-money-pg-"))
        try:
            password_file = self.root / "password"
            password_file.write_text(self.password + "\n")
            if os.geteuid() == 0:
                shutil.chown(self.root, "postgres")
                shutil.chown(password_file, "postgres")
            run = [str(binaries / "initdb"), "-D", str(self.root / "data"), "-U", self.user]
            run += [f"--pwfile={password_file}", "-A", "scram-sha-256", "--no-sync"]
            subprocess.run(self._as_owner(*run), check=True, capture_output=True, timeout=120)
            password_file.unlink()
            options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            start = [str(binaries / "pg_ctl"), "-D", str(self.root / "data"), "-l", str(self.root / "log")]
            subprocess.run(
                self._as_owner(*start, "-o", options, "-w", "start"),
                check=True,
                capture_output=True,
                timeout=120,
            )
            import psycopg2

            con = psycopg2.connect(**self.connect_args("postgres"))
            try:
                con.autocommit = True  # CREATE DATABASE cannot run in a transaction
                with con.cursor() as cur:
                    cur.execute(f'CREATE DATABASE "{self.db}"')
            finally:
                con.close()
        except BaseException:
            self.__exit__()
            raise
        return self

    def connect_args(self, db: str | None = None) -> dict:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": db or self.db,
        }

    def environment(self) -> dict[str, str]:
        """The ``DAGSTER_PG_*`` settings that point Dagster at this cluster."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db,
        }

    def __exit__(self, *_) -> None:
        if self.root is None:
            return
        if (self.root / "data" / "postmaster.pid").exists():
            stop = [str(pg_bin() / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"]
            subprocess.run(self._as_owner(*stop), capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


class LocalRedis:
    """A throwaway Redis without persistence (the Celery broker and result backend)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root: Path | None = None
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def __enter__(self) -> Self:
        self.root = Path(tempfile.mkdtemp(prefix="smart-money-redis-"))
        command = [redis_bin(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root)]
        command += ["--save", "", "--appendonly", "no", "--protected-mode", "yes"]
        with open(self.root / "log", "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            _wait_for_port(self.port, "redis-server", self.process)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


def stop_process(process: subprocess.Popen, timeout_s: float = 20.0) -> None:
    """SIGTERM the process's group (it was started in its own session), then SIGKILL what is left."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # children (celery's pool, the code server) too
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(timeout_s)


class DagsterDeployment:
    """``dagster-daemon run`` and ``workers`` dagster-celery workers over one ``DAGSTER_HOME``, all with
    ``environment`` (the instance, broker and warehouse settings) and started from ``project`` (where
    ``workspace.yaml`` is). ``smart-money init`` writes and migrates the instance first."""

    def __init__(
        self, project: Path, environment: dict[str, str], workers: int = 2, log_dir: Path | None = None
    ):
        self.project, self.workers = Path(project), workers
        bindir = str(Path(sys.executable).parent)
        self.environment = {**environment, "PATH": f"{bindir}{os.pathsep}{environment.get('PATH', '')}"}
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="smart-money-deploy-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: list[subprocess.Popen] = []
        self.worker_names = [f"worker{i + 1}" for i in range(workers)]
        self.workspace = self.log_dir / "workspace.yaml"  # points at the code server started below

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        with open(self.log_dir / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=self.project,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def run(self, *command: str, timeout_s: float = 300.0) -> subprocess.CompletedProcess:
        """A CLI command (``dagster``, ``smart-money``) in the deployment's environment; fails loudly."""
        return self.run_together([command], timeout_s)[0]

    def run_together(self, commands: list, timeout_s: float = 300.0) -> list[subprocess.CompletedProcess]:
        """Several CLI commands at once (e.g. two backfills submitted together); fails loudly."""
        started = [
            (
                command,
                subprocess.Popen(
                    [sys.executable, "-m", *command],
                    cwd=self.project,
                    env=self.environment,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
            for command in commands
        ]
        results = []
        for command, process in started:
            out, err = process.communicate(timeout=timeout_s)
            if process.returncode != 0:
                raise ServiceError(f"{' '.join(command)} failed ({process.returncode}): {err[-3000:]}")
            results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
        return results

    def __enter__(self) -> Self:
        try:
            self.run("smart_money.cli", "init")
            config = self.log_dir / "celery.yaml"
            from smart_money import deployment

            # the worker config is built from the same settings the executor reads
            saved = dict(os.environ)
            os.environ.update(self.environment)
            try:
                config.write_text(deployment.worker_config())
            finally:
                os.environ.clear()
                os.environ.update(saved)
            for name in self.worker_names:
                self._start(
                    name,
                    [
                        sys.executable,
                        "-m",
                        "dagster_celery.cli",
                        "worker",
                        "start",
                        "-A",
                        "dagster_celery.app",
                    ]
                    + ["-y", str(config), "-n", name, "--", "--concurrency=1", "--without-mingle"]
                    + ["--without-gossip"],
                )
            # one code server for the daemon, the run workers and every CLI call (the production shape:
            # a code location server), instead of each loading the code again
            port = free_port()
            server = [
                sys.executable,
                "-m",
                "dagster",
                "code-server",
                "start",
                "-m",
                "smart_money.definitions",
            ]
            server += ["-h", "127.0.0.1", "-p", str(port), "--location-name", LOCATION]
            self._start("code_server", server)
            self.workspace.write_text(
                f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n"
                f"      location_name: {LOCATION}\n"
            )
            _wait_for_port(port, "dagster code-server", self.processes[-1])
            self._start("daemon", [sys.executable, "-m", "dagster._daemon", "run", "-w", str(self.workspace)])
            self.wait_for_workers()
        except BaseException:
            self.__exit__()
            raise
        return self

    def wait_for_workers(self) -> None:
        """Until every worker has said it is ready in its log (or one died)."""
        deadline = time.monotonic() + STARTUP_S * 2
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise ServiceError(
                        f"{process.args[:6]} exited with {process.returncode}; logs in {self.log_dir}"
                    )
            ready = [(self.log_dir / f"{n}.log").read_text(errors="replace") for n in self.worker_names]
            if all(" ready." in text for text in ready):
                return
            time.sleep(0.5)
        raise ServiceError(f"the celery workers did not get ready; logs in {self.log_dir}")

    def __exit__(self, *_) -> None:
        while self.processes:
            stop_process(self.processes.pop())
