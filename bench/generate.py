"""Generate a synthetic monorepo for the benchmark: TypeScript and Python services, mostly
ordinary code, a realistic few files of queue code with names in separate constant modules,
and a known set of planted bugs (written to `planted.json`).

    python bench/generate.py --lines 1000000 --out bench/generated/monorepo
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess

FILLER_TS = """\
export interface Record{n} {{
  id: string;
  createdAt: Date;
  tags: string[];
}}

export class Service{n} {{
  private readonly cache = new Map<string, Record{n}>();

  constructor(private readonly prefix: string) {{}}

  find(id: string): Record{n} | undefined {{
    return this.cache.get(`${{this.prefix}}:${{id}}`);
  }}

  save(record: Record{n}): void {{
    this.cache.set(`${{this.prefix}}:${{record.id}}`, record);
  }}

  list(): Record{n}[] {{
    return [...this.cache.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }}
}}
"""
FILLER_PY = """\
import dataclasses
import datetime


@dataclasses.dataclass
class Record{n}:
    id: str
    created_at: datetime.datetime
    tags: list[str]


class Repository{n}:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: dict[str, Record{n}] = {{}}

    def find(self, record_id: str) -> Record{n} | None:
        return self.items.get(f"{{self.prefix}}:{{record_id}}")

    def save(self, record: Record{n}) -> None:
        self.items[f"{{self.prefix}}:{{record.id}}"] = record

    def recent(self) -> list[Record{n}]:
        return sorted(self.items.values(), key=lambda r: r.created_at)
"""


def ts_service(root: str, k: int, planted: list[dict[str, object]]) -> int:
    base = os.path.join(root, "packages", f"svc{k}", "src")
    os.makedirs(base, exist_ok=True)
    missing = k % 10 == 3  # the producer adds a name the worker has no case for
    silent = k % 15 == 7  # the worker's default only logs
    files = {
        "names.ts": f"export const QUEUE = 'svc{k}-jobs';\n\nexport enum JobName {{\n"
                    f"  Import = 'import-{k}',\n  Export = 'export-{k}',\n  Purge = 'purge-{k}',\n}}\n",
        "queue.ts": "import { Queue } from 'bullmq';\nimport { QUEUE } from './names';\n\n"
                    "export const jobs = new Queue(QUEUE);\n",
        "producer.ts": "import { jobs } from './queue';\nimport { JobName } from './names';\n\n"
                       "export async function schedule(id: string) {\n"
                       "  await jobs.add(JobName.Import, { id });\n"
                       "  await jobs.add(JobName.Export, { id });\n"
                       f"  await jobs.add({'JobName.Purge' if missing else 'JobName.Import'}, {{ id }});\n}}\n",
        "worker.ts": "import { Worker } from 'bullmq';\nimport { JobName, QUEUE } from './names';\n\n"
                     "new Worker(QUEUE, async (job) => {\n  switch (job.name) {\n"
                     "    case JobName.Import:\n      return importAll(job.data);\n"
                     "    case JobName.Export:\n      return exportAll(job.data);\n"
                     + ("    default:\n      console.warn('unknown job', job.name);\n" if silent else
                        "    default:\n      throw new Error(`unknown job ${job.name}`);\n")
                     + "  }\n});\n",
    }
    for name, text in files.items():
        with open(os.path.join(base, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    relative = os.path.join("packages", f"svc{k}", "src")
    if missing:
        planted.append({"path": f"{relative}/producer.ts", "line": 7, "code": "QL102"})
    if silent:
        planted.append({"path": f"{relative}/worker.ts", "line": 10, "code": "QL203"})
    return sum(text.count("\n") for text in files.values())


def py_service(root: str, k: int, planted: list[dict[str, object]]) -> int:
    package = os.path.join(root, "python", f"app{k}")
    os.makedirs(package, exist_ok=True)
    typo = k % 8 == 5
    files = {
        "__init__.py": "",
        "names.py": f'REPORT = "app{k}.report"\nCLEANUP = "app{k}.cleanup"\n',
        "tasks.py": "from celery import shared_task\n\nfrom .names import CLEANUP, REPORT\n\n\n"
                    "@shared_task(name=REPORT)\ndef report(day):\n    return day\n\n\n"
                    "@shared_task(name=CLEANUP)\ndef cleanup():\n    return None\n",
        "views.py": "from celery import current_app\n\nfrom .names import REPORT\n\n\n"
                    "def daily(day):\n    current_app.send_task(REPORT, args=[day])\n"
                    f"    current_app.send_task(\"{f'app{k}.clenup' if typo else f'app{k}.cleanup'}\")\n",
    }
    for name, text in files.items():
        with open(os.path.join(package, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    if typo:
        planted.append({"path": f"python/app{k}/views.py", "line": 8, "code": "QL102"})
    return sum(text.count("\n") for text in files.values())


def generate(out: str, lines: int, services: int) -> dict[str, object]:
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    planted: list[dict[str, object]] = []
    written = 0
    for k in range(services):
        written += ts_service(out, k, planted) + py_service(out, k, planted)
    n = 0
    ts_lines, py_lines = FILLER_TS.count("\n"), FILLER_PY.count("\n")
    while written < lines:
        directory = os.path.join(out, "packages", f"lib{n // 200}", "src")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"module{n}.ts"), "w", encoding="utf-8") as handle:
            handle.write(FILLER_TS.format(n=n) * 4)
        written += ts_lines * 4
        if n % 3 == 0:
            directory = os.path.join(out, "python", f"lib{n // 300}")
            os.makedirs(directory, exist_ok=True)
            with open(os.path.join(directory, f"module{n}.py"), "w", encoding="utf-8") as handle:
                handle.write(FILLER_PY.format(n=n) * 4)
            written += py_lines * 4
        n += 1
    planted.sort(key=lambda p: (str(p["path"]), int(str(p["line"])), str(p["code"])))
    summary = {"lines": written, "services": services, "planted": planted}
    with open(os.path.join(out, "planted.json"), "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=1)
    return summary


def commit(tree: str) -> None:
    """Make the tree a git repository with one commit, as a real monorepo is (queuelint then
    lists files with `git ls-files`, and keeps its cache in the tree). Skipped without git."""
    git = ["git", "-C", tree, "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    try:
        for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
            subprocess.run([*git, *command], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"not a git repository ({error}); queuelint will walk the tree instead")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=120)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "generated", "monorepo"))
    args = parser.parse_args()
    summary = generate(args.out, args.lines, args.services)
    commit(args.out)
    print(f"{args.out}: {summary['lines']} lines, {args.services} services, {len(summary['planted'])} planted bugs")


if __name__ == "__main__":
    main()
