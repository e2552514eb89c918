"""Training data per task, dev splits, and the per-epoch batch plan across tasks.

A bot project, an imported data set and the benchmark files all become a ``TaskData``; the
trainer never sees where the data came from.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class IntentData:
    texts: list[str]
    labels: list[str]


@dataclass
class ProfileData:
    texts: list[str]
    tags: list[list[str]]


@dataclass
class MatchingData:
    """FAQ retrieval: a bank of question variants per FAQ, plus user queries with their FAQ.

    Training pairs are (variant, another variant of the same FAQ) and (query, variant);
    evaluation ranks every FAQ of ``bank`` for each query (best variant per FAQ).
    """

    bank: dict[str, list[str]]
    queries: list[tuple[str, str]] = field(default_factory=list)  # (text, faq_id)


@dataclass
class PairData:
    a: list[str]
    b: list[str]
    labels: list[int]


@dataclass
class TaskData:
    intent: IntentData | None = None
    profile: ProfileData | None = None
    matching: MatchingData | None = None
    pair: PairData | None = None

    def tasks(self) -> list[str]:
        return [
            n for n in ("intent", "profile", "matching", "pair") if getattr(self, n) is not None
        ]

    def sizes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        if self.intent:
            out["intent"] = len(self.intent.texts)
        if self.profile:
            out["profile"] = len(self.profile.texts)
        if self.matching:
            out["matching"] = len(matching_pairs(self.matching, random.Random(0)))
        if self.pair:
            out["pair"] = len(self.pair.labels)
        return out

    def all_texts(self) -> list[str]:
        """Every text the model will see: for vocabulary trimming."""
        texts: list[str] = []
        if self.intent:
            texts += self.intent.texts
        if self.profile:
            texts += self.profile.texts
        if self.matching:
            texts += [q for qs in self.matching.bank.values() for q in qs]
            texts += [t for t, _ in self.matching.queries]
        if self.pair:
            texts += self.pair.a + self.pair.b
        return texts


def intent_groups(data: IntentData) -> MatchingData:
    """The intents' examples as contrastive groups (supervised contrastive learning): texts
    of one intent are pulled together, others pushed apart, in the shared embedding space.
    Out-of-scope examples are not a group (they have nothing in common)."""
    bank: dict[str, list[str]] = defaultdict(list)
    for text, label in zip(data.texts, data.labels, strict=True):
        if label != "oos":
            bank[f"intent:{label}"].append(text)
    return MatchingData(bank=dict(bank))


def matching_pairs(
    data: MatchingData, rng: random.Random, max_per_faq: int = 12
) -> list[tuple[str, str, str]]:
    """(anchor, positive, faq_id) rows for contrastive training, resampled each epoch.

    Each query pairs with a random variant of its FAQ; within an FAQ, variants pair with each
    other (capped, so a many-variant FAQ does not dominate); in a group larger than the cap
    (the examples of an intent, for supervised contrastive training) each text pairs with one
    random other member.
    """
    rows: list[tuple[str, str, str]] = []
    for faq_id, variants in data.bank.items():
        if len(variants) < 2:
            continue
        if len(variants) > max_per_faq:  # a large group (an intent's examples): one pair each
            for i, a in enumerate(variants):
                j = rng.randrange(len(variants) - 1)
                rows.append((a, variants[j + (j >= i)], faq_id))
            continue
        pairs = [(a, b) for i, a in enumerate(variants) for j, b in enumerate(variants) if i < j]
        rng.shuffle(pairs)
        rows += [(a, b, faq_id) for a, b in pairs[:max_per_faq]]
    for text, faq_id in data.queries:
        members = data.bank.get(faq_id)
        if members:
            rows.append((text, rng.choice(members), faq_id))
    return rows


def stratified_split(labels: list[Any], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices (train, dev): ``fraction`` of each class goes to dev, at least one when the
    class has 3 or more examples (so a rare class is still selected on)."""
    rng = random.Random(seed)
    by_label: dict[Any, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        by_label[lab].append(i)
    train: list[int] = []
    dev: list[int] = []
    for lab in sorted(by_label, key=str):
        idx = by_label[lab]
        rng.shuffle(idx)
        n_dev = round(len(idx) * fraction)
        if n_dev == 0 and len(idx) >= 3:
            n_dev = 1
        dev += idx[:n_dev]
        train += idx[n_dev:]
    return sorted(train), sorted(dev)


def split_task_data(data: TaskData, fraction: float, seed: int) -> tuple[TaskData, TaskData]:
    """Hold out a stratified dev share of every task (used when no dev data is given)."""
    train, dev = TaskData(), TaskData()
    if data.intent:
        tr, dv = stratified_split(data.intent.labels, fraction, seed)
        train.intent = IntentData(
            [data.intent.texts[i] for i in tr], [data.intent.labels[i] for i in tr]
        )
        dev.intent = IntentData(
            [data.intent.texts[i] for i in dv], [data.intent.labels[i] for i in dv]
        )
    if data.profile:
        keys = ["|".join(sorted(t)) for t in data.profile.tags]
        tr, dv = stratified_split(keys, fraction, seed)
        train.profile = ProfileData(
            [data.profile.texts[i] for i in tr], [data.profile.tags[i] for i in tr]
        )
        dev.profile = ProfileData(
            [data.profile.texts[i] for i in dv], [data.profile.tags[i] for i in dv]
        )
    if data.matching:
        train.matching, dev.matching = _split_matching(data.matching, seed)
    if data.pair:
        tr, dv = stratified_split(data.pair.labels, fraction, seed)
        p = data.pair
        train.pair = PairData([p.a[i] for i in tr], [p.b[i] for i in tr], [p.labels[i] for i in tr])
        dev.pair = PairData([p.a[i] for i in dv], [p.b[i] for i in dv], [p.labels[i] for i in dv])
    return train, dev


def _split_matching(data: MatchingData, seed: int) -> tuple[MatchingData, MatchingData]:
    """Dev queries are one held-out variant of each FAQ that has three or more, plus a share
    of the labelled queries; the dev bank is the training bank (as at serving time)."""
    rng = random.Random(seed)
    bank: dict[str, list[str]] = {}
    dev_queries: list[tuple[str, str]] = []
    for faq_id, variants in data.bank.items():
        vs = list(variants)
        if len(vs) >= 3:
            held = vs.pop(rng.randrange(1, len(vs)))  # never the canonical first question
            dev_queries.append((held, faq_id))
        bank[faq_id] = vs
    queries = list(data.queries)
    rng.shuffle(queries)
    n_dev = len(queries) // 5
    dev_queries += queries[:n_dev]
    return MatchingData(bank, queries[n_dev:]), MatchingData(bank, dev_queries)


@dataclass
class Batch:
    task: str
    rows: list[Any]


def plan_epoch(
    rows_by_task: dict[str, list[Any]],
    batch_size: int,
    temperature: float,
    rng: random.Random,
    length: dict[str, Any] | None = None,
) -> list[Batch]:
    """All batches of one epoch, each from a single task, in a shuffled task order.

    A task with n rows gets a share of the epoch's batches proportional to n**temperature:
    temperature 1 keeps natural proportions, 0 gives every task the same number of batches,
    0.5 (the default) lets a small task (profile tags) be seen more than its size alone would
    allow without starving a big one. Within a task, rows are grouped by similar length
    (sorted within shuffled chunks) so batches pad less.
    """
    natural = {t: math.ceil(len(r) / batch_size) for t, r in rows_by_task.items() if r}
    total = sum(natural.values())
    weights = {t: len(rows_by_task[t]) ** temperature for t in natural}
    wsum = sum(weights.values())
    batches: list[Batch] = []
    for task in natural:
        quota = max(1, round(total * weights[task] / wsum))
        rows = rows_by_task[task]
        keyfn = (length or {}).get(task)
        produced: list[Batch] = []
        while len(produced) < quota:
            order = list(rows)
            rng.shuffle(order)
            if keyfn is not None:
                chunk = batch_size * 50
                order = [
                    r
                    for s in range(0, len(order), chunk)
                    for r in sorted(order[s : s + chunk], key=keyfn)
                ]
            produced += [
                Batch(task, order[s : s + batch_size]) for s in range(0, len(order), batch_size)
            ]
        batches += produced[:quota]
    rng.shuffle(batches)
    return batches
