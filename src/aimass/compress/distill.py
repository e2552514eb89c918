"""Weighted multi-teacher distillation into a smaller student.

Teachers are models of different kinds behind one small interface (``Teacher.outputs``:
texts in, arrays out): the full fine-tuned multi-task model (intent and profile logits, the
matching embedding), the intent experts of :mod:`aimass.model.experts` (character n-gram
TF-IDF + logistic regression; logistic regression on a frozen encoder such as USE or
MiniLM), or anything else that returns intent logits in the student's label order. Their
outputs on the training texts (labelled, and unlabelled or augmented ones) are computed once
and cached on disk (``TeacherCache``: ``.npz`` without pickle, keyed by the teacher's
identity and the texts), so trying another student or loss weighting costs no teacher time.

The soft target of a text is the weighted mixture of the teachers' distributions at
temperature ``T``: ``q = sum_k w_k softmax(z_k / T)``. Weights per task are either given or
fitted on dev by minimising the log-loss of the mixture (``fit_weights``: the EM update for
mixture weights, which never increases the log-loss and reaches the global minimum, the
problem being convex in ``w``); the fitted mixture is compared with the uniform average on
the same dev set and both numbers are reported.

The student's loss per batch (Hinton et al. 2015; Sanh et al. 2019; Reimers & Gurevych 2020
for the embeddings):

    soft  * T^2 * KL(q || softmax(z_student / T))           every text
  + label * CE(z_student, gold)                              labelled texts only
  + embed * (1 - cos(student embedding, teacher embedding))   every text (FAQ matching)
  + soft  * BCE(profile_student / T, sigmoid(profile_teacher / T)) when both have tags

Trained as served, ``z_student`` in the intent terms is the fusion (the student's
log-probabilities plus the experts' weighted ones) and the intent KL is taken at T = 1.

``distill(..., weights=LABELS_ONLY)`` trains the same student on the labels alone, for the
comparison the benchmark reports. The checkpoint kept is the best on dev (accuracy, ties to
the lower log-loss; log-loss first when trained as served), the same rule for both. With a
time cap (``max_minutes``, on the training loop: the teachers' outputs computed before it do
not count) the learning-rate schedule is shortened to the steps that fit, so a capped run
still anneals.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from aimass.errors import TrainingError

log = logging.getLogger(__name__)

INTENT = "intent_logits"
PROFILE = "profile_logits"
EMBEDDING = "embedding"


class Teacher(Protocol):
    """Texts in, arrays out: ``intent_logits`` (N, C) in the student's label order, and
    optionally ``embedding`` (N, H, L2-normalised) and ``profile_logits`` (N, T)."""

    name: str

    def identity(self) -> str: ...  # changes whenever the teacher's outputs would

    def outputs(self, texts: list[str]) -> dict[str, np.ndarray]: ...


# ------------------------------------------------------------------ teachers


class ModelTeacher:
    """A trained multi-task model (the full fine-tuned one, usually) as a teacher."""

    def __init__(self, model: Any, enc: Any, name: str = "model", version: str = "") -> None:
        self.name, self.model, self.enc = name, model, enc
        # The weights' digest too: a stage's input model keeps the artifact's version string
        # after an earlier stage changed it, and must not read that model's cached outputs.
        self.version = f"{version}:{_state_digest(model)}"

    def identity(self) -> str:
        return f"model:{self.version}"

    def outputs(self, texts: list[str]) -> dict[str, np.ndarray]:
        from aimass.model import predict

        out: dict[str, np.ndarray] = {
            EMBEDDING: predict.embeddings(self.model, self.enc, texts).astype(np.float32)
        }
        for task, key in (("intent", INTENT), ("profile", PROFILE)):
            if task in self.model.heads:
                logits = predict.head_outputs(self.model, self.enc, task, texts)
                out[key] = logits.numpy().astype(np.float32)
        return out


class ExpertTeacher:
    """An intent expert (TF-IDF n-grams, a frozen-encoder classifier) as a teacher; its
    logits are reordered to the student's labels (a label it lacks gets a very low logit)."""

    def __init__(self, expert: Any, labels: Sequence[str], name: str | None = None) -> None:
        self.expert, self.labels = expert, list(labels)
        self.name = name or str(getattr(expert, "encoder_name", "lexical"))

    def identity(self) -> str:
        h = hashlib.sha256(np.ascontiguousarray(self.expert.coef, dtype=np.float64).tobytes())
        return f"{self.expert.kind}:{self.name}:{h.hexdigest()[:16]}:{'|'.join(self.labels)}"

    def outputs(self, texts: list[str]) -> dict[str, np.ndarray]:
        from aimass.model.experts import to_label_order

        raw = np.asarray(self.expert.logits(texts), dtype=np.float32)
        return {INTENT: to_label_order(raw, self.expert.labels, self.labels).astype(np.float32)}


def fit_expert_teachers(
    names: Sequence[str],
    labels: Sequence[str],
    train: tuple[list[str], list[str]],
    dev: tuple[list[str], list[str]],
) -> list[ExpertTeacher]:
    """Expert teachers trained on the labelled training texts (regularisation chosen on
    dev, or on the training texts when there is no dev): ``lexical`` (TF-IDF character
    n-grams), ``use``, ``minilm``, ``e5`` (frozen encoders). One whose package is missing is
    skipped with a warning."""
    from aimass.errors import MissingDependency
    from aimass.model.experts import fit_expert

    if not dev[0]:
        dev = train
    out: list[ExpertTeacher] = []
    for name in names:
        try:
            expert = fit_expert(name, train[0], train[1], list(labels), dev[0], dev[1])
        except MissingDependency as e:
            log.warning("teacher %r skipped: %s", name, e.message)
            continue
        out.append(ExpertTeacher(expert, labels, name))
    return out


def _state_digest(model: Any) -> str:
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().float().contiguous().numpy().tobytes()[:4096])
        h.update(str(tuple(v.shape)).encode())
    return h.hexdigest()[:16]


# ------------------------------------------------------------------ cache


class TeacherCache:
    """Teacher outputs on a list of texts, computed once: in memory always, and on disk in
    ``folder`` when one is given (one ``.npz`` per teacher and text list, written to a
    temporary name and renamed, read back without pickle)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else None
        self.memory: dict[str, dict[str, np.ndarray]] = {}
        self.computed = 0  # how many times a teacher actually ran (for tests and reports)

    def key(self, teacher: Teacher, texts: Sequence[str]) -> str:
        h = hashlib.sha256(teacher.identity().encode())
        for t in texts:
            h.update(t.encode("utf-8") + b"\x00")
        return f"{teacher.name}-{h.hexdigest()[:24]}"

    def outputs(self, teacher: Teacher, texts: Sequence[str]) -> dict[str, np.ndarray]:
        key = self.key(teacher, texts)
        if key in self.memory:
            return self.memory[key]
        path = self.folder / f"{key}.npz" if self.folder else None
        if path is not None and path.is_file():
            with np.load(path, allow_pickle=False) as z:
                out = {k: z[k] for k in z.files}
        else:
            out = teacher.outputs(list(texts))
            self.computed += 1
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
                os.close(fd)
                np.savez(tmp, **cast(dict[str, Any], out))
                os.replace(tmp, path)
        self.memory[key] = out
        return out


# ------------------------------------------------------------------ teacher weights


def softmax(z: np.ndarray, t: float = 1.0) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64) / t
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def mixture(probs: Sequence[np.ndarray], weights: Sequence[float] | np.ndarray) -> np.ndarray:
    return sum(w * p for w, p in zip(weights, probs, strict=True))  # type: ignore[return-value]


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))


def fit_weights(
    probs: Sequence[np.ndarray], y: np.ndarray, *, iters: int = 500, tol: float = 1e-10
) -> np.ndarray:
    """Mixture weights on the simplex minimising the dev log-loss of ``sum_k w_k p_k``.

    EM for mixture proportions: ``w_k <- mean_i w_k p_k(y_i|x_i) / sum_j w_j p_j(y_i|x_i)``.
    Each step never increases the log-loss, and the log-loss is convex in ``w``, so the fixed
    point is the global minimum (up to ``tol``)."""
    if not len(probs):
        return np.zeros(0)
    like = np.stack([p[np.arange(len(y)), y] for p in probs], 1) + 1e-12  # (N, K)
    w = np.full(len(probs), 1.0 / len(probs))
    prev = math.inf
    for _ in range(iters):
        mix = like @ w
        w = w * (like / mix[:, None]).mean(0)
        w = w / w.sum()
        loss = float(-np.mean(np.log(like @ w)))
        if prev - loss < tol:
            break
        prev = loss
    return w


@dataclass
class WeightReport:
    """Per task: the teachers, the weights used, and the dev log-loss / accuracy of the
    weighted mixture, the uniform average and each teacher alone."""

    task: str
    teachers: list[str]
    weights: list[float]
    source: str  # "fitted on dev" | "given" | "uniform (no dev)"
    dev_n: int = 0
    weighted: dict[str, float] = field(default_factory=dict)
    uniform: dict[str, float] = field(default_factory=dict)
    single: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "weights": {
                n: round(float(w), 4) for n, w in zip(self.teachers, self.weights, strict=True)
            },
            "source": self.source,
            "dev_n": self.dev_n,
            "weighted": self.weighted,
            "uniform": self.uniform,
            "each_teacher": self.single,
            "weighted_beats_uniform_by_nll": round(
                self.uniform.get("nll", 0.0) - self.weighted.get("nll", 0.0), 5
            ),
        }


def _scores(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {
        "nll": round(log_loss(p, y), 5),
        "accuracy": round(100 * float((p.argmax(1) == y).mean()), 2),
    }


def teacher_weights(
    names: Sequence[str],
    dev_logits: Sequence[np.ndarray],
    dev_y: np.ndarray | None,
    given: dict[str, float] | None = None,
    task: str = "intent",
) -> WeightReport:
    """Weights of the intent teachers: ``given`` (normalised) or fitted on dev; with the
    weighted and uniform mixtures scored on the same dev set either way."""
    k = len(names)
    uniform = np.full(k, 1.0 / k)
    if given:
        missing = [n for n in given if n not in names]
        if missing:
            raise TrainingError(
                f"teacher weights name unknown teachers {missing}",
                code="AM530",
                hint="name teachers among: " + ", ".join(names),
            )
        w = np.array([max(0.0, float(given.get(n, 0.0))) for n in names])
        if w.sum() <= 0:
            raise TrainingError("teacher weights sum to zero", code="AM530")
        w, source = w / w.sum(), "given"
    elif dev_y is not None and len(dev_y):
        w, source = fit_weights([softmax(z) for z in dev_logits], dev_y), "fitted on dev"
    else:
        w, source = uniform, "uniform (no dev)"
    rep = WeightReport(task, list(names), [float(x) for x in w], source)
    if dev_y is not None and len(dev_y):
        probs = [softmax(z) for z in dev_logits]
        rep.dev_n = len(dev_y)
        rep.weighted = _scores(mixture(probs, w), dev_y)
        rep.uniform = _scores(mixture(probs, uniform), dev_y)
        rep.single = {n: _scores(p, dev_y) for n, p in zip(names, probs, strict=True)}
    return rep


# ------------------------------------------------------------------ student training


@dataclass
class DistillConfig:
    temperature: float = 2.0
    soft: float = 1.0  # weight of the KL to the teachers' mixture
    label: float = 0.5  # weight of the cross-entropy on gold labels
    embed: float = 1.0  # weight of 1 - cos to the teacher's embedding
    epochs: float = 4.0
    batch_size: int = 32
    lr: float = 1e-4
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    evals_per_epoch: int = 2
    seed: int = 13
    max_minutes: float | None = None


LABELS_ONLY = {"soft": 0.0, "embed": 0.0, "label": 1.0}


@dataclass
class DistillData:
    """Texts the student learns from: labelled ones (``labels[i]`` an intent) and
    unlabelled or augmented ones (``labels[i] is None``), plus a labelled dev set."""

    texts: list[str]
    labels: list[str | None]
    dev_texts: list[str] = field(default_factory=list)
    dev_labels: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        train: tuple[list[str], list[str]],
        dev: tuple[list[str], list[str]] | None = None,
        unlabelled: Sequence[str] = (),
    ) -> DistillData:
        seen = set(train[0])
        extra = [t for t in dict.fromkeys(unlabelled) if t not in seen]
        return cls(
            list(train[0]) + extra,
            [*train[1], *([None] * len(extra))],
            list(dev[0]) if dev else [],
            list(dev[1]) if dev else [],
        )


@dataclass
class DistillResult:
    model: Any
    weights: dict[str, Any]  # WeightReport.as_dict() per task
    history: list[dict[str, Any]]
    dev: dict[str, float]  # the kept checkpoint's dev accuracy / nll
    seconds: float
    loss_weights: dict[str, float]
    temperature: float = 2.0  # of the intent KL (1 when trained as served)


def soft_targets(
    teachers: Sequence[Teacher],
    weights: np.ndarray,
    outputs: Sequence[dict[str, np.ndarray]],
    temperature: float,
) -> np.ndarray | None:
    """The weighted mixture of the teachers' intent distributions at ``temperature``."""
    parts = [(w, o[INTENT]) for w, o in zip(weights, outputs, strict=True) if INTENT in o]
    if not parts:
        return None
    return mixture([softmax(z, temperature) for _, z in parts], [w for w, _ in parts]).astype(
        np.float32
    )


def distill(
    student: Any,
    enc: Any,
    teachers: Sequence[Teacher],
    data: DistillData,
    config: DistillConfig | None = None,
    *,
    weights: dict[str, float] | None = None,
    loss_weights: dict[str, float] | None = None,
    cache: TeacherCache | None = None,
    progress: Callable[[str], None] | None = None,
    offsets: tuple[np.ndarray, np.ndarray] | None = None,
) -> DistillResult:
    """Train ``student`` (a :class:`~aimass.model.multitask.MultiTaskModel`, changed in
    place and returned) on the teachers' soft targets, embeddings and the labels.

    ``offsets``, one row per text of ``data.texts`` and one per ``data.dev_texts``: what the
    served fusion adds to the student's intent log-probabilities
    (:func:`aimass.compress.served.served_offsets`). With them the intent losses and the
    dev checkpoint choice are computed on the fused distribution: the student is trained as
    it is served."""
    import torch
    from torch.nn import functional as F

    cfg = config or DistillConfig()
    # Trained as served, the intent KL is taken at temperature 1: the fused logits are the
    # student's log-probabilities plus the experts' weighted ones, whose sharpness (weights
    # summing well above 1) a temperature does not soften the way it softens one model's
    # logits; at T > 1 the student learns to pull the experts' top intent down, which is
    # wrong at T = 1, where the fusion is served.
    t_soft = 1.0 if offsets is not None else cfg.temperature
    lw = {"soft": cfg.soft, "label": cfg.label, "embed": cfg.embed, **(loss_weights or {})}
    say = progress or (lambda _m: None)
    started = time.time()
    cache = cache or TeacherCache()
    if "intent" not in student.heads:
        raise TrainingError(
            "distillation needs a student with an intent head",
            code="AM531",
            hint="distil models trained with intents; a matching-only model can be pruned",
        )
    labels: list[str] = list(student.heads["intent"].labels)
    index = {n: i for i, n in enumerate(labels)}
    if not data.texts:
        raise TrainingError("distillation has no texts to learn from", code="AM529")
    uses_teachers = lw["soft"] > 0 or lw["embed"] > 0
    if uses_teachers and not teachers:
        raise TrainingError("distillation needs at least one teacher", code="AM530")

    # 1. Teacher outputs, once (cached), and the teachers' weights fitted on dev.
    weight_reports: dict[str, Any] = {}
    q = emb_t = prof_t = dev_emb = None
    if uses_teachers:
        outs = [cache.outputs(t, data.texts) for t in teachers]
        intent_teachers = [(t, o) for t, o in zip(teachers, outs, strict=True) if INTENT in o]
        dev_keep = [i for i, g in enumerate(data.dev_labels) if g in index]
        dev_y = np.array([index[data.dev_labels[i]] for i in dev_keep], dtype=np.int64)
        dev_texts = [data.dev_texts[i] for i in dev_keep]
        if intent_teachers:
            dev_logits = (
                [cache.outputs(t, dev_texts)[INTENT] for t, _ in intent_teachers]
                if dev_texts
                else []
            )
            rep = teacher_weights(
                [t.name for t, _ in intent_teachers],
                dev_logits or [np.zeros((0, len(labels)))] * len(intent_teachers),
                dev_y if dev_texts else None,
                weights,
            )
            weight_reports["intent"] = rep.as_dict()
            say(f"teacher weights (intent, {rep.source}): {weight_reports['intent']['weights']}")
            q = soft_targets(
                [t for t, _ in intent_teachers],
                np.array(rep.weights),
                [o for _, o in intent_teachers],
                t_soft,
            )
        emb_at = next((k for k, o in enumerate(outs) if EMBEDDING in o), None)
        if emb_at is not None and lw["embed"] > 0:
            emb_t = outs[emb_at][EMBEDDING]
            if dev_texts:  # checkpoints are also judged on how well they keep the embedding
                dev_emb = cache.outputs(teachers[emb_at], dev_texts)[EMBEDDING]
        prof_src = next((o for o in outs if PROFILE in o), None)
        if prof_src is not None and "profile" in student.heads and lw["soft"] > 0:
            prof_t = 1 / (1 + np.exp(-prof_src[PROFILE] / cfg.temperature))

    # 2. The loop: mini-batches of texts, length-grouped; best dev checkpoint kept.
    y_all = np.array([index.get(lab, -1) if lab is not None else -1 for lab in data.labels])
    off = dev_off = None
    if offsets is not None:
        off, dev_off = offsets
        if off.shape != (len(data.texts), len(labels)) or len(dev_off) != len(data.dev_texts):
            raise TrainingError(
                f"served offsets of shape {off.shape} / {dev_off.shape} do not match "
                f"{len(data.texts)} texts and {len(data.dev_texts)} dev texts of "
                f"{len(labels)} intents",
                code="AM529",
            )
    rng = random.Random(cfg.seed)
    torch.manual_seed(cfg.seed)
    n = len(data.texts)
    steps_per_epoch = max(1, math.ceil(n / cfg.batch_size))
    total = max(1, math.ceil(steps_per_epoch * cfg.epochs))
    head_params = list(student.heads.parameters())
    head_ids = {id(p) for p in head_params}
    enc_params = [p for p in student.parameters() if id(p) not in head_ids and p.requires_grad]
    opt = torch.optim.AdamW(
        [
            {"params": enc_params, "lr": cfg.lr},
            {"params": [p for p in head_params if p.requires_grad], "lr": cfg.head_lr},
        ],
        weight_decay=cfg.weight_decay,
    )
    warm = max(1, total // 10)
    # ``plan[0]`` is the number of steps the schedule decays over: with a time cap it is
    # shortened as soon as the pace is known, so a capped run still ends annealed (a run cut
    # at full learning rate keeps a checkpoint that never cooled down).
    plan = [total]
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: (s + 1) / warm if s < warm else max(0.0, (plan[0] - s) / (plan[0] - warm + 1)),
    )
    eval_every = max(1, steps_per_epoch // max(1, cfg.evals_per_epoch))
    served = off is not None  # the fusion is refitted on these probabilities: log-loss first
    history: list[dict[str, Any]] = []
    best = dev_scores(student, enc, data, index, dev_emb, dev_off)
    best_state = copy.deepcopy(student.state_dict())
    history.append({"step": 0, "dev": best})
    t2 = t_soft**2
    step = 0
    loop_started = time.time()
    while step < plan[0]:
        order = list(range(n))
        rng.shuffle(order)
        chunk = cfg.batch_size * 20  # sort by length within chunks: less padding
        order = [
            i
            for s in range(0, n, chunk)
            for i in sorted(order[s : s + chunk], key=lambda i: len(data.texts[i]))
        ]
        batches = [order[s : s + cfg.batch_size] for s in range(0, n, cfg.batch_size)]
        rng.shuffle(batches)
        for idx in batches:
            if step >= plan[0]:
                break
            student.train()
            batch = enc([data.texts[i] for i in idx])
            pooled = student.pool(batch)
            logits = student.heads["intent"](pooled)
            if off is not None:  # as served: the experts' log-probabilities added
                logits = F.log_softmax(logits, -1) + torch.from_numpy(off[idx])
            loss = logits.new_zeros(())
            parts: dict[str, float] = {}
            if q is not None and lw["soft"] > 0:
                target = torch.from_numpy(q[idx])
                logp = F.log_softmax(logits / t_soft, -1)
                kl = (target * (torch.log(target + 1e-12) - logp)).sum(-1).mean() * t2
                loss = loss + lw["soft"] * kl
                parts["soft"] = float(kl.detach())
            y = torch.from_numpy(y_all[idx])
            has = y >= 0
            if lw["label"] > 0 and bool(has.any()):
                ce = F.cross_entropy(logits[has], y[has])
                loss = loss + lw["label"] * ce
                parts["label"] = float(ce.detach())
            if emb_t is not None:
                mine = student.heads["matching"](pooled) if "matching" in student.heads else None
                mine = mine if mine is not None else F.normalize(pooled, dim=-1)
                cos = (mine * torch.from_numpy(emb_t[idx])).sum(-1)
                e = (1 - cos).mean()
                loss = loss + lw["embed"] * e
                parts["embed"] = float(e.detach())
            if prof_t is not None:
                pl = student.heads["profile"](pooled) / cfg.temperature
                b = F.binary_cross_entropy_with_logits(pl, torch.from_numpy(prof_t[idx]).float())
                loss = loss + lw["soft"] * b
                parts["profile"] = float(b.detach())
            if not loss.requires_grad:
                step += 1
                continue
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if cfg.max_minutes and (step == 10 or step % eval_every == 0):
                plan[0] = _fit_plan(
                    plan[0], step, cfg.max_minutes * 60, time.time() - loop_started, eval_every
                )
            if step % eval_every == 0 or step == plan[0]:
                scores = dev_scores(student, enc, data, index, dev_emb, dev_off)
                lr = round(float(sched.get_last_lr()[0]), 8)
                history.append(
                    {"step": step, "of": plan[0], "lr": lr, "loss": parts, "dev": scores}
                )
                say(f"distil step {step}/{plan[0]}: {parts} dev {scores}")
                if _better(scores, best, nll_first=served):
                    best, best_state = scores, copy.deepcopy(student.state_dict())
                if cfg.max_minutes and (time.time() - loop_started) / 60 > cfg.max_minutes * 1.1:
                    step = plan[0]  # the pace changed under the plan: a hard stop
    student.load_state_dict(best_state)
    student.eval()
    return DistillResult(
        student, weight_reports, history, best, round(time.time() - started, 1), lw, t_soft
    )


def _fit_plan(planned: int, step: int, budget_s: float, loop_s: float, eval_every: int) -> int:
    """The number of training steps that fit in a time budget at the pace measured so far
    (the dev evaluations included): never more than ``planned``, never fewer than ``step``
    (the run then stops at the next evaluation). The budget is the training loop's: the
    teachers' outputs and the served offsets computed before it do not count, so two
    students given the same minutes get the same training time."""
    pace = loop_s / max(1, step)
    left = budget_s - loop_s - pace * min(eval_every, 10)
    return int(max(step, min(planned, step + left / max(pace, 1e-9))))


def _better(a: dict[str, float], b: dict[str, float], *, nll_first: bool = False) -> bool:
    """Higher dev accuracy; on a tie, the lower log-loss plus embedding distance. With
    ``nll_first`` (a student trained as served, whose fusion weights are then refitted on its
    probabilities) the lower log-loss decides and accuracy breaks ties: on a few hundred dev
    messages accuracy moves in steps of one message, and an untrained student fused with
    strong experts is otherwise never beaten."""
    if not a:
        return True

    def cost(m: dict[str, float]) -> float:
        return m.get("nll", math.inf) + (1.0 - m.get("embed_cos", 1.0))

    if nll_first:
        ca, cb = cost(a), cost(b)
        if abs(ca - cb) > 1e-6:
            return ca < cb
        return a["accuracy"] > b.get("accuracy", -1.0)
    if a["accuracy"] != b.get("accuracy"):
        return a["accuracy"] > b.get("accuracy", -1.0)
    return cost(a) < cost(b) - 1e-6


def dev_scores(
    model: Any,
    enc: Any,
    data: DistillData,
    index: dict[str, int],
    teacher_embedding: np.ndarray | None = None,
    offsets: np.ndarray | None = None,
) -> dict[str, float]:
    """Dev accuracy (%) and log-loss of the raw intent head (temperature 1; fused with the
    experts when their ``offsets`` per dev text are given), and the mean cosine to the
    teacher's embeddings when given; empty when there is no usable dev set (then the last
    checkpoint is kept)."""
    from aimass.model import predict
    from aimass.model.logreg import log_softmax

    keep = [i for i, g in enumerate(data.dev_labels) if g in index]
    if not keep:
        return {}
    texts = [data.dev_texts[i] for i in keep]
    y = np.array([index[data.dev_labels[i]] for i in keep])
    z = predict.head_outputs(model, enc, "intent", texts).numpy()
    if offsets is not None:
        z = log_softmax(z.astype(np.float64)) + offsets[keep]
    p = softmax(z)
    out = _scores(p, y)
    if teacher_embedding is not None:
        mine = predict.embeddings(model, enc, texts)
        out["embed_cos"] = round(float((mine * teacher_embedding).sum(1).mean()), 5)
    return out
