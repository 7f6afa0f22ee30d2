"""Warm validation worker of `repair.validate`: one interpreter, one private project copy, a fork
per candidate.

Run as a script, `python -I -B _validate_worker.py CONFIG.json`, with the project copy as its
working directory. Like `_pytest_runner.py` it imports nothing from `repair` (`_child.py`, the
child-process toolkit, is loaded by path), so a user's module of the same name cannot shadow it.
Requests and answers are JSON objects, one per line, on stdin and on the file descriptor that was
stdout at startup (pytest's output goes to /dev/null); a line `{"limits": ...}` sets the tests'
short time limits for the candidates after it (no answer).

Startup does everything that does not depend on the candidate once: pytest configured, a session
started and the whole suite collected (the user's modules imported, test files' asserts
rewritten), and a map of which loaded modules depend on which (their import statements, and the
functions, classes and instances of other modules their namespaces hold).

Per candidate a child (forked ahead, see below) writes the candidate's files into the copy, caps
its memory and CPU, and brings up to date only what the change can reach, never re-collecting
the suite nor importing it again:

- the project's modules that depend on a changed file, directly or not, run again *in their
  existing module objects* (namespaces cleared first), dependencies first, through the normal
  import machinery; unchanged files reuse the code compiled at startup;
- the test modules and conftests so reached are replayed (`Replay`): only their top-level
  statements that read the code under repair run again (`from pkg.mod import f` binds the
  candidate's `f`; `ZERO = Money(0)` is the candidate's `Money`), everything else in them keeps
  its identity, and the test functions collected at startup read the refreshed globals when they
  run; a test function or class whose decorators, defaults, bases or class body read the code
  (`parametrize` over a list the code defines) has its items made again;
- a test module that replaying cannot serve (`import *` from an unknown module, tests defined
  by module-level code built from the code, a candidate that changes the test file, an import
  that now fails) is imported anew and collected again, as are test files that failed to import
  at startup.

It then runs the selected items through pytest's own run-test loop, the `first` tests before the
rest, and stops as soon as the answer is known. So a candidate costs the modules its change
reaches plus the tests it runs, not the size of the suite.

The fork itself is off a candidate's path: the worker keeps one child forked ahead, waiting on a
pipe for its request, and forks the next while the current one runs; a finished child exits
while the worker answers. Fork copies pages lazily, and on a small VM each page a child writes
costs several microseconds: when the candidates leave a core idle (`populate`), the first
children report which pages they wrote (/proc/self/pagemap) and each spare copies the usual ones
ahead (MADV_POPULATE_WRITE) while it waits. The worker puts the copy's files back once a child is
done or gone, whatever became of it (timeout, crash, `os._exit`). A child that dies in a test
has that test reported as an error ("interpreter crashed (...)"), and a fresh child goes on
after it (`settled`), so one test that kills its interpreter does not hide the others.

Every child dies with the worker (parent-death signal), and a guard kills the worker's session,
children and whatever their tests started, as soon as the worker or the run is gone.

A candidate whose refresh cannot be done in place (it changes a conftest or a module the import
machinery cannot execute again, or reaches a conftest whose fixtures or hooks are built from the
code under repair) runs a fresh `pytest.main` in its child instead, with the user's modules
dropped first; a worker whose session cannot be prepared (a collection that fails outside a test
file, threads started by the user's code, another pytest) does that for every candidate. Slower,
same answers.

What this does not see: import-time side effects of the code on modules it does not reach
(a registry in an untouched module keeps the old entries too), and values reached only through
paths neither the import statements nor the namespaces show. The patch a user sees is verified
once more by a fresh full pytest run (`repair.patch`).

Bytecode: -B, `sys.dont_write_bytecode` and a copy without `__pycache__` mean every import
compiles the file as it is now; a stale `.pyc` of an earlier candidate can never be loaded.
Unchanged files reuse the code objects compiled at startup.
"""

import ast
import bisect
import gc
import importlib
import importlib.machinery
import importlib.util
import json
import os
import select
import signal
import sys
import threading
import time
import types

import pytest


def _load_toolkit():
    """`_child.py` beside this file, loaded by path: this script cannot import `repair`."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_child.py")
    spec = importlib.util.spec_from_file_location("_repair_child", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


child = _load_toolkit()
_LIBC = child.load_libc()  # loaded once here, not in every child

MESSAGE_LIMIT = 500  # characters of a failure message kept
LEARN_FROM = 8  # children that report the pages they wrote (see `_populate`)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PRESENT = 1 << 63  # /proc/PID/pagemap: the page is in memory
_PRESENT_EXCLUSIVE = _PRESENT | (1 << 56)  # ... and mapped by this process alone
HOT_PAGES_LIMIT = 1 << 14  # pages (64 MiB) at most copied ahead by a spare
_MADV_POPULATE_WRITE = 23
FAILING = ("failed", "error", "timeout")
IMPORT_CPU_FLOOR = 0.5  # CPU seconds a candidate's modules may take to run again, at least
IMPORT_RECUT = 0.05  # ... and their test modules' collection, once that run was cut for time
# A module's namespace keeps these when it is executed again, as a fresh module would have them.
_MODULE_DUNDERS = frozenset(
    {"__name__", "__file__", "__path__", "__package__", "__loader__", "__spec__", "__cached__"}
)


class Verdict:
    """The pytest plugin: orders the tests, times each, reports it, and stops once the answer is
    known: when more than `max_failures` tests failed, or, with a `baseline`, right after the
    `first` tests when every one of them failed with exactly its baseline message (the candidate
    changed nothing those tests can see). A child started after one crashed in a test goes on
    after the tests it was told are `settled`, counting them as run.

    Each test may run `per_test_timeout` seconds of wall-clock time, and its short limit
    (`limits`, from what tests take when they pass; see `repair.time_limits`) of CPU time: a loop
    spends CPU, while a test that waits, or that a busy machine's scheduler holds back, does
    not. A test cut at its short limit is a "timeout" (never "failed") and counts for the stop
    rules, so a looping candidate stops at once; if the run ends with every other test passing,
    the cut tests run again with the full `per_test_timeout` alone, and those outcomes are the
    answer. The timers are armed within each phase of a test (setup, call, teardown) only, so
    their exception is raised where pytest reports it as the test's, never in pytest's own
    bookkeeping between phases (which would end the child)."""

    def __init__(self):
        self.out = None
        self.request = None
        self.reorder = False  # order the tests in pytest_collection_modifyitems (pytest.main)
        self.limits = None  # {"default": seconds, "own": {node id: seconds}}; None: full limit
        self.current = None
        self.reports = []
        self.excinfo = None
        self.timer = child.TestTimer()  # fires again every 50 ms, should a bare except eat it
        self.cpu_timer = child.CpuTestTimer()  # the short limit, on CPU time
        self.wall_end = self.cpu_end = 0.0  # when the running test's time is up
        self.fired = None  # "wall" or "cpu": which limit the running test ran into
        self.failures = 0
        self.first_left = 0
        self.first_unchanged = True
        self.cut = {}  # node id -> item, of the tests cut at a short limit
        self.hard = 0  # tests that failed otherwise (failed, error, timed out at the full limit)
        self.broken = False  # a collection error was reported
        self.rerunning = False

    def start(self, request, out, reorder):
        self.request, self.out, self.reorder = request, out, reorder

    def emit(self, **event):
        if event["event"] == "collection_error":
            self.broken = True
        if self.out is not None:
            self.out.write(json.dumps(event) + "\n")
            self.out.flush()

    def limit(self, nodeid):
        """CPU seconds `nodeid` may run: its short limit (None: none below the full limit)."""
        full = self.full_limit(nodeid)
        if self.limits is None or self.rerunning or nodeid in self.limits.get("slow", {}):
            return None
        short = self.limits["own"].get(nodeid, self.limits["default"])
        return short if short < full else None

    def full_limit(self, nodeid):
        """Wall seconds `nodeid` may run: the per-test timeout, or a slow test's own limit."""
        slow = self.limits.get("slow", {}).get(nodeid, 0.0) if self.limits else 0.0
        return max(self.request["per_test_timeout"], slow)

    def install_timers(self):
        self.timer.install()
        self.cpu_timer.install()

    def arm(self):
        """Start the running test's timers with what is left of its limits."""
        if self.current is None:
            return
        self.timer.start(max(1e-4, self.wall_end - time.perf_counter()))
        if self.cpu_end and self.fired is None:  # cut already: its teardown runs on the wall clock
            self.cpu_timer.start(max(1e-4, self.cpu_end - time.process_time()))

    def disarm(self):
        self.timer.stop()
        self.cpu_timer.stop()
        if self.fired is None and (self.timer.fired or self.cpu_timer.fired):
            self.fired = "wall" if self.timer.fired else "cpu"

    def timed_phase(self):
        """The body of each phase's hook wrapper: the timers run only inside the phase."""
        self.arm()
        try:
            return (yield)
        finally:
            self.disarm()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item):
        return (yield from self.timed_phase())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        return (yield from self.timed_phase())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        return (yield from self.timed_phase())

    def pytest_collectreport(self, report):
        if report.failed and self.request is not None:
            text = str(getattr(report, "longreprtext", "") or "")
            self.emit(
                event="collection_error",
                nodeid=report.nodeid,
                message=child.error_line(text, MESSAGE_LIMIT),
            )

    def pytest_collection_modifyitems(self, session, config, items):
        if self.request is not None and self.reorder:
            items[:] = self.order(items, config)

    def order(self, items, config):
        """The `first` tests in their given order, then (with `rest`) the others as collected,
        or only those of them named in `only`; less the `settled` ones."""
        by_id = {item.nodeid: item for item in items}
        first = [by_id[nodeid] for nodeid in self.request["first"] if nodeid in by_id]
        chosen = {id(item) for item in first}
        rest = [item for item in items if id(item) not in chosen]
        only = self.request.get("only")
        if not self.request["rest"] or only is not None:
            keep = set(only or ()) if self.request["rest"] else set()
            dropped = [item for item in rest if item.nodeid not in keep]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
            rest = [item for item in rest if item.nodeid in keep]
        self.first_left = len(first)
        self.emit(event="collected", count=len(first) + len(rest))
        settled = self.request.get("settled")
        return self.resume(settled, first + rest) if settled else first + rest

    def resume(self, settled, items):
        """The items left after the `settled` ones ({node id: (outcome, message)}, a prefix of
        `items` but for the test that crashed; those in the request's `cut` were cut at a short
        limit), counted as if run here; none if they already give the answer."""
        stop = None
        cut = set(self.request.get("cut") or ())
        for item in items:
            if item.nodeid in settled:
                if item.nodeid in cut:
                    self.cut[item.nodeid] = item
                stop = self.account(item.nodeid, *settled[item.nodeid]) or stop
        return [] if stop else [item for item in items if item.nodeid not in settled]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        if call.excinfo is not None and self.excinfo is None and item.nodeid == self.current:
            self.excinfo = call.excinfo
        yield

    def pytest_runtest_logreport(self, report):
        if report.nodeid == self.current:
            self.reports.append(report)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if self.request is None:
            yield
            return
        self.current, self.reports, self.excinfo = item.nodeid, [], None
        self.emit(event="start", nodeid=item.nodeid)  # names the test should the child die in it
        short = self.limit(item.nodeid)
        started = time.perf_counter()
        self.wall_end = started + self.full_limit(item.nodeid)
        self.cpu_end = time.process_time() + short if short is not None else 0.0
        self.fired = None
        try:
            yield
        finally:
            self.disarm()
            self.current = None
        seconds = round(time.perf_counter() - started, 6)
        outcome, message = self.outcome()
        cut = outcome == "timeout" and self.fired == "cpu"
        self.cut.pop(item.nodeid, None)  # run again: this outcome is the one that counts
        if cut:
            self.cut[item.nodeid] = item
        self.emit(
            event="result", nodeid=item.nodeid, outcome=outcome, message=message,
            seconds=seconds, cut=cut,
        )  # fmt: skip
        stop = self.account(item.nodeid, outcome, message)
        if stop and not self.rerunning:
            item.session.shouldstop = stop

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session):
        """After the run: the tests cut at a short limit run again with the full per-test
        timeout when they alone keep the candidate from passing (the run went to its end, no
        other test failed, nothing failed to collect)."""
        finished = yield
        if self.request is not None and self.cut and not self.hard and not self.broken:
            self.rerunning = True
            items = list(self.cut.values())
            for index, item in enumerate(items):
                after = items[index + 1] if index + 1 < len(items) else None
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=after)
        return finished

    def outcome(self):
        outcome, _ = child.test_outcome(self.reports)  # setup, call, teardown
        if self.fired is not None:
            return "timeout", "timed out"
        if outcome in FAILING and self.excinfo is not None:
            return outcome, child.exception_message(self.excinfo, MESSAGE_LIMIT)
        return outcome, ""

    def account(self, nodeid, outcome, message):
        """Count one test's outcome; why to stop now, if the answer is known."""
        request = self.request
        stop = None
        if outcome in FAILING:
            self.failures += 1
            if nodeid not in self.cut:
                self.hard += 1
        baseline = request["baseline"]
        if self.first_left > 0:
            self.first_left -= 1
            if baseline is None or outcome not in FAILING or baseline.get(nodeid) != message:
                self.first_unchanged = False
            if self.first_left == 0 and baseline is not None and self.first_unchanged:
                stop = "unchanged"
        limit = request["max_failures"]
        if limit is not None and self.failures > limit:
            stop = "too many failures"
        return stop


def memoise_assertion_rewriting():
    """Test files never change between candidates: rewrite each once, keyed by its content."""
    try:
        from _pytest.assertion import rewrite
    except ImportError:
        return
    original = getattr(rewrite, "_rewrite_test", None)
    if original is None:
        return
    cache = {}

    def rewrite_once(fn, config):
        key = (str(fn), fn.read_bytes())
        if key not in cache:
            cache[key] = original(fn, config)
        return cache[key]

    rewrite._rewrite_test = rewrite_once


# --- which modules a change reaches -----------------------------------------------------------


def _under(path, root):
    return bool(path) and os.path.realpath(path).startswith(root + os.sep)


def _module_file(module):
    path = module.__dict__.get("__file__")
    return path if isinstance(path, str) else ""


def user_modules(root, keep_conftest):
    names = []
    for name, module in list(sys.modules.items()):
        path = _module_file(module) if isinstance(module, types.ModuleType) else ""
        if _under(path, root):
            if keep_conftest and os.path.basename(path) == "conftest.py":
                continue
            names.append(name)
    return names


def _parse(path):
    try:
        with open(path, "rb") as file:
            return ast.parse(file.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None


def _import_targets(tree, name, is_package, is_module):
    """Absolute names of the modules whose namespaces a module may copy from or run at import:
    the modules its import statements (anywhere in it) name, except those that only bind a
    submodule (a module object is executed again in place, so a binding to it stays good)."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                found.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            if base and any(a.name == "*" or not is_module(f"{base}.{a.name}") for a in node.names):
                found.add(base)
    return found


def _absolute(node, package):
    """The module an `ImportFrom` imports from, as an absolute name ("" if it cannot be)."""
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return ""
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _referenced_module(value):
    """The module a namespace entry ties its holder to: where a function, a class or the class
    of an instance was defined (None for a module, which is executed again in place)."""
    try:
        if isinstance(value, types.ModuleType):
            return None  # executed again in place: a binding to it stays good
        if isinstance(value, (types.FunctionType, type)):
            owner = value.__dict__.get("__module__") if isinstance(value, type) else None
            return owner if isinstance(owner, str) else getattr(value, "__module__", None)
        owner = type(value).__dict__.get("__module__")
        return owner if isinstance(owner, str) else None
    except Exception:  # noqa: BLE001 - a proxy that refuses to be looked at
        return None


def _names(node):
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFS_OBJECTS = (types.FunctionType, type)


def _top_level(body):
    """Statements executed while the module is imported (not those inside functions)."""
    for statement in body:
        yield statement
        if not isinstance(statement, (*_DEFS, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(statement, field, None) or ():
                    if isinstance(child, (ast.ExceptHandler, getattr(ast, "match_case", ()))):
                        yield from _top_level(child.body)
                    elif isinstance(child, ast.stmt):
                        yield from _top_level([child])


def _bound(statement):
    bound = set()
    for child in ast.walk(statement):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            bound.add(child.id)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in child.names)
        elif isinstance(child, (*_DEFS, ast.ClassDef)):
            bound.add(child.name)
    return bound


def _evaluated(node):
    """What Python evaluates when it runs a `def` or `class` statement: decorators, default
    arguments, bases and keywords, and a class body (but not the bodies of its methods)."""
    if isinstance(node, _DEFS):
        defaults = [d for d in node.args.kw_defaults if d is not None]
        return [*node.decorator_list, *node.args.defaults, *defaults]
    parts = [*node.decorator_list, *(k.value for k in node.keywords)]
    for statement in node.body:
        parts += (
            _evaluated(statement) if isinstance(statement, (*_DEFS, ast.ClassDef)) else [statement]
        )
    return parts


def _is_fixture(node):
    return any(
        (isinstance(child, ast.Name) and "fixture" in child.id)
        or (isinstance(child, ast.Attribute) and "fixture" in child.attr)
        for decorator in node.decorator_list
        for child in ast.walk(decorator)
    )


class Replay:
    """How a test module (or conftest) is brought up to date with a candidate without running it
    all again, which would give every class and function in it a new identity while the items
    collected at startup keep the old ones (a test class whose `D = CustomMapping` then builds
    objects that fail `isinstance(x, CustomMapping)`).

    Only its top-level statements that read the code under repair run again, in order, in its
    namespace: imports from the project's modules (which bind the candidate's functions and
    classes), statements that compute values from names so bound, and the `def` and `class`
    statements whose decorators, default arguments, bases or class bodies (not their methods'
    bodies) read such names: their items are made again. Everything else keeps its objects, and
    the test functions collected at startup read the refreshed globals when they run.

    `whole` says why that is not enough and the module must be imported anew and collected again
    (an `import *` from an unknown module, `pytestmark`, module-level `pytest_*` hooks, fixtures,
    or tests defined by module-level code, built from the code). Conservative: a name is tainted
    when it is imported from the project, or bound by a statement that reads a tainted name or
    a module-level function or class whose code reads one."""

    def __init__(self, tree, name, is_package, is_user, public_names):
        self.whole = ""
        self.statements = []  # indices into tree.body, in order
        self.definitions = {}  # top-level function or class -> why its items are made again
        self.bound = set()  # names the replayed statements bind
        try:
            self._analyse(tree, name, is_package, is_user, public_names)
        except _Whole as why:
            self.whole = str(why)

    def _analyse(self, tree, name, is_package, is_user, public_names):
        package = name if is_package else name.rpartition(".")[0]
        tainted, importing = set(), set()  # importing: ids of statements that import the project
        for index, statement in enumerate(tree.body):
            for node in ast.walk(statement):
                if isinstance(node, ast.Import):
                    users = [a for a in node.names if is_user(a.name)]
                    # `import pkg.mod` binds a module object, which is executed again in place
                    tainted.update((a.asname or a.name).split(".")[0] for a in users)
                elif isinstance(node, ast.ImportFrom):
                    base = _absolute(node, package)
                    if not (node.level or is_user(base)):
                        continue
                    importing.add(index)
                    for alias in node.names:
                        if alias.name != "*":
                            tainted.add(alias.asname or alias.name)
                            continue
                        names = public_names(base)
                        if names is None:
                            raise _Whole(f"line {node.lineno}: import * from {base or '.'}")
                        tainted |= names
                        self.bound |= names
        if not tainted:
            return
        computing = set()  # module-level functions and classes whose code reads tainted names
        changed = True
        while changed:
            changed = False
            for statement in _top_level(tree.body):
                reads = _names(statement) & (tainted | computing)
                if isinstance(statement, (*_DEFS, ast.ClassDef)):
                    if reads and statement.name not in computing:
                        computing.add(statement.name)
                        changed = True
                elif reads and not _bound(statement) <= tainted:
                    tainted |= _bound(statement)
                    changed = True
        stale = tainted | computing
        classes = {s.name for s in tree.body if isinstance(s, ast.ClassDef)}
        for index, statement in enumerate(tree.body):
            if isinstance(statement, (*_DEFS, ast.ClassDef)):
                if statement.name.startswith("pytest_") and _names(statement) & stale:
                    raise _Whole(f"line {statement.lineno}: hook {statement.name} reads the code")
                reads = set()
                for part in _evaluated(statement):
                    reads |= _names(part) & stale
                for base in getattr(statement, "bases", ()):
                    if isinstance(base, ast.Name) and base.id in classes:
                        if base.id in self.definitions:
                            reads.add(base.id)  # a class of this module, made again
                    else:
                        reads |= _names(base) & stale
                if not reads:
                    continue
                if _is_fixture(statement):
                    raise _Whole(f"line {statement.lineno}: fixture {statement.name} reads {reads}")
                self.definitions[statement.name] = f"line {statement.lineno}: {sorted(reads)}"
            elif index in importing or _names(statement) & stale:
                nested = [c for c in ast.walk(statement) if isinstance(c, (*_DEFS, ast.ClassDef))]
                named = any(n.startswith(("test", "Test", "pytest")) for n in _bound(statement))
                if nested or named:
                    raise _Whole(f"line {statement.lineno}: tests or marks made from the code")
            else:
                continue
            self.statements.append(index)
            self.bound |= _bound(statement)


class _Whole(Exception):
    pass


def _replay_code(module, tree_indices, config):
    """The code of a module's replayed statements, assert-rewritten as pytest rewrote the module
    (its `__future__` imports first)."""
    path = _module_file(module)
    with open(path, "rb") as file:
        source = file.read()
    tree = ast.parse(source, path)
    futures = [
        statement
        for statement in tree.body
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
    ]
    chosen = [tree.body[index] for index in tree_indices]
    if "@py_builtins" in module.__dict__ or "@pytest_ar" in module.__dict__:
        from _pytest.assertion.rewrite import rewrite_asserts

        rewrite_asserts(tree, source, path, config)  # rewrites the chosen statements in place
    body = futures + [statement for statement in chosen if statement not in futures]
    return compile(ast.Module(body=body, type_ignores=[]), path, "exec", dont_inherit=True)


class Refresh:
    """A meta path finder and loader that executes modules again in their existing objects.

    Installed first on `sys.meta_path` in a child: importing one of `modules` (popped from
    `sys.modules`) clears its namespace and runs its code in the old module object, through the
    module's own loader (pytest's assertion rewriter for test files) or, for a file the candidate
    left alone, the code object compiled at startup. Imports inside it are ordinary imports, so
    dependencies run first, as in a fresh interpreter."""

    def __init__(self, modules, compiled):
        self.modules = modules  # name -> module
        self.specs = {name: module.__spec__ for name, module in modules.items()}
        self.compiled = compiled  # name -> code object

    def find_spec(self, name, path=None, target=None):
        if name not in self.modules or name in sys.modules:
            return None
        original = self.specs[name]
        return importlib.util.spec_from_loader(
            name,
            self,
            origin=original.origin,
            is_package=original.submodule_search_locations is not None,
        )

    def create_module(self, spec):
        return self.modules[spec.name]

    def exec_module(self, module):
        original = self.specs[module.__name__]
        namespace = module.__dict__
        for key in [key for key in namespace if key not in _MODULE_DUNDERS]:
            del namespace[key]
        namespace["__doc__"] = None
        namespace["__spec__"], namespace["__loader__"] = original, original.loader
        if namespace.get("__path__") is not None:  # submodules loaded and not run again
            prefix = module.__name__ + "."
            for name, child in list(sys.modules.items()):
                if name.startswith(prefix) and "." not in name[len(prefix) :]:
                    namespace[name[len(prefix) :]] = child
        code = self.compiled.get(module.__name__)
        if code is None and type(original.loader) is importlib.machinery.SourceFileLoader:
            # A changed file is compiled once per child: when it fails on import, each module
            # that depends on it imports it again, and compiling a long file each time made a
            # candidate that breaks the import cost several times one that does not.
            code = self.compiled[module.__name__] = original.loader.get_code(module.__name__)
        if code is not None:
            exec(code, namespace)
        else:
            original.loader.exec_module(module)


class Recorder:
    """Startup plugin: the collectors of files, and the collections that failed."""

    def __init__(self):
        self.files = {}  # path -> the file collector (pytest.Module, doctests...) that collected it
        self.failed = {}  # path -> file collector whose collection failed
        self.other_failures = []  # node ids of failed collectors that are not files

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector):
        report = yield
        if isinstance(collector, pytest.File):
            self.files.setdefault(str(collector.path), collector)
            if report.failed:
                self.failed[str(collector.path)] = collector
        elif report.failed:
            self.other_failures.append(report.nodeid)
        return report


class Unprepared(Exception):
    """The warm session cannot serve this project: pytest.main per candidate."""


class Plan:
    """What one set of changed files needs in a child."""

    def __init__(self, changed):
        self.changed = changed  # module names of the changed files
        self.refresh = []  # modules of the project executed again in place, in import order
        self.replay = []  # test modules and conftests brought up to date by `Replay`
        self.drop = []  # test modules dropped from sys.modules, imported anew when collected
        self.recollect = []  # paths of the file collectors collected again
        self.tests = []  # the test modules reached and kept (replayed or left as they are)


class ModuleMap:
    """The project's loaded modules (those whose files are in the copy), by name and by real
    path, in import order, and which depend on which: through their import statements, and
    through the functions, classes and instances of other project modules their namespaces hold
    (imports no statement shows: importlib, a loader that copies another module's functions)."""

    def __init__(self, root):
        self.user = {}  # name -> module, for the modules whose files are in the project copy
        self.by_path = {}  # real path -> module names
        for name, module in list(sys.modules.items()):
            path = _module_file(module) if isinstance(module, types.ModuleType) else ""
            if _under(path, root):
                self.user[name] = module
                self.by_path.setdefault(os.path.realpath(path), []).append(name)
        self.order = {name: index for index, name in enumerate(sys.modules)}
        self.dependents = {}  # name -> names of the modules that depend on it
        self.trees = {}  # name -> its file's syntax tree (None: not parsed)
        for name, module in self.user.items():
            tree = self.trees[name] = _parse(_module_file(module))
            is_package = module.__dict__.get("__path__") is not None
            if tree is None:
                targets = set(self.user)
            else:
                targets = _import_targets(tree, name, is_package, sys.modules.__contains__)
            for target in targets & self.user.keys() - {name}:
                self.dependents.setdefault(target, set()).add(name)
        self.holds = {}  # name -> {names bound to objects of other project modules}
        for name, module in list(sys.modules.items()):
            try:
                entries = list(module.__dict__.items())
            except Exception:  # noqa: BLE001 - not a module, or a strange one
                continue
            for key, value in entries:
                target = _referenced_module(value)
                if target in self.user and target != name:
                    self.dependents.setdefault(target, set()).add(name)
                    self.holds.setdefault(name, set()).add(key)

    def is_user(self, dotted):
        if dotted in self.user:
            return True
        if dotted in sys.modules:
            return False
        top = sys.modules.get(dotted.split(".")[0])
        return top is None or top.__name__ in self.user

    @staticmethod
    def public_names(dotted):
        module = sys.modules.get(dotted)
        if module is None:
            return None
        names = module.__dict__.get("__all__")
        if names is None:
            names = [n for n in module.__dict__ if not n.startswith("_")]
        return {n for n in names if isinstance(n, str)}

    def reached(self, names):
        """`names` and every module that depends on one of them, directly or not, in import
        order."""
        reached, queue = set(names), list(names)
        while queue:
            for dependent in self.dependents.get(queue.pop(), ()):
                if dependent not in reached:
                    reached.add(dependent)
                    queue.append(dependent)
        return sorted(reached, key=lambda n: self.order.get(n, len(self.order)))

    def is_conftest(self, name):
        return os.path.basename(_module_file(self.user[name])) == "conftest.py"


class TestModules:
    """How the test modules and conftests follow a candidate: the file collector of each test
    module, the top-level definition each item came from (to make its items again), and for
    each module either its `Replay` (code and definitions) or why it must be imported anew and
    collected again (`whole`)."""

    def __init__(self, modules, recorder, suite, config):
        collected = {}
        self.definition = {}  # id(item) -> (path, top-level function or class)
        for item in suite:
            collected.setdefault(str(item.path), []).append(item)
            chain = item.listchain()
            tops = [i for i, node in enumerate(chain) if isinstance(node, pytest.Module)]
            if tops and tops[-1] + 1 < len(chain):
                top = chain[tops[-1] + 1]
                name = top.__dict__.get("originalname") or top.name
                self.definition[id(item)] = (str(item.path), name)
        self.collectors = {}  # test module name -> its file collector
        self.whole = {}  # name -> why
        self.replays = {}  # name -> (code, {definition: why})
        for path, collector in recorder.files.items():
            for name in modules.by_path.get(os.path.realpath(path), []):
                self.collectors[name] = collector
                if type(collector) is not pytest.Module:
                    self.whole[name] = f"collected by {type(collector).__name__}"
                elif any(not isinstance(i, pytest.Function) for i in collected.get(path, [])):
                    self.whole[name] = "items that are not test functions"
        for name, module in modules.user.items():
            conftest = modules.is_conftest(name)
            if name not in self.whole and (name in self.collectors or conftest):
                self._analyse(name, module, conftest, modules, config)

    def _analyse(self, name, module, conftest, modules, config):
        tree = modules.trees.get(name)
        if tree is None:
            self.whole[name] = "not parsed"
            return
        is_package = module.__dict__.get("__path__") is not None
        replay = Replay(tree, name, is_package, modules.is_user, modules.public_names)
        local = {
            key
            for key, value in module.__dict__.items()
            if isinstance(value, _DEFS_OBJECTS) and value.__module__ == name
        }
        unseen = modules.holds.get(name, set()) - replay.bound - local
        if replay.whole or (conftest and replay.definitions):
            self.whole[name] = replay.whole or f"fixtures or hooks {replay.definitions}"
        elif unseen:  # bound to the project's objects by no statement the analysis saw
            self.whole[name] = f"{sorted(unseen)} bound by no import the analysis saw"
        elif replay.statements:
            try:
                code = _replay_code(module, replay.statements, config)
            except (OSError, SyntaxError, ValueError) as error:
                self.whole[name] = f"replay: {error!r}"
            else:
                self.replays[name] = (code, replay.definitions)


def _compile_files(modules):
    """The code of every project module's file as it is now, for modules executed again
    unchanged (their source files, loaded the ordinary way)."""
    compiled = {}
    for name, module in modules.items():
        loader = getattr(module.__dict__.get("__spec__"), "loader", None)
        if type(loader) is importlib.machinery.SourceFileLoader:
            path = _module_file(module)
            try:
                with open(path, "rb") as file:
                    compiled[name] = compile(file.read(), path, "exec", dont_inherit=True)
            except (OSError, SyntaxError, ValueError):
                pass
    return compiled


def make_plan(changed, root, modules, tests):
    """The plan for a candidate changing `changed` (relative paths); None: pytest.main."""
    names = []
    for relative in changed:
        path = os.path.realpath(os.path.join(root, relative))
        if os.path.basename(path) == "conftest.py" and path in modules.by_path:
            return None  # fixtures and hooks registered from the old code
        names += modules.by_path.get(path, [])
    plan = Plan(changed=set(names))
    for name in modules.reached(names):
        collector = tests.collectors.get(name)
        python_test = collector is not None and type(collector) is pytest.Module
        conftest = name in modules.user and collector is None and modules.is_conftest(name)
        if python_test and (name in tests.whole or name in names):
            plan.drop.append(name)  # pytest imports it anew and collects it again
            plan.recollect.append(str(collector.path))
        elif conftest and name in tests.whole:
            return None  # fixtures or hooks built from the code under repair
        elif python_test or conftest:
            if name in tests.replays:
                plan.replay.append(name)
            if python_test:
                plan.tests.append(name)
        else:
            module = sys.modules.get(name)
            spec = getattr(module, "__spec__", None)
            loader = getattr(spec, "loader", None)
            if not hasattr(loader, "exec_module") or isinstance(loader, type):
                return None  # built in, frozen, a namespace package: cannot run again
            if isinstance(loader, importlib.machinery.ExtensionFileLoader) or not spec.origin:
                return None
            plan.refresh.append(name)
            if collector is not None:  # doctests: their globals are copies
                plan.recollect.append(str(collector.path))
    return plan


def start_session(args, plugins, recorder):
    """pytest configured, a session started and the whole suite collected, as `pytest.main`
    does up to its run-test loop; Unprepared if a fork could not go on from there."""
    from _pytest.config import _prepareconfig
    from _pytest.main import Session

    os.environ["PYTEST_VERSION"] = pytest.__version__
    config = _prepareconfig(list(args), [*plugins, recorder])
    try:
        session = Session.from_config(config)
        session.exitstatus = 0
        config._do_configure()
        config.hook.pytest_sessionstart(session=session)
        config.hook.pytest_collection(session=session)
        if recorder.other_failures:
            raise Unprepared(f"collection failed: {recorder.other_failures}")
        if threading.active_count() > 1:
            raise Unprepared("the project's code started threads, which a fork would lose")
    except BaseException:
        try:
            config._ensure_unconfigure()
        except BaseException:  # noqa: BLE001
            pass
        raise
    # The collection errors are those of files collected again for every candidate.
    session.testsfailed = 0
    session.shouldstop = session.shouldfail = False
    return config, session


class Prepared:
    """pytest configured, the suite collected, which modules depend on which known; per
    candidate, the plan of what its change reaches, the refresh of those modules, and the items
    to run."""

    def __init__(self, args, verdict, root):
        self.root = root
        self.recorder = Recorder()
        self.config, self.session = start_session(args, [verdict], self.recorder)
        self.suite = list(self.session.items)
        self.plans = {}
        self.modules = ModuleMap(root)
        self.tests = TestModules(self.modules, self.recorder, self.suite, self.config)
        self.compiled = _compile_files(self.modules.user)

    def plan(self, changed):
        """The plan for a candidate changing `changed` (relative paths); None: pytest.main."""
        key = frozenset(changed)
        if key not in self.plans:
            self.plans[key] = make_plan(changed, self.root, self.modules, self.tests)
        return self.plans[key]

    def refresh(self, plan, verdict):
        """Run the plan's modules again (then replay the test modules); returns the paths of the
        test modules that then failed to import (collected again, so pytest reports why)."""
        modules = {}
        for name in [*plan.refresh, *plan.drop]:
            module = sys.modules.pop(name, None)
            if module is not None and name not in plan.drop:
                modules[name] = module
        compiled = {
            name: self.compiled[name]
            for name in modules
            if name in self.compiled and name not in plan.changed
        }
        sys.meta_path.insert(0, Refresh(modules, compiled))
        broken = False
        for name in plan.refresh:
            if name not in sys.modules and name in modules:
                try:
                    importlib.import_module(name)
                except BaseException:  # noqa: BLE001 - the candidate's code, on import
                    broken = True
        failed = []
        collectors = self.tests.collectors
        if broken:  # as in a fresh run, the test modules it reaches fail to import, and say why
            for name in plan.tests:
                sys.modules.pop(name, None)
                failed.append(str(collectors[name].path))
        _restore_submodule_attributes(modules)
        for name in plan.replay:
            module = sys.modules.get(name)
            if module is None:
                continue
            try:
                exec(self.tests.replays[name][0], module.__dict__)
            except BaseException as error:  # noqa: BLE001 - the candidate's code, on import
                if name in collectors:
                    sys.modules.pop(name, None)
                    failed.append(str(collectors[name].path))
                else:
                    message = child.mask_addresses(f"{type(error).__name__}: {error}")
                    verdict.emit(
                        event="collection_error",
                        nodeid=os.path.relpath(_module_file(module), self.root),
                        message=message[:MESSAGE_LIMIT],
                    )
                    self.session.testsfailed += 1
        return failed

    def items(self, plan, failed):
        """The suite's items, in the order of the startup collection, but with those of the
        plan's `recollect` paths and of `failed` (and of the files that failed at startup)
        collected again, and those of the replayed definitions made again."""
        paths = [*plan.recollect, *failed]
        paths += [path for path in self.recorder.failed if path not in paths]
        fresh = {}
        for path in paths:
            collector = self.recorder.files[path]
            node = type(collector).from_parent(collector.parent, path=collector.path)
            fresh[path] = self._modified(self.session.genitems(node))
        for name in plan.replay:
            collector = self.tests.collectors.get(name)
            if collector is None or str(collector.path) in fresh:
                continue
            namespace = collector.obj.__dict__
            for definition in sorted(self.tests.replays[name][1]):
                made = collector.ihook.pytest_pycollect_makeitem(
                    collector=collector, name=definition, obj=namespace.get(definition)
                )
                nodes = made if isinstance(made, list) else [] if made is None else [made]
                items = [item for node in nodes for item in self.session.genitems(node)]
                fresh[(str(collector.path), definition)] = self._modified(items)
        if not fresh:
            return self.suite
        ordered, placed = [], set()
        for item in self.suite:
            path = str(item.path)
            key = path if path in fresh else self.tests.definition.get(id(item))
            if key not in fresh:
                ordered.append(item)
            elif key not in placed:
                placed.add(key)
                ordered += fresh[key]
        for key, items in fresh.items():
            if key not in placed:
                ordered += items
        return ordered

    def _modified(self, items):
        items = list(items)
        if items:  # marks and deselection (-k, -m) as at startup
            self.config.hook.pytest_collection_modifyitems(
                session=self.session, config=self.config, items=items
            )
        return items


def _restore_submodule_attributes(modules):
    """A package executed again lost the attributes naming submodules that were not."""
    for name, module in modules.items():
        if module.__dict__.get("__path__") is not None:
            prefix = name + "."
            for child_name, loaded in list(sys.modules.items()):
                if child_name.startswith(prefix) and "." not in child_name[len(prefix) :]:
                    module.__dict__.setdefault(child_name[len(prefix) :], loaded)


def warm_up(args):
    """Collect once: pytest's lazy imports, the tests' third-party imports, rewritten asserts."""
    try:
        pytest.main([*args, "--collect-only"])
    except BaseException:  # noqa: BLE001 - a broken suite shows up in the first real run
        pass
    root = os.path.realpath(os.getcwd())
    for name in user_modules(root, keep_conftest=False):
        del sys.modules[name]


def run_child(config, request_fd, write_fd, verdict, prepared, parent, hot):
    """A forked child: set up what does not depend on the candidate, wait for the request, then
    write the files, limit resources, run the tests. Never returns."""
    os.setpgid(0, 0)  # its own group: a kill reaches whatever it starts
    if not child.die_with_parent(parent):  # the worker died before this took effect
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the tool's to handle
    child.quiet_streams()
    ahead = time.monotonic()
    _populate(hot, request_fd)
    ahead = time.monotonic() - ahead
    if config["memory_limit"]:
        child.limit_resources(memory=child.memory_cap(config["memory_limit"]))
    data = b""
    while chunk := os.read(request_fd, 1 << 20):
        data += chunk
    if not data:
        os._exit(0)  # retired unused
    started = time.monotonic()
    request = json.loads(data)
    out = os.fdopen(write_fd, "w", encoding="utf-8")
    stages = {"ahead": round(ahead, 6)}  # before the request: not part of the candidate's time
    try:
        for relative, text in request["files"].items():
            with open(relative, "wb") as file:
                file.write(text.encode("utf-8"))
        # a backstop should the worker be gone
        child.limit_resources(cpu_seconds=int(request["timeout"]) + 2)
        plan = prepared.plan(request["files"]) if prepared is not None else None
        verdict.start(request, out, reorder=plan is None)
        verdict.install_timers()
        mark = _stage(stages, "setup", started)
        if plan is not None:
            # A change that loops at import is cut once it has spent a test's time limit of CPU
            # (the modules it runs again took milliseconds before): a collection error, not a
            # wait for the candidate's whole timeout (dev real bug pyrsistent-2: 11 candidates of
            # its 60 s took ~7 s each). It fires again every 50 ms of CPU until stopped: the
            # test modules' replay imports a module that failed to import once more.
            importing = child.CpuTestTimer(message="timed out on import")
            importing.install()
            limit = max(IMPORT_CPU_FLOOR, request["per_test_timeout"])
            try:
                importing.start(limit)
                failed = prepared.refresh(plan, verdict)
                mark = _stage(stages, "refresh", mark)
                # The test modules that failed to import, collected again: each imports the
                # looping module anew, so a loop cut above is cut again at once, with the same
                # message (dev real bug pyrsistent-2: 2.2 s per such candidate before, 1.4 s now).
                importing.start(IMPORT_RECUT if importing.fired else limit)
                items = prepared.items(plan, failed)
            finally:
                importing.stop()
                verdict.install_timers()
            session = prepared.session
            session.items = verdict.order(items, prepared.config)
            session.testscollected = len(session.items)
            mark = _stage(stages, "collect", mark)
            try:
                prepared.config.hook.pytest_runtestloop(session=session)
            except (session.Interrupted, session.Failed):
                pass  # stopped on purpose, or by a collection error already reported
            _stage(stages, "run", mark)
        else:
            if prepared is not None:  # the session's modules would shadow the candidate's
                for name in user_modules(prepared.root, keep_conftest=False):
                    sys.modules.pop(name, None)
            pytest.main(config["args"], plugins=[verdict])
            _stage(stages, "main", mark)
        if request.get("learn"):
            verdict.emit(event="pages", ranges=_written_pages())
        verdict.emit(event="done", stages=stages, started=started, finished=time.monotonic())
    except BaseException as error:  # noqa: BLE001 - report anything, then leave
        try:
            verdict.emit(event="died", message=repr(error)[:MESSAGE_LIMIT])
        except BaseException:  # noqa: BLE001
            pass
    os._exit(0)


def _stage(stages, name, since):
    now = time.monotonic()
    stages[name] = round(now - since, 6)
    return now


class Spare:
    """A child forked before its request: it waits on a pipe, so the fork, the set-up that does
    not depend on the candidate and, later, its exit overlap other work (the running candidate,
    the tool) instead of adding to a candidate's time."""

    def __init__(self, config, verdict, prepared, inherited, hot):
        request_r, self.request_w = os.pipe()
        self.events_r, events_w = os.pipe()
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.request_w)
            os.close(self.events_r)
            for fd in inherited:  # other children's pipes
                try:
                    os.close(fd)
                except OSError:
                    pass
            run_child(config, request_r, events_w, verdict, prepared, parent, hot)
        os.close(request_r)
        os.close(events_w)
        try:
            os.setpgid(self.pid, self.pid)  # as the child does: no race with a kill
        except OSError:
            pass
        try:  # readable once the child has exited, even if a fork of a test holds its pipe
            self.pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # before Linux 5.3 or Python 3.9: the pipe's end only
            self.pidfd = None

    def send(self, request):
        """False if the child is gone (then nothing was sent)."""
        try:
            os.write(self.request_w, json.dumps(request).encode())
        except OSError:
            return False
        finally:
            os.close(self.request_w)
            self.request_w = None  # its number may be reused at once: never close it twice
        return True

    def fds(self):
        """The descriptors to watch it by (its events, and its exit where Linux tells)."""
        return [fd for fd in (self.events_r, self.pidfd) if fd is not None]

    def close(self):
        for fd in (self.request_w, self.events_r, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.request_w = self.events_r = self.pidfd = None

    def retire(self):
        self.close()
        child.kill_group(self.pid)  # also whatever the tests left running


class Children:
    """The worker's side of the children: one spare always forked ahead, zombies reaped late,
    and the pages the first children wrote, which the later ones copy before their request."""

    def __init__(self, config, verdict, prepared):
        self.config, self.verdict, self.prepared = config, verdict, prepared
        self.spare = None
        self.exiting = []  # pids of children killed or done, not reaped yet
        self.written = {}  # page address -> how many of the reporting children wrote it
        self.reports = 0
        self.hot = []  # (start, length) ranges of the pages at least half of them wrote
        self.learning = LEARN_FROM if config.get("populate") else 0

    def fork(self, inherited=()):
        return Spare(self.config, self.verdict, self.prepared, inherited, self.hot)

    def learn(self, ranges):
        """Count the pages a child wrote that are in memory here (copies, not new memory)."""
        self.reports += 1
        for page in _present_pages(ranges):
            self.written[page] = self.written.get(page, 0) + 1
        hot = sorted(page for page, count in self.written.items() if 2 * count >= self.reports)
        self.hot = _ranges(hot[:HOT_PAGES_LIMIT])

    def reap(self):
        for pid in list(self.exiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.exiting.remove(pid)

    def close(self):
        if self.spare is not None:
            self.spare.retire()


def validate(children, request, originals):
    """Validate one candidate in the spare child (forking the next one while it runs) and
    collect its events until it exits or the candidate's deadline. A child that dies in a test
    (`os._exit`, a signal) has that test reported as an error, and a fresh child goes on after
    it, so the tests after it still count."""
    for relative in request["files"]:
        if relative not in originals:
            with open(relative, "rb") as file:
                originals[relative] = file.read()
    children.reap()
    attempt = request
    if children.learning > 0:
        children.learning -= 1
        attempt = {**request, "learn": True}
    sent = time.monotonic()
    deadline = sent + request["timeout"]
    events, settled, cut = [], {}, set()
    while True:
        found, status, wait_status = _attempt(children, attempt, originals, deadline)
        if settled:  # the first child's count is the candidate's
            found = [event for event in found if event["event"] != "collected"]
        events += [event for event in found if event["event"] != "start"]
        crashed_in = _running(found) if status.startswith("crashed") else None
        if crashed_in is None or time.monotonic() >= deadline:
            break
        for event in found:
            if event["event"] == "result":
                settled[event["nodeid"]] = (event["outcome"], event["message"])
                (cut.add if event.get("cut") else cut.discard)(event["nodeid"])
        how = child.describe_exit(child.exit_status(wait_status))
        crash = {"outcome": "error", "message": f"interpreter crashed ({how})"}
        events.append({"event": "result", "nodeid": crashed_in, **crash})
        settled[crashed_in] = (crash["outcome"], crash["message"])
        attempt = {**request, "settled": settled, "cut": sorted(cut)}
    return {"events": events, "status": status, "seconds": time.monotonic() - sent}


def _running(events):
    """The test a child had started and not finished, if any."""
    running = None
    for event in events:
        if event["event"] == "start":
            running = event["nodeid"]
        elif event["event"] == "result":
            running = None
    return running


def _attempt(children, request, originals, deadline):
    """One child's run of `request`: its events, how it ended, and its wait status (None if it
    finished). The copy's files are put back once it is gone."""
    child_process = children.spare or children.fork()
    children.spare = None
    sent = time.monotonic()
    if not child_process.send(request):  # died waiting (killed from outside): one fresh try
        child_process.retire()
        children.exiting.append(child_process.pid)
        child_process = children.fork()
        sent = time.monotonic()
        child_process.send(request)
    if children.prepared is not None:
        children.prepared.plan(request["files"])  # the next children inherit it
    children.spare = children.fork(inherited=child_process.fds())
    wait_status, events = None, []
    try:
        events, status = _collect(child_process, deadline)
    finally:
        child_process.close()
        child.kill_group(child_process.pid)
        done = bool(events) and events[-1]["event"] == "done"
        if done:
            children.exiting.append(child_process.pid)
        else:  # make sure it is gone before its files are put back
            _, wait_status = os.waitpid(child_process.pid, 0)
        for relative in request["files"]:
            with open(relative, "wb") as file:
                file.write(originals[relative])
    for event in [event for event in events if event["event"] == "pages"]:
        children.learn(event["ranges"])
        events.remove(event)
    ended = time.monotonic()
    if status == "finished" and not done:
        status = "crashed"
        if wait_status is not None and os.WIFSIGNALED(wait_status):
            status = f"crashed (signal {os.WTERMSIG(wait_status)})"
    if done:  # from the request to the child's first step, and from its last to the answer
        stages = events[-1]["stages"]
        stages["start"] = round(events[-1].pop("started") - sent, 6)
        stages["finish"] = round(ended - events[-1].pop("finished"), 6)
    return events, status, wait_status


def _collect(spare, deadline):
    """A child's events until it says it is done (or died), it exits, or `deadline`: (events,
    "finished" or "timeout")."""
    events, buffer = [], b""
    watched = spare.fds()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return events, "timeout"
        ready, _, _ = select.select(watched, [], [], remaining)
        if not ready:
            continue
        exited = spare.events_r not in ready  # its pid fd alone: read what is left, then stop
        if exited and not select.select([spare.events_r], [], [], 0)[0]:
            return events, "finished"
        chunk = os.read(spare.events_r, 65536)
        if not chunk:
            return events, "finished"
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        events += [json.loads(line) for line in lines if line]
        if events and events[-1]["event"] in ("done", "died"):
            return events, "finished"  # it leaves by itself: its exit overlaps the answer


def _private_ranges():
    """(start, end) of this process's private writable mappings: what a fork shares copy-on-write."""
    found = []
    try:
        with open("/proc/self/maps", "rb") as file:
            for line in file:
                fields = line.split()
                if len(fields) < 2 or not fields[1].startswith(b"rw") or fields[1][3:4] != b"p":
                    continue
                if len(fields) > 5 and fields[5] in (b"[stack]", b"[vvar]", b"[vsyscall]"):
                    continue
                start, end = (int(x, 16) for x in fields[0].split(b"-"))
                found.append((start, end))
    except OSError:
        pass
    return found


def _present_pages(ranges):
    """The pages of `ranges` that are in this process's private writable memory now."""
    present = []
    mapped = _private_ranges()
    lows = [low for low, _ in mapped]
    try:
        fd = os.open("/proc/self/pagemap", os.O_RDONLY)
    except OSError:
        return []
    try:
        for start, length in ranges:
            index = bisect.bisect_right(lows, start) - 1
            if index < 0 or start + length > mapped[index][1]:
                continue
            data = os.pread(fd, (length // PAGE_SIZE) * 8, (start // PAGE_SIZE) * 8)
            for index, entry in enumerate(memoryview(data).cast("Q")):
                if entry & _PRESENT:
                    present.append(start + index * PAGE_SIZE)
    except (OSError, ValueError):
        return []
    finally:
        os.close(fd)
    return present


def _written_pages():
    """The pages of this child's private mappings that are its own now (written since the fork,
    or new), as (start, length) ranges: /proc/self/pagemap's "exclusively mapped" bit."""
    pages = []
    try:
        fd = os.open("/proc/self/pagemap", os.O_RDONLY)
    except OSError:
        return []
    try:
        for start, end in _private_ranges():
            count = (end - start) // PAGE_SIZE
            data = os.pread(fd, count * 8, (start // PAGE_SIZE) * 8)
            entries = memoryview(data).cast("Q")
            for index, entry in enumerate(entries):
                if entry & _PRESENT_EXCLUSIVE == _PRESENT_EXCLUSIVE:
                    pages.append(start + index * PAGE_SIZE)
    except (OSError, ValueError):
        return []
    finally:
        os.close(fd)
    return _ranges(pages)


def _ranges(pages):
    ranges = []
    for page in pages:
        if ranges and ranges[-1][0] + ranges[-1][1] == page:
            ranges[-1][1] += PAGE_SIZE
        else:
            ranges.append([page, PAGE_SIZE])
    return ranges


def _populate(hot, request_fd):
    """Copy, before the request, the pages a child is likely to write (learnt from the first
    children: pages of the worker's private writable memory), one kernel call per range
    (MADV_POPULATE_WRITE, Linux 5.14), several times cheaper than a page fault each and done
    while the worker waits for other things; stops when the request comes."""
    if not hot or _LIBC is None:
        return
    import ctypes  # loaded with _LIBC already

    madvise = _LIBC.madvise
    for index, (start, length) in enumerate(hot):
        if index % 64 == 0 and select.select([request_fd], [], [], 0)[0]:
            return
        if madvise(ctypes.c_void_p(start), ctypes.c_size_t(length), _MADV_POPULATE_WRITE):
            return  # an older kernel: EINVAL


def main(config_path):
    with open(config_path, encoding="utf-8") as file:
        config = json.load(file)
    if not child.die_with_parent(config.get("parent")):
        os._exit(0)  # the run that started us is gone already
    if config.get("parent"):  # our session (children, what tests start) goes with us or the run
        child.guard_session((config["parent"],))
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.getcwd())  # as `python -m pytest` does: flat layouts import
    # Our own copies of the protocol's pipes: pytest's capturing takes over fds 0-2 and sys.std*.
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # pytest's terminal output, now and in every child
    os.close(devnull)
    memoise_assertion_rewriting()
    verdict = Verdict()
    prepared = None
    reason = ""
    root = os.path.realpath(os.getcwd())
    try:
        prepared = Prepared(config["args"], verdict, root)
    except BaseException as error:  # noqa: BLE001 - another pytest version, a broken conftest
        reason = repr(error)[:MESSAGE_LIMIT]
        prepared = None
    if prepared is None:
        for name in user_modules(root, keep_conftest=False):
            del sys.modules[name]
        warm_up(config["args"])
    gc.collect()
    gc.freeze()  # the children's collections skip everything loaded so far
    mode = "session" if prepared is not None else "main"
    protocol_out.write(json.dumps({"ready": True, "mode": mode, "reason": reason}) + "\n")
    protocol_out.flush()
    originals = {}
    children = Children(config, verdict, prepared)
    children.spare = children.fork()
    for line in protocol_in:
        if not line.strip():
            continue
        request = json.loads(line)
        if "limits" in request:  # settings, not a candidate: the next children inherit them
            verdict.limits = request["limits"]
            if children.spare is not None:
                children.spare.retire()
                children.exiting.append(children.spare.pid)
            children.spare = children.fork()
            continue
        answer = validate(children, request, originals)
        answer["id"] = request["id"]
        protocol_out.write(json.dumps(answer) + "\n")
        protocol_out.flush()
    children.close()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1])
