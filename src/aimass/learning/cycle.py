"""One learning cycle: stored feedback -> a candidate policy -> off-policy gate -> promote.

The candidate is trained from scratch on the older feedback every cycle (so re-reading the
same database never counts a turn twice) plus every agent correction, and judged on the
newest share of the feedback, which it never saw. It replaces the current policy (the one
beside the artifact, else the static top-1 ranker) only when the promotion gate says so;
what was evaluated is exactly what is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aimass.learning.bandit import (
    FeatureSpec,
    LinearBandit,
    Policy,
    StaticPolicy,
    write_json_atomic,
)
from aimass.learning.feedback import FeedbackData, split_in_time
from aimass.learning.ope import promotion_gate

POLICY_FILE = "bandit-policy.json"
REPORT_FILE = "bandit-report.json"


def learn_cycle(
    data: FeedbackData,
    policy_path: Path,
    *,
    holdout: float = 0.5,
    estimator: str = "dr",
    margin: float = 0.0,
    min_turns: int = 50,
    method: str = "ucb",
    alpha: float = 0.5,
    explore_floor: float = 0.05,
    explore_ceiling: float = 0.3,
    k: int = 5,
    seed: int = 0,
    dry_run: bool = False,
) -> dict[str, Any]:
    train, held = split_in_time(data.turns, holdout)
    held_ctx = {id(t.context) for t in held}
    tags = sorted({t for turn in data.turns for t in turn.context.tags})
    bandit = LinearBandit(
        FeatureSpec(k=k, tags=tuple(tags)),
        method=method,
        alpha=alpha,
        explore_floor=explore_floor,
        explore_ceiling=explore_ceiling,
        seed=seed,
    )
    for t in train:
        bandit.update(t.context, t.chosen, t.reward)
    used_labels = 0
    for lab in data.labelled:
        if id(lab.context) in held_ctx:  # its turn is judged below: do not learn its answer
            continue
        bandit.update_full(lab.context, lab.rewards())
        used_labels += 1
    current: Policy
    if policy_path.exists():
        current = LinearBandit.load(policy_path).greedy()
        current_name = f"bandit policy {policy_path.name}"
    else:
        current = StaticPolicy()
        current_name = "static top-1 ranker"
    report: dict[str, Any] = {
        "feedback": data.summary(),
        "train_turns": len(train),
        "train_labels": used_labels,
        "evaluation_turns": len(held),
        "current": current_name,
        "policy": str(policy_path),
        "promoted": False,
        "dry_run": dry_run,
    }
    if not held:
        report["reason"] = "no feedback left to evaluate on; nothing promoted"
    else:
        gate = promotion_gate(
            held,
            bandit.greedy(),
            current,
            estimator=estimator,
            margin=margin,
            min_turns=min_turns,
            seed=seed,
        )
        report["gate"] = gate.to_dict()
        report["reason"] = gate.reason
        report["promoted"] = gate.promote and not dry_run
        if gate.promote and dry_run:
            report["reason"] += " (dry run: nothing written)"
    if report["promoted"]:
        bandit.save(policy_path)
    if not dry_run:
        write_json_atomic(policy_path.with_name(REPORT_FILE), report)
    return report
