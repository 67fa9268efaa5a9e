"""Run the platform repo's own policies where they cannot take Dockyard down: in a child process
(forked, so the render is not copied or sent), with a memory, CPU-time and wall-clock limit, and
a bound on what it may send back. The policy engine has no limits of its own: a policy that
builds a huge value (`numbers.range(1, 1e8)`, `sprintf("%999999999d", ...)`) makes an
allocation fail, and the engine then aborts its whole process. Here only the child ends, and the
check says why; nothing is applied.

Dockyard's own policy library runs in the process: it is Dockyard's code, and the child's cost
(a fork, a few milliseconds) is paid only when the repo brings policies. Where the system cannot
fork, the repo's policies run in the process too."""

from __future__ import annotations

import faulthandler
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from dockyard.check.policy import PolicyEngineFailed
from dockyard.errors import Position
from dockyard.load.parsed import in_forked_child

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    memory_mib: int = 1024
    """Above what the process holds when the child starts."""
    cpu_seconds: int = 60
    wall_seconds: float = 120.0
    output_mib: int = 64


LIMITS = Limits()
PLACE = Position("policies")


def contained(work: Callable[[], T], what: str, limits: Limits = LIMITS) -> T:
    """`work()`'s result, computed in a child process within `limits`; PolicyEngineFailed when
    the child fails, goes past a limit, or is killed (its PolicyEngineFailed passes through)."""
    if not hasattr(os, "fork"):
        return work()
    results, results_in = os.pipe()
    errors, errors_in = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(results)
        os.close(errors)
        _child(work, results_in, errors_in, limits)
    os.close(results_in)
    os.close(errors_in)
    ending = "done"
    try:
        sent, said, ending = _collect(results, errors, limits)
    finally:
        os.close(results)
        os.close(errors)
        if ending != "done":
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if ending == "late":
        raise PolicyEngineFailed(_too_long(what, limits), PLACE)
    if ending == "too-much":
        raise PolicyEngineFailed(f"{what}: its findings came to more than {limits.output_mib} MiB", PLACE)
    if os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0 or not sent:
        raise PolicyEngineFailed(_stopped(what, status, said, limits), PLACE)
    outcome = pickle.loads(sent)  # written by this very program, in the child
    if outcome[0] == "failed":
        raise PolicyEngineFailed(outcome[1], outcome[2])
    if outcome[0] == "memory":
        raise PolicyEngineFailed(_out_of_memory(what, limits), PLACE)
    if outcome[0] == "error":
        raise PolicyEngineFailed(f"{what}: the policy engine failed ({outcome[1]})", PLACE)
    result: T = outcome[1]
    return result


def _child(work: Callable[[], object], results: int, errors: int, limits: Limits) -> None:
    code = 0
    try:
        in_forked_child()
        os.dup2(errors, 2)  # what the engine says as it aborts, for the parent to read
        faulthandler.disable()  # a crash here is the parent's to report, not a dump onto its terminal
        _limit(limits)
        try:
            outcome: tuple[object, ...] = ("ok", work())
        except PolicyEngineFailed as failure:
            outcome = ("failed", str(failure), failure.position)
        except MemoryError:
            outcome = ("memory",)
        except Exception as error:  # reported by the parent as the engine's failure
            outcome = ("error", f"{type(error).__name__}: {error}"[:300])
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(results, view[: 1 << 20]) :]
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _limit(limits: Limits) -> None:
    held = _address_space()
    for kind, wanted in (
        (resource.RLIMIT_AS, held + limits.memory_mib * 1024 * 1024),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
    ):
        _soft, hard = resource.getrlimit(kind)
        allowed = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(kind, (allowed, hard))


def _address_space() -> int:
    """The bytes of address space the process holds now (Linux; elsewhere, no more than asked)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _collect(results: int, errors: int, limits: Limits) -> tuple[bytes, bytes, str]:
    """What the child sends and says on its error stream, until it closes both (`done`), the
    wall-clock limit passes (`late`) or it sends more than the limit (`too-much`)."""
    deadline = time.monotonic() + limits.wall_seconds
    cap = limits.output_mib * 1024 * 1024
    sent, said = bytearray(), bytearray()
    open_fds = {results: sent, errors: said}
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(sent), bytes(said), "late"
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                del open_fds[fd]
            elif fd == results:
                sent += chunk
                if len(sent) > cap:
                    return b"", bytes(said), "too-much"
            elif len(said) < 4096:
                said += chunk
    return bytes(sent), bytes(said), "done"


def _too_long(what: str, limits: Limits) -> str:
    return f"{what}: stopped after {limits.wall_seconds:g} s (a policy that never ends, or takes too long)"


def _out_of_memory(what: str, limits: Limits) -> str:
    return (
        f"{what}: stopped when it needed more than {limits.memory_mib} MiB of memory (a policy that builds a huge "
        "value: a wide sprintf, a long numbers.range)"
    )


def _stopped(what: str, status: int, said: bytes, limits: Limits) -> str:
    text = said.decode("utf-8", "replace")
    if "memory allocation" in text or "out of memory" in text.lower():
        return _out_of_memory(what, limits)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        return f"{what}: stopped after {limits.cpu_seconds} s of CPU time (a policy that never ends, or takes too long)"
    if os.WIFSIGNALED(status):
        return f"{what}: the policy engine crashed (signal {signal.Signals(os.WTERMSIG(status)).name})"
    return f"{what}: the policy engine ended without an answer (exit {os.WEXITSTATUS(status)})"
