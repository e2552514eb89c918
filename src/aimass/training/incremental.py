"""Adding intents to a trained model without training it again from scratch.

A support team that adds one intent with twenty examples should not wait for (or pay for) a
full training run, nor lose what the model already does well. ``add_intents`` takes a trained
artifact and:

1. widens the intent head by one row per new intent, each started at the direction of its
   examples' vectors (the old rows are kept as they are);
2. trains on the new examples plus a *rehearsal* sample of every old intent (a few examples
   each, from the project or the training file), with *distillation* from the current model
   on the rehearsal rows (Learning without Forgetting, Li & Hoiem 2016): the old intents'
   relative scores must stay what they were, so the model forgets little;
3. by default trains only the head on the frozen encoder (``train_layers=0``): the shared
   encoder, and with it FAQ matching, profile tags and every other head, is exactly what it
   was. With ``train_layers=N`` the top N encoder layers move too, held near their old
   vectors by a feature-distillation loss;
4. refits the intent experts (character n-grams, frozen encoders) with the new labels, and
   recalibrates (temperature, expert weights, out-of-scope rule, prototypes, explanation bank)
   on dev, as full training does.

The caller (``aimass learn --add-intents``) compares the result with the current model on
dev and promotes it only when the old intents lose no more than a set budget.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from aimass.errors import TrainingError
from aimass.heads.intent import IntentHead
from aimass.model import predict
from aimass.model.experts import Expert, fit_expert
from aimass.training import calibrate
from aimass.training.data import IntentData, TaskData, stratified_split
from aimass.training.evaluate import evaluate_intent
from aimass.training.trainer import TrainResult, fit_calibration

log = logging.getLogger(__name__)

#: fewer examples than this for a new intent and the head cannot place it reliably
MIN_NEW_EXAMPLES = 5


@dataclass
class IncrementalConfig:
    rehearsal_per_label: int = 20  # old examples replayed per old intent
    train_layers: int = 0  # 0: the head only (the encoder, shared by every task, is frozen)
    epochs: int = 30
    batch_size: int = 32
    lr: float = 2e-5  # encoder layers (when train_layers > 0)
    head_lr: float = 3e-3
    distill_weight: float = 1.0  # LwF: KL to the current model's old-intent scores
    distill_temperature: float = 2.0
    feature_weight: float = 1.0  # with train_layers > 0: keep the pooled vectors close
    dev_per_label: int = 3  # held out per intent when no dev set is given
    max_minutes: float = 5.0
    seed: int = 0
    threads: int | None = None


@dataclass
class IncrementalResult:
    result: TrainResult
    new_labels: list[str]
    report: dict[str, Any] = field(default_factory=dict)


def add_intents(
    artifact: Path,
    new: IntentData,
    rehearsal: IntentData,
    dev: IntentData | None = None,
    config: IncrementalConfig | None = None,
) -> IncrementalResult:
    """The artifact's model with the intents of ``new`` added (or, for labels it knows,
    more examples of them). ``rehearsal`` is the old training data (all of it is used to refit
    the experts and the prototypes; ``rehearsal_per_label`` of each intent are replayed).
    Without ``dev``, a few examples per intent are held out of both for calibration."""
    from aimass.model.io import load_model

    cfg = config or IncrementalConfig()
    started = time.time()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model, enc, files = load_model(Path(artifact))
    if "intent" not in model.heads:
        raise TrainingError(
            "this model has no intent head to add intents to",
            code="AM596",
            hint="train it with intents first (aimass train)",
        )
    head = model.heads["intent"]
    assert isinstance(head, IntentHead)
    old_labels = list(head.labels)
    new_labels = sorted(set(new.labels) - set(old_labels), key=new.labels.index)
    _check_new(new, new_labels)
    if not rehearsal.texts:
        raise TrainingError(
            "no examples of the old intents to rehearse",
            code="AM597",
            hint="pass the project or the training file the model was trained on (--data)",
        )
    unknown = sorted(set(rehearsal.labels) - set(old_labels))
    if unknown:
        log.warning("rehearsal labels the model does not know are treated as new: %s", unknown)
        new = IntentData(
            new.texts
            + [t for t, g in zip(rehearsal.texts, rehearsal.labels, strict=True) if g in unknown],
            new.labels + [g for g in rehearsal.labels if g in unknown],
        )
        new_labels += [g for g in unknown if g not in new_labels]
    labels = old_labels + new_labels
    pool = IntentData(rehearsal.texts + new.texts, rehearsal.labels + new.labels)
    if dev is None:
        pool, dev = _hold_out(pool, cfg.dev_per_label, cfg.seed)
    dev_unknown = sorted(set(dev.labels) - set(labels))
    if dev_unknown:
        raise TrainingError(
            f"dev labels neither in the model nor among the new examples: {dev_unknown[:5]}",
            code="AM598",
            hint="add examples of those intents, or drop them from the dev file",
        )

    teacher = copy.deepcopy(model).eval()
    _widen(head, new_labels, model, enc, pool)
    rows = _rows(pool, new_labels, cfg.rehearsal_per_label, cfg.seed)
    history: list[dict[str, Any]] = []
    _fit(model, teacher, enc, rows, labels, len(old_labels), cfg, started, history, dev)
    model.eval()

    experts = _refit_experts(files, Path(artifact), pool, dev, labels)
    negatives = [t for t, g in zip(pool.texts, pool.labels, strict=True) if g == calibrate.OOS]
    intent_cal = fit_calibration(
        model,
        enc,
        TaskData(intent=dev),
        experts,
        negatives,
        train=TaskData(intent=pool),
        oos_cost=float(files.calibration.get("oos_cost", 1.0)),
        oos_target_recall=files.calibration.get("oos_target_recall"),
    )
    calibration = {**files.calibration, **intent_cal}
    metrics = dict(files.metrics.get("dev", {}))
    metrics["intent"] = evaluate_intent(model, enc, dev)
    result = TrainResult(
        model=model,
        enc=enc,
        labels={**files.labels, "intents": labels},
        metrics=metrics,
        calibration=calibration,
        history=history,
        backbone=dict(files.manifest.get("backbone", {})),
        train_seconds=time.time() - started,
        vocab=dict(files.metrics.get("vocab", {})),
        dev=TaskData(intent=dev),
        experts=experts,
    )
    report = {
        "new_intents": new_labels,
        "new_examples": len(new.texts),
        "rehearsed": len(rows),
        "train_layers": cfg.train_layers,
        "seconds": round(time.time() - started, 1),
        "unknown_pieces": _unknown_pieces(enc, new.texts),
    }
    log.info("added %s in %.0f s", new_labels, report["seconds"])
    return IncrementalResult(result, new_labels, report)


# ----------------------------------------------------------------------------- the steps


def _check_new(new: IntentData, new_labels: list[str]) -> None:
    if not new.texts:
        raise TrainingError(
            "no new examples given", code="AM595", hint="give a JSONL of {text, label} rows"
        )
    if calibrate.OOS in new_labels:
        raise TrainingError(
            "'oos' is the out-of-scope label, not an intent to add",
            code="AM595",
            hint="out-of-scope examples belong in the training data of a full run",
        )
    for lab in new_labels:
        n = sum(1 for g in new.labels if g == lab)
        if n < MIN_NEW_EXAMPLES:
            raise TrainingError(
                f"intent {lab!r} has {n} example(s); at least {MIN_NEW_EXAMPLES} are needed",
                code="AM595",
                hint="about 20 varied examples give a reliable new intent",
            )


def _hold_out(pool: IntentData, per_label: int, seed: int) -> tuple[IntentData, IntentData]:
    """Keep ``per_label`` examples of each intent aside (at most a fifth of its examples)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, g in enumerate(pool.labels):
        by_label.setdefault(g, []).append(i)
    held: set[int] = set()
    for idx in by_label.values():
        k = min(per_label, len(idx) // 5)
        held.update(rng.sample(idx, k))
    if not held:  # tiny data: fall back to a plain stratified share
        _, dev_idx = stratified_split(pool.labels, 0.2, seed)
        held = set(dev_idx)
    keep = [i for i in range(len(pool.texts)) if i not in held]
    dev = sorted(held)
    return (
        IntentData([pool.texts[i] for i in keep], [pool.labels[i] for i in keep]),
        IntentData([pool.texts[i] for i in dev], [pool.labels[i] for i in dev]),
    )


@torch.no_grad()
def _widen(head: IntentHead, new_labels: list[str], model: Any, enc: Any, pool: IntentData) -> None:
    """One classifier row per new intent, started at the mean standardised vector of its
    examples, scaled to the old rows' typical norm; its bias at the old rows' mean."""
    if not new_labels:
        return
    old = head.classifier
    hidden = old.in_features
    mean, scale = torch.as_tensor(head.mean), torch.as_tensor(head.scale)
    rows = []
    for lab in new_labels:
        texts = [t for t, g in zip(pool.texts, pool.labels, strict=True) if g == lab]
        v = F.normalize(predict.pooled_vectors(model, enc, texts), dim=-1)
        z = ((v - mean) / scale).mean(0)
        rows.append(z / (z.norm() + 1e-8) * old.weight.norm(dim=1).mean())
    wider = nn.Linear(hidden, old.out_features + len(new_labels))
    wider.weight.copy_(torch.cat([old.weight, torch.stack(rows)]))
    wider.bias.copy_(torch.cat([old.bias, old.bias.mean().repeat(len(new_labels))]))
    head.classifier = wider
    head.labels = head.labels + list(new_labels)


def _rows(
    pool: IntentData, new_labels: list[str], per_label: int, seed: int
) -> list[tuple[str, str]]:
    """Every example of the new intents (oversampled to ``per_label`` when fewer) and a
    sample of ``per_label`` of each old one."""
    rng = random.Random(seed)
    by_label: dict[str, list[str]] = {}
    for t, g in zip(pool.texts, pool.labels, strict=True):
        by_label.setdefault(g, []).append(t)
    out: list[tuple[str, str]] = []
    for lab, texts in by_label.items():
        if lab in new_labels:
            reps = max(1, -(-per_label // len(texts)))
            out += [(t, lab) for t in (texts * reps)[: max(per_label, len(texts))]]
        else:
            out += [(t, lab) for t in rng.sample(texts, min(per_label, len(texts)))]
    rng.shuffle(out)
    return out


def _fit(
    model: Any,
    teacher: Any,
    enc: Any,
    rows: list[tuple[str, str]],
    labels: list[str],
    n_old: int,
    cfg: IncrementalConfig,
    started: float,
    history: list[dict[str, Any]],
    dev: IntentData,
) -> None:
    """Cross-entropy on all rows, distillation from the teacher on the rehearsed ones; the
    checkpoint with the best dev accuracy (the widened starting point included) is kept."""
    head = model.heads["intent"]
    index = {lab: i for i, lab in enumerate(labels)}
    texts = [t for t, _ in rows]
    y = torch.tensor([index[g] for _, g in rows])
    old_rows = y < n_old
    layers = _unfreeze(model, cfg.train_layers)
    frozen = cfg.train_layers == 0
    # The teacher's view, computed once: its pooled vectors (the student's too while the
    # encoder is frozen) and its old-intent logits.
    t_pooled = predict.pooled_vectors(teacher, enc, texts)
    with torch.no_grad():
        t_logits = teacher.heads["intent"](t_pooled)
    dev_pooled = predict.pooled_vectors(model, enc, dev.texts) if frozen else None
    dev_y = np.array([index[g] for g in dev.labels])

    def dev_accuracy() -> float:
        model.eval()
        if dev_pooled is None:
            return evaluate_intent(model, enc, dev)["accuracy"]
        with torch.no_grad():
            pred = head(dev_pooled).argmax(1).numpy()
        return float(np.mean(pred == dev_y))

    params = [{"params": list(head.parameters()), "lr": cfg.head_lr}]
    if layers:
        params.append({"params": layers, "lr": cfg.lr})
    opt = torch.optim.AdamW(params, weight_decay=0.0)
    best, best_state = dev_accuracy(), copy.deepcopy(model.state_dict())
    history.append({"step": 0, "epoch": 0, "dev": {"intent": {"accuracy": best}}})
    gen = torch.Generator().manual_seed(cfg.seed)
    step = 0
    t = cfg.distill_temperature
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        for sel in torch.randperm(len(rows), generator=gen).split(cfg.batch_size):
            batch = None if frozen else enc([texts[i] for i in sel.tolist()])
            pooled = t_pooled[sel] if batch is None else model.pool(batch)
            logits = head(pooled)
            loss = F.cross_entropy(logits, y[sel])
            keep = old_rows[sel]
            if cfg.distill_weight and bool(keep.any()):
                student = F.log_softmax(logits[keep, :n_old] / t, dim=-1)
                target = F.softmax(t_logits[sel][keep] / t, dim=-1)
                kd = F.kl_div(student, target, reduction="batchmean") * t * t
                loss = loss + cfg.distill_weight * kd
            if not frozen and cfg.feature_weight and bool(keep.any()):
                cos = F.cosine_similarity(pooled[keep], t_pooled[sel][keep], dim=-1)
                loss = loss + cfg.feature_weight * 100.0 * (1.0 - cos).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        acc = dev_accuracy()
        history.append({"step": step, "epoch": epoch, "dev": {"intent": {"accuracy": acc}}})
        if acc > best + 1e-9:
            best, best_state = acc, copy.deepcopy(model.state_dict())
        if (time.time() - started) / 60 > cfg.max_minutes:
            log.warning("incremental training stopped at its budget (%s min)", cfg.max_minutes)
            break
    model.load_state_dict(best_state)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(True)


def _unfreeze(model: Any, train_layers: int) -> list[nn.Parameter]:
    """Freeze the encoder but its top ``train_layers`` layers; return those layers' weights."""
    for p in model.encoder.parameters():
        p.requires_grad_(False)
    if train_layers <= 0:
        return []
    layers = _encoder_layers(model.encoder)
    params = [p for layer in layers[-train_layers:] for p in layer.parameters()]
    for p in params:
        p.requires_grad_(True)
    return params


def _encoder_layers(encoder: nn.Module) -> list[nn.Module]:
    for path in ("encoder.layer", "transformer.layer"):
        obj: Any = encoder
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None:
            return list(obj)
    raise TrainingError(
        "cannot find this encoder's layers to unfreeze",
        code="AM599",
        hint="use --train-layers 0 (the head only)",
    )


def _refit_experts(
    files: Any, artifact: Path, pool: IntentData, dev: IntentData, labels: list[str]
) -> dict[str, Expert]:
    """The artifact's intent experts, fitted again with the widened label set."""
    names = [
        n
        for n in files.calibration.get("expert_weights", {})
        if (artifact / "experts" / n).is_dir()
    ]
    return {n: fit_expert(n, pool.texts, pool.labels, labels, dev.texts, dev.labels) for n in names}


def _unknown_pieces(enc: Any, texts: list[str]) -> int:
    """How many tokens of the new examples fall outside the (trimmed) vocabulary."""
    tok = enc.tokenizer
    unk = getattr(tok, "unk_token_id", None)
    if unk is None:
        return 0
    ids = tok(texts, add_special_tokens=False)["input_ids"]
    return int(sum(1 for row in ids for i in row if i == unk))


# ----------------------------------------------------------------------------- judging


def served_accuracy(
    artifact: Path, dev: IntentData, old_labels: list[str], thresholds: Any = None
) -> dict[str, Any]:
    """Accuracy of the artifact as served (fused, calibrated, its out-of-scope rule) on the
    dev rows of ``old_labels`` and, separately, on every other intent, per intent."""
    from aimass.config.project import Thresholds
    from aimass.runtime.predictor import TorchPredictor
    from aimass.runtime.scope import decide_texts

    predictor = TorchPredictor(Path(artifact))
    _, _, decided = decide_texts(predictor, dev.texts, thresholds or Thresholds(oos=0.0))
    pred = [d[0] for d in decided]
    old = set(old_labels)
    right_old = [p == g for p, g in zip(pred, dev.labels, strict=True) if g in old]
    per_new: dict[str, list[bool]] = {}
    for p, g in zip(pred, dev.labels, strict=True):
        if g not in old:
            per_new.setdefault(g, []).append(p == g)
    return {
        "old_accuracy": float(np.mean(right_old)) if right_old else None,
        "old_n": len(right_old),
        "new_accuracy": {g: float(np.mean(v)) for g, v in per_new.items()},
        "new_n": {g: len(v) for g, v in per_new.items()},
    }


def judge(
    current: Path,
    candidate: Path,
    dev: IntentData,
    old_labels: list[str],
    *,
    max_drop: float = 1.0,
    thresholds: Any = None,
) -> dict[str, Any]:
    """Both models on the same dev rows; the candidate is promoted when the old intents lose
    at most ``max_drop`` points and every new intent with dev rows is recognised at all."""
    before = served_accuracy(current, dev, old_labels, thresholds)
    after = served_accuracy(candidate, dev, old_labels, thresholds)
    drop = (
        100.0 * (before["old_accuracy"] - after["old_accuracy"])
        if before["old_accuracy"] is not None and after["old_accuracy"] is not None
        else 0.0
    )
    reasons = []
    if drop > max_drop + 1e-9:
        reasons.append(f"the old intents lose {drop:.2f} points (budget {max_drop})")
    dead = [g for g, acc in after["new_accuracy"].items() if acc == 0.0]
    if dead:
        reasons.append(f"no dev example of {dead} is recognised")
    return {
        "old_accuracy_before": before["old_accuracy"],
        "old_accuracy_after": after["old_accuracy"],
        "old_drop_points": round(drop, 2),
        "old_n": after["old_n"],
        "new_accuracy": after["new_accuracy"],
        "new_n": after["new_n"],
        "promote": not reasons,
        "reason": "; ".join(reasons) or "within budget",
    }


# ----------------------------------------------------------------------------- the cycle


def intent_sources(
    model_arg: Path, data: Path | None, examples: Path | None, known: list[str]
) -> tuple[IntentData, IntentData, Any]:
    """(new examples, rehearsal examples, the project or None) from the command's arguments:
    ``data`` is the project folder or an intent JSONL the model was trained on (default: the
    model argument when it is a project); ``examples`` an intent JSONL of new rows (default:
    the project's examples of intents the model does not know)."""
    from aimass.evaluation.benchdata import read_intent

    source = data if data is not None else model_arg
    project = None
    if (Path(source) / "aimass.yaml").exists():
        from aimass.data.project import load_project

        project = load_project(source)
        rows = [(ex.text, i.name) for i in project.intents for ex in i.examples]
    elif data is not None:
        rows = [(e.text, e.label) for e in read_intent(data)]
    else:
        raise TrainingError(
            "no examples of the old intents to rehearse",
            code="AM597",
            hint="pass the bot project or the training file the model learned from (--data)",
        )
    if examples is not None:
        new_rows = [(e.text, e.label) for e in read_intent(examples)]
        taken = set(new_rows)
        old_rows = [r for r in rows if r not in taken]
    else:
        known_set = set(known)
        new_rows = [r for r in rows if r[1] not in known_set]
        old_rows = [r for r in rows if r[1] in known_set]
        if not new_rows:
            raise TrainingError(
                "the project has no intent the model does not already know",
                code="AM595",
                hint="add the new intent with its examples to the project, or give --examples",
            )
    return (
        IntentData([t for t, _ in new_rows], [g for _, g in new_rows]),
        IntentData([t for t, _ in old_rows], [g for _, g in old_rows]),
        project,
    )


def update_artifact(
    artifact: Path,
    new: IntentData,
    rehearsal: IntentData,
    *,
    dev: IntentData | None = None,
    out: Path | None = None,
    project: Any = None,
    max_drop: float = 1.0,
    config: IncrementalConfig | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Add intents, judge the candidate against the current model on the same dev rows,
    and promote it (to ``out``, default in place of ``artifact``) only when it passes. The
    current artifact is never touched by a candidate that fails, or by a crash: the swap is
    one rename, and files that live beside the model (the content store, the feedback
    policy) move over with it."""
    import os
    import shutil
    import tempfile

    from aimass.config.project import Thresholds
    from aimass.model.artifact import read_artifact
    from aimass.training.save import save_artifact

    artifact = Path(artifact)
    files = read_artifact(artifact)
    old_labels = list(files.labels.get("intents", []))
    added = add_intents(artifact, new, rehearsal, dev, config)
    dest = Path(out) if out is not None else artifact
    runtime = dict(files.runtime)
    if project is not None:
        from aimass.training.from_project import runtime_from_project

        runtime = runtime_from_project(project)
    thresholds = Thresholds(**runtime.get("thresholds", {})) if runtime else None
    record = {**added.report, "from": str(artifact)}
    cfg = {**files.config, "incremental": [*files.config.get("incremental", []), record]}
    work = Path(tempfile.mkdtemp(prefix=f".candidate-{dest.name}-", dir=dest.parent))
    try:
        candidate = work / "model"
        save_artifact(added.result, candidate, config=cfg, runtime=runtime)
        assert added.result.dev is not None and added.result.dev.intent is not None
        verdict = judge(
            artifact, candidate, added.result.dev.intent, old_labels,
            max_drop=max_drop, thresholds=thresholds,
        )  # fmt: skip
        report = {**added.report, **verdict, "artifact": str(dest), "promoted": False}
        if not verdict["promote"] or dry_run:
            return report
        if dest == artifact:
            for entry in artifact.iterdir():  # what lives beside the model comes along
                if not (candidate / entry.name).exists():
                    copy = shutil.copytree if entry.is_dir() else shutil.copy2
                    copy(entry, candidate / entry.name)
        aside = work / "previous"
        if dest.exists():
            os.replace(dest, aside)
        os.replace(candidate, dest)
        report["promoted"] = True
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)
