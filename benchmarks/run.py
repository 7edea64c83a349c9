"""All benchmarks, one after the other, with the machine they ran on.

python benchmarks/run.py            # throughput.py alone takes 2 to 3 minutes on 2 cores
python benchmarks/run.py --million  # adds the 1,000,000-row batch (about 1 more minute) and
                                    # followed_by at 1,000,000 events (about 20 more minutes)
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
    million = "--million" in sys.argv
    sizes = "10000,100000,1000000" if million else "10000,100000"
    for script, args in (
        ("startup.py", []),
        ("throughput.py", []),
        ("monitoring.py", []),
        ("followed_by_scaling.py", ["--sizes", sizes]),
        ("batch.py", ["--million"] if million else []),
    ):
        print()
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)


if __name__ == "__main__":
    main()
