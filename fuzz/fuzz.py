"""Mutational fuzzing of the condition parser/compiler, the pack loader and every input reader.

    python fuzz/fuzz.py --target all --seconds 90       # a long run: 90 s per target, 7 targets
    python fuzz/fuzz.py --target condition --inputs 2000 --seed 1
    python fuzz/fuzz.py --target csv --inputs 300       # ledgers through every batch output
    python fuzz/fuzz.py --replay fuzz/crashes/csv-17    # run a saved reader crash again

Seeds are the shipped packs and their conditions; each input is a seed mutated by byte
flips, deletions, duplications and insertions of grammar tokens and YAML punctuation. Any
exception that is not a PolicyEngineError is a crash: it is printed, saved under
fuzz/crashes/ and makes the exit code 1. Deterministic for a given seed and input count.

The reader targets (csv, jsonl, xlsx, records, events) live in fuzz/readers.py.
"""

from __future__ import annotations

import argparse
import atexit
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from policyengine import PolicyEngineError, load_pack
from policyengine.lang import Scope, compile_condition
from policyengine.lang.functions import BUILTIN_FUNCTIONS
from policyengine.models import BUILTIN_SUBJECTS

ROOT = Path(__file__).resolve().parent.parent
CRASHES = Path(__file__).resolve().parent / "crashes"
READER_TARGETS = ("csv", "jsonl", "xlsx", "records", "events")

TOKENS = [
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "->",
    " and ",
    " or ",
    " not ",
    " in ",
    "==",
    "<=",
    ">",
    "+",
    "-",
    "*",
    "/",
    '"',
    "'",
    "\\",
    "0",
    "9" * 40,
    "0.03",
    "param.",
    "as_of",
    "count(",
    "sum(",
    "date(",
    "exists(",
    "default(",
    "__class__",
    "s -> s.",
    "null",
    "true",
    "\n",
    "\t",
    "中",
    "万",
    "\x00",
]
YAML_BITS = [
    ":",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "&a ",
    "*a",
    "!!python/name:os.system ",
    "? ",
    "|\n",
    ">\n",
    "\n  ",
    "'",
    '"',
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\ufeff",
    "\x00",
]


def mutate(rng: random.Random, text: str, bits: list[str]) -> str:
    s = text
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        i = rng.randint(0, len(s)) if s else 0
        if op < 0.3:
            s = s[:i] + rng.choice(bits) + s[i:]
        elif op < 0.5 and s:
            j = min(len(s), i + rng.randint(1, 20))
            s = s[:i] + s[j:]
        elif op < 0.7 and s:
            j = min(len(s), i + rng.randint(1, 40))
            s = s[:i] + s[i:j] * rng.randint(2, 5) + s[j:]
        elif s:
            k = min(i, len(s) - 1)
            s = s[:k] + chr(rng.randint(0, 0x3000)) + s[k + 1 :]
    return s


def condition_seeds() -> list[str]:
    from policyengine.plugins import get_registry

    registry = get_registry()
    out: list[str] = []
    for pid in registry.ids():
        for rule in registry.load(pid).rules:
            out.append(rule.rule.require)
            if rule.rule.when:
                out.append(rule.rule.when)
    return out


def pack_seeds() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "packs").glob("*/pack.yaml"))]


def run_condition(text: str) -> None:
    for kind in ("project", "station", "funding"):
        try:
            compile_condition(text, Scope(BUILTIN_SUBJECTS[kind], {}, BUILTIN_FUNCTIONS))
        except PolicyEngineError:
            pass


def make_pack_runner() -> Callable[[str], None]:
    workdir = Path(tempfile.mkdtemp(prefix="pe-fuzz-"))
    atexit.register(shutil.rmtree, workdir, True)
    target = workdir / "pack.yaml"

    def run_pack(text: str) -> None:
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_pack(workdir)
        except PolicyEngineError:
            pass

    return run_pack


def readers() -> ModuleType:
    """fuzz/readers.py, loaded by path (this file is run as a script and loaded by path too)."""
    import importlib.util

    module = sys.modules.get("pe_fuzz_readers")
    if module is None:
        spec = importlib.util.spec_from_file_location("pe_fuzz_readers", Path(__file__).parent / "readers.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["pe_fuzz_readers"] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return module


def fuzz(
    name: str,
    seeds: list[str],
    bits: list[str],
    runner: Callable[[str], None],
    rng: random.Random,
    budget_inputs: int | None,
    deadline: float | None,
) -> tuple[int, int]:
    tried = crashes = 0
    while (budget_inputs is None or tried < budget_inputs) and (
        deadline is None or time.monotonic() < deadline
    ):
        text = mutate(rng, rng.choice(seeds), bits)
        tried += 1
        try:
            runner(text)
        except (RecursionError, MemoryError, Exception) as exc:
            crashes += 1
            CRASHES.mkdir(exist_ok=True)
            path = CRASHES / f"{name}-{tried}.txt"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            print(f"CRASH {name} #{tried}: {type(exc).__name__}: {exc} (saved {path})", file=sys.stderr)
            traceback.print_exc()
    return tried, crashes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", choices=("condition", "pack", *READER_TARGETS, "all"), default="all")
    ap.add_argument("--seconds", type=float, default=None, help="run this long per target")
    ap.add_argument("--inputs", type=int, default=None, help="or this many inputs per target")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--replay", type=Path, default=None, help="run a saved reader crash (a directory) again")
    args = ap.parse_args(argv)
    if args.replay is not None:
        return readers().replay(args.replay)  # type: ignore[no-any-return]
    if args.seconds is None and args.inputs is None:
        args.inputs = 2000
    rng = random.Random(args.seed)
    total_crashes = 0
    targets = ["condition", "pack", *READER_TARGETS] if args.target == "all" else [args.target]
    for name in targets:
        deadline = time.monotonic() + args.seconds if args.seconds else None
        start = time.monotonic()
        if name == "condition":
            tried, crashes = fuzz(name, condition_seeds(), TOKENS, run_condition, rng, args.inputs, deadline)
        elif name in READER_TARGETS:
            tried, crashes = readers().fuzz_target(name, rng, args.inputs, deadline)
        else:
            tried, crashes = fuzz(
                name, pack_seeds(), YAML_BITS + TOKENS, make_pack_runner(), rng, args.inputs, deadline
            )
        took = time.monotonic() - start
        print(f"{name}: {tried} inputs in {took:.1f} s ({tried / took:.0f}/s), {crashes} crashes")
        total_crashes += crashes
    return 1 if total_crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
