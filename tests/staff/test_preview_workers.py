"""The impact preview's worker processes do not outlive a killed web worker (issue 16): they
are forked by a fork server, so their parent in the system is that server, not the web
worker whose end they must notice."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    f"""
    import os, sys, time
    sys.path.insert(0, {str(ROOT)!r})
    from intake.screening import rules
    from intake.staff.rules import preview

    def main():
        data = rules.default_data()
        pool = preview._Pool((data, data, 1, (4, 6)), workers=2)
        pool.start()
        for future in [pool.executor.submit(time.sleep, 0.2) for _ in range(4)]:
            future.result()
        print(" ".join(map(str, pool.executor._processes)), flush=True)
        time.sleep(120)

    if __name__ == "__main__":
        main()
    """
)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state


def _parent(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])


def test_workers_end_when_the_web_worker_is_killed(tmp_path) -> None:
    script = tmp_path / "web_worker.py"
    script.write_text(SCRIPT)
    web = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        workers = [int(pid) for pid in web.stdout.readline().split()]
        assert len(workers) == 2 and all(map(_running, workers))
        assert all(_parent(pid) != web.pid for pid in workers)  # the fork server's
    finally:
        web.send_signal(signal.SIGKILL)
        web.wait()
    deadline = time.monotonic() + 15
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(_running, workers))


def test_a_core_is_left_to_a_database_server_on_this_machine(monkeypatch):
    """On 2 cores, two workers beside a local PostgreSQL made the slowest preview slower."""
    import os

    from sqlalchemy.engine import make_url

    from intake.staff.rules import preview

    here = preview._database_server_here
    assert here(make_url("postgresql+psycopg://postgres@127.0.0.1:5432/intake"))
    assert here(make_url("postgresql+psycopg:///intake"))  # its Unix socket
    assert not here(make_url("postgresql+psycopg://db.clinic.example/intake"))
    assert not here(make_url("sqlite:////tmp/intake.db"))

    def machine(cores: int, load: float) -> None:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
        monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))

    machine(2, 0.2)
    assert (preview._cores(), preview._cores(spare=1)) == (2, 1)
    machine(8, 0.2)
    assert (preview._cores(), preview._cores(spare=1)) == (4, 4)
    machine(4, 0.2)
    assert preview._cores(spare=1) == 3
    machine(4, 3.5)  # busy
    assert preview._cores() == preview._cores(spare=1) == 1
