"""Start the control plane's processes and stop exactly those, by PID.

A PID alone could be reused by an unrelated process after a reboot, so each started
process is recorded with its executable and its start time (from /proc); `stop` only
signals a PID whose executable and start time still match.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Started:
    """One running component as recorded in the cluster's state file."""

    name: str
    pid: int
    executable: str
    start_ticks: int
    log: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def start(name: str, command: list[str], log: Path, *, die_with_parent: bool) -> Started:
    """Start `command` in its own session, output to `log`.

    With `die_with_parent` the kernel kills the process when the caller exits (the test
    harness); without it the process outlives the `dockyard up` that started it.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )
    return Started(name, process.pid, os.path.realpath(command[0]), _start_ticks(process.pid) or 0, str(log))


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces; fields after it are plain
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def _executable(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def is_running(process: Started) -> bool:
    """The recorded process still runs, and it is the same process (not a reused PID)."""
    if _start_ticks(process.pid) != process.start_ticks:
        return False
    executable = _executable(process.pid)
    if executable is not None and executable.removesuffix(" (deleted)") != process.executable:
        return False
    with contextlib.suppress(ChildProcessError):
        waited, _status = os.waitpid(process.pid, os.WNOHANG)
        if waited == process.pid:
            return False
    return _state(process.pid) not in ("Z", "X", None)


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def stop(process: Started, timeout: float = 15.0) -> None:
    """SIGTERM, wait, then SIGKILL; only if `process` is still the process we started."""
    if not is_running(process):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(process):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    while is_running(process):
        time.sleep(0.05)
