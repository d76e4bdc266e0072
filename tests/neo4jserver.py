"""Build and run a real Neo4j Community 5.26 server for the test suite, without Docker.

The server is the tiny Java program in ``tests/neo4j_server`` (embedded Neo4j DBMS with the Bolt
connector on a loopback port, authentication off), built with Maven from Maven Central artifacts
and launched with plain ``java``. Only the standard library is used here, so this module works
before the project's dependencies are installed.

    python tests/neo4jserver.py build     # compile once (first run downloads ~160 MB into ~/.m2)
    python tests/neo4jserver.py start     # foreground; prints the bolt:// URI; Ctrl-C stops

From Python::

    import neo4jserver
    with neo4jserver.start() as server:        # builds first if needed
        print(server.uri)                        # bolt://127.0.0.1:PORT, auth=None
        server.kill()                            # SIGKILL, e.g. for crash tests
        again = neo4jserver.start(workdir=..., port=server.port)   # restart on the same store

Environment: ``JAVA_HOME`` picks the JDK (else ``java`` on PATH, Java 17 or 21), ``MVN`` the
Maven binary (else ``mvn`` on PATH).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["SERVER_DIR", "Neo4jServerError", "NeoServer", "build", "free_port", "start"]

SERVER_DIR = Path(__file__).resolve().parent / "neo4j_server"
TARGET_DIR = SERVER_DIR / "target"
STAMP_FILE = TARGET_DIR / "graphtrace-build.sha256"
LOG_DIR = TARGET_DIR / "logs"
CDS_DIR = TARGET_DIR / "cds"
CDS_ARCHIVE = CDS_DIR / "neo4j.jsa"
MAIN_CLASS = "graphtrace.testserver.TestServer"
READY_PREFIX = "READY bolt://"

# From Neo4j 5's default neo4j.conf (and APOC's test arguments); see shared notes on Neo4j.
JVM_FLAGS = [
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-Dfile.encoding=UTF-8",
]


class Neo4jServerError(RuntimeError):
    """The test server could not be built or started; the message carries the relevant log tail."""


# --- build ---------------------------------------------------------------------------------


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise Neo4jServerError(
            "Java not found: the Neo4j test server needs a JDK 17 or 21 "
            "(`java` on PATH or JAVA_HOME), e.g. `apt-get install openjdk-17-jdk-headless`. "
            "Or point the tests at a running Neo4j 5.26 "
            "with GRAPHTRACE_TEST_NEO4J_URI (see docs/neo4j-test-server.md)."
        )
    return found


def _mvn() -> str:
    found = os.environ.get("MVN") or shutil.which("mvn")
    if not found:
        raise Neo4jServerError(
            "Maven not found: building the Neo4j test server needs `mvn` (3.8+) on PATH, "
            "e.g. `apt-get install maven`. Or point the tests at a running Neo4j 5.26 "
            "with GRAPHTRACE_TEST_NEO4J_URI (see docs/neo4j-test-server.md)."
        )
    return found


def source_hash() -> str:
    """Hash of everything the build depends on: pom.xml and all files under src/."""
    digest = hashlib.sha256()
    sources = sorted(p for p in (SERVER_DIR / "src").rglob("*") if p.is_file())
    files = [SERVER_DIR / "pom.xml", *sources]
    for path in files:
        digest.update(path.relative_to(SERVER_DIR).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def is_built() -> bool:
    try:
        stamp = STAMP_FILE.read_text().strip()
    except OSError:
        return False
    return (
        stamp == source_hash()
        and (TARGET_DIR / "classes").is_dir()
        and any((TARGET_DIR / "lib").glob("neo4j-5.*.jar"))
        and _server_jar() is not None
    )


def _server_jar() -> Path | None:
    jars = sorted(TARGET_DIR.glob("neo4j-test-server-*.jar"))
    return jars[-1] if jars else None


def _cds_enabled() -> bool:
    setting = os.environ.get("GRAPHTRACE_TEST_NEO4J_CDS", "1").strip().lower()
    return setting not in {"0", "false", "no", "off"}


def _cds_flags(port: int) -> tuple[list[str], Path | None]:
    """JVM flags for application class data sharing (AppCDS): ~35% less start-up CPU.

    With an archive from an earlier run: map it (-Xshare:auto silently falls back if it does not
    fit this JVM). Without one: let this server write one when it exits, unless another server is
    already doing so or CI is set (a CI run starts from a fresh clone, so it would pay for the dump
    without ever using it). Delete target/cds to make a new one; GRAPHTRACE_TEST_NEO4J_CDS=0 turns
    this off.
    """
    if not _cds_enabled():
        return [], None
    if CDS_ARCHIVE.is_file():
        return [f"-XX:SharedArchiveFile={CDS_ARCHIVE}", "-Xshare:auto"], None
    if os.environ.get("CI"):
        return [], None
    CDS_DIR.mkdir(parents=True, exist_ok=True)
    marker = CDS_DIR / "dumping"
    with contextlib.suppress(OSError):
        if time.time() - marker.stat().st_mtime > 3600:  # left behind by a crashed run
            marker.unlink()
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return [], None
    for leftover in CDS_DIR.glob("dump-*.jsa"):  # we hold the marker: these are from runs that died
        with contextlib.suppress(OSError):
            leftover.unlink()
    dump = CDS_DIR / f"dump-{os.getpid()}-{port}.jsa"
    return [f"-XX:ArchiveClassesAtExit={dump}"], dump


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def build(force: bool = False, quiet: bool = True) -> Path:
    """Compile the server and copy its runtime jars to target/lib, unless built from these sources.

    Safe to call from several processes at once (an exclusive lock serialises builds).
    Returns TARGET_DIR.
    """
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    with open(TARGET_DIR / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_built():
            return TARGET_DIR
        _java()
        mvn = _mvn()
        # Stale jars from an older pom would end up on the classpath next to the new ones.
        for sub in ("classes", "lib", "cds"):
            shutil.rmtree(TARGET_DIR / sub, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            STAMP_FILE.unlink()
        wanted = source_hash()
        cmd = [mvn, "-B", "package", "dependency:copy-dependencies"]
        if quiet:
            cmd.insert(1, "-q")
        build_log = TARGET_DIR / "build.log"
        started = time.monotonic()
        with open(build_log, "w") as out:
            proc = subprocess.run(
                cmd,
                cwd=SERVER_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        if proc.returncode != 0:
            raise Neo4jServerError(
                f"building the Neo4j test server failed ({' '.join(cmd)} in {SERVER_DIR}, "
                f"exit {proc.returncode}); it needs Maven Central the first time. "
                f"Last lines of {build_log}:\n{_tail(build_log)}"
            )
        STAMP_FILE.write_text(wanted + "\n")
        if not quiet:
            print(f"built Neo4j test server in {time.monotonic() - started:.1f}s", file=sys.stderr)
        return TARGET_DIR


# --- run -----------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NeoServer:
    """A running test server. Stop it with stop() (or use it as a context manager)."""

    def __init__(
        self,
        process: subprocess.Popen,
        port: int,
        workdir: Path,
        log_path: Path,
        delete_workdir: bool,
        cds_dump: Path | None = None,
    ):
        self.process = process
        self.port = port
        self.uri = f"bolt://127.0.0.1:{port}"
        self.workdir = workdir
        self.log_path = log_path
        self._delete_workdir = delete_workdir
        self._cds_dump = cds_dump
        self.startup_seconds: float | None = None

    # -- state
    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def rss_bytes(self) -> int | None:
        """Resident memory of the JVM (Linux), or None when it is not running."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def log_tail(self, lines: int = 60) -> str:
        """Last lines of the server's output log and of Neo4j's own debug.log (if still there)."""
        parts = [f"--- {self.log_path} ---", _tail(self.log_path, lines)]
        debug_log = self.workdir / "logs" / "debug.log"
        if debug_log.exists():
            parts += [f"--- {debug_log} ---", _tail(debug_log, lines)]
        return "\n".join(parts)

    # -- lifecycle
    def stop(self, timeout: float = 60) -> None:
        """SIGTERM (clean shutdown, then the store is deleted unless kept); SIGKILL if stuck.

        Idempotent; also cleans up after kill()."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            if self._cds_dump is not None:
                timeout = max(timeout, 300)  # writing the class-data archive at exit takes a while
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._adopt_cds_dump()
        if self._delete_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _adopt_cds_dump(self) -> None:
        """Adopt the class-data archive this server wrote at exit (AppCDS).

        The first server after a build dumps its loaded classes when it exits; later JVMs map that
        archive and start with about a third less CPU.
        """
        dump, self._cds_dump = self._cds_dump, None
        if dump is None:
            return
        try:
            if self.process.returncode in (0, 143) and dump.is_file() and not CDS_ARCHIVE.exists():
                os.replace(dump, CDS_ARCHIVE)
        except OSError:
            pass
        for leftover in (dump, CDS_DIR / "dumping"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def kill(self) -> None:
        """SIGKILL, like a crash or power cut: no checkpoint, no cleanup, the store is left as is.

        Restart on it with start(workdir=server.workdir); stop() afterwards still removes a
        temporary store.
        """
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        self.process.wait()
        if self._cds_dump is not None:  # no (or a partial) class dump after SIGKILL
            for leftover in (self._cds_dump, CDS_DIR / "dumping"):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            self._cds_dump = None

    def __enter__(self) -> NeoServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.alive else f"exited {self.process.returncode}"
        return f"<NeoServer {self.uri} pid={self.pid} {state} workdir={self.workdir}>"


def start(
    port: int | None = None,
    log_path: str | os.PathLike | None = None,
    timeout: float = 180,
    workdir: str | os.PathLike | None = None,
    keep_data: bool | None = None,
    heap: str = "1g",
    pagecache_mb: int = 256,
    config: dict[str, str] | None = None,
    build_first: bool = True,
) -> NeoServer:
    """Start a Neo4j 5.26 server with Bolt on 127.0.0.1:``port`` (a free port if None), auth off.

    Blocks until the server printed READY (``RETURN 1`` ran and Bolt answered a handshake) and
    raises Neo4jServerError with the log tail if it exits or ``timeout`` seconds pass first.

    ``workdir``: the store directory; a fresh temporary one if None. ``keep_data``: keep the store
    when the server stops (default: keep a given ``workdir``, delete a temporary one). ``config``:
    extra Neo4j settings by name, e.g. ``{"db.transaction.timeout": "10s"}``. ``log_path``: where
    stdout/stderr go (default tests/neo4j_server/target/logs/).
    """
    if build_first:
        build()
    java = _java()
    if workdir is None:
        workdir_path = Path(tempfile.mkdtemp(prefix="graphtrace-neo4j-"))
        owned = True
    else:
        workdir_path = Path(workdir).resolve()
        workdir_path.mkdir(parents=True, exist_ok=True)
        owned = False
    keep = (not owned) if keep_data is None else keep_data

    attempts = (
        1 if port is not None else 3
    )  # a picked free port can be taken before the JVM binds it
    last_error: Neo4jServerError | None = None
    for _ in range(attempts):
        chosen = port if port is not None else free_port()
        try:
            return _launch(
                java,
                chosen,
                log_path,
                timeout,
                workdir_path,
                keep,
                heap,
                pagecache_mb,
                config or {},
            )
        except Neo4jServerError as err:
            last_error = err
            if "BindException" not in str(err) and "Address already in use" not in str(err):
                break
    if owned and not keep:
        shutil.rmtree(workdir_path, ignore_errors=True)
    assert last_error is not None
    raise last_error


def _launch(
    java: str,
    port: int,
    log_path,
    timeout: float,
    workdir: Path,
    keep: bool,
    heap: str,
    pagecache_mb: int,
    config: dict[str, str],
) -> NeoServer:
    if log_path is None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = LOG_DIR / f"neo4j-{time.strftime('%Y%m%d-%H%M%S')}-{port}.log"
    else:
        log = Path(log_path)
        log.parent.mkdir(parents=True, exist_ok=True)
    # The jar rather than target/classes: class data sharing only archives classes from jars.
    server_jar = _server_jar() or (TARGET_DIR / "classes")
    classpath = os.pathsep.join([str(server_jar), str(TARGET_DIR / "lib" / "*")])
    cds_flags, cds_dump = _cds_flags(port) if server_jar.suffix == ".jar" else ([], None)
    cmd = [
        java,
        *JVM_FLAGS,
        *cds_flags,
        "-Xlog:cds=off",
        "-Xlog:cds+dynamic=off",
        "-Xms512m",
        f"-Xmx{heap}",
        "-cp",
        classpath,
        MAIN_CLASS,
        str(port),
        str(workdir),
        "--parent-pid",
        str(os.getpid()),
        "--pagecache-mb",
        str(pagecache_mb),
    ]
    if keep:
        cmd.append("--keep")
    for key, value in config.items():
        cmd += ["-c", f"{key}={value}"]

    started = time.monotonic()
    with open(log, "w") as out:
        process = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=SERVER_DIR,
            start_new_session=True,
        )
    server = NeoServer(process, port, workdir, log, delete_workdir=not keep, cds_dump=cds_dump)

    expected = f"{READY_PREFIX}127.0.0.1:{port}"
    deadline = started + timeout
    delay = 0.05
    while True:
        with contextlib.suppress(OSError):
            if any(
                line.strip() == expected for line in log.read_text(errors="replace").splitlines()
            ):
                server.startup_seconds = time.monotonic() - started
                return server
        if not server.alive:
            tail = server.log_tail()
            server.stop()
            raise Neo4jServerError(
                f"Neo4j test server exited with code {process.returncode} before it was ready "
                f"(port {port}, store {workdir}).\n{tail}"
            )
        if time.monotonic() > deadline:
            tail = server.log_tail()
            server.kill()
            server.stop()
            raise Neo4jServerError(
                f"Neo4j test server not ready after {timeout:.0f}s "
                f"(port {port}, store {workdir}); killed it.\n"
                f"{tail}"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


# --- CLI -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="compile the server (only when sources changed)")
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    s = sub.add_parser("start", help="run a server in the foreground until Ctrl-C / SIGTERM")
    s.add_argument("--port", type=int, default=None)
    s.add_argument("--workdir", default=None, help="store directory (kept); default: temporary")
    s.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args(argv)

    try:
        if args.command == "build":
            started = time.monotonic()
            fresh = args.force or not is_built()
            build(force=args.force, quiet=True)
            state = "built" if fresh else "up to date"
            print(f"Neo4j test server {state} in {time.monotonic() - started:.1f}s ({TARGET_DIR})")
            return 0
        server = start(port=args.port, workdir=args.workdir, timeout=args.timeout)
    except Neo4jServerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1

    stop_requested = []
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.append(True))
    print(
        f"{server.uri}   (auth none; pid {server.pid}; ready in {server.startup_seconds:.1f}s; "
        f"log {server.log_path})"
    )
    print(f"export GRAPHTRACE_TEST_NEO4J_URI={server.uri}", flush=True)
    try:
        while server.alive and not stop_requested:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if not server.alive:
            print(
                f"server exited with code {server.process.returncode}:\n{server.log_tail()}",
                file=sys.stderr,
            )
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
