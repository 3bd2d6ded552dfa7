"""Reliability (calibration) of a confidence score: binned accuracy against mean score, and the ECE.

Pure functions on a list of `(score, correct)` pairs, for example those of
`benchmarks.geoparse.collect_scored(geoparser, corpus)`:

    from benchmarks.reliability import reliability_bins, expected_calibration_error, reliability_table
    pairs = collect_scored(Geoparser(), load_geovirus(DEFAULT_CORPORA))
    print(reliability_table(pairs))
    expected_calibration_error(pairs)        # 0 = perfectly calibrated

Bins are `n_bins` equal-width intervals of the score, [0, 0.1), [0.1, 0.2), … [0.9, 1.0] (the last one
closed; scores outside 0..1 are clamped into the end bins). The expected calibration error is the
count-weighted mean of |fraction correct − mean score| over the non-empty bins (Naeini et al. 2015;
Guo et al. 2017): ECE = Σ_b (n_b / N) · |acc_b − conf_b|.
"""
from __future__ import annotations

N_BINS = 10


def _bin_of(score: float, n_bins: int) -> int:
    return min(n_bins - 1, max(0, int(float(score) * n_bins)))


def reliability_bins(pairs, n_bins: int = N_BINS) -> list:
    """One dict per bin: lo, hi, n, mean_score, frac_correct (None for an empty bin)."""
    sums = [[0, 0.0, 0] for _ in range(n_bins)]          # n, score sum, correct
    for score, correct in pairs:
        b = sums[_bin_of(score, n_bins)]
        b[0] += 1
        b[1] += float(score)
        b[2] += bool(correct)
    return [{"lo": k / n_bins, "hi": (k + 1) / n_bins, "n": n,
             "mean_score": s / n if n else None, "frac_correct": c / n if n else None}
            for k, (n, s, c) in enumerate(sums)]


def expected_calibration_error(pairs, n_bins: int = N_BINS) -> float:
    """Σ over non-empty bins of (n_b / N) · |fraction correct − mean score|; 0.0 for no pairs."""
    bins = reliability_bins(pairs, n_bins)
    total = sum(b["n"] for b in bins)
    if not total:
        return 0.0
    return sum(b["n"] / total * abs(b["frac_correct"] - b["mean_score"]) for b in bins if b["n"])


def reliability_table(pairs, n_bins: int = N_BINS) -> str:
    """A Markdown table (score bin, count, mean score, fraction correct, gap) and an ECE line under it."""
    pairs = list(pairs)
    bins = reliability_bins(pairs, n_bins)
    lines = ["| score | count | mean score | fraction correct | correct − score |", "|---|---:|---:|---:|---:|"]
    for b in bins:
        label = f"{b['lo']:.1f}–{b['hi']:.1f}"
        if b["n"]:
            lines.append(f"| {label} | {b['n']} | {b['mean_score']:.3f} | {b['frac_correct']:.3f} | "
                         f"{b['frac_correct'] - b['mean_score']:+.3f} |")
        else:
            lines.append(f"| {label} | 0 | – | – | – |")
    n = len(pairs)
    right = sum(bool(c) for _, c in pairs)
    mean = sum(float(s) for s, _ in pairs) / n if n else 0.0
    lines.append(f"| all | {n} | {mean:.3f} | {right / n if n else 0.0:.3f} | "
                 f"{(right / n if n else 0.0) - mean:+.3f} |")
    lines += ["", f"ECE ({n_bins} equal-width bins): **{expected_calibration_error(pairs, n_bins):.3f}**"]
    return "\n".join(lines)
