#!/usr/bin/env python3
"""Summarise criterion results of `cargo bench -p gateway --bench codec`.

Reads target/criterion/<group>/<message>/new/estimates.json after one or more
runs saved with `--save-baseline runN`, and prints a Markdown table of medians
(the median over runs of each run's median) with each figure's ratio to the
in-run floor splitter. With --svg FILE, also draws the table as a bar chart.

    for i in 1 2 3; do cargo bench -p gateway --bench codec -- --save-baseline run$i; done
    python3 tools/bench_report.py --runs run1 run2 run3 --svg docs/bench/codec.svg
"""
import argparse
import json
import pathlib
import statistics

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
GROUPS = ["floor", "decode", "decode_validate", "encode"]
MESSAGES = ["new_order_single_174B", "execution_report_266B"]


def median(group, message, runs):
    values = []
    for run in runs:
        path = CRITERION / group / message / run / "estimates.json"
        if path.exists():
            values.append(json.loads(path.read_text())["median"]["point_estimate"])
    return statistics.median(values) if values else None, values


def svg(rows, path):
    width, bar_height, gap, left = 760, 18, 6, 290
    scale = (width - left - 170) / max(value for _, _, value, _ in rows)
    names = {"new_order_single_174B": "NewOrderSingle 174 B", "execution_report_266B": "ExecutionReport 266 B"}
    colours = {"floor": "#999999", "decode": "#6a9fd4", "decode_validate": "#1f5f9f", "encode": "#e08a3c"}
    y = 30
    parts = [f'<text x="10" y="18" font-family="sans-serif" font-size="13">FIX codec, median ns per message (lower is better)</text>']
    for message, group, value, ratio in rows:
        label = f"{names.get(message, message)}: {group}"
        bar = value * scale
        parts.append(f'<text x="10" y="{y + 13}" font-family="sans-serif" font-size="12">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{bar:.1f}" height="{bar_height}" fill="{colours[group]}"/>')
        note = f"{value:.0f} ns" + ("" if group == "floor" else f"  ({ratio:.2f}x floor)")
        parts.append(f'<text x="{left + bar + 6:.1f}" y="{y + 13}" font-family="sans-serif" font-size="12">{note}</text>')
        y += bar_height + gap
    height = y + 10
    body = "\n".join(parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">\n'
                    f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=["new"], help="criterion baselines to combine")
    parser.add_argument("--svg", type=pathlib.Path, help="also write a bar chart here")
    args = parser.parse_args()
    rows = []
    print("| message | benchmark | median ns | runs (ns) | × floor |")
    print("|---|---|---|---|---|")
    for message in MESSAGES:
        floor, _ = median("floor", message, args.runs)
        for group in GROUPS:
            value, values = median(group, message, args.runs)
            if value is None:
                continue
            ratio = value / floor if floor else float("nan")
            rows.append((message, group, value, ratio))
            each = ", ".join(f"{v:.1f}" for v in values)
            shown = "—" if group == "floor" else f"{ratio:.2f}"
            print(f"| {message} | {group} | {value:.1f} | {each} | {shown} |")
    stream, values = median("framer", "64_messages_in_one_read", args.runs)
    if stream is not None:
        print(f"| 64 messages (14 080 B) | framer | {stream:.1f} ({stream / 64:.1f} per message) | "
              + ", ".join(f"{v:.1f}" for v in values) + " | — |")
    if args.svg:
        svg(rows, args.svg)


if __name__ == "__main__":
    main()
