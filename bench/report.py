#!/usr/bin/env python3
"""Writes docs/BENCHMARKS.md and the charts from one bench/run.sh run.

    python3 bench/report.py --run var/bench/run-<stamp> --dest docs

Reads the run directory (results.kv, the markdown fragments the benchmark
binaries printed, machine.txt, commands.txt, search.csv) and writes
BENCHMARKS.md, bench-throughput.png, bench-latency.png and bench-search.png
into --dest. Charts need python3-matplotlib (Debian); without it the report
is written without them.
"""
import argparse
import csv
import os
import sys


def read_kv(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if "=" in line:
                k, v = line.split("=", 1)
                values[k] = v  # the last value wins
    return values


def num(kv, key, default=None):
    try:
        return float(kv[key])
    except (KeyError, ValueError):
        return default


def read(run, name):
    path = os.path.join(run, name)
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read()


def ms(us):
    if us is None:
        return "–"
    if us >= 1e6:
        return f"{us / 1e6:.2f} s"
    if us >= 1e4:
        return f"{us / 1e3:.0f} ms"
    if us >= 1e3:
        return f"{us / 1e3:.2f} ms"
    return f"{us:.0f} µs"


def rate(x):
    return "–" if x is None else f"{x:,.0f}/s"


def charts(kv, run, dest, count):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    # Throughput vs concurrency: GetArticle, echo baseline vs content-server.
    levels = sorted({int(k.split("_")[3]) for k in kv if k.startswith("sweep_") and k.endswith("_qps")})
    if levels:
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, label in (("echo", "echo baseline (no storage)"), ("content", f"content-server, {count:,} articles")):
            ys = [num(kv, f"sweep_{name}_get_{n}_qps", 0) for n in levels]
            ax.plot(levels, ys, marker="o", label=label)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("calls in flight (connections × streams)")
        ax.set_ylabel("GetArticle calls/s")
        ax.set_title("GetArticle throughput vs concurrency (2 cores, loopback, client on the same cores)")
        ax.title.set_fontsize(9)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(dest, "bench-throughput.png"), dpi=110)
        plt.close(fig)
        made.append("bench-throughput.png")
    # Latency percentiles of the main scenarios.
    scenarios = [
        ("echo_get", "echo Get 16×32"),
        ("content_get", "Get 16×32"),
        ("content_get_half", "Get at ½ peak"),
        ("echo_list", "echo List 16×32"),
        ("content_list", "List 16×32"),
        ("content_list_deep", "List deep 16×32"),
        ("content_create_1", "Create 1×1"),
        ("content_create_32", "Create 32×1"),
        ("events_get_1", "Get 1×1"),
        ("events_create_1", "CreateEvent 1×1"),
        ("events_create_nosource_1", "CreateEvent, no article 1×1"),
    ]
    scenarios = [(k, l) for k, l in scenarios if num(kv, f"{k}_p50_us") is not None]
    if scenarios:
        import numpy as np

        fig, ax = plt.subplots(figsize=(9, 4))
        width = 0.2
        x = np.arange(len(scenarios))
        for i, (p, label) in enumerate((("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p999", "p99.9"))):
            ys = [num(kv, f"{k}_{p}_us", 0) / 1000 for k, _ in scenarios]
            ax.bar(x + (i - 1.5) * width, ys, width, label=label)
        ax.set_xticks(x)
        ax.set_xticklabels([l for _, l in scenarios], rotation=20, fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("latency (ms, log scale)")
        ax.set_title("gRPC latency percentiles")
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(dest, "bench-latency.png"), dpi=110)
        plt.close(fig)
        made.append("bench-latency.png")
    # Search latency vs number of matches, newsdesk vs Xapian.
    path = os.path.join(run, "search.csv")
    if os.path.exists(path):
        points = {"newsdesk": ([], []), "xapian": ([], [])}
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                m = float(row["matches"])
                if m > 0 and row["engine"] in points:
                    points[row["engine"]][0].append(m)
                    points[row["engine"]][1].append(float(row["micros"]) / 1000)
        if points["newsdesk"][0]:
            fig, ax = plt.subplots(figsize=(7, 4))
            ax.scatter(*points["newsdesk"], s=8, label="newsdesk SearchArticles")
            if points["xapian"][0]:
                ax.scatter(*points["xapian"], s=8, label="Xapian 1.4 (same terms, top 20 + stored articles)")
            ax.axhline(5, color="red", linewidth=0.8, linestyle="--", label="target p50 5 ms")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("articles matching the query")
            ax.set_ylabel("latency (ms)")
            ax.set_title("Search latency vs matches (one- and two-word queries)")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
            fig.tight_layout()
            fig.savefig(os.path.join(dest, "bench-search.png"), dpi=110)
            plt.close(fig)
            made.append("bench-search.png")
    return made


def verdict(measured, target, higher_is_better):
    if measured is None:
        return "not measured"
    ok = measured >= target if higher_is_better else measured <= target
    if ok:
        return "**met**"
    if higher_is_better:
        return f"**missed**: {measured / target:.2f} of the target"
    return f"**missed** by {measured / target:.1f}×"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--dest", required=True)
    args = ap.parse_args()
    run, dest = args.run, args.dest
    os.makedirs(dest, exist_ok=True)
    kv = read_kv(os.path.join(run, "results.kv"))
    count = int(num(kv, "suite_count", 0))
    made = charts(kv, run, dest, count)

    def ratio(a, b):
        x, y = num(kv, a), num(kv, b)
        return x / y if x is not None and y else None

    def mib_s(k):
        v = num(kv, k)
        return "–" if v is None else f"{v / 1024:.0f} MiB"

    get_ratio = ratio("content_get_qps", "echo_get_qps")
    list_ratio = ratio("content_list_qps", "echo_list_qps")
    grpc_deep = ratio("content_list_deep_p50_us", "content_list_p50_us")
    create_vs_db = ratio("content_create_32_qps", "dbbench_fillsync_t32_per_s")
    create_scale = ratio("content_create_32_qps", "content_create_1_qps")
    rss_idle = num(kv, "startup_content_rss_idle_kib")
    rss_load = num(kv, "content_rss_hwm_kib")
    startup = num(kv, "startup_content_startup_max_us")
    cache_mb = num(kv, "content_block_cache_mb")
    cache_note = "block cache 64 MiB (the default)" if cache_mb is None else \
        f"block cache {cache_mb:.0f} MiB (`--block_cache_mb={cache_mb:.0f}`)"

    # CreateEvent vs GetArticle, both one client, back to back in this run.
    event_p50, get_p50 = num(kv, "events_create_1_p50_us"), num(kv, "events_get_1_p50_us")
    event_over = event_p50 - get_p50 if event_p50 is not None and get_p50 is not None else None
    if event_over is None:
        event_verdict = "not measured"
        event_notes = "no events-server in this build (configure with `-DNEWSDESK_EVENTS=ON`)"
    else:
        event_verdict = "**met**" if event_over <= 1000 else f"**missed** by {ms(event_over - 1000)}"
        event_notes = (f"CreateEvent p50 {ms(event_p50)}, p90 {ms(num(kv, 'events_create_1_p90_us'))}, "
                       f"p99 {ms(num(kv, 'events_create_1_p99_us'))}; GetArticle p50 {ms(get_p50)} "
                       f"(1 client each, after {int(num(kv, 'events_dataset', 0)):,} events were created)")
        if num(kv, "events_create_nosource_1_p50_us") is not None:
            event_notes += f"; citing no article p50 {ms(num(kv, 'events_create_nosource_1_p50_us'))}"

    # DownloadPhoto vs the byte-stream echo (bench-photos).
    photo_ratio = num(kv, "photo_large_download_ratio")
    photo_bytes = num(kv, "photo_large_bytes")
    if photo_ratio is None:
        photo_notes = "bench-photos did not run (see photos_errors.txt in the run directory)"
    else:
        photo_notes = (f"DownloadPhoto {num(kv, 'photo_large_download_mbps', 0):.0f} MB/s "
                       f"({num(kv, 'photo_large_download_ms', 0):.1f} ms) vs echo "
                       f"{num(kv, 'photo_large_echo_download_mbps', 0):.0f} MB/s, median of "
                       f"{int(num(kv, 'photo_large_runs', 0))} sequential downloads")
        if photo_bytes is not None and int(photo_bytes) != 10 << 20:
            photo_notes += f"; a {int(photo_bytes):,}-byte photo, not 10 MiB"
    events_idle = num(kv, "events_rss_idle_kib")
    # The targets name 100k articles and a page 99,000 deep; smaller runs
    # (bench-search caps the deep page at count - 100) are labelled as run.
    deep = min(99000, max(0, count - 100))

    rows = [
        ("Search p50, one word", "≤ 5 ms", ms(num(kv, "search1_p50_us")),
         verdict(num(kv, "search1_p50_us"), 5000, False),
         f"Xapian {ms(num(kv, 'search1_xapian_p50_us'))}: ours is {num(kv, 'search1_ratio_xapian', 0):.1f}× Xapian"),
        ("Search p50, two words", "≤ 5 ms", ms(num(kv, "search2_p50_us")),
         verdict(num(kv, "search2_p50_us"), 5000, False),
         f"Xapian {ms(num(kv, 'search2_xapian_p50_us'))}: ours is {num(kv, 'search2_ratio_xapian', 0):.1f}× Xapian"),
        ("Search p99, one / two words", "(issue 3 asks p50/p99)",
         f"{ms(num(kv, 'search1_p99_us'))} / {ms(num(kv, 'search2_p99_us'))}", "", ""),
        (f"ListArticles page {deep:,} deep ÷ first page (in process)", "≤ 1.3×",
         f"{num(kv, 'list_deep_ratio', 0):.2f}×", verdict(num(kv, "list_deep_ratio"), 1.3, False),
         f"first page p50 {ms(num(kv, 'list_first_p50_us'))}"),
        ("ListArticles deep ÷ first page (gRPC, 16×32)", "≤ 1.3×",
         "–" if grpc_deep is None else f"{grpc_deep:.2f}×", verdict(grpc_deep, 1.3, False), "p50 latency ratio"),
        ("GetArticle throughput ÷ echo (16 conns × 32 streams)", "≥ 0.85",
         "–" if get_ratio is None else f"{get_ratio:.2f}", verdict(get_ratio, 0.85, True),
         f"{rate(num(kv, 'content_get_qps'))} vs {rate(num(kv, 'echo_get_qps'))}"),
        ("GetArticle p99 at half of peak", "≤ 2 ms", ms(num(kv, "content_get_half_p99_us")),
         verdict(num(kv, "content_get_half_p99_us"), 2000, False),
         f"open loop at {rate(num(kv, 'content_get_half_rate'))}"),
        ("ListArticles (50) throughput ÷ echo", "≥ 0.5", "–" if list_ratio is None else f"{list_ratio:.2f}",
         verdict(list_ratio, 0.5, True), f"{rate(num(kv, 'content_list_qps'))} vs {rate(num(kv, 'echo_list_qps'))}"),
        ("CreateArticle 32 clients ÷ db_bench fillsync 32 threads", "≥ 0.7",
         "–" if create_vs_db is None else f"{create_vs_db:.3f}", verdict(create_vs_db, 0.7, True),
         f"{rate(num(kv, 'content_create_32_qps'))} vs {rate(num(kv, 'dbbench_fillsync_t32_per_s'))}"),
        ("CreateArticle 32 clients ÷ 1 client (group commit)", "≥ 4×",
         "–" if create_scale is None else f"{create_scale:.1f}×", verdict(create_scale, 4, True),
         f"{rate(num(kv, 'content_create_32_qps'))} vs {rate(num(kv, 'content_create_1_qps'))}"),
        ("CreateEvent p50 − GetArticle p50 (one source article checked over gRPC)", "≤ 1 ms",
         ms(event_over), event_verdict, event_notes),
        ("DownloadPhoto 10 MiB ÷ plain gRPC byte stream", "≥ 0.8",
         "–" if photo_ratio is None else f"{photo_ratio:.2f}", verdict(photo_ratio, 0.8, True), photo_notes),
        (f"content-server idle RSS ({count:,} articles)", "≤ 64 MiB",
         "–" if rss_idle is None else f"{rss_idle / 1024:.0f} MiB", verdict(rss_idle, 64 * 1024, False), ""),
        ("events-server idle RSS", "≤ 64 MiB",
         "–" if events_idle is None else f"{events_idle / 1024:.0f} MiB", verdict(events_idle, 64 * 1024, False),
         "fresh database, 1 s after SERVING"),
        ("content-server peak RSS under load (VmHWM)", "≤ 512 MiB",
         "–" if rss_load is None else f"{rss_load / 1024:.0f} MiB", verdict(rss_load, 512 * 1024, False),
         f"{mib_s('content_rss_before_search_kib')} before the search phase; {cache_note}"),
        (f"start-up to SERVING with {count:,} articles (worst of 3)", "≤ 1 s", ms(startup),
         verdict(startup, 1e6, False), f"p50 {ms(num(kv, 'startup_content_startup_p50_us'))}"),
    ]

    out = []
    w = out.append
    w("# Benchmarks")
    w("")
    w("Measured numbers only, each with the command that produced it. Written by `bench/run.sh` "
      "(this file and `docs/bench-*.png`); the analysis at the end is by hand and cites this run.")
    w("")
    w("```")
    w("bench/run.sh                 # the whole suite: builds the bench targets in build-bench, reuses the cached corpus")
    w("bench/run.sh --fresh         # also regenerates the 100k corpus and the Xapian index (see the load rate below)")
    w("bench/run.sh --count 2000 --quick --no-docs   # a quick look after a change")
    w("ctest --test-dir build-bench -L bench          # smoke run of every benchmark binary (tiny sizes)")
    w("```")
    w("")
    w("## This run")
    w("")
    w("```")
    w(read(run, "machine.txt").strip())
    w(f"suite: {int(num(kv, 'suite_seconds', 0))} s wall time (the 15-minute budget excludes a fresh corpus load)")
    w("```")
    w("")
    w("The machine is shared: other engineers' compilers and tests ran during the run (the load average above), "
      "so absolute numbers drift between runs. Every target is therefore a ratio against a baseline measured "
      "in the same run (interleaved where possible), with the absolute numbers for the record.")
    w("")
    w("## Targets")
    w("")
    w("| figure | target | measured | verdict | notes |")
    w("|---|---|---|---|---|")
    for r in rows:
        w("| " + " | ".join(r) + " |")
    w("")
    for png, caption in (("bench-search.png", "Search latency against the number of matching articles"),
                         ("bench-throughput.png", "GetArticle throughput against concurrency"),
                         ("bench-latency.png", "gRPC latency percentiles")):
        if png in made:
            w(f"![{caption}]({png})")
            w("")

    w("## Corpus")
    w("")
    loaded = "in this run" if num(kv, "corpus_loaded_this_run", 0) else "by an earlier run (cached in `var/bench/`)"
    w(f"{count:,} generated Polish articles (`bench/corpus.cc`: hand-written word lists — function words, "
      "regional-news vocabulary in several inflected forms, Polish and neighbouring place names, first names and "
      "generated surnames; each article has a topic tag and a place; Zipf-distributed words; 1.7–5.4 KB per stored "
      "article, 3.3 KB on average; 1–4 tags). Stored through `ArticleStore::Create` then `ArticleStore::Publish` (two synced batches per "
      f"article, 16 loader threads), {loaded}:")
    w("")
    w("| articles | load time | articles/s | database size |")
    w("|---:|---:|---:|---:|")
    w(f"| {int(num(kv, 'corpus_count', 0)):,} | {num(kv, 'corpus_seconds', 0):.0f} s | "
      f"{num(kv, 'corpus_articles_per_second', 0):.0f} | {num(kv, 'corpus_db_bytes', 0) / 2**20:.0f} MiB |")
    w("")
    xb = num(kv, "xapian_build_s")
    if xb:
        w(f"Xapian indexed the same corpus in {xb:.0f} s (one thread, running our text analysis on every field "
          "to get the same terms; no sync per document, a commit every 20,000), built once with the cached "
          "corpus.")
        w("")
    load_cmd = next((l for l in read(run, "commands.txt").splitlines() if "bench-load-corpus" in l), None)
    if load_cmd is None:
        load_cmd = (f"build-bench/bench/bench-load-corpus --db_path=var/bench/corpus-{count}-s42 "
                    f"--count={count} --threads=16")
        w(f"Made (and cached) by `{load_cmd}` (the log of that load is `var/bench/load-{count}.log` when "
          "it was made by hand).")
    else:
        w(f"Command: `{load_cmd}`")
    w("")

    w("## Search, listing and reads in process (issue 3)")
    w("")
    w("Through `ContentService`'s synchronous methods (validation, filter parsing, page tokens; no gRPC), on "
      "the database exactly as `content-server` opens it (`ContentBackend::Open`, the default 64 MiB block "
      "cache of `--block_cache_mb`). Xapian "
      "1.4 indexes the **same terms** our analysis produces (ICU case and diacritic folding plus hunspell "
      "`pl_PL` stems: Xapian has no Polish stemmer, so it is given ours rather than `none`), with positions "
      "and field weights as wdf (title 3, lead 2, body 1, tags 2); a query is an AND of each word's variants "
      "(OR). Both engines answer the same query one after the other (interleaved), first page of 20.")
    w("")
    w(read(run, "search.md").strip())
    w("")
    if read(run, "search_cache256.md"):
        w("### What-if: the same with a 256 MiB block cache")
        w("")
        w("Same binary, `--block_cache_mb=256`: the same classes over a `kv::Database` opened with a larger "
          "block cache, as `content-server --block_cache_mb=256` would run. Fewer queries (half the time "
          "budget).")
        w("")
        w(read(run, "search_cache256.md").replace("### ", "#### ").strip())
        w("")

    w("## Storage limits")
    w("")
    w("Our store driven directly (fresh database, in process), and Debian's `db_bench` on the same disk:")
    w("")
    w("| what | threads | calls | rate | p50 | p99 | errors |")
    w("|---|---|---:|---:|---:|---:|---:|")
    w(read(run, "storage.md").strip())
    w(f"| db_bench fillsync (16 KiB values, synced WAL) | 1 thread | | {rate(num(kv, 'dbbench_fillsync_t1_per_s'))} | | | |")
    w(f"| db_bench fillsync (16 KiB values, synced WAL) | 32 threads | | {rate(num(kv, 'dbbench_fillsync_t32_per_s'))} | | | |")
    w(f"| db_bench readrandom (4 KiB values, 64 MiB cache) | 2 threads | | {rate(num(kv, 'dbbench_readrandom_t2_per_s'))} | | | |")
    w("")

    w("## gRPC (issue 8)")
    w("")
    w("`bench-grpc-load` (C++, callback API; N channels each on its own TCP connection × M calls in flight; "
      "closed loop unless a rate is given, then open loop with latency from the scheduled start). Every status "
      "is checked: `errors` counts non-OK statuses. `bench-echo-server` serves the same ContentService through "
      "the same `GrpcServer` plumbing (reflection, health, interceptor) from responses held in memory — "
      "GetArticle answers with corpus article `i % 1000` with its output fields, so response sizes match "
      "(see `bytes/resp`). Server and client share the 2 cores. The `sweep_*` rows feed the throughput chart. "
      f"content-server runs with its default `--storage_workers`, `--search_workers` and `--search_helpers` "
      f"(writes and listing on one work queue, searches on another with one thread per core, and one fewer "
      f"helper thread than cores that joins a search in progress when idle; GetArticle inline) and {cache_note}. "
      f"The `events_*` rows: see CreateEvent below.")
    w("")
    w(read(run, "grpc.md").strip())
    w("")
    errors = read(run, "grpc_errors.txt").strip()
    if errors:
        w("Non-OK statuses reported by the load client:")
        w("")
        w("```")
        w(errors)
        w("```")
        w("")
    w("h2load (pre-encoded gRPC bodies from `bench-grpc-body`, 16 connections × 32 streams, one article id for "
      "every call; h2load sees HTTP status only, not `grpc-status`):")
    w("")
    w("| target | calls/s | HTTP 2xx |")
    w("|---|---:|---:|")
    for label in ("echo_get", "content_get", "content_list"):
        if num(kv, f"h2load_{label}_qps") is not None:
            w(f"| {label} | {rate(num(kv, f'h2load_{label}_qps'))} | {int(num(kv, f'h2load_{label}_2xx', 0)):,} |")
    w("")
    if num(kv, "events_create_1_p50_us") is not None:
        w("### CreateEvent (events-server checking one source article with content-server)")
        w("")
        w("`events-server` on a fresh database, started with `--content_target` pointing at the content-server "
          "above (the same process, with the corpus) and a service token for it, as deployed. Each "
          "CreateEvent cites one random corpus article: events-server validates the event, calls "
          "`ContentService.GetArticle` for the article (its own channel, with the service token) and then "
          "writes the event in one synced batch. First `events_create_16` builds the data set (16 clients, "
          f"exactly {int(num(kv, 'events_dataset', 0)):,} events), then `events_get_1` (GetArticle straight "
          "to content-server) and `events_create_1` measure one client each, back to back, which is what the "
          "target compares; `events_create_nosource_1` is CreateEvent citing no article (validation and the "
          "synced write alone), so CreateEvent minus it is what checking one article costs.")
        w("")
        w("| what | value |")
        w("|---|---:|")
        w(f"| CreateEvent, 16 clients (the data set) | {rate(num(kv, 'events_create_16_qps'))}, "
          f"p50 {ms(num(kv, 'events_create_16_p50_us'))} |")
        w(f"| CreateEvent, 1 client: p50 / p90 / p99 | {ms(num(kv, 'events_create_1_p50_us'))} / "
          f"{ms(num(kv, 'events_create_1_p90_us'))} / {ms(num(kv, 'events_create_1_p99_us'))} |")
        w(f"| GetArticle, 1 client: p50 / p90 / p99 | {ms(num(kv, 'events_get_1_p50_us'))} / "
          f"{ms(num(kv, 'events_get_1_p90_us'))} / {ms(num(kv, 'events_get_1_p99_us'))} |")
        if num(kv, "events_create_nosource_1_p50_us") is not None:
            w(f"| CreateEvent citing no article, 1 client: p50 / p90 / p99 | "
              f"{ms(num(kv, 'events_create_nosource_1_p50_us'))} / "
              f"{ms(num(kv, 'events_create_nosource_1_p90_us'))} / "
              f"{ms(num(kv, 'events_create_nosource_1_p99_us'))} |")
        w(f"| events database at the end | {num(kv, 'events_db_bytes', 0) / 2**20:.1f} MiB |")
        w("")
    w("### Start-up and memory")
    w("")
    w(read(run, "startup.md").strip())
    w("")
    w("| process | RSS idle | peak before the search phase | peak after it | RSS at the end | peak RSS (VmHWM) |")
    w("|---|---:|---:|---:|---:|---:|")

    def mib(k):
        v = num(kv, k)
        return "–" if v is None else f"{v / 1024:.0f} MiB"

    w(f"| content-server, {count:,} articles | {mib('content_rss_idle_kib')} | "
      f"{mib('content_rss_before_search_kib')} | {mib('content_rss_after_search_kib')} | "
      f"{mib('content_rss_load_kib')} | {mib('content_rss_hwm_kib')} |")
    w(f"| bench-echo-server | {mib('echo_rss_idle_kib')} | | | | {mib('echo_rss_hwm_kib')} |")
    if num(kv, "events_rss_idle_kib") is not None:
        w(f"| events-server, {int(num(kv, 'events_dataset', 0)):,}+ events | {mib('events_rss_idle_kib')} | | | | "
          f"{mib('events_rss_hwm_kib')} |")
    w("")

    photos = read(run, "photos.md").strip()
    if photos:
        w("## Photo upload and download (issue 8)")
        w("")
        w("`bench/media/bench-photos` (its own content-server on a fresh database, default flags). The "
          "reading of these figures (where an upload's and a download's time goes) is in `docs/MEDIA.md`.")
        w("")
        # bench-photos prints its own "## …" title: drop it, keep the rest.
        lines = photos.splitlines()
        if lines and lines[0].startswith("## "):
            lines = lines[1:]
        w("\n".join(lines).strip())
        w("")

    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ANALYSIS.md")
    if os.path.exists(notes):
        with open(notes, encoding="utf-8") as f:
            w(f.read().strip())
        w("")

    w("## Commands of this run")
    w("")
    w("`$ADDR` is the 127.0.0.1 port the script picked for the server under test, `$CONTENT_ADDR` the "
      "content-server's while events-server runs against it.")
    w("")
    w("```")
    w(read(run, "commands.txt").strip())
    w("```")
    w("")
    with open(os.path.join(dest, "BENCHMARKS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
