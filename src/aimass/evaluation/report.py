"""The HTML evaluation report: headline metrics, confusion matrix, per-intent precision /
recall / F1, a reliability diagram (and before/after temperature scaling), out-of-scope
detection, the risk–coverage curve, the faithfulness of explanations and the misclassified
examples. One self-contained file
(plots embedded as PNG), so it can be mailed or attached to a ticket."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AI Mass evaluation</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.num{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%}
</style></head><body>
<h1>AI Mass evaluation report</h1>
<p>model: <code>{{ artifact }}</code><br>data: <code>{{ data }}</code></p>
<h2>Metrics</h2>
<table>{% for k, v in headline %}<tr><th>{{ k }}</th><td class="num">{{ v }}</td></tr>{% endfor %}</table>
<h2>Per-intent precision, recall and F1</h2>
<img alt="per-intent precision recall F1" src="data:image/png;base64,{{ prf_png }}">
<table><tr><th>intent</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
{% for lab, m in per_label %}<tr><td>{{ lab }}</td><td class="num">{{ "%.3f"|format(m.precision) }}</td>
<td class="num">{{ "%.3f"|format(m.recall) }}</td><td class="num">{{ "%.3f"|format(m.f1) }}</td>
<td class="num">{{ m.support }}</td></tr>{% endfor %}</table>
<h2>Confusion matrix</h2>
<img alt="confusion matrix" src="data:image/png;base64,{{ confusion_png }}">
<h2>Reliability diagram</h2>
<img alt="reliability diagram" src="data:image/png;base64,{{ reliability_png }}">
{% if calibration %}<h2>Calibration before and after temperature scaling</h2>
<table><tr><th>head</th><th>temperature</th><th>ECE before</th><th>ECE after</th></tr>
{% for head, c in calibration %}<tr><td>{{ head }}</td><td class="num">{{ "%.3f"|format(c.temperature) }}</td>
<td class="num">{{ "%.4f"|format(c.before.ece) }}</td><td class="num">{{ "%.4f"|format(c.after.ece) }}</td></tr>{% endfor %}</table>
{% for head, png in calibration_pngs %}<img alt="reliability before and after: {{ head }}" src="data:image/png;base64,{{ png }}">{% endfor %}{% endif %}
{% if oos %}<h2>Out-of-scope detection</h2>
<table><tr><th></th><th>served score ({{ oos.score }})</th><th>confidence only</th></tr>
<tr><th>AUROC</th><td class="num">{{ fmt(oos.auroc) }}</td><td class="num">{{ fmt(oos.auroc_confidence_only) }}</td></tr>
<tr><th>FPR at 95% in-scope recall</th><td class="num">{{ fmt(oos.fpr_at_95_recall) }}</td><td class="num">{{ fmt(oos.fpr_at_95_recall_confidence_only) }}</td></tr>
<tr><th>out-of-scope examples</th><td class="num" colspan="2">{{ oos.n_oos }}</td></tr></table>{% endif %}
{% if risk %}<h2>Risk–coverage</h2>
<p>Answer only the most confident share of messages: the error rate among those answered.
AURC {{ fmt(risk.aurc) }} (lower is better); risk at full coverage {{ fmt(risk.risk_at_full) }}.</p>
<img alt="risk-coverage curve" src="data:image/png;base64,{{ risk_png }}">{% endif %}
{% if faith and faith.n %}<h2>Faithfulness of explanations (deletion)</h2>
<p>Delete the top-k words by {{ faith.method }} attribution vs k random words; mean drop of the
predicted intent's probability over {{ faith.n }} correctly predicted messages.</p>
<table><tr><th>top-{{ faith.k }} deleted</th><th>random deleted</th><th>margin</th><th>AOPC (k = 1..{{ faith.k }})</th></tr>
<tr><td class="num">{{ fmt(faith.top_drop) }}</td><td class="num">{{ fmt(faith.random_drop) }}</td>
<td class="num">{{ fmt(faith.margin) }}</td><td class="num">{{ fmt(faith.aopc) }}</td></tr></table>
<p>Explanation latency on the served model: p50 {{ faith.latency_ms_p50 }} ms, p95 {{ faith.latency_ms_p95 }} ms.</p>{% endif %}
<h2>Misclassified examples ({{ errors|length }})</h2>
<table><tr><th>text</th><th>gold</th><th>predicted</th><th>confidence</th></tr>
{% for e in errors[:500] %}<tr><td>{{ e.text }}</td><td>{{ e.gold }}</td><td>{{ e.predicted }}</td>
<td class="num">{{ e.confidence }}</td></tr>{% endfor %}</table>
</body></html>
"""


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _fonts() -> None:
    """Prefer a CJK-capable font when one is installed, so Chinese intent names render."""
    import matplotlib

    matplotlib.rcParams["font.sans-serif"] = [
        "Noto Sans CJK SC",
        "WenQuanYi Zen Hei",
        "SimHei",
        "DejaVu Sans",
    ]
    matplotlib.rcParams["axes.unicode_minus"] = False


def confusion_png(labels: list[str], matrix: np.ndarray) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(labels)
    size = max(4.0, min(0.28 * n + 2, 40.0))
    fig, ax = plt.subplots(figsize=(size, size))
    row = matrix.sum(axis=1, keepdims=True).clip(min=1)
    ax.imshow(matrix / row, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(n), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    if n <= 30:
        for i in range(n):
            for j in range(n):
                if matrix[i, j]:
                    ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=6)
    return _png(fig)


def prf_png(per_label: dict[str, dict[str, float]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted(per_label, key=lambda k: per_label[k]["f1"])
    n = len(labels)
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.22 * n + 1)))
    y = np.arange(n)
    for k, (metric, colour) in enumerate(
        (("precision", "#4c72b0"), ("recall", "#55a868"), ("f1", "#c44e52"))
    ):
        ax.barh(
            y + (k - 1) * 0.27,
            [per_label[lab][metric] for lab in labels],
            height=0.27,
            label=metric,
            color=colour,
        )
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlim(0, 1)
    ax.legend(loc="lower right")
    return _png(fig)


def reliability_png(bins: list[dict[str, Any]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    centres = [(b["lower"] + b["upper"]) / 2 for b in bins if b["count"]]
    acc = [b["accuracy"] for b in bins if b["count"]]
    width = bins[0]["upper"] - bins[0]["lower"] if bins else 0.1
    ax.bar(centres, acc, width=width * 0.9, color="#4c72b0", label="accuracy")
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    return _png(fig)


def calibration_png(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> str:
    """Two reliability diagrams side by side: before and after temperature scaling."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5), sharey=True)
    for ax, bins, title in ((axes[0], before, "before"), (axes[1], after, "after")):
        centres = [(b["lower"] + b["upper"]) / 2 for b in bins if b["count"]]
        acc = [b["accuracy"] for b in bins if b["count"]]
        width = bins[0]["upper"] - bins[0]["lower"] if bins else 0.1
        ax.bar(centres, acc, width=width * 0.9, color="#4c72b0", label="accuracy")
        ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
        ax.set_title(f"{title} temperature scaling")
        ax.set_xlabel("confidence")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("accuracy")
    axes[0].legend(loc="upper left")
    return _png(fig)


def risk_coverage_png(coverage: list[float], risk: list[float]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(coverage, risk, color="#c44e52")
    ax.set_xlabel("coverage (share of messages answered)")
    ax.set_ylabel("risk (error rate among answered)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, max(0.05, max(risk, default=0.0) * 1.1))
    return _png(fig)


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v)


def write_report(
    path: Path,
    *,
    metrics: dict[str, Any],
    labels: list[str],
    matrix: np.ndarray,
    errors: list[dict[str, Any]],
    artifact: str,
    data: str,
) -> Path:
    from jinja2 import Environment

    _fonts()
    keys = ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "oos_precision", "ece", "n")
    headline = [
        (
            k,
            "-"
            if metrics.get(k) is None
            else (f"{metrics[k]:.4f}" if isinstance(metrics[k], float) else metrics[k]),
        )
        for k in keys
    ]
    per_label = metrics.get("per_label", {})
    trust = metrics.get("trust", {})
    calibration = sorted(trust.get("calibration", {}).items())
    risk = trust.get("risk_coverage") or {}
    html = (
        Environment(autoescape=True)
        .from_string(_TEMPLATE)
        .render(
            artifact=artifact,
            data=data,
            headline=headline,
            per_label=sorted(per_label.items()),
            prf_png=prf_png(per_label),
            confusion_png=confusion_png(labels, matrix),
            reliability_png=reliability_png(metrics.get("reliability", [])),
            errors=errors,
            fmt=_fmt,
            calibration=calibration,
            calibration_pngs=[
                (h, calibration_png(c["before"]["bins"], c["after"]["bins"]))
                for h, c in calibration
            ],
            oos=trust.get("oos"),
            risk=risk if risk.get("coverage") else None,
            risk_png=risk_coverage_png(risk["coverage"], risk["risk"])
            if risk.get("coverage")
            else "",
            faith=trust.get("faithfulness"),
        )
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
