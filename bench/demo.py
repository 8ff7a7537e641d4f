"""Demo benchmark: how fast a new user sees omnicx, exactly as the README tells them to start it.

    python bench/demo.py                    # small: seconds from `omnicx demo --size small --no-live` to an answer
    python bench/demo.py --sizes small,medium

For each size, in a fresh data directory: the seconds from starting `omnicx demo --size SIZE --no-live` to the
first `200` from `/readyz` (the server comes up first and seeds the world behind it), the seconds until it prints
that the world is seeded, and the seconds each seeding phase took (the command's own summary). Targets: every
size answers within 10 s of the command starting; the world is seeded within 30 s (small), 60 s (the default,
medium) or 300 s (large) by the command's "Seeded in" total. The ratio printed is target / measured (above 1
means the target is met).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

import httpx

ANSWER_TARGET = 10.0  # seconds from the command's start to the first 200, whatever the size
SEEDED_TARGETS = {"small": 30.0, "medium": 60.0, "large": 300.0}  # the command's "Seeded in" total
SEEDED = re.compile(r"Seeded in ([0-9.]+) s \(([^)]*)\)")
SIGNIN = re.compile(r"^signin (\w+) ")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_to_answer(size: str) -> tuple[float, float, list[str]]:
    """Start the demo in a fresh data directory; seconds until it answers, until its world is seeded, and what
    it printed."""
    port = _port()
    with tempfile.TemporaryDirectory(prefix="omnicx-bench-demo-") as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMNICX_")}
        env["OMNICX_DATA_DIR"] = data_dir
        command = [str(Path(sys.executable).parent / "omnicx"), "demo", "--size", size, "--no-live"]
        started = time.monotonic()
        process = subprocess.Popen(
            [*command, "--port", str(port), "--providers-port", str(_port())],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output: list[str] = []
        seeded = threading.Event()
        assert process.stdout is not None
        threading.Thread(target=_read, args=(process.stdout, output, seeded), daemon=True).start()
        try:
            answered = _answered(process, port, output) - started
            while not seeded.wait(0.5):
                if process.poll() is not None:
                    raise SystemExit("omnicx demo exited:\n" + "".join(output))
            return answered, time.monotonic() - started, output
        finally:
            process.terminate()
            process.wait(timeout=30)


def _answered(process: subprocess.Popen[str], port: int, output: list[str]) -> float:
    """When `/readyz` first answered 200 (monotonic clock)."""
    while process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("omnicx demo exited:\n" + "".join(output))


def _read(stream: IO[str], output: list[str], seeded: threading.Event) -> None:
    for line in stream:
        output.append(line)
        if line.strip() == "seeded":
            seeded.set()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="small", help="comma-separated: small, medium, large")
    args = parser.parse_args()
    rows = []
    for size in args.sizes.split(","):
        print(f"  omnicx demo --size {size} --no-live ...", flush=True)
        answered, ready, output = time_to_answer(size)
        found = SEEDED.search(" ".join(line.strip() for line in output))
        seeded = float(found.group(1)) if found else float("nan")
        rows.append((size, answered, ready, seeded, found.group(2) if found else ""))
    print("\nsize      answered after  target  ratio   seeded in  target  ratio   world ready after")
    for size, answered, ready, seeded, phases in rows:
        target = SEEDED_TARGETS[size]
        print(
            f"{size:<9} {answered:>10.1f} s  {ANSWER_TARGET:>4.0f} s  {ANSWER_TARGET / answered:>4.2f}x "
            f"{_verdict(answered, ANSWER_TARGET)}  {seeded:>7.1f} s  {target:>4.0f} s  {target / seeded:>4.2f}x "
            f"{_verdict(seeded, target)}  {ready:>7.1f} s"
        )
        print(f"          phases: {phases}")


def _verdict(measured: float, target: float) -> str:
    return "met   " if measured <= target else "MISSED"


if __name__ == "__main__":
    main()
