"""Demo benchmark: how fast a new user sees omnicx, exactly as the README tells them to start it.

    python bench/demo.py                    # small: seconds from `omnicx demo --size small --no-live` to an answer
    python bench/demo.py --sizes small,medium

For each size, in a fresh data directory: the seconds from starting `omnicx demo --size SIZE --no-live` to the
first `200` from `/readyz`, and the seconds each seeding phase took (the command's own summary). Targets: the
small demo answers within 30 s of the command starting; the default (medium) world is seeded within 60 s (the
command's "Seeded in" total; migrating and starting the server add a few seconds before it answers). The ratio
printed is target / measured (above 1 means the target is met).
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

import httpx

# size -> (what the target measures, seconds): "answer" is the time to the first 200, "seeded" the seeding total.
TARGETS = {"small": ("answer", 30.0), "medium": ("seeded", 60.0), "large": ("seeded", 300.0)}
SEEDED = re.compile(r"Seeded in ([0-9.]+) s \(([^)]*)\)")
SIGNIN = re.compile(r"^signin (\w+) ")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_to_answer(size: str) -> tuple[float, list[str]]:
    """Start the demo in a fresh data directory; seconds until it answers, and what it printed."""
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
        assert process.stdout is not None
        threading.Thread(target=output.extend, args=(process.stdout,), daemon=True).start()
        try:
            while process.poll() is None:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        return time.monotonic() - started, output
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            raise SystemExit("omnicx demo exited:\n" + "".join(output))
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="small", help="comma-separated: small, medium, large")
    args = parser.parse_args()
    rows = []
    for size in args.sizes.split(","):
        print(f"  omnicx demo --size {size} --no-live ...", flush=True)
        answered, output = time_to_answer(size)
        found = SEEDED.search(" ".join(line.strip() for line in output))
        seeded = float(found.group(1)) if found else float("nan")
        rows.append((size, answered, seeded, found.group(2) if found else ""))
    print("\nsize      answered after   seeded in   target            ratio")
    for size, answered, seeded, phases in rows:
        kind, target = TARGETS[size]
        measured = answered if kind == "answer" else seeded
        verdict = "met" if measured <= target else "MISSED"
        print(
            f"{size:<9} {answered:>10.1f} s   {seeded:>7.1f} s   {kind} {target:>4.0f} s   "
            f"{target / measured:>4.2f}x  {verdict}"
        )
        print(f"          phases: {phases}")


if __name__ == "__main__":
    main()
