"""Start-up: `import policyengine`, first use of the engine, and loading each shipped pack.

python benchmarks/startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh(code: str, runs: int = 5) -> float:
    """Median seconds that ``code`` reports in fresh interpreters."""
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> None:
    print(
        "# method: each figure timed inside fresh interpreters with wall time (time.perf_counter); "
        "imports: median of 5 interpreters; pack loading: one interpreter per pack, once"
    )
    print("# start-up (median of 5 fresh interpreters)")
    bare = fresh("import time; t=time.perf_counter(); import policyengine; print(time.perf_counter()-t)")
    print(f"import policyengine: {bare * 1000:.1f} ms  (target < 300 ms)")
    ready = fresh(
        "import time; t=time.perf_counter(); from policyengine import Engine; print(time.perf_counter()-t)"
    )
    print(f"import policyengine.Engine (models, language, loader): {ready * 1000:.0f} ms")
    packs = sorted(p.name for p in (ROOT / "packs").iterdir() if (p / "pack.yaml").exists())
    code = (
        "import time; from policyengine import load_pack; "
        "from policyengine.plugins import get_registry; "
        "r = get_registry(); r.directories(); import sys; t=time.perf_counter(); "
        "[load_pack(r.path_of(p)) for p in sys.argv[1:]]; print(time.perf_counter()-t)"
    )
    total = 0.0
    for pack in packs:
        out = subprocess.run([sys.executable, "-c", code, pack], capture_output=True, text=True, check=True)
        t = float(out.stdout.strip())
        total += t
        print(f"load and compile {pack}: {t * 1000:.0f} ms")
    out = subprocess.run([sys.executable, "-c", code, *packs], capture_output=True, text=True, check=True)
    print(
        f"all {len(packs)} packs in one process: {float(out.stdout) * 1000:.0f} ms  (target well under 1 s)"
    )


if __name__ == "__main__":
    main()
