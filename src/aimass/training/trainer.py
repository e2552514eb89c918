"""The multi-task training loop, readable top to bottom.

    backbone -> trim vocabulary -> heads -> (linear-probe init) -> for each epoch:
        plan batches across tasks -> for each batch: encode, loss, backward, step
        -> evaluate on dev -> keep the best checkpoint, stop early when dev stops improving
    -> restore best -> calibrate on dev -> TrainResult

It runs unchanged under ``torchrun`` (see ``distributed.py``).
"""

from __future__ import annotations

import copy
import logging
import math
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from torch import nn

from aimass.config.training import TrainConfig
from aimass.data.language import mostly_english
from aimass.errors import TrainingError
from aimass.heads import BiPairHead, IntentHead, MatchingHead, PairHead, ProfileHead
from aimass.heads.base import Head
from aimass.model import predict
from aimass.model.experts import Expert, fit_expert, fuse
from aimass.model.multitask import MultiTaskModel
from aimass.model.textenc import TextEncoder
from aimass.training import calibrate, distributed
from aimass.training.data import (
    Batch,
    ProfileData,
    TaskData,
    matching_pairs,
    plan_epoch,
    split_task_data,
)
from aimass.training.evaluate import evaluate, rank_faqs, selection_score

if TYPE_CHECKING:
    from transformers import PreTrainedModel

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    model: MultiTaskModel
    enc: TextEncoder
    labels: dict[str, list[str]]
    metrics: dict[str, dict[str, float]]  # dev metrics of the selected checkpoint
    calibration: dict[str, Any]
    history: list[dict[str, Any]]
    backbone: dict[str, Any]
    train_seconds: float
    vocab: dict[str, int] = field(default_factory=dict)
    dev: TaskData | None = None
    experts: dict[str, Expert] = field(default_factory=dict)  # fused with the intent head

    @property
    def epochs_run(self) -> float:
        return max((float(h["epoch"]) for h in self.history if "epoch" in h), default=0.0)

    rank: int = 0  # under torchrun only rank 0 writes the artifact


def bf16_supported() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX): there autocast to
    bf16 makes a training step ~2.4x faster; elsewhere it would be slower than fp32."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(
    train_data: TaskData,
    config: TrainConfig,
    dev_data: TaskData | None = None,
    *,
    progress: bool = True,
) -> TrainResult:
    from aimass.encoders.backbone import load_backbone, resolve_backbone

    started = time.time()
    dist = distributed.setup()
    set_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    if not train_data.tasks():
        raise TrainingError("there is nothing to train on", code="AM501")
    if dev_data is None:
        train_data, dev_data = split_task_data(train_data, config.dev_fraction, config.seed)
    check_task_data(train_data, dev_data)

    # 1. The backbone, its vocabulary trimmed to what the data needs.
    backbone_path = resolve_backbone(config.backbone)
    encoder, tokenizer, info = load_backbone(backbone_path)
    enc = TextEncoder(
        tokenizer,
        query_prefix=info.query_prefix,
        passage_prefix=info.passage_prefix,
        max_length=config.max_length,
        max_pair_length=config.max_pair_length,
    )
    vocab_stats: dict[str, int] = {}
    if config.trim_vocab:
        texts = enc.prefixed(train_data.all_texts() + dev_data.all_texts())
        tokenizer, encoder, vocab_stats = _trim(tokenizer, encoder, texts, config.vocab_reserve)
        enc.tokenizer = tokenizer
    if config.freeze_embeddings:
        encoder.get_input_embeddings().weight.requires_grad_(False)
    _set_dropout(encoder, config.dropout)

    # 2. Heads for the tasks present, and the model.
    labels: dict[str, list[str]] = {}
    heads: dict[str, Head] = {}
    hidden = int(encoder.config.hidden_size)
    if train_data.intent:
        labels["intents"] = sorted(set(train_data.intent.labels))
        heads["intent"] = IntentHead(
            labels["intents"], hidden, config.dropout, config.label_smoothing
        )
    if train_data.profile:
        labels["tags"] = sorted({t for tags in train_data.profile.tags for t in tags})
        heads["profile"] = ProfileHead(labels["tags"], hidden, config.dropout)
    if train_data.matching:
        heads["matching"] = MatchingHead(hidden, config.contrastive_scale)
    if train_data.pair:
        heads["pair"] = (
            BiPairHead(hidden, config.contrastive_scale)
            if config.pair_encoder == "bi"
            else PairHead(hidden, config.dropout)
        )
    model = MultiTaskModel(encoder, heads)
    device = torch.device(
        "cuda"
        if config.device == "cuda" or (config.device == "auto" and torch.cuda.is_available())
        else "cpu"
    )
    model.to(device)
    if config.head_init == "probe":
        _linear_probe_init(model, enc, train_data, dev_data)

    # 3. Optimiser: layer-wise decayed learning rates for the encoder, a higher one for heads.
    rows = _task_rows(train_data, random.Random(config.seed))
    steps_per_epoch = len(
        plan_epoch(rows, config.batch_size, config.task_temperature, random.Random(0))
    )
    total_steps = max(1, math.ceil(steps_per_epoch * config.epochs))
    optimizer = torch.optim.AdamW(_param_groups(model, config), weight_decay=config.weight_decay)
    warmup = int(total_steps * config.warmup_ratio)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (
            (s + 1) / max(1, warmup)
            if s < warmup
            else max(0.0, (total_steps - s) / max(1, total_steps - warmup))
        ),
    )
    use_bf16 = config.precision == "bf16" or (
        config.precision == "auto" and (device.type == "cuda" or bf16_supported())
    )
    ddp_model = distributed.wrap(model, dist)
    label_index = {t: {name: i for i, name in enumerate(v)} for t, v in labels.items()}
    pair_kind = cast(Head, model.heads["pair"]).input_kind if "pair" in model.heads else "pair"

    # 4. The loop.
    history: list[dict[str, Any]] = []
    eval_every = max(1, steps_per_epoch // config.evals_per_epoch)
    # The starting point (pre-trained encoder + probe head) is the first candidate: if
    # fine-tuning never beats it on dev, it is what gets kept.
    best_metrics = evaluate(model, enc, dev_data)
    best_score, stale = selection_score(best_metrics), 0
    best_state = copy.deepcopy(model.state_dict())
    start_state = best_state
    history.append({"step": 0, "epoch": 0.0, "loss": {}, "dev": best_metrics, "score": best_score})
    log.info("step 0 (before fine-tuning) dev %s", _short(best_metrics))
    rng = random.Random(config.seed)
    step = 0
    loop_started = time.time()
    losses: dict[str, list[float]] = {t: [] for t in rows}
    bar = _progress(total_steps, progress and dist.is_main)
    stop = False
    log.info(
        "training %s on %s: %d steps/epoch, bf16=%s",
        train_data.sizes(),
        config.backbone,
        steps_per_epoch,
        use_bf16,
    )
    while step < total_steps and not stop and steps_per_epoch > 0:  # 0: zero-shot
        rows = _task_rows(train_data, rng)  # matching pairs are resampled every epoch
        for batch in plan_epoch(
            rows, config.batch_size, config.task_temperature, rng, _length_keys()
        ):
            if step >= total_steps:
                break
            mine = distributed.shard(batch.rows, dist)
            if len(batch.rows) < dist.world or (batch.task == "matching" and len(mine) < 2):
                continue  # every rank must run every step; a contrastive batch needs 2 rows
            model.train()
            inputs, targets = cast(
                tuple[Any, Any],
                predict.to_device(
                    _encode_batch(enc, Batch(batch.task, mine), label_index, pair_kind), device
                ),
            )
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                outputs = ddp_model(batch.task, inputs)
            loss = cast(Head, model.heads[batch.task]).loss(_to_float(outputs), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            losses[batch.task].append(float(loss.detach()))
            if step == FIT_AFTER_STEPS and config.max_minutes is not None:
                fitted = _steps_within_budget(
                    step, time.time() - loop_started, time.time() - started, config
                )
                if fitted < total_steps:
                    log.info(
                        "the time budget (%.1f min) fits %d of %d steps: the learning-rate "
                        "schedule is shortened to end within it",
                        config.max_minutes,
                        fitted,
                        total_steps,
                    )
                    total_steps = fitted  # the scheduler's lambda reads it: it decays to 0 here
            if bar is not None:
                bar.update(1)
                bar.set_postfix({t[:6]: f"{np.mean(v[-20:]):.3f}" for t, v in losses.items() if v})
            if step % eval_every == 0 or step == total_steps:
                metrics = evaluate(model, enc, dev_data)
                score = selection_score(metrics)
                record = {
                    "step": step,
                    "epoch": round(step / steps_per_epoch, 2),
                    "seconds": round(time.time() - started, 1),
                    "loss": {
                        t: round(float(np.mean(v[-eval_every:])), 4) for t, v in losses.items() if v
                    },
                    "dev": metrics,
                    "score": score,
                }
                history.append(record)
                log.info(
                    "step %d epoch %.2f loss %s dev %s",
                    step,
                    record["epoch"],
                    record["loss"],
                    _short(metrics),
                )
                if score > best_score + 1e-6:
                    best_score, best_metrics, stale = score, metrics, 0
                    best_state = copy.deepcopy(model.state_dict())
                else:
                    stale += 1
                out_of_time = (
                    config.max_minutes is not None
                    and (time.time() - started) / 60 > config.max_minutes
                )
                stop = distributed.broadcast_flag(stale >= config.patience or out_of_time, dist)
                if stop:
                    break
    if bar is not None:
        bar.close()
    model.load_state_dict(best_state)
    if config.weight_ensemble and best_state is not start_state:
        best_metrics = _weight_ensemble(
            model, enc, dev_data, start_state, best_state, best_metrics, history
        )
    model.eval()

    # 5. The intent experts (model/experts.py), then calibration on dev: production's numbers.
    experts: dict[str, Expert] = {}
    if train_data.intent and dev_data.intent and dev_data.intent.texts:
        experts = _fit_experts(config.experts, train_data, dev_data, labels["intents"])
    negatives = [
        t
        for part in (train_data.intent, dev_data.intent)
        if part
        for t, lab in zip(part.texts, part.labels, strict=True)
        if lab == calibrate.OOS
    ]
    calibration = fit_calibration(
        model,
        enc,
        dev_data,
        experts,
        negatives,
        train=train_data,
        oos_cost=config.oos_cost,
        oos_target_recall=config.oos_target_recall,
    )
    final = best_metrics
    model.to("cpu")
    distributed.cleanup(dist)
    return TrainResult(
        model=model,
        enc=enc,
        labels=labels,
        metrics=final,
        calibration=calibration,
        history=history,
        backbone={
            "name": config.backbone,
            "family": info.family,
            "query_prefix": info.query_prefix,
            "passage_prefix": info.passage_prefix,
        },
        train_seconds=time.time() - started,
        vocab=vocab_stats,
        dev=dev_data,
        rank=dist.rank,
        experts=experts,
    )


#: steps timed before the schedule is fitted to ``max_minutes``
FIT_AFTER_STEPS = 30
#: share of the budget the loop may plan to use (evaluations, calibration and saving follow)
BUDGET_SHARE = 0.9


def _steps_within_budget(
    step: int, loop_seconds: float, total_seconds: float, config: TrainConfig
) -> int:
    """How many steps fit in what is left of ``max_minutes``, from the speed of the first
    ones (with a margin for the dev evaluations still to come). A run cut off by the clock
    mid-schedule keeps a high learning rate to the end; fitting the schedule to the budget
    lets it decay to zero, which is what the selected checkpoint is good for."""
    assert config.max_minutes is not None
    per_step = loop_seconds / max(step, 1)
    left = config.max_minutes * 60 * BUDGET_SHARE - total_seconds
    # the dev evaluations to come: about 10% more time per step on CPU
    per_step *= 1.1
    return max(step + 1, step + int(left / max(per_step, 1e-6)))


def fit_calibration(
    model: MultiTaskModel,
    enc: TextEncoder,
    dev: TaskData,
    experts: dict[str, Expert] | None = None,
    negatives: list[str] = (),  # type: ignore[assignment]
    *,
    train: TaskData | None = None,
    oos_cost: float = 1.0,
    oos_target_recall: float | None = None,
) -> dict[str, Any]:
    """Temperatures, the intent experts' weights, the out-of-scope threshold and the FAQ
    confidence map, all fitted on dev; with ``train``, also the combined out-of-scope score
    (class prototypes of training embeddings) and a small bank of training examples for
    explanations."""
    cal: dict[str, Any] = {}
    experts = experts or {}
    if dev.intent and dev.intent.texts and "intent" in model.heads:
        head = cast(IntentHead, model.heads["intent"])
        nn_logits = predict.head_outputs(model, enc, "intent", dev.intent.texts).numpy()
        expert_logits = {name: e.logits(dev.intent.texts) for name, e in experts.items()}
        index = {n: i for i, n in enumerate(head.labels)}
        keep = [i for i, g in enumerate(dev.intent.labels) if g in index]
        targets = np.array([index[dev.intent.labels[i]] for i in keep])
        weights, t = calibrate.fit_fusion(
            nn_logits[keep], [v[keep] for v in expert_logits.values()], targets
        )
        head.temperature.fill_(t)
        probs = fuse(nn_logits, list(zip(weights, expert_logits.values(), strict=True)), t)
        cal["intent_temperature"] = t
        cal["expert_weights"] = dict(zip(expert_logits, weights, strict=True))
        cal["oos_threshold"] = calibrate.choose_oos_threshold(
            probs, head.labels, dev.intent.labels, default=0.0, oos_cost=oos_cost
        )
        cal["oos_threshold_from_dev"] = calibrate.OOS in dev.intent.labels
        if cal["oos_threshold_from_dev"]:
            cal["oos_cost"] = oos_cost  # a refit (student, new intents) uses the same cost
            cal["oos_target_recall"] = oos_target_recall
        if train is not None and train.intent and train.intent.texts:
            cal.update(
                _fit_scope(
                    model,
                    enc,
                    train,
                    dev,
                    probs,
                    head.labels,
                    cal["oos_threshold"],
                    oos_cost,
                    oos_target_recall=oos_target_recall,
                )
            )
    if dev.profile and dev.profile.texts and "profile" in model.heads:
        tag_head = cast(ProfileHead, model.heads["profile"])
        logits = predict.head_outputs(model, enc, "profile", dev.profile.texts).numpy()
        tag_gold = np.array(
            [[lab in tags for lab in tag_head.labels] for tags in dev.profile.tags], dtype=float
        )
        t = calibrate.fit_binary_temperature(logits, tag_gold)
        tag_head.temperature.fill_(t)
        cal["profile_temperature"] = t
    if dev.matching and dev.matching.queries and "matching" in model.heads:
        # Out-of-scope messages are the negatives: for them the top FAQ is always wrong.
        # Without them the map would learn that the top FAQ is nearly always right.
        texts = [q for q, _ in dev.matching.queries] + list(negatives)
        gold = [g for _, g in dev.matching.queries] + [""] * len(negatives)
        ranked, scores = rank_faqs(model, enc, dev.matching.bank, texts)
        top = np.sort(scores, axis=1)[:, ::-1]
        top1 = top[:, 0]
        margin = top1 - (top[:, 1] if top.shape[1] > 1 else 0.0)
        correct = np.array([r[0] == g for r, g in zip(ranked, gold, strict=True)])
        cal["faq_confidence"] = calibrate.fit_match_confidence(top1, margin, correct)
    if dev.pair and dev.pair.labels and "pair" in model.heads:
        from aimass.evaluation.metrics import best_threshold

        y = np.array(dev.pair.labels)
        logits = predict.pair_logits(model, enc, dev.pair.a, dev.pair.b)
        feats = calibrate.pair_overlap_features(dev.pair.a, dev.pair.b)
        cal["pair_fusion"] = calibrate.fit_pair_fusion(logits, feats, y)
        served = calibrate.served_pair_logits(cal, logits, dev.pair.a, dev.pair.b, feats)
        cal["pair_threshold_logit"] = best_threshold(y, served)
    return cal


def _fit_scope(
    model: MultiTaskModel,
    enc: TextEncoder,
    train: TaskData,
    dev: TaskData,
    dev_probs: np.ndarray,
    labels: list[str],
    msp_threshold: float,
    oos_cost: float = 1.0,
    per_label: int = 32,
    *,
    oos_target_recall: float | None = None,
) -> dict[str, Any]:
    """Class prototypes from (at most ``per_label`` per intent of) the training embeddings,
    the combined out-of-scope score fitted on dev, and the explanation example bank. The
    embeddings are ``predict.embeddings``, what ``predictor.embed`` serves."""
    assert train.intent is not None and dev.intent is not None
    rng = np.random.default_rng(0)
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(train.intent.labels):
        by_label.setdefault(lab, []).append(i)
    idx = sorted(int(i) for v in by_label.values() for i in rng.permutation(v)[:per_label])
    texts = [train.intent.texts[i] for i in idx]
    tlabels = [train.intent.labels[i] for i in idx]
    vectors = predict.embeddings(model, enc, texts)
    protos, _ = calibrate.class_prototypes(vectors, tlabels, labels)
    dev_vectors = predict.embeddings(model, enc, dev.intent.texts)
    return {
        "scope": calibrate.fit_scope(
            protos,
            dev_probs,
            dev_vectors,
            labels,
            dev.intent.labels,
            msp_threshold,
            oos_cost=oos_cost,
            oos_target_recall=oos_target_recall,
        ),
        "examples": calibrate.example_bank(texts, tlabels, vectors),
    }


def check_task_data(train: TaskData, dev: TaskData) -> None:
    """Refuse data the heads cannot learn from, with the coded error that says why."""
    if train.intent:
        if len(set(train.intent.labels)) < 2:
            raise TrainingError(
                "intent classification needs at least two intents in the training data",
                code="AM501",
                hint="add examples of another intent (or out-of-scope examples labelled oos)",
            )
        known = set(train.intent.labels)
        unknown = sorted(
            {lab for lab in (dev.intent.labels if dev.intent else []) if lab not in known}
        )
        if unknown:
            raise TrainingError(
                f"dev data has intents the training data does not: {unknown[:5]}",
                code="AM119",
                hint="add training examples for them or drop them from the dev file",
            )
    if train.profile and not any(train.profile.tags):
        raise TrainingError(
            "no profile example carries a tag", code="AM501", hint="tag some examples"
        )
    for part in (train.pair, dev.pair):
        if part and any(lab not in (0, 1) for lab in part.labels):
            raise TrainingError("pair labels must be 0 or 1", code="AM501")
    for labelled in (train.intent, train.profile):
        if labelled and any(not t.strip() for t in labelled.texts):
            raise TrainingError(
                "an example text is empty", code="AM113", hint="remove empty examples"
            )


# ----------------------------------------------------------------------------- helpers


def _trim(
    tokenizer: Any, encoder: PreTrainedModel, texts: list[str], reserve: int
) -> tuple[Any, PreTrainedModel, dict[str, int]]:
    from aimass.encoders.vocab_trim import trim_vocabulary

    tokenizer, trimmed, stats = trim_vocabulary(tokenizer, encoder, texts, reserve=reserve)
    return tokenizer, cast("PreTrainedModel", trimmed), stats  # ``encoder``, trimmed in place


def _set_dropout(encoder: nn.Module, p: float) -> None:
    for m in encoder.modules():
        if isinstance(m, nn.Dropout):
            m.p = p


def _task_rows(data: TaskData, rng: random.Random) -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {}
    if data.intent:
        rows["intent"] = list(zip(data.intent.texts, data.intent.labels, strict=True))
    if data.profile:
        rows["profile"] = list(zip(data.profile.texts, data.profile.tags, strict=True))
    if data.matching:
        rows["matching"] = matching_pairs(data.matching, rng)
    if data.pair:
        rows["pair"] = list(zip(data.pair.a, data.pair.b, data.pair.labels, strict=True))
    return rows


def _length_keys() -> dict[str, Any]:
    return {
        "intent": lambda r: len(r[0]),
        "profile": lambda r: len(r[0]),
        "matching": lambda r: len(r[0]) + len(r[1]),
        "pair": lambda r: len(r[0]) + len(r[1]),
    }


def _encode_batch(
    enc: TextEncoder, batch: Batch, index: dict[str, dict[str, int]], pair_kind: str = "pair"
) -> tuple[Any, Any]:
    """Model inputs and loss targets of one batch. Pairs are one joined sequence for a
    cross-encoder (``pair_kind`` "pair") or two encoded batches for a bi-encoder ("bi")."""
    rows = batch.rows
    if batch.task == "intent":
        return enc([r[0] for r in rows]), torch.tensor([index["intents"][r[1]] for r in rows])
    if batch.task == "profile":
        tags = index["tags"]
        y = torch.zeros(len(rows), len(tags))
        for i, r in enumerate(rows):
            for t in r[1]:
                if t in tags:
                    y[i, tags[t]] = 1.0
        return enc([r[0] for r in rows]), y
    if batch.task == "matching":
        groups = {g: i for i, g in enumerate(dict.fromkeys(r[2] for r in rows))}
        return (enc([r[0] for r in rows]), enc([r[1] for r in rows])), torch.tensor(
            [groups[r[2]] for r in rows]
        )
    if batch.task == "pair":
        y = torch.tensor([r[2] for r in rows])
        if pair_kind == "bi":
            return (enc([r[0] for r in rows]), enc([r[1] for r in rows])), y
        return enc.pairs([r[0] for r in rows], [r[1] for r in rows]), y
    raise TrainingError(f"unknown task {batch.task!r}", code="AM501")


def _to_float(outputs: Any) -> Any:
    if isinstance(outputs, tuple):
        return tuple(o.float() for o in outputs)
    return outputs.float()


_LAYER = re.compile(r"\.layer\.(\d+)\.")


def _param_groups(model: MultiTaskModel, config: TrainConfig) -> list[dict[str, Any]]:
    """Layer-wise learning-rate decay: the top encoder layer trains at ``lr``, each layer
    below at ``layer_decay`` times the one above, embeddings below the lowest layer."""
    n_layers = int(getattr(model.encoder.config, "num_hidden_layers", 12))
    groups: dict[tuple[float, bool], list[nn.Parameter]] = {}
    for name, p in model.encoder.named_parameters():
        if not p.requires_grad:
            continue
        m = _LAYER.search(name)
        if m:
            depth = n_layers - 1 - int(m.group(1))
        elif "embeddings" in name:
            depth = n_layers
        else:
            depth = 0
        lr = config.lr * config.layer_decay**depth
        no_decay = p.ndim < 2  # biases and layer norms
        groups.setdefault((lr, no_decay), []).append(p)
    out = [
        {"params": ps, "lr": lr, "weight_decay": 0.0 if nd else config.weight_decay}
        for (lr, nd), ps in groups.items()
    ]
    head_params = [p for p in model.heads.parameters() if p.requires_grad]
    if head_params:
        out.append({"params": head_params, "lr": config.head_lr, "weight_decay": 0.0})
    return out


def _fit_experts(
    names: Sequence[str], train: TaskData, dev: TaskData, order: list[str]
) -> dict[str, Expert]:
    from aimass.errors import MissingDependency

    assert train.intent is not None and dev.intent is not None
    out: dict[str, Expert] = {}
    for name in names:
        if name in ENGLISH_ONLY_EXPERTS and not mostly_english(train.intent.texts):
            log.info("intent expert %r skipped: it reads English only", name)
            continue
        try:
            out[name] = fit_expert(
                name,
                train.intent.texts,
                train.intent.labels,
                order,
                dev.intent.texts,
                dev.intent.labels,
            )
        except MissingDependency as e:  # an optional expert whose package is absent
            log.warning("intent expert %r skipped: %s", name, e.message)
    return out


# Experts on an English-only encoder (MiniLM turns most Chinese characters into [UNK]): fitted
# only when nearly all training messages are English, since one fusion weight covers every
# message of a bilingual bot.
ENGLISH_ONLY_EXPERTS = frozenset({"minilm"})


def _weight_ensemble(
    model: MultiTaskModel,
    enc: TextEncoder,
    dev: TaskData,
    start: dict[str, torch.Tensor],
    tuned: dict[str, torch.Tensor],
    tuned_metrics: dict[str, dict[str, float]],
    history: list[dict[str, Any]],
) -> dict[str, dict[str, float]]:
    """WiSE-FT (Wortsman et al. 2022): interpolate the weights of the starting model
    (pre-trained encoder + probe head) and the fine-tuned one, ``(1 - a) * start + a * tuned``,
    and keep the mix that scores best on dev. One model, served at no extra cost; the mix
    usually beats both ends because fine-tuning's gains and the pre-trained features' breadth
    add up. ``a = 1`` (no mixing) is always a candidate."""
    best_a, best_metrics = 1.0, tuned_metrics
    best_score = selection_score(tuned_metrics)
    for a in (0.5, 0.6, 0.7, 0.8, 0.9):
        mixed = {
            k: (1 - a) * start[k] + a * v if v.is_floating_point() else v for k, v in tuned.items()
        }
        model.load_state_dict(mixed)
        metrics = evaluate(model, enc, dev)
        score = selection_score(metrics)
        history.append({"weight_ensemble": a, "dev": metrics, "score": score})
        if score > best_score + 1e-6:
            best_a, best_metrics, best_score = a, metrics, score
    final = {
        k: (1 - best_a) * start[k] + best_a * v if v.is_floating_point() else v
        for k, v in tuned.items()
    }
    model.load_state_dict(final)
    log.info(
        "weight ensemble: kept a=%.1f of the fine-tuned weights (dev %s)",
        best_a,
        _short(best_metrics),
    )
    history.append({"weight_ensemble_kept": best_a})
    return best_metrics


def _linear_probe_init(
    model: MultiTaskModel, enc: TextEncoder, train: TaskData, dev: TaskData
) -> None:
    """Fit the intent and profile heads on the frozen encoder's vectors before fine-tuning."""

    def vectors(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, model.hidden_size), dtype=np.float32)
        v = predict.pooled_vectors(model, enc, texts)
        return torch.nn.functional.normalize(v, dim=-1).numpy()

    if train.intent and "intent" in model.heads:
        head = model.heads["intent"]
        assert isinstance(head, IntentHead)
        index = {n: i for i, n in enumerate(head.labels)}
        rows = list(zip(dev.intent.texts, dev.intent.labels, strict=True)) if dev.intent else []
        rows = [(t, lab) for t, lab in rows if lab in index]
        c = head.init_from_linear_probe(
            vectors(train.intent.texts),
            np.array([index[lab] for lab in train.intent.labels]),
            vectors([t for t, _ in rows]),
            np.array([index[lab] for _, lab in rows], dtype=np.int64),
        )
        log.info("intent head initialised from a linear probe (C=%g)", c)
    if train.profile and "profile" in model.heads:
        ph = model.heads["profile"]
        assert isinstance(ph, ProfileHead)

        def multi_hot(tags: list[list[str]]) -> np.ndarray:
            return np.array(
                [[lab in t for lab in ph.labels] for t in tags], dtype=np.int64
            ).reshape(len(tags), len(ph.labels))

        dev_p = dev.profile or ProfileData([], [])
        ph.init_from_linear_probe(
            vectors(train.profile.texts),
            multi_hot(train.profile.tags),
            vectors(dev_p.texts),
            multi_hot(dev_p.tags),
        )
        log.info("profile head initialised from one linear probe per tag")


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="training", unit="step", leave=False, dynamic_ncols=True)


def _short(metrics: dict[str, dict[str, float]]) -> str:
    from aimass.training.evaluate import PRIMARY

    return ", ".join(
        f"{t}.{PRIMARY[t]}={m.get(PRIMARY[t], float('nan')):.4f}" for t, m in metrics.items()
    )
