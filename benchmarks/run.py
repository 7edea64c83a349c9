"""All benchmarks, one after the other, with the machine they ran on.

python benchmarks/run.py            # throughput.py alone takes 2 to 3 minutes on 2 cores
python benchmarks/run.py --million  # adds the 1,000,000-row batch (about 1 more minute)
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else ""
    )
    print(
        f"# machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    )
    extra = ["--million"] if "--million" in sys.argv else []
    for script, args in (
        ("startup.py", []),
        ("throughput.py", []),
        ("monitoring.py", []),
        ("batch.py", extra),
    ):
        print()
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)


if __name__ == "__main__":
    main()
