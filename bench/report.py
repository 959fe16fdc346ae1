"""How `make bench` shows its numbers: the table, the hold check, the
targets, build/bench/results.csv, results.md and the chart (bench/run.py
measures, this module only presents)."""

import csv
import statistics
import subprocess
from dataclasses import asdict

# The table's columns after the server's name, and their widths.
COLUMNS = (("per s", 9), ("(runs)", 29), ("x nginx", 7), ("p50 ms", 7), ("p99 ms", 8),
           ("p99 x nginx", 11), ("errors", 7), ("timeouts", 8), ("new conn", 10),
           ("CPU us/req", 10), ("cs/req", 6), ("RSS MB", 6))
HOLD_COLUMNS = (("answered", 9), ("waiting", 8), ("refused", 8), ("not tried", 9),
                ("still open", 10), ("fresh request", 24), ("RSS MB", 7), ("open s", 6))
LEGEND = """\
per s: requests per second, the median of the runs ('runs': each one); x nginx: this
server / nginx (1 worker) in this run; errors and timeouts: wrk's, summed over the runs;
new conn: the slowest fresh client opened beside wrk, or 'N/M lost': N got no answer in
time; CPU us/req and cs/req: the server's CPU time and context switches per request, all
its threads; RSS: its peak resident memory. bench/README.md says more."""


def summarize(runs):
    """{config: {server: its runs summed up}}, in the order they ran."""
    grouped = {}
    for run in runs:
        grouped.setdefault(run.config, {}).setdefault(run.server, []).append(run)
    return {config: {server: summary_of(server_runs) for server, server_runs in by_server.items()}
            for config, by_server in grouped.items()}


def summary_of(runs):
    """Medians of the rates and latencies, sums of the failures; CPU time and
    context switches per request over all the runs (unknown when a server
    had to be killed, as nothing reaped it)."""
    requests = sum(run.requests for run in runs)
    counted = requests and all(run.cpu_s is not None for run in runs)
    return {
        "runs": [run.per_second for run in runs],
        "per_second": median(run.per_second for run in runs),
        "p50_ms": median(run.p50_ms for run in runs),
        "p99_ms": median(run.p99_ms for run in runs),
        "errors": sum(run.errors for run in runs),
        "timeouts": sum(run.timeouts for run in runs),
        "probe_waits": [wait for run in runs for wait in run.probe_waits],
        "cpu_us": sum(run.cpu_s for run in runs) / requests * 1e6 if counted else None,
        "switches": sum(run.switches for run in runs) / requests if counted else None,
        "peak_rss_kb": max(run.peak_rss_kb for run in runs),
        "notes": sorted({run.note for run in runs if run.note}),
    }


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(value, reference):
    return value / reference if value is not None and reference else None


def fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def probe_cell(waits):
    """The slowest fresh client in ms, or how many of them got no answer."""
    lost = waits.count(None)
    if lost:
        return f"{lost}/{len(waits)} lost"
    return fmt(max(waits) * 1000 if waits else None, ".1f")


def answer_cell(status, seconds):
    return f"no answer in {seconds:.1f} s" if status is None else f"{status} in {seconds * 1000:.1f} ms"


def cells(s, nginx, wrk):
    """One server's row under COLUMNS; NGINX is the reference's row."""
    rows = [f"{s['per_second']:,.0f}", "(" + " / ".join(f"{v:,.0f}" for v in s["runs"]) + ")",
            fmt(ratio(s["per_second"], nginx.get("per_second")), ".2f")]
    if wrk:
        rows += [fmt(s["p50_ms"], ".2f"), fmt(s["p99_ms"], ".2f"),
                 fmt(ratio(s["p99_ms"], nginx.get("p99_ms")), ".2f"), str(s["errors"]),
                 str(s["timeouts"]), probe_cell(s["probe_waits"])]
    else:  # openssl s_time counts handshakes, nothing else
        rows += [""] * 6
    return rows + [fmt(s["cpu_us"], ".1f"), fmt(s["switches"], ".2f"),
                   f"{s['peak_rss_kb'] / 1024:.1f}"]


def hold_cells(hold):
    fresh = hold.fresh_ms()
    if fresh is None:  # some fresh client got no 200: show the first one
        fresh = answer_cell(*next(answer for answer in hold.fresh if answer[0] != 200))
    else:
        fresh = f"{fresh:.1f} ms"
    return [f"{hold.answered:,}", f"{hold.waiting:,}", f"{hold.refused:,}", f"{hold.untried:,}",
            f"{hold.still_open:,}", fresh, f"{hold.rss_kb / 1024:.1f}", f"{hold.seconds:.1f}"]


def line(name, row, columns):
    return f"  {name:9}" + " ".join(f"{cell:>{width}}" for cell, (_, width) in zip(row, columns))


def print_table(summary, order):
    print("\n" + LEGEND)
    for config, by_server in summary.items():
        print(f"\n{config.title()}\n" + line("server", [name for name, _ in COLUMNS], COLUMNS))
        nginx = by_server.get("nginx", {})
        for server in sorted(by_server, key=order.index):
            s = by_server[server]
            print(line(server, cells(s, nginx, config.uses_wrk()), COLUMNS)
                  + "  ".join(["", *s["notes"]]))


def print_holds(holds, title):
    print(f"\n{title}\n" + line("server", [name for name, _ in HOLD_COLUMNS], HOLD_COLUMNS))
    for hold in holds.values():
        print(line(hold.server, hold_cells(hold), HOLD_COLUMNS))


def print_targets(title, targets):
    """TARGETS: (what, figure, met) with met None when there was no figure."""
    print(f"\n{title}")
    for what, figure, met in targets:
        print(f"  {what:62} {figure:>10}  {'-' if met is None else 'met' if met else 'MISSED'}")


def markdown_table(names, columns, rows):
    """NAMES left-aligned, then COLUMNS right-aligned, then ROWS."""
    return ["| " + " | ".join([*names, *(name for name, _ in columns)]) + " |",
            "|" + "---|" * len(names) + "---:|" * len(columns),
            *("| " + " | ".join(row) + " |" for row in rows)]


def write_markdown(path, summary, order, holds, notes):
    """The tables again in Markdown, then NOTES (the demo's and the stall check's lines)."""
    text = []
    if summary:
        rows = []
        for config, by_server in summary.items():
            nginx = by_server.get("nginx", {})
            for i, server in enumerate(sorted(by_server, key=order.index)):
                rows.append([config.title() if i == 0 else "", server,
                             *cells(by_server[server], nginx, config.uses_wrk())])
        text += markdown_table(["configuration", "server"], COLUMNS, rows) + [""]
    if holds:
        rows = [[hold.server, *hold_cells(hold)] for hold in holds.values()]
        text += markdown_table(["C10K hold"], HOLD_COLUMNS, rows) + [""]
    text += [f"- {' '.join(note.split())}" for note in notes]
    path.write_text("\n".join(text) + "\n")


def write_csv(path, runs):
    """Every run, one row each."""
    rows = []
    for run in runs:
        row = asdict(run)
        del row["config"]
        row["per_second"] = round(run.per_second, 1)
        waits = row.pop("probe_waits")
        rows.append({"section": run.config.section, "mode": run.config.mode,
                     "connections": run.config.connections, **row, "probes": len(waits),
                     "lost_probes": waits.count(None)})
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, list(rows[0]) if rows else ["section"])
        writer.writeheader()
        writer.writerows(rows)


def draw_chart(folder, summary, order):
    """FOLDER/requests.dat, and gnuplot's FOLDER/requests.png from it: per
    server, the median, the lowest and the highest run, and 1 if clients were
    lost (bench/requests.gp reads these columns)."""
    servers = [s for s in order if any(s in by_server for by_server in summary.values())]
    rows = ['"configuration" ' + " ".join(f'"{s}" "low" "high" "lost"' for s in servers)]
    for config, by_server in summary.items():
        if not config.uses_wrk():
            continue  # handshakes: another unit, a hundred times smaller
        label = config.title().replace(" connections", "").replace(", ", "\\n", 1)
        row = []
        for server in servers:
            s = by_server.get(server)
            row += [f"{s['per_second']:.0f}", f"{min(s['runs']):.0f}", f"{max(s['runs']):.0f}",
                    "1" if None in s["probe_waits"] else "0"] if s else ["NaN"] * 4
        rows.append(f'"{label}" ' + " ".join(row))
    (folder / "requests.dat").write_text("\n".join(rows) + "\n")
    done = subprocess.run(["gnuplot", "-e", f"servers={len(servers)}; configurations={len(rows) - 1}",
                           "bench/requests.gp"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        print(f"gnuplot failed: {done.stderr.strip()}")
    return done.returncode == 0
