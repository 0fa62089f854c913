"""The results table: each measurement against its target, written between the RESULTS
markers of bench/README.md (`render` makes it, `write_readme` puts it there)."""

from __future__ import annotations

from pathlib import Path
from statistics import median
from typing import Any

README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- RESULTS:BEGIN -->", "<!-- RESULTS:END -->"

TARGETS = {
    "build_ratio": 0.90, "query_p50_ms": 40, "query_p99_ms": 100, "search_100k_p50_ms": 20,
    "search_1m_p50_ms": 50, "search_1m_p99_ms": 50, "recall10": 0.98, "startup_s": 5,
    "query_over_encode": 1.3, "bot_rss_mb": 400,
    # issue 17: the bot on synthetic indexes, start-up to /readyz and peak RSS after 200 answers
    "scale_startup_s": {100_000: 2, 1_000_000: 5}, "scale_rss_mb": {100_000: 900, 1_000_000: 2048},
    "ack_p99_ms": 100, "answer_p99_ms": 1500, "incremental_fraction": 0.05, "onnx_speedup": 1.5,
    "onnx_recall_delta": 0.01,
}

Row = tuple[str, str, str, str]      # measurement, result, target, verdict
T = TARGETS


def ok(value: float | None, target: float, higher_is_better: bool = False) -> str:
    if value is None:
        return "–"
    good = value >= target if higher_is_better else value <= target
    return "✅" if good else "❌"


def _build_rows(b: dict[str, Any]) -> list[Row]:
    d = b[b["default"]]
    o = b[b["other"]]
    return [
        (f"build: `index.build` on corpus/ ({b['default']}, median of {d['runs']} runs)",
         f"{d['chunks_per_s']} chunks/s ({d['chunks']} chunks; {d['texts']} texts "
         f"embedded in {d['build_s']} s, command wall {d['build_wall_s']} s)", "", ""),
        ("build: ratio to bare encode of the same texts, same run",
         f"{d['ratio']} (bare {d['bare_texts_per_s']} texts/s in {d['bare_s']} s; "
         f"against command wall time {d['ratio_wall']})",
         f"≥ {T['build_ratio']}", ok(d["ratio"], T["build_ratio"], True)),
        (f"build with {b['other']} (1 run, for comparison)",
         f"{o['chunks_per_s']} chunks/s, {o['build_s']} s; ratio to its bare "
         f"encode {o['ratio']}", "", ""),
    ]


def _query_rows(q: dict[str, Any]) -> list[Row]:
    m = q["query_ms"]
    over = round(m["p50"] / q["encode_ms"]["p50"], 2) if q["encode_ms"]["p50"] else None
    return [("query on the real index: encode + hybrid search + grouping",
             f"p50 {m['p50']} / p95 {m['p95']} / p99 {m['p99']} ms (n={m['n']}; "
             f"encode alone p50 {q['encode_ms']['p50']} ms; slowest of the untimed "
             f"first pass {q['cold_pass_ms']['max']} ms)",
             f"p50 ≤ {T['query_p50_ms']}, p99 ≤ {T['query_p99_ms']} ms",
             ok(max(m["p50"] / T["query_p50_ms"], m["p99"] / T["query_p99_ms"]), 1.0)),
            ("query on the real index: p50 over the bare encode's p50", f"{over}×",
             f"≤ {T['query_over_encode']}×", ok(over, T["query_over_encode"]))]


def _scale_rows(n: str, s: dict[str, Any]) -> list[Row]:
    n_i = int(n)
    label = f"{n_i // 1000}k" if n_i < 1_000_000 else f"{n_i // 1_000_000}M"
    search = s["search"]
    sm = search["search_ms"]
    target = {100_000: T["search_100k_p50_ms"], 1_000_000: T["search_1m_p50_ms"]}.get(n_i)
    p99 = T["search_1m_p99_ms"] if n_i == 1_000_000 else None
    rows: list[Row] = [
        (f"search alone at {label} chunks ({search['faiss']})",
         f"p50 {sm['p50']} / p95 {sm['p95']} / p99 {sm['p99']} ms (n={sm['n']}; "
         f"dense p50 {search['dense_ms']['p50']}, BM25 p50 "
         f"{search['bm25_ms']['p50']} ms; slowest of the untimed first pass "
         f"{search['cold_pass_ms']['max']} ms; index loaded in "
         f"{search['load_s']} s)",
         (f"p50 ≤ {target} ms" if target else "") + (f", p99 ≤ {p99} ms" if p99 else ""),
         ok(max(sm["p50"] / target, sm["p99"] / (p99 or sm["p99"] or 1)), 1.0)
         if target else "")]
    if not search["exact"]:
        rec = search["recall10_retriever"]
        rows.append((f"recall@10 vs exact at {label} (index alone / as the retriever uses "
                     f"it, re-scored)", f"{search['recall10_index']} / {rec}",
                     f"≥ {T['recall10']}", ok(rec, T["recall10"], True)))
    bot = s["bot"]
    rss_target = T["scale_rss_mb"].get(n_i)
    start_target = T["scale_startup_s"].get(n_i)
    answered = bot.get("load", {}).get("requests", 0) - bot.get("load", {}).get("errors", 0)
    rows.append((f"bot at {label} chunks: start-up (ready / first answer), peak RSS after "
                 f"{answered} answers",
                 f"{bot['ready_s']} s / {bot['first_answer_s']} s, {bot['peak_rss_mb']:.0f} MB "
                 f"(at ready {bot.get('rss_ready_mb', 0):.0f} MB)",
                 f"start ≤ {start_target} s, RSS ≤ {rss_target} MB" if rss_target else "",
                 ok(max(bot["ready_s"] / start_target, bot["peak_rss_mb"] / rss_target), 1.0)
                 if rss_target and start_target else ""))
    return rows


def _slack_rows(sl: dict[str, Any]) -> list[Row]:
    rows: list[Row] = [
        ("bot on the real index: start-up to /readyz 200",
         f"{sl['ready_s']} s (first answer at {sl['first_answer_s']} s)",
         f"≤ {T['startup_s']} s", ok(sl["ready_s"], T["startup_s"])),
        ("bot on the real index: peak RSS (after the load below)",
         f"{sl['peak_rss_mb']:.0f} MB", f"≤ {T['bot_rss_mb']} MB",
         ok(sl["peak_rss_mb"], T["bot_rss_mb"]))]
    ld = sl.get("load")
    if ld:
        rows += [
            (f"Slack: {ld['requests']} signed slash commands, {ld['concurrency']} at "
             f"a time: ack", f"p50 {ld['ack_ms']['p50']} / p99 {ld['ack_ms']['p99']} ms",
             f"p99 ≤ {T['ack_p99_ms']} ms", ok(ld["ack_ms"]["p99"], T["ack_p99_ms"])),
            ("Slack: time to the answer at response_url",
             f"p50 {ld['answer_ms']['p50']} / p99 {ld['answer_ms']['p99']} ms "
             f"({ld['seconds']} s for all)", f"p99 ≤ {T['answer_p99_ms']} ms",
             ok(ld["answer_ms"]["p99"], T["answer_p99_ms"])),
            ("Slack: errors", f"{ld['errors']}", "0", ok(ld["errors"], 0))]
    return rows


def _incremental_rows(inc: dict[str, Any]) -> list[Row]:
    f = inc["full"]
    return [(f"incremental rebuild, one of {inc['corpus']['notes']} synthetic notes "
             f"changed", f"{inc['fraction'] * 100:.1f}% of the full build "
             f"({median(r['seconds'] for r in inc['incremental'])} s vs {f['seconds']} s "
             f"for {f['chunks']} chunks; by command wall time "
             f"{inc['fraction_wall'] * 100:.1f}%)",
             f"≤ {T['incremental_fraction'] * 100:.0f}%",
             ok(inc["fraction"], T["incremental_fraction"]))]


def _onnx_rows(on: dict[str, Any]) -> list[Row]:
    lo, hi = on["bare_speedup_range"]
    onnx, torch = on["onnx-int8"], on["torch"]
    return [
        (f"ONNX int8 vs torch: bare encode speed-up of the {on['pairs'][0]['texts']} "
         f"build texts (median of {len(on['pairs'])} back-to-back pairs)",
         f"{on['bare_speedup']}× (pairs {lo}–{hi}×; whole `index.build`: "
         f"{on['build_speedup']}×)",
         f"≥ {T['onnx_speedup']}×", ok(on["bare_speedup"], T["onnx_speedup"], True)),
        ("ONNX int8 vs torch: encoding one question (embed_query, dev questions)",
         f"{on['query_speedup']}× (p50 {on['onnx_query_p50_ms']} vs "
         f"{on['torch_query_p50_ms']} ms)",
         f"≥ {T['onnx_speedup']}×", ok(on["query_speedup"], T["onnx_speedup"], True)),
        ("ONNX int8 vs torch: dev-set recall@5 (each on its own index)",
         f"{onnx['recall@5']} vs {torch['recall@5']} "
         f"(recall@1 {onnx['recall@1']} vs {torch['recall@1']}; "
         f"MRR {onnx['mrr']} vs {torch['mrr']})",
         f"within {T['onnx_recall_delta']}",
         ok(-on["recall5_delta"], T["onnx_recall_delta"]))]


def _peer_rows(pe: dict[str, Any]) -> list[Row]:
    """txtai beside ours (issue 17): no targets, the same passages, model and questions."""
    ours, tx, cmp_ = pe["ours"], pe["txtai"], pe["compare"]
    om, tm = ours["query_ms"], tx["query_ms"]
    orc, trc = ours["recall"], tx["recall"]
    label = f"txtai {tx['version']} hybrid ({tx['faiss']} + BM25)"
    return [
        (f"peer: build, {label} vs `index.build` ({ours['backend']}), same "
         f"{ours['chunks']} chunks (median of {pe['builds']})",
         f"txtai {tx['build_s']} s (CPU {tx['build_cpu_s']} s) vs ours {ours['build_s']} s "
         f"(CPU {ours['build_cpu_s']} s): {cmp_['build_ratio']}×", "", ""),
        (f"peer: query, txtai `search` ({pe['txtai_limit']} chunks) vs `Retriever.search` "
         f"(k={pe['depth']})",
         f"txtai p50 {tm['p50']} / p99 {tm['p99']} ms vs ours p50 {om['p50']} / p99 "
         f"{om['p99']} ms (n={om['n']}): {cmp_['p50_ratio']}× at p50", "", ""),
        ("peer: dev-set recall@5 of the answer talk, txtai vs ours",
         f"{trc['recall@5']} vs {orc['recall@5']} (recall@1 {trc['recall@1']} vs "
         f"{orc['recall@1']}; MRR {trc['mrr']} vs {orc['mrr']}; {orc['questions']} questions, "
         f"found in the top 5 only by ours {cmp_['only_ours']}, only by txtai "
         f"{cmp_['only_txtai']}; catalog-only talks among the top 5: "
         f"{trc.get('catalog_share', 0) * 100:.0f}% vs {orc.get('catalog_share', 0) * 100:.0f}%)",
         "", ""),
    ]


def _rows(results: dict[str, Any]) -> list[Row]:
    """The table's rows, in the order of the sections that ran."""
    rows: list[Row] = []
    if results.get("build"):
        rows += _build_rows(results["build"])
    if results.get("query"):
        rows += _query_rows(results["query"])
    for n, s in (results.get("scale") or {}).items():
        rows += _scale_rows(n, s)
    if results.get("slack"):
        rows += _slack_rows(results["slack"])
    if results.get("incremental"):
        rows += _incremental_rows(results["incremental"])
    if results.get("onnx"):
        rows += _onnx_rows(results["onnx"])
    if results.get("peer") and not results["peer"].get("skipped"):
        rows += _peer_rows(results["peer"])
    return rows


def _preamble(meta: dict[str, Any]) -> list[str]:
    """When, how, on what machine and with which versions the run was made."""
    return [f"Run {meta['date']} with `{meta['command']}` in {meta['total_s'] / 60:.1f} min; "
            f"encoder backend `{meta['backend']}`"
            + (f" (EMBEDDING_BACKEND={meta['backend_env']})" if meta.get("backend_env")
               else " (the code's default)") + ".",
            f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
            f"{meta['machine']['memory_mb'] // 1024} GiB; load average "
            f"{meta['load_start']} at the start, {meta['load_end']} at the end.",
            "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + "."]


def render(results: dict[str, Any]) -> str:
    """The README's results section, markers included."""
    lines = [BEGIN, "", *_preamble(results["meta"]), "",
             "| measurement | result | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _rows(results)]
    lines += ["", END]
    return "\n".join(lines)


def round_floats(obj: Any) -> Any:
    """Medians of rounded figures can carry float noise (0.9390000000000001): round to 3-4."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = round_floats(v)
    elif isinstance(obj, list):
        return [round_floats(v) for v in obj]
    elif isinstance(obj, float):
        return round(obj, 4)
    return obj


def write_readme(results: dict[str, Any]) -> None:
    table = render(results)
    text = README.read_text("utf-8") if README.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + table + text[text.index(END) + len(END):]
    else:
        text += "\n" + table + "\n"
    README.write_text(text, "utf-8")
