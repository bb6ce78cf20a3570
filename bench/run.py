"""Run the benchmark: cold, warm and one-file-changed times, lines per second, peak memory,
and whether the findings equal the planted bugs. Works on any tree (`--tree PATH`); the
planted check needs a tree made by `generate.py`.

    python bench/run.py                       # generates bench/generated/monorepo if missing
    python bench/run.py --tree ~/src/some-monorepo
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".py")


def count_lines(tree: str) -> int:
    total = 0
    for directory, subdirectories, files in os.walk(tree):
        subdirectories[:] = [d for d in subdirectories if d not in ("node_modules", ".git", ".queuelint_cache")]
        for name in files:
            if name.endswith(SUFFIXES):
                with open(os.path.join(directory, name), "rb") as handle:
                    total += handle.read().count(b"\n")
    return total


def run(tree: str, *extra: str) -> tuple[float, int, list[dict[str, object]]]:
    """Seconds, peak RSS of this run in MB, and the findings."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "queuelint", "check", ".", "--output-format", "json", "--exit-zero",
                           *extra], cwd=tree, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"queuelint failed ({done.returncode}):\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return elapsed, peak, json.loads(done.stdout)


def queuelint_path() -> str:
    done = subprocess.run([sys.executable, "-c", "import queuelint; print(queuelint.__file__)"], check=True,
                          capture_output=True, text=True)
    return done.stdout.strip()


def _first(tree: str, wanted: Callable[[str], bool]) -> str | None:
    for directory, subdirectories, files in sorted(os.walk(tree)):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            if wanted(name):
                return os.path.join(directory, name)
    return None


def _with_finding(tree: str, findings: list[dict[str, object]], name: str) -> str | None:
    paths = sorted(str(f["path"]) for f in findings if os.path.basename(str(f["path"])) == name)
    return os.path.join(tree, paths[0]) if paths else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", help="a tree to measure (default: the generated monorepo)")
    parser.add_argument("--lines", type=int, default=1_000_000, help="size of the generated monorepo")
    parser.add_argument("--jobs", default=str(os.cpu_count() or 1))
    args = parser.parse_args()
    tree = args.tree or os.path.join(HERE, "generated", "monorepo")
    if args.tree is None and not os.path.exists(os.path.join(tree, "planted.json")):
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "--lines", str(args.lines), "--out", tree],
                       check=True)
    # Bytecode, as an installed queuelint has it (pip compiles it at install time); otherwise
    # every run would pay for compiling queuelint's own modules.
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(queuelint_path())], check=True,
                   capture_output=True)
    shutil.rmtree(os.path.join(tree, ".queuelint_cache"), ignore_errors=True)
    lines = count_lines(tree)
    jobs = ("--jobs", args.jobs)
    cold, cold_peak, findings = run(tree, *jobs)
    warm, warm_peak, warm_findings = run(tree, *jobs)
    peaks = [cold_peak, warm_peak]
    print(f"tree: {tree}")
    print(f"lines: {lines:,}  jobs: {args.jobs}")
    print(f"cold: {cold:.2f} s ({lines / cold:,.0f} lines/s)")
    print(f"warm: {warm:.2f} s")
    # One file changed, six ways: a file without queue code (most commits), a comment in a
    # queue file (its facts stay the same), in a module queue code imports names from, and in
    # a Python task file (parsed by libcst), a line added above queue code (the facts move:
    # findings follow them) and a job name changed (a new analysis, from cached facts). Each
    # answer is checked against a run without any cache.
    # A producer with a finding, so that moving its code moves a finding.
    producer = _with_finding(tree, findings, "producer.ts") or _first(tree, lambda name: name == "producer.ts")
    edits: list[tuple[str, str | None, Callable[[str], str]]] = [
        ("one file changed (no queue code)", _first(tree, lambda name: name.startswith("module")),
         lambda text: text + "// edited\n"),
        ("one file changed (comment in a queue file)", producer, lambda text: text + "// edited\n"),
        ("one file changed (comment in an imported module)", _first(tree, lambda name: name == "names.ts"),
         lambda text: "// edited\n" + text),
        ("one file changed (comment in a Python task file)", _first(tree, lambda name: name == "tasks.py"),
         lambda text: text + "# edited\n"),
        ("one file changed (queue code moved)", producer, lambda text: "\n" + text),
        ("one file changed (a job name changed)", producer,
         lambda text: text.replace("JobName.Import", "JobName.Export", 1)),
    ]
    for label, path, transform in edits:
        if path is None:
            continue
        with open(path, encoding="utf-8") as handle:
            original = handle.read()
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(transform(original))
            seconds, peak, changed_findings = run(tree, *jobs)
            peaks.append(peak)
            _, _, expected = run(tree, *jobs, "--no-cache")
            print(f"{label}: {seconds:.2f} s ({len(changed_findings)} findings, "
                  f"same as without cache: {changed_findings == expected})")
        finally:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(original)
        run(tree, *jobs)  # back to the original
    print(f"peak memory: {max(peaks)} MB")
    print(f"findings: {len(findings)} (warm run agrees: {findings == warm_findings})")
    planted_file = os.path.join(tree, "planted.json")
    if os.path.exists(planted_file):
        with open(planted_file, encoding="utf-8") as handle:
            planted = {(p["path"], p["line"], p["code"]) for p in json.load(handle)["planted"]}
        found = {(f["path"], f["line"], f["code"]) for f in findings}
        print(f"planted bugs: {len(planted)}; found exactly them: {found == planted}")
        if found != planted:
            print(f"  missed: {sorted(planted - found)[:10]}")
            print(f"  unexpected: {sorted(found - planted)[:10]}")


if __name__ == "__main__":
    main()
