"""Benchmark: omnicx attribution against ChannelAttribution and marketing-attribution-models, in one run.

    python bench/attribution.py                 # 1,000,000 paths, best of 3
    python bench/attribution.py --rows 100000 --repeat 1

Seeded synthetic paths (12 channels, 1 to 10 touches, Poisson conversions and nulls, gamma values) are written
once to a temporary folder; every (tool, task) then runs in its own fresh Python process, so that its peak
resident memory (`ru_maxrss`) is its own. Each process first loads the paths (not timed: its baseline memory),
then times the task `--repeat` times and keeps the best wall-clock time.

What is timed, from the same path strings for every tool:
    heuristics   omnicx: PathSet.from_strings + first, last and linear touch (conversions and value)
                 ChannelAttribution: heuristic_models (first, last, linear; conversions and value)
                 marketing-attribution-models: MAM(...) + run_first_click, run_last_click, run_linear
    markov k     omnicx: PathSet.from_strings + exact markov(order=k) (credits, removal effects, matrix)
                 ChannelAttribution: markov_model(order=k, out_more=True), its defaults otherwise
                 marketing-attribution-models: MAM(...) + run_markov() (order 1 only)

Targets: exact Markov at least 3x faster than each peer, heuristics at least 5x faster than each peer.
The ratio printed is peer seconds / omnicx seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CHANNELS = (
    "paid_search",
    "organic_search",
    "email",
    "display",
    "social",
    "direct",
    "referral",
    "affiliate",
    "video",
    "sms",
    "push",
    "podcast",
)
TOOLS = ("omnicx", "channelattribution", "mam")
TASKS = ("heuristics", "markov-1", "markov-2", "markov-3")
TARGETS = {"heuristics": 5.0, "markov-1": 3.0, "markov-2": 3.0, "markov-3": 3.0}


@dataclass(frozen=True)
class Data:
    paths: list[str]
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray


def generate(rows: int, seed: int) -> Data:
    """Paths of 1-10 touches over 12 channels with uneven popularity; every path has conversions or nulls."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 11, rows)
    popularity = rng.dirichlet(np.full(len(CHANNELS), 2.0))
    touches = rng.choice(len(CHANNELS), int(lengths.sum()), p=popularity)
    names = np.array(CHANNELS, dtype=object)[touches]
    bounds = np.concatenate(([0], np.cumsum(lengths)))
    paths = [" > ".join(names[bounds[i] : bounds[i + 1]]) for i in range(rows)]
    conversions = rng.poisson(0.3, rows).astype(np.float64)
    nulls = rng.poisson(1.5, rows).astype(np.float64)
    nulls[(conversions + nulls) == 0] = 1.0
    value = np.round(conversions * rng.gamma(2.0, 25.0, rows), 2)
    return Data(paths, conversions, value, nulls)


def save(data: Data, folder: Path) -> None:
    (folder / "paths.txt").write_text("\n".join(data.paths), encoding="utf-8")
    np.savez(folder / "counts.npz", conversions=data.conversions, value=data.value, nulls=data.nulls)


def load(folder: Path) -> Data:
    counts = np.load(folder / "counts.npz")
    paths = (folder / "paths.txt").read_text(encoding="utf-8").split("\n")
    return Data(paths, counts["conversions"], counts["value"], counts["nulls"])


# ---- one (tool, task) per process ------------------------------------------------------------------------


def prepare_omnicx(data: Data, task: str) -> Callable[[], object]:
    from omnicx.attribution.engine import PathSet, first_touch, last_touch, linear, markov

    def build() -> PathSet:
        return PathSet.from_strings(
            data.paths, conversions=data.conversions, value=data.value, nulls=data.nulls
        )

    def heuristics() -> object:
        paths = build()
        return [first_touch(paths), last_touch(paths), linear(paths)]

    if task == "heuristics":
        return heuristics
    order = int(task.split("-")[1])
    return lambda: markov(build(), order=order)


def prepare_channelattribution(data: Data, task: str) -> Callable[[], object]:
    import pandas as pd
    from ChannelAttribution import heuristic_models, markov_model

    frame = pd.DataFrame(
        {
            "path": data.paths,
            "total_conversions": data.conversions.astype(np.int64),
            "total_conversion_value": data.value,
            "total_null": data.nulls.astype(np.int64),
        }
    )
    if task == "heuristics":
        return lambda: heuristic_models(
            frame, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
        )
    order = int(task.split("-")[1])
    return lambda: markov_model(
        frame,
        "path",
        "total_conversions",
        var_value="total_conversion_value",
        var_null="total_null",
        order=order,
        out_more=True,
        verbose=False,
        flg_pro=False,
    )


def prepare_mam(data: Data, task: str) -> Callable[[], object] | None:
    if task not in ("heuristics", "markov-1"):
        return None  # order 1 only
    import polars as pl
    from mam.core import MAM

    converting, lost = data.conversions > 0, data.nulls > 0
    paths = np.array(data.paths, dtype=object)
    grouped = pl.concat(
        [
            pl.DataFrame(
                {"journey": paths[converting].tolist(), "converted": True, "n": data.conversions[converting]}
            ),
            pl.DataFrame({"journey": paths[lost].tolist(), "converted": False, "n": data.nulls[lost]}),
        ]
    ).with_columns(pl.col("n").cast(pl.Int64))

    def model() -> MAM:
        return MAM(
            df=grouped,
            format_type="grouped_journey",
            channels_colname="journey",
            journey_with_conv_colname="converted",
            occurrences_colname="n",
        )

    def heuristics() -> object:
        built = model()
        return [built.run_first_click(), built.run_last_click(), built.run_linear()]

    return heuristics if task == "heuristics" else lambda: model().run_markov()


PREPARE: dict[str, Callable[[Data, str], Callable[[], object] | None]] = {
    "omnicx": prepare_omnicx,
    "channelattribution": prepare_channelattribution,
    "mam": prepare_mam,
}


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_phase(folder: Path, tool: str, task: str, repeat: int, out: Path) -> None:
    """Child process: load, prepare, time `repeat` runs, write seconds and memory as JSON."""
    data = load(folder)
    job = PREPARE[tool](data, task)
    if job is None:
        out.write_text(json.dumps(None))
        return
    baseline = resident_mb()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(
        json.dumps({"seconds": min(times), "all": times, "peak_mb": peak, "baseline_mb": baseline})
    )


# ---- parent: orchestrate and report ----------------------------------------------------------------------


def measure(folder: Path, tool: str, task: str, repeat: int) -> dict[str, Any] | None:
    out = folder / f"{tool}-{task}.json"
    command = [
        sys.executable,
        __file__,
        "--phase",
        tool,
        task,
        "--data",
        str(folder),
        "--repeat",
        str(repeat),
    ]
    done = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  {tool} {task} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] | None = json.loads(out.read_text())
    return result


def report(results: dict[tuple[str, str], dict[str, Any] | None], rows: int, repeat: int) -> bool:
    print(
        f"\n{rows:,} paths, best of {repeat}; ratio = peer seconds / omnicx seconds; memory = peak RSS (MB)"
    )
    print("(each in its own process, above a baseline of the loaded paths)\n")
    header = f"{'task':<11}{'tool':<20}{'seconds':>9}{'ratio':>9}{'peak MB':>9}{'+MB':>8}  target"
    print(header)
    print("-" * len(header))
    all_met = True
    asked = [task for task in TASKS if any(key[1] == task for key in results)]
    tools = [tool for tool in TOOLS if any(key[0] == tool for key in results)]
    for task in asked:
        ours = results.get(("omnicx", task))
        for tool in tools:
            got = results.get((tool, task))
            if got is None:
                not_offered = tool == "mam" and task != "markov-1" and task != "heuristics"
                all_met &= not_offered
                note = "n/a (order 1 only)" if not_offered else "failed (see above)"
                print(f"{task:<11}{tool:<20}{'-':>9}{'-':>9}{'-':>9}{'-':>8}  {note}")
                continue
            ratio, verdict = "", ""
            if tool != "omnicx" and ours is not None:
                speedup = got["seconds"] / ours["seconds"]
                met = speedup >= TARGETS[task]
                all_met &= met
                ratio = f"{speedup:.1f}x"
                verdict = f">= {TARGETS[task]:.0f}x {'met' if met else 'NOT met'}"
            extra = got["peak_mb"] - got["baseline_mb"]
            print(
                f"{task:<11}{tool:<20}{got['seconds']:>9.3f}{ratio:>9}{got['peak_mb']:>9.0f}{extra:>8.0f}  {verdict}"
            )
        print()
    print("all targets met" if all_met else "some targets NOT met")
    return all_met


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--phase", nargs=2, metavar=("TOOL", "TASK"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run_phase(args.data, args.phase[0], args.phase[1], args.repeat, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="omnicx-bench-") as tmp:
        folder = Path(tmp)
        print(f"generating {args.rows:,} paths (seed {args.seed})...", flush=True)
        save(generate(args.rows, args.seed), folder)
        results: dict[tuple[str, str], dict[str, Any] | None] = {}
        for task in args.tasks:
            for tool in args.tools:
                print(f"  {task:<11} {tool}...", flush=True)
                results[(tool, task)] = measure(folder, tool, task, args.repeat)
        met = report(results, args.rows, args.repeat)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
