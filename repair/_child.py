"""What every child process of `repair` needs, in one place: quiet streams, resource limits, death
with the parent, a per-test timer, failure messages, and (parent side) the environment and the
end of a process group.

Standard library only, and nothing heavy at import: the worker scripts (`_pytest_runner.py`,
`_validate_worker.py`, and `executor.py` in its workers) run with `python -I` and cannot import
the `repair` package, so each loads this file by path; the executor's workers fork a child per
job, and every MB imported here makes each fork slower. The parent side imports it as
`repair._child`.
"""

from __future__ import annotations

import os
import re
import resource
import signal

MEMORY_LIMIT_BYTES = 1 << 30  # private memory a child may add to what it holds when capped
TIMER_REPEAT_S = 0.05  # a fired test timer fires again this often until disarmed
# Set in the environment of every child that runs the user's tests: repair's pytest plugin
# (`pytest --repair`) stays off there, whatever the user's addopts say, so a repair never nests.
INNER_RUN_VARIABLE = "REPAIR_INNER_RUN"
_PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent thread exits
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")  # object addresses differ from run to run
_libc = None  # ctypes' handle of the C library, loaded on first use


# --- set-up in the child -------------------------------------------------------------------


def quiet_streams(devnull_fd: int | None = None) -> None:
    """Point file descriptors 0, 1 and 2 at /dev/null (C-level writes included). Pass a
    descriptor opened once to save opening one per child (~0.5 ms)."""
    fd = os.open(os.devnull, os.O_RDWR) if devnull_fd is None else devnull_fd
    for target in (0, 1, 2):
        os.dup2(fd, target)
    if devnull_fd is None:
        os.close(fd)


def load_libc() -> object | None:
    """The C library through ctypes (None where there is none). Load it in a process that forks
    many children, so that they don't each pay for importing ctypes."""
    global _libc
    if _libc is None:
        try:
            import ctypes

            _libc = ctypes.CDLL(None, use_errno=True)
        except (ImportError, OSError):
            _libc = False
    return _libc or None


def die_with_parent(parent_pid: int | None, signum: int = signal.SIGKILL) -> bool:
    """Linux: have the kernel send `signum` to this process when its parent exits, so no child
    outlives a run that was killed (SIGKILL included). False if the parent is already gone (it
    died before this call could take effect): the caller should exit. Elsewhere a no-op.

    The signal comes when the *thread* that started this process exits; `repair` starts and
    waits for its children in one thread."""
    libc = load_libc()
    if libc is not None:
        try:
            libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
        except (AttributeError, OSError):
            pass
    return parent_pid is None or os.getppid() == parent_pid


def guard_session(watched: tuple[int, ...]) -> bool:
    """Linux: start a guard that SIGKILLs every process of this session (this one, and whatever
    the tests start, forks and pools included) as soon as this process or any of `watched`
    exits, however it ends. Call it in a session leader (a child started with
    `start_new_session`). The guard is orphaned at once, so it is no child this process's tests
    could wait for, and holds none of its files or pipes. False where it cannot run.

    A process that leaves the session (`setsid`) escapes it; nothing else in it survives."""
    if not hasattr(os, "pidfd_open") or not os.path.isdir("/proc"):
        return False
    session, leader = os.getsid(0), os.getpid()
    middle = os.fork()
    if middle:
        os.waitpid(middle, 0)
        return True
    try:
        if os.fork():
            os._exit(0)  # the guard's parent goes: the guard is nobody's child here
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        quiet_streams()
        _close_inherited()
        descriptors = []
        for pid in (leader, *watched):
            try:
                descriptors.append(os.pidfd_open(pid))
            except OSError:  # gone already
                descriptors = []
                break
        if descriptors:
            import select  # the guard's own: the caller need not load it

            select.select(descriptors, [], [])  # until one of them exits
        kill_session(session)
    finally:
        os._exit(0)


def kill_session(session: int) -> None:
    """SIGKILL every process of `session` but this one (Linux: from /proc), until none is left."""
    me = os.getpid()
    for _ in range(10):  # a process may fork while the others are killed
        found = 0
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == me:
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as file:
                    data = file.read()
            except OSError:
                continue
            fields = data[data.rindex(b")") + 2 :].split()  # after the command name
            if len(fields) > 3 and fields[0] not in (b"Z", b"X") and int(fields[3]) == session:
                found += 1
                try:
                    os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
        if not found:
            return


def _close_inherited() -> None:
    """Close every descriptor above 2: those open (from /proc), not up to a limit that may be
    a billion where close_range(2) is missing."""
    try:
        numbers = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        numbers = list(range(3, 1024))
    for number in numbers:
        if number > 2:
            try:
                os.close(number)
            except OSError:
                pass


def memory_cap(extra_bytes: int = MEMORY_LIMIT_BYTES) -> int | None:
    """The private writable memory this process has mapped now (`VmData`, what the kernel holds
    against RLIMIT_DATA) plus `extra_bytes`, or None where /proc is missing (macOS): a cap for
    `limit_resources`."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmData:"):
                    return int(line.split()[1]) * 1024 + extra_bytes
    except (OSError, ValueError, IndexError):
        return None
    return None


def limit_resources(
    *, memory: int | None = None, cpu_seconds: int | None = None, core: bool = True
) -> None:
    """Cap this process's private writable memory (bytes, RLIMIT_DATA) and CPU time (seconds:
    SIGXCPU then, SIGKILL a second later, so even a loop that ignores every signal ends), and
    with `core=False` write no core dumps. Never above the hard limits already set; a limit that
    cannot be set is skipped.

    RLIMIT_DATA, not RLIMIT_AS: address space counts what threads reserve without using it
    (glibc reserves 64 MiB per malloc arena, one per thread up to 8 per core, besides each
    thread's stack), so under an address-space cap a test that starts tens of threads fails
    with MemoryError (more-itertools' threaded tests did, under a 1 GiB cap); a memory bomb
    writes what it maps and meets either cap."""
    try:
        if not core:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if cpu_seconds is not None:
            _, hard = resource.getrlimit(resource.RLIMIT_CPU)
            if hard == resource.RLIM_INFINITY or cpu_seconds + 1 <= hard:
                resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
            elif cpu_seconds <= hard:
                resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, hard))
        if memory is not None:
            _, hard = resource.getrlimit(resource.RLIMIT_DATA)
            if hard != resource.RLIM_INFINITY:
                memory = min(memory, hard)
            resource.setrlimit(resource.RLIMIT_DATA, (memory, hard))
    except (OSError, ValueError):
        pass


# --- the per-test timeout ------------------------------------------------------------------


class TestTimeout(BaseException):
    """Raised inside a test by SIGALRM. A BaseException, so `except Exception:` cannot eat it."""

    __test__ = False  # not a pytest test class


class TestTimer:
    """SIGALRM raises `TestTimeout` in the running test, only while armed.

    With `repeat` (seconds), a fired timer fires again that often until `stop`, so a bare
    `except:` in tested code cannot swallow it for good; without, it fires once per `start`.
    Install it once per process (`install`); a forked child inherits the handler."""

    SIGNAL, CLOCK = signal.SIGALRM, signal.ITIMER_REAL  # wall-clock time

    def __init__(self, repeat: float | None = TIMER_REPEAT_S, message: str = "timed out"):
        self.repeat = repeat
        self.message = message
        self.armed = False
        self.fired = False
        self.frame = None  # where the first alarm landed (the innermost Python frame)

    def install(self) -> None:
        if signal.getsignal(self.SIGNAL) != self.on_alarm:
            signal.signal(self.SIGNAL, self.on_alarm)

    def start(self, seconds: float) -> None:
        self.fired, self.frame = False, None
        self.armed = True
        signal.setitimer(self.CLOCK, seconds, self.repeat or 0.0)

    def stop(self) -> None:
        self.armed = False
        signal.setitimer(self.CLOCK, 0)

    def on_alarm(self, signum, frame) -> None:
        if not self.armed or (self.fired and not self.repeat):
            return
        if not self.fired:
            self.frame = frame
        self.fired = True
        raise TestTimeout(self.message)


class CpuTestTimer(TestTimer):
    """`TestTimer` on the CPU time this process spends (SIGPROF, ITIMER_PROF: user and system
    time, every thread's): a loop spends it, a test that sleeps or waits does not, and neither
    does a busy machine's queue, so a short limit on it cuts loops without cutting tests the
    scheduler delays."""

    SIGNAL, CLOCK = signal.SIGPROF, signal.ITIMER_PROF


# --- failure messages ----------------------------------------------------------------------


def mask_addresses(text: str) -> str:
    """`<object at 0x7f...>` differs from run to run; messages are compared across runs."""
    return _ADDRESS.sub("0x?", text)


def describe_exception(error: BaseException | None, limit: int) -> str:
    """`TypeName: message`, at most `limit` characters."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def test_outcome(reports) -> tuple[str, object | None]:
    """One outcome from a test's pytest reports (setup, call, teardown): "failed" only for the
    call, an error in setup or teardown is "error", then "skipped", else "passed"; and the report
    that decided it (None when passed)."""
    outcome, deciding = "passed", None
    for report in reports:
        if report.failed and outcome not in ("failed", "error"):
            outcome = "failed" if report.when == "call" else "error"
            deciding = report
        elif report.skipped and outcome == "passed":
            outcome, deciding = "skipped", report
    return outcome, deciding


def report_message(report, limit: int) -> str:
    """A pytest report's one-line summary: the crash message, a skip's reason, else the last
    line of its text."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message[:limit]
    if isinstance(report.longrepr, tuple):  # skips: (path, line, reason)
        return str(report.longrepr[-1])[:limit]
    text = report.longreprtext.strip()
    return text.splitlines()[-1][:limit] if text else ""


def exception_message(excinfo, limit: int) -> str:
    """The exception of a pytest `ExceptionInfo` as pytest prints it (`AssertionError: ...` with
    the rewritten assert's explanation), addresses masked."""
    return mask_addresses(excinfo.exconly(tryshort=True))[:limit]


def error_line(text: str, limit: int) -> str:
    """The last `E ` line of a pytest error text (else its last line), addresses masked."""
    text = text.strip()
    lines = [line for line in text.splitlines() if line.startswith("E ")] or text.splitlines()
    return mask_addresses(lines[-1] if lines else "")[:limit]


def describe_exit(status: int) -> str:
    """How a process ended, from `Popen.returncode` (negative: the signal that killed it); a raw
    `os.waitpid` status goes through `exit_status` first."""
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit code {status}"


def exit_status(wait_status: int) -> int:
    """A raw `os.waitpid` status as `Popen.returncode` gives it (negative: killed by a signal)."""
    if os.WIFSIGNALED(wait_status):
        return -os.WTERMSIG(wait_status)
    return os.WEXITSTATUS(wait_status)


# --- the parent side -----------------------------------------------------------------------


def child_environment(**extra: str) -> dict[str, str]:
    """The environment of a child that runs the user's tests: ours, without what would change
    which tests run or start a second coverage, with no bytecode written into the copy."""
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # for the tests' own subprocesses too; the child gets -B
    env.pop("PYTEST_ADDOPTS", None)  # e.g. -x or -n would change which tests run
    env.pop("COVERAGE_PROCESS_START", None)  # no second coverage started by coverage's .pth
    env[INNER_RUN_VARIABLE] = "1"
    env.update(extra)
    return env


def kill_group(pid: int) -> None:
    """SIGKILL the process group that the child `pid` leads (started in its own session or
    group), and so whatever its tests started and left in it. Call it before reaping the child
    or right after: the group outlives its leader while any member is alive, and no new process
    can take the number meanwhile."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
