#!/usr/bin/env python3
"""Turns a `cargo bench --bench transfer` run into the README's table.

Usage: cargo bench --bench transfer | tee bench.txt
       python3 benches/readme_table.py bench.txt

Reads criterion's medians from target/criterion and the busy-core figures
from the CPU log the bench prints at its end.
"""
import json
import re
import sys
from pathlib import Path

CRITERION = Path(__file__).resolve().parent.parent / "target" / "criterion"
MIB = 1 << 20
LINK_MIB_PER_S = 50
RTT_S = 0.040
FLOOR_SIZE_MIB = 8  # the crypto-floor benches move 8 MiB


def median_s(*parts):
    path = CRITERION.joinpath(*parts, "new", "estimates.json")
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"] / 1e9


def cores_by_name(log_text):
    cores = {}
    for line in log_text.splitlines():
        m = re.match(r"\s+(\S+)\s+[\d.]+ms\s+[\d.]+ms\s+([\d.]+)$", line)
        if m:
            cores[m.group(1)] = float(m.group(2))
    return cores


def fmt_time(seconds):
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1e3:.0f} ms"


def main():
    cores = cores_by_name(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    # The floor is the single-threaded crypto time halved: what the two
    # cores would need with the work split perfectly and nothing else done.
    floor = {
        "upload": median_s("crypto-floor", "upload-path", "1-thread") / 2,
        "download": median_s("crypto-floor", "download-path", "1-thread") / 2,
    }
    print("| transfer | link | size | tgcmd | grammers | grammers ÷ tgcmd | reference | tgcmd vs reference | grammers vs reference |")
    print("|---|---|---|---|---|---|---|---|---|")
    for link in ["no-latency", "rtt40ms-50MiBps"]:
        for direction in ["upload", "download"]:
            group = f"{direction}_{link}"
            if not (CRITERION / group).exists():
                continue
            sizes = sorted(
                (p.name for p in (CRITERION / group / "grammers").iterdir() if p.name.endswith("MiB")),
                key=lambda s: int(s[:-3]),
            )
            for size in sizes:
                mib = int(size[:-3])
                grammers = median_s(group, "grammers", size)
                variants = [("tgcmd", direction)]
                if direction == "download":
                    variants.append(("tgcmd-noverify", "download, verify off"))
                for function, label in variants:
                    ours = median_s(group, function, size)
                    if ours is None or grammers is None:
                        continue
                    def busy(name):
                        c = cores.get(f"{direction}/{link}/{name}/{size}")
                        return f" ({c:.2f})" if c is not None else ""
                    if link == "no-latency":
                        ref = floor[direction] * mib / FLOOR_SIZE_MIB
                        reference = f"floor {fmt_time(ref)}"
                        ours_vs = f"{ref / ours:.0%} of floor"
                        theirs_vs = f"{ref / grammers:.0%}"
                    else:
                        ref = mib / LINK_MIB_PER_S + RTT_S
                        reference = f"link {fmt_time(ref)}"
                        ours_vs = f"{ours / ref:.2f}× the limit"
                        theirs_vs = f"{grammers / ref:.2f}×"
                    print(
                        f"| {label} | {link} | {size[:-3]} MiB | {fmt_time(ours)}{busy(function)} "
                        f"| {fmt_time(grammers)}{busy('grammers')} | **{grammers / ours:.2f}×** "
                        f"| {reference} | {ours_vs} | {theirs_vs} |"
                    )


if __name__ == "__main__":
    main()
