"""Several experiments × seeds side by side on one host, each evaluated, then mean ± sd.

    python -m training.seeds --plan call1 --out $OUT/seeds [--parallel 4] [--minutes 9]

A plan (PLANS below) lists jobs: an experiment, its seeds, what it starts from (another job's
best checkpoint of the same seed, as Exp 2 starts from Exp 1's, or a file) and its evaluations.
Each run is a process of its own (`training.seed_run`); at most `--parallel` run at once, the
first ready run of the plan's order next. Every run's training gets `max_minutes` so that it ends,
and is evaluated, before `--minutes` have passed; a run still going then is stopped. What comes
back is four files at most under `--out`: `runs.json` (every run: settings, per-epoch metrics,
held-out tables), `aggregate.json` (mean ± sd per job, evaluation and level), `log.txt`, and
`NAME.bundle.tar` per `--bundle RUN=NAME` (a `training.bundle` of that run). Run folders (with
checkpoints) stay under `--work`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from training.seed_stats import aggregate


@dataclass(frozen=True)
class Job:
    name: str
    experiment: str
    seeds: tuple[int, ...] = (0, 1, 2)
    init_from: str = ""  # a job's name: start from its best.pt of the same seed
    init: str = ""  # or a checkpoint file
    overrides: tuple[str, ...] = ()
    first_step_feedback: tuple[bool | None, ...] = (None,)  # evaluations (training.seed_run)
    policies: tuple[str, ...] = ()  # round policies beyond safe and raw (training.variants syntax)


BOTH_WAYS = (False, True)  # one-shot without feedback at round 0 (the log's way), then with it
# the round rule chosen on the development split (training/RESULTS.md, "Iterative ≥ one-shot")
FREEZE = ("freeze:keep=all,freeze=1",)
PLANS: dict[str, tuple[Job, ...]] = {
    # the plan's order is the order runs start in: long runs first, a run waiting for its
    # starting checkpoint (exp2) takes the next free slot once that is there
    "call1": (
        Job("exp1", "exp1", policies=FREEZE),
        Job("exp3", "exp3", first_step_feedback=BOTH_WAYS, policies=FREEZE),
        Job("exp2", "exp2", init_from="exp1", policies=FREEZE),
    ),
    "call2": (
        Job("exp3c", "exp3c", first_step_feedback=BOTH_WAYS, policies=FREEZE),
        Job("exp3b", "exp3b", policies=FREEZE),
        Job("exp2_from_bundled", "exp2", seeds=(0,), init="models/exp1.pt", policies=FREEZE),
    ),
    # not recommended (a CPU pilot of 8 epochs did not help, RESULTS.md): Exp 1 fine-tuned on its
    # own 5-round trajectories (scheduled sampling at 1.0 from the start), tests rerun each round
    "own_rounds": (
        Job(
            "exp1_own_rounds",
            "exp1",
            init="models/exp1.pt",
            overrides=(
                "lr=0.0001",
                "epochs=20",
                "trajectory_steps=5",
                "sampling_warmup=0.0",
                "sampling_max=1.0",
            ),
            policies=FREEZE,
        ),
    ),
}
PLANS["smoke"] = tuple(replace(job, seeds=(0, 1)) for job in PLANS["call1"])
TINY = (
    "epochs=2 train_samples=4 val_samples=2 batch_size=4 hidden=16 depth=1 workers=1 "
    "val_corruptions=1 trajectory_steps=2"
).split()


@dataclass
class Run:
    id: str
    job: Job
    seed: int
    spec: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    status: str = "waiting"  # waiting, running, done, failed, killed, not_started


def plan_runs(jobs: tuple[Job, ...]) -> list[Run]:
    return [Run(f"{job.name}.s{seed}", job, seed) for job in jobs for seed in job.seeds]


class Runner:
    def __init__(self, runs: list[Run], args: argparse.Namespace):
        self.runs, self.args = runs, args
        self.deadline = time.time() + args.minutes * 60
        self.out, self.work = Path(args.out), Path(args.work)
        self.out.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        self.log_path = self.out / "log.txt"

    def say(self, line: str) -> None:
        left = self.deadline - time.time()
        with self.log_path.open("a") as log:
            log.write(f"{time.strftime('%H:%M:%S')} [{left:5.0f}s left] {line}\n")
        print(line, file=sys.stderr, flush=True)

    def by_id(self, run_id: str) -> Run | None:
        return next((run for run in self.runs if run.id == run_id), None)

    def ready(self, run: Run) -> bool | None:
        """True: can start; False: waits for its parent; None: never (its parent failed)."""
        if not run.job.init_from:
            return True
        parent = self.by_id(f"{run.job.init_from}.s{run.seed}")
        if parent is None or parent.status in ("failed", "killed", "not_started"):
            return None
        return parent.status == "done"

    def start(self, run: Run) -> None:
        args, folder = self.args, self.work / run.id
        variants = len(run.job.first_step_feedback)
        budget = self.deadline - time.time() - args.setup_seconds - variants * args.eval_seconds
        init = run.job.init
        if run.job.init_from:
            init = str(self.work / f"{run.job.init_from}.s{run.seed}" / "best.pt")
        run.spec = {
            "id": run.id,
            "folder": str(folder),
            "experiment": run.job.experiment,
            "seed": run.seed,
            "init": init,
            "overrides": [*run.job.overrides, *args.set],
            "max_minutes": budget / 60,
            "first_step_feedback": list(run.job.first_step_feedback),
            "policies": list(run.job.policies),
            "threads": args.threads,
            "evaluation": {
                "iterations": args.eval_iterations,
                "per_program": args.eval_per_program,
                "programs": args.eval_programs,
                "workers": args.eval_workers,
            },
        }
        if budget / 60 < args.min_train_minutes:
            run.status = "not_started"
            self.say(f"{run.id}: not started, {budget:.0f} s of training time left")
            return
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "training.seed_run", json.dumps(run.spec)]
        with (folder / "process.log").open("w") as output:
            run.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        run.status = "running"
        self.say(f"{run.id}: started (training at most {budget / 60:.1f} min, init {init or '-'})")

    def finish(self, run: Run, killed: bool = False) -> None:
        code = run.process.wait() if not killed else None
        result = self.result(run)
        if killed:
            run.status = "killed"
        else:
            run.status = "done" if code == 0 and result.get("status") == "done" else "failed"
        self.say(
            f"{run.id}: {run.status} (exit {code}), epochs {result.get('epochs_run', '?')}"
            f"/{result.get('epochs_planned', '?')}, evaluations {list(result.get('evaluations', {}))}"
        )
        self.save()

    def result(self, run: Run) -> dict:
        path = self.work / run.id / "result.json"
        result = json.loads(path.read_text()) if path.is_file() else {}
        tail = self.work / run.id / "process.log"
        if tail.is_file():
            result["log_tail"] = tail.read_text(errors="replace")[-3000:]
        train_log = self.work / run.id / "train.log"
        if train_log.is_file():
            result["train_log_tail"] = train_log.read_text(errors="replace")[-2000:]
        return result

    def records(self) -> list[dict]:
        records = []
        for run in self.runs:
            record = self.result(run) if run.status != "waiting" else {}
            record.update(
                id=run.id,
                job=run.job.name,
                experiment=run.job.experiment,
                seed=run.seed,
                status=run.status,
                spec=run.spec or record.get("spec", {}),
            )
            records.append(record)
        return records

    def save(self) -> None:
        records = self.records()
        meta = {"commit": self.args.commit, "plan": self.args.plan, "settings": vars(self.args)}
        _write_json(self.out / "runs.json", {**meta, "runs": records})
        _write_json(self.out / "aggregate.json", {**meta, "jobs": aggregate(records)})

    def loop(self) -> None:
        self.say(f"plan {self.args.plan}: {len(self.runs)} runs, {self.args.parallel} at a time")
        while True:
            for run in self.runs:
                if run.status == "running" and run.process.poll() is not None:
                    self.finish(run)
            if time.time() > self.deadline - self.args.kill_margin:
                for run in self.runs:
                    if run.status == "running":
                        _kill(run.process)
                        self.finish(run, killed=True)
                break
            for run in self.runs:
                if run.status == "waiting" and self.ready(run) is None:
                    run.status = "not_started"
                    self.say(f"{run.id}: not started, its starting run did not finish")
            running = sum(run.status == "running" for run in self.runs)
            for run in self.runs:
                if running >= self.args.parallel:
                    break
                if run.status == "waiting" and self.ready(run):
                    self.start(run)
                    running += run.status == "running"
            if all(run.status not in ("waiting", "running") for run in self.runs):
                break
            time.sleep(1.0)
        for run in self.runs:
            if run.status == "waiting":
                run.status = "not_started"
        self.save()
        for spec in self.args.bundle:
            self.bundle(spec)
        self.say("finished: " + ", ".join(f"{run.id} {run.status}" for run in self.runs))

    def bundle(self, spec: str) -> None:
        run_id, _, name = spec.partition("=")
        run = self.by_id(run_id)
        if run is None or run.status != "done":
            self.say(f"bundle {run_id}: not bundled, the run is {run and run.status}")
            return
        from training.bundle import bundle

        with tempfile.TemporaryDirectory() as models:
            bundle(self.work / run_id, name, Path(models), self.args.commit)
            with tarfile.open(self.out / f"{name}.bundle.tar", "w") as archive:
                archive.add(models, arcname=".")
        self.say(f"bundle {run_id}: {name}.bundle.tar")


def _kill(process: subprocess.Popen) -> None:
    """Stop a run and the worker processes it started (its own process group)."""
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, 9)
        except ProcessLookupError:
            pass
        process.wait()


def _write_json(path: Path, payload: dict) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload, indent=1, default=str))
    os.replace(temporary, path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", choices=sorted(PLANS), required=True)
    parser.add_argument("--only", default="", help="comma-separated run ids or job names")
    parser.add_argument("--out", required=True, help="where the (at most 4) result files go")
    parser.add_argument("--work", default="runs/seeds", help="run folders with checkpoints")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=9.0, help="wall-clock limit of it all")
    parser.add_argument("--set", action="append", default=[], help="key=value for every run")
    parser.add_argument("--tiny", action="store_true", help="a tiny schedule, to test the plan")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per run")
    parser.add_argument("--setup-seconds", type=float, default=40.0)
    parser.add_argument("--eval-seconds", type=float, default=90.0, help="per evaluation")
    parser.add_argument("--min-train-minutes", type=float, default=1.0)
    parser.add_argument("--kill-margin", type=float, default=15.0)
    parser.add_argument("--eval-iterations", type=int, default=5)
    parser.add_argument("--eval-per-program", type=int, default=3)
    parser.add_argument("--eval-programs", type=int, default=0, help="first N held-out (0: all)")
    parser.add_argument("--eval-workers", type=int, default=7)
    parser.add_argument("--bundle", action="append", default=[], help="RUN_ID=NAME")
    parser.add_argument("--commit", default="", help="the commit of the code (for the record)")
    args = parser.parse_args(argv)
    if args.tiny:
        args.set = [*TINY, *args.set]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    runs = plan_runs(PLANS[args.plan])
    if args.only:
        wanted = set(args.only.split(","))
        runs = [run for run in runs if run.id in wanted or run.job.name in wanted]
    Runner(runs, args).loop()


if __name__ == "__main__":
    main()
