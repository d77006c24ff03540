#!/usr/bin/env python3
"""Runs the workspace's test binaries in two lanes side by side, as `cargo test` would run
them one after another.

The DynamoDB suites spend most of their time waiting for moto, which serves one request
at a time, so one lane runs the `nubes-runtime` binaries against a moto server of its own
(NUBES_MOTO_PORT=5056) while the other lane runs everything else against the default one.

    scripts/test_lanes.py ARTIFACTS

ARTIFACTS is the output of `cargo test --no-run --message-format=json-render-diagnostics`.
Each binary runs in its package's directory, as under `cargo test`. The first lane's
output streams; the second lane's is printed when it ends. The exit status is 1 when any
binary failed, and the failed ones are named at the end.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The package that gets a lane of its own (by its directory), and that lane's moto port.
OWN_LANE_PACKAGE = "runtime"
OWN_LANE_MOTO_PORT = "5056"


def test_binaries(artifacts_path):
    """(package dir, target, kind, absolute package dir, executable) of every test binary,
    sorted; the package dir is relative to the repository."""
    binaries = []
    with open(artifacts_path, encoding="utf-8") as artifacts:
        for line in artifacts:
            line = line.strip()
            if not line.startswith("{"):
                continue
            message = json.loads(line)
            if message.get("reason") != "compiler-artifact":
                continue
            if not message.get("profile", {}).get("test") or not message.get("executable"):
                continue
            target = message["target"]
            manifest_dir = Path(message["manifest_path"]).parent
            package = os.path.relpath(manifest_dir, ROOT)
            kind = ",".join(target["kind"])
            binaries.append(
                (package, target["name"], kind, str(manifest_dir), message["executable"])
            )
    return sorted(set(binaries))


def run_lane(binaries, env, out, failures, lock):
    """Runs `binaries` one after another, writing their output to `out`."""
    for package, target, kind, directory, executable in binaries:
        relative = os.path.relpath(executable, ROOT)
        out.write(f"     Running {package}: {kind} {target} ({relative})\n")
        out.flush()
        result = subprocess.run(
            [executable], cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        if result.returncode != 0:
            with lock:
                failures.append(f"{package}: {kind} {target} (exit {result.returncode})")


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binaries = test_binaries(sys.argv[1])
    if not binaries:
        print("scripts/test_lanes.py: no test binaries in the artifacts", file=sys.stderr)
        return 1
    own = [b for b in binaries if b[0] == OWN_LANE_PACKAGE]
    rest = [b for b in binaries if b[0] != OWN_LANE_PACKAGE]
    own_env = dict(os.environ, NUBES_MOTO_PORT=OWN_LANE_MOTO_PORT)
    failures = []
    lock = threading.Lock()
    log_path = ROOT / "target" / "test-lane-runtime.log"
    with open(log_path, "w", encoding="utf-8") as log:
        own_lane = threading.Thread(
            target=run_lane, args=(own, own_env, log, failures, lock)
        )
        own_lane.start()
        run_lane(rest, dict(os.environ), sys.stdout, failures, lock)
        own_lane.join()
    sys.stdout.write(f"\n== the {OWN_LANE_PACKAGE} lane (moto on port {OWN_LANE_MOTO_PORT})\n")
    sys.stdout.write(log_path.read_text(encoding="utf-8", errors="replace"))
    sys.stdout.flush()
    ran = len(binaries)
    if failures:
        print(f"\nscripts/test: {len(failures)} of {ran} test binaries failed:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"\nscripts/test: all {ran} test binaries passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
