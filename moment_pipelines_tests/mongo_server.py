"""A MongoDB wire-protocol server (nx-27017, SQLite-backed) for the tests.

No mongod can be installed on the test machines, so the MongoDB source is
tested against nx-27017 over real TCP on 127.0.0.1. Its `find`, filters,
sort, batch_size and projection behave like MongoDB's; its `aggregate` does
not, which is one reason the source uses `find` only.
"""

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pymongo

_START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MongoTestServer:
    """One nx-27017 process on 127.0.0.1, started and stopped by the tests."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/moments_test"

    def start(self) -> None:
        command = [
            sys.executable,
            "-c",
            "import sys; from nx_27017.nx_27017 import main; sys.exit(main())",
            "--db",
            str(self.data_dir / "nx-27017.db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-file",
            str(self.data_dir / "nx-27017.log"),
            "--pid-file",
            str(self.data_dir / "nx-27017.pid"),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nx-27017 exited with code {self.process.returncode}; see {self.data_dir}")
            try:
                with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=500) as client:
                    client.admin.command("ping")
                return
            except pymongo.errors.PyMongoError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"nx-27017 did not answer on 127.0.0.1:{self.port} within {_START_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def running_mongo(data_dir: Path):
    server = MongoTestServer(data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
