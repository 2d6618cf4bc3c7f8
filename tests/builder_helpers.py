"""Shared helpers of the builder acceptance tests (protocol, train, plans, builds, kills).

Everything here is tiny on purpose: one model trains in a fraction of a second on one
core (the machine is shared), so the tests measure behaviour, never speed.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

from nasbench.builder.protocol import PRESETS, Protocol
from nasbench.space import pnas

#: A protocol under which a B1 cell trains in well under a second on one core.
TINY = dict(epochs=1, F=4, train_size=200, val_size=100, bn_recalibration=64)

#: Columns that measure time, not results: excluded from every equality check.
RUN_TIMING = ("train_seconds", "eval_seconds")
CURVE_TIMING = ("epoch_seconds",)

RUN_KEY = ["arch_hash", "seed"]
CURVE_KEY = ["arch_hash", "seed", "epoch"]


def tiny_protocol(**changes) -> Protocol:
    return PRESETS["digits-quick"].replace(**{**TINY, **changes})


def write_protocol(path: Path, protocol: Protocol | None = None) -> Path:
    path = Path(path)
    path.write_text((protocol or tiny_protocol()).to_json())
    return path


def b1_archs(n: int, offset: int = 0) -> list[str]:
    """``n`` distinct canonical B1 arch strings, spread over the 136 (deterministic)."""
    cells = list(pnas.enumerate(1))
    assert n <= len(cells)
    step = max(1, len(cells) // n)
    return [cells[(offset + i * step) % len(cells)].canonical_string for i in range(n)]


def write_plan(path: Path, archs: list[str], header: str = "# a plan file\n\n") -> Path:
    path = Path(path)
    path.write_text(header + "\n".join(archs) + "\n")
    return path


# ------------------------------------------------------------------ tables
def read_table(out: Path, timing: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs, curves) of a table folder, sorted by key, timing columns dropped; asserts that
    no key is duplicated in either file."""
    out = Path(out)
    runs = pd.read_parquet(out / "runs.parquet")
    curves = pd.read_parquet(out / "curves.parquet")
    dup_runs = runs[runs.duplicated(RUN_KEY, keep=False)]
    assert dup_runs.empty, f"duplicate (arch_hash, seed) in {out}/runs.parquet:\n{dup_runs[RUN_KEY]}"
    dup_curves = curves[curves.duplicated(CURVE_KEY, keep=False)]
    assert dup_curves.empty, f"duplicate curve keys in {out}/curves.parquet:\n{dup_curves[CURVE_KEY]}"
    if not timing:
        runs = runs.drop(columns=list(RUN_TIMING))
        curves = curves.drop(columns=list(CURVE_TIMING))
    runs = runs.sort_values(RUN_KEY, kind="stable").reset_index(drop=True)
    curves = curves.sort_values(CURVE_KEY, kind="stable").reset_index(drop=True)
    return runs, curves


def table_keys(out: Path) -> set[tuple[str, int]]:
    runs = pd.read_parquet(Path(out) / "runs.parquet", columns=RUN_KEY)
    return {(h, int(s)) for h, s in zip(runs.arch_hash, runs.seed)}


def restrict(runs: pd.DataFrame, curves: pd.DataFrame, keys) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of (runs, curves) whose (arch_hash, seed) is in ``keys``."""
    keys = set(keys)
    r = runs[[(h, int(s)) in keys for h, s in zip(runs.arch_hash, runs.seed)]]
    c = curves[[(h, int(s)) in keys for h, s in zip(curves.arch_hash, curves.seed)]]
    return r.reset_index(drop=True), c.reset_index(drop=True)


def assert_same_results(got: Path | tuple, expected: Path | tuple, keys=None) -> None:
    """Same keys and bit-identical values in every non-timing column of runs and curves
    (NaN == NaN). ``got``/``expected`` are table folders or (runs, curves) frames."""
    g = read_table(got) if not isinstance(got, tuple) else got
    e = read_table(expected) if not isinstance(expected, tuple) else expected
    if keys is not None:
        g, e = restrict(*g, keys), restrict(*e, keys)
    g_keys = set(zip(g[0].arch_hash, g[0].seed))
    e_keys = set(zip(e[0].arch_hash, e[0].seed))
    assert g_keys == e_keys, (f"missing {sorted(e_keys - g_keys)[:5]} ({len(e_keys - g_keys)}), "
                              f"extra {sorted(g_keys - e_keys)[:5]} ({len(g_keys - e_keys)})")
    assert_frame_equal(g[0], e[0], check_exact=True, check_like=True)
    assert_frame_equal(g[1], e[1], check_exact=True, check_like=True)


# ------------------------------------------------------------------ reference builds
_REFERENCES: dict[tuple, Path] = {}


def reference_build(archs: list[str], seeds=(0,), protocol: Protocol | None = None,
                    workers: int = 2) -> Path:
    """An uninterrupted build (Python API, local backend, shard_size=1) of ``archs`` x
    ``seeds``, built once per pytest process and shared. Copy it before changing it."""
    from nasbench.builder.build import build
    from nasbench.builder.plan import from_file
    from nasbench.builder.runners import RunnerConfig

    protocol = protocol or tiny_protocol()
    key = (tuple(archs), tuple(seeds), protocol.protocol_hash, workers)
    if key not in _REFERENCES:
        root = Path(tempfile.mkdtemp(prefix="nasbench-ref-"))
        atexit.register(shutil.rmtree, root, True)
        plan_file = write_plan(root / "plan.txt", archs)
        summary = build(from_file(plan_file, list(seeds)), protocol, root / "out",
                        RunnerConfig(workers=workers), shard_size=1, progress=False)
        assert summary.trained == len(archs) * len(seeds), summary
        assert summary.failed == 0 and summary.skipped == 0, summary
        _REFERENCES[key] = root / "out"
    return _REFERENCES[key]


def copy_build(src: Path, dst: Path) -> Path:
    """A copy of a build folder (shards, manifest, table) without its lock file."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".build.lock"))
    return dst


# ------------------------------------------------------------------ subprocess builds
#: A build through the Python API, so a test can ask for ``shard_size=1``. The
#: ``__main__`` guard matters: the local runner's spawn workers re-import this file.
BUILD_SCRIPT = textwrap.dedent('''
    import sys

    from nasbench.builder.build import build
    from nasbench.builder.plan import from_file
    from nasbench.builder.protocol import get_protocol
    from nasbench.builder.runners import RunnerConfig

    if __name__ == "__main__":
        plan_file, protocol, out, workers, shard_size, seeds, backend = sys.argv[1:8]
        plan = from_file(plan_file, [int(s) for s in seeds.split(",")])
        summary = build(plan, get_protocol(protocol), out, RunnerConfig(backend=backend, workers=int(workers)),
                        shard_size=int(shard_size), progress=False)
        print("SUMMARY", summary.planned, summary.skipped, summary.trained, summary.failed, flush=True)
''')


def write_build_script(folder: Path) -> Path:
    path = Path(folder) / "build_script.py"
    path.write_text(BUILD_SCRIPT)
    return path


def start_build(folder: Path) -> tuple[subprocess.Popen, Path, Path]:
    """(process, out, plan file) of a build of the shared plan (2 workers, shard_size=1)
    through :data:`BUILD_SCRIPT`, in its own session, its output piped as text."""
    plan_file = write_plan(Path(folder) / "plan.txt", PLAN_ARCHS)
    protocol_file = write_protocol(Path(folder) / "protocol.json")
    out = Path(folder) / "out"
    proc = subprocess.Popen(
        [PYTHON, str(write_build_script(folder)), str(plan_file), str(protocol_file), str(out), "2", "1",
         ",".join(map(str, PLAN_SEEDS)), "local"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=python_env(), start_new_session=True)
    return proc, out, plan_file


def shard_count(out: Path) -> int:
    folder = Path(out) / "shards"
    return len(list(folder.glob("shard-*.json"))) if folder.is_dir() else 0


def kill_group(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGKILL the whole process group of ``proc`` (started with start_new_session=True)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=timeout)
    # the group's other members (pool workers, resource tracker) die with it; wait until
    # none is left running so the next builder never races a dying worker
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and group_alive(proc.pid):
        time.sleep(0.05)


def group_alive(pgid: int) -> bool:
    """Whether a non-zombie process of group ``pgid`` is left."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def descendants(pid: int) -> list[int]:
    """PIDs of every live descendant of ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def python_env() -> dict:
    """The environment for child Pythons: one thread each (the machine is shared)."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    return env


PYTHON = sys.executable


#: The plan shared by the builder, kill, corrupt-shard and Ray tests (one reference build
#: per pytest process): 15 B1 cells x 2 seeds = 30 tiny models.
PLAN_ARCHS = b1_archs(15)
PLAN_SEEDS = (0, 1)
