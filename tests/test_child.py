"""The child-process toolkit (`repair/_child.py`) that the executor, the coverage runner and the
validation workers share: the timer, the limits, death with the parent, messages."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from repair import _child as child

HAS_PDEATHSIG = sys.platform.startswith("linux")


def test_timer_raises_in_the_running_code_and_fires_again_if_swallowed():
    previous = signal.getsignal(signal.SIGALRM)
    timer = child.TestTimer(repeat=0.05)
    timer.install()
    swallowed = 0
    try:
        timer.start(0.05)
        with pytest.raises(child.TestTimeout):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    while time.monotonic() < deadline:
                        pass
                except child.TestTimeout:  # a bare `except:` in tested code
                    swallowed += 1
                    if swallowed > 1:
                        raise
        assert timer.fired and timer.frame is not None
    finally:
        timer.stop()
        signal.signal(signal.SIGALRM, previous)
    assert swallowed == 2


def test_a_one_shot_timer_fires_once():
    previous = signal.getsignal(signal.SIGALRM)
    timer = child.TestTimer(repeat=None)
    timer.install()
    try:
        timer.start(0.05)
        with pytest.raises(child.TestTimeout):
            time.sleep(30)
        time.sleep(0.2)  # nothing more fires
    finally:
        timer.stop()
        signal.signal(signal.SIGALRM, previous)


def _run(body: str) -> int:
    """Exit code (negative: the signal) of a fresh interpreter running `body` with the toolkit
    imported as `child` (not a fork of this process, which may hold threads)."""
    code = "from repair import _child as child\n" + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], timeout=120).returncode


@pytest.mark.skipif(child.memory_cap() is None, reason="no /proc: no memory cap")
def test_memory_cap_turns_a_memory_bomb_into_memory_error():
    body = """
        import sys
        child.limit_resources(memory=child.memory_cap(64 << 20), core=False)
        try:
            bytearray(1 << 30)
        except MemoryError:
            sys.exit(7)
        """
    assert _run(body) == 7


@pytest.mark.skipif(child.memory_cap() is None, reason="no /proc: no memory cap")
def test_memory_cap_lets_a_test_start_many_threads():
    # Under the 1 GiB address-space cap this replaced, 64 live threads that each allocate a
    # little reserve more than 1 GiB (stacks, malloc arenas) and the next one fails to start.
    body = """
        import os, sys, threading
        child.limit_resources(memory=child.memory_cap(), core=False)
        done = []
        barrier = threading.Barrier(64, timeout=30)
        def work():
            done.append(bytearray(1 << 16))
            barrier.wait()  # all alive at once
        threads = [threading.Thread(target=work) for _ in range(64)]
        try:
            for thread in threads:
                thread.start()
        except (MemoryError, RuntimeError):
            os._exit(3)
        for thread in threads:
            thread.join()
        sys.exit(7 if len(done) == 64 else 4)
        """
    assert _run(body) == 7


def test_cpu_limit_ends_a_loop_that_ignores_signals():
    body = """
        import signal
        for signum in (signal.SIGXCPU, signal.SIGALRM, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
        child.limit_resources(cpu_seconds=1, core=False)
        while True:
            pass
        """
    started = time.monotonic()
    assert _run(body) == -signal.SIGKILL  # the hard limit, a second after the soft one
    assert time.monotonic() - started < 60


@pytest.mark.skipif(not HAS_PDEATHSIG, reason="parent-death signal: Linux only")
def test_a_child_dies_with_its_parent(tmp_path: Path):
    # parent -> child; the child asks to die with the parent, and writes its pid.
    script = textwrap.dedent(
        f"""
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", '''
        import os, sys, time
        sys.path.insert(0, {str(Path(child.__file__).parent)!r})
        import _child
        assert _child.die_with_parent(int(sys.argv[1]))
        open(sys.argv[2], "w").write(str(os.getpid()))
        time.sleep(600)
        ''', str(os.getpid()), sys.argv[1]])
        time.sleep(600)
        """
    )
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", script, str(pid_file)])
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    pid = int(pid_file.read_text())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and _state(pid) not in ("Z", "X"):
        assert time.monotonic() < deadline, "the child outlived its parent"
        time.sleep(0.1)


def _state(pid: int) -> str:
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return "X"
    return data[data.rindex(b")") + 2 :].split()[0].decode()


def test_die_with_parent_says_when_the_parent_is_gone_already():
    body = """
        import os, sys
        assert child.die_with_parent(os.getppid())
        sys.exit(5 if not child.die_with_parent(-1) else 0)  # -1: no parent of ours
        """
    assert _run(body) == 5


def test_messages():
    assert child.describe_exit(-9) == "killed by SIGKILL"
    assert child.describe_exit(3) == "exit code 3"
    assert child.describe_exception(ValueError("x" * 500), 20) == "ValueError: xxxxx..."
    assert child.mask_addresses("<A at 0x7f3a9c>") == "<A at 0x?>"
    text = "def test():\n>   assert f(x)\nE   assert <X at 0x7f00> == 1\nE    +  where 2\n"
    assert child.error_line(text, 100) == "E    +  where 2"
    assert child.error_line("no marker\nlast line\n", 100) == "last line"


def _report(when, outcome):
    return SimpleNamespace(
        when=when, failed=outcome == "failed", skipped=outcome == "skipped", outcome=outcome
    )


@pytest.mark.parametrize(
    ("reports", "expected"),
    [
        ([("setup", "passed"), ("call", "passed"), ("teardown", "passed")], "passed"),
        ([("setup", "passed"), ("call", "failed"), ("teardown", "passed")], "failed"),
        ([("setup", "failed")], "error"),
        ([("setup", "passed"), ("call", "failed"), ("teardown", "failed")], "failed"),
        ([("setup", "passed"), ("call", "passed"), ("teardown", "failed")], "error"),
        ([("setup", "skipped")], "skipped"),
    ],
)
def test_one_outcome_from_a_tests_reports(reports, expected):
    outcome, deciding = child.test_outcome([_report(*pair) for pair in reports])
    assert outcome == expected
    assert (deciding is None) == (expected == "passed")


def test_child_environment_drops_what_changes_the_run(monkeypatch):
    monkeypatch.setenv("PYTEST_ADDOPTS", "-x")
    monkeypatch.setenv("COVERAGE_PROCESS_START", "x")
    env = child.child_environment(EXTRA="1")
    assert "PYTEST_ADDOPTS" not in env and "COVERAGE_PROCESS_START" not in env
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["EXTRA"] == "1"
