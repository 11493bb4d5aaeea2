"""Run every benchmark in bench/ one after another (never in parallel: they measure a 2-core machine).

    python bench/run_all.py [--quick]

Each benchmark prints its own figures and writes bench/results/<name>.json; this prints them together.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    extra = [a for a in sys.argv[1:] if a == "--quick"]
    failed = []
    for script in sorted(HERE.glob("*.py")):
        if script.name == "run_all.py":
            continue
        print(f"\n=== {script.name} {' '.join(extra)}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *extra])
        print(f"=== {script.name}: exit {code} in {time.perf_counter() - started:.0f}s", flush=True)
        if code:
            failed.append(script.name)
    print("\n=== results")
    for result in sorted((HERE / "results").glob("*.json")):
        print(f"{result.stem}: {json.dumps(json.loads(result.read_text()), ensure_ascii=False)[:600]}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
