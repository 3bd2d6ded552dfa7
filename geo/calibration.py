"""A confidence that means something: the probability that a pin is right.

The resolver's softmax over candidates and the recogniser's vote are scores, not probabilities: on the
development corpora a mention scored 0.99 was right 85 % of the time, and Paris (many namesakes) scored
lower than a village with one entry. A small logistic model turns what the geoparser knows about a mention
(how sure the resolver was and by what margin, how the span was recognised, what kind of place it chose)
into P(the place is within 161 km of the right one, or inside the area drawn). Qualifiers ("Russian
forces") are no pins and are left out of the fit. Its weights are fitted on GeoVirus and TR-News by
`python benchmarks/calibrate.py`, which writes `geo/calibration.json` and prints the reliability tables;
without that file the raw score is used.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Optional

WEIGHTS_PATH = Path(__file__).resolve().parent / "calibration.json"

# The evidence words of a span (geo.recognise) the model reads; anything else is ignored.
_EVIDENCE = ("ner:GPE", "ner:LOC", "ner:FAC", "ner:PERSON", "ner:ORG", "ner-only",
             "sentence-initial", "part-of-longer-name", "discourse", "coordination", "person-context",
             "lowercase-elsewhere")
_KINDS = ("country", "continent", "region", "admin1", "admin2", "city", "airport", "landmark")
FEATURES = (["bias", "p_best", "margin", "recognition", "log_candidates", "log_population", "fame", "cue"]
            + [f"kind:{k}" for k in _KINDS] + [f"evidence:{e}" for e in _EVIDENCE])


def features(mention) -> list:
    """The model's inputs for one Mention (its place chosen, its alternatives ranked)."""
    p = mention.place
    alts = mention.alternatives
    p_best = max(0.0, 1.0 - sum(c.score for c in alts))      # the resolver's probability for its choice
    p_second = alts[0].score if alts else 0.0
    evidence = set(mention.span.evidence or ())
    n_candidates = 1 + len(alts)
    x = [1.0, p_best, p_best - p_second, min(1.0, max(0.0, mention.span.score or 0.0)),
         math.log10(1 + n_candidates), math.log10((p.population or 0) + 10) / 7,
         math.log2(1 + (p.fame or 0)) / 7, float(any(e.startswith("cue:") for e in evidence))]
    x += [float(p.kind == k) for k in _KINDS]
    x += [float(e in evidence) for e in _EVIDENCE]
    return x


@lru_cache(maxsize=4)
def _weights(path: str) -> Optional[list]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("features") != FEATURES:      # fitted for another feature set: not to be trusted
        return None
    return data["weights"]


def probability(mention, raw: float) -> float:
    """P(the mention's place is right), or `raw` when no fitted model is installed."""
    if mention.place is None:
        return 0.0
    w = _weights(str(WEIGHTS_PATH))
    if w is None:
        return raw
    z = sum(a * b for a, b in zip(w, features(mention)))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def fit(rows: list, l2: float = 1.0, iterations: int = 50) -> list:
    """Logistic regression by Newton's method: rows are (features, correct) pairs; returns weights."""
    import numpy as np

    X = np.array([r[0] for r in rows], dtype=float)
    y = np.array([1.0 if r[1] else 0.0 for r in rows])
    w = np.zeros(X.shape[1])
    penalty = np.eye(X.shape[1]) * l2
    penalty[0, 0] = 0.0                       # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ w, -30, 30)))
        grad = X.T @ (p - y) + penalty @ w
        hess = (X * (p * (1 - p))[:, None]).T @ X + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return [float(v) for v in w]


def save(weights: list, meta: dict, path: Path = WEIGHTS_PATH) -> None:
    path.write_text(json.dumps({"features": FEATURES, "weights": [round(v, 6) for v in weights], **meta},
                               indent=1) + "\n", encoding="utf-8")
    _weights.cache_clear()
