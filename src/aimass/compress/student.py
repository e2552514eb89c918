"""Students built from the teacher, and the chain stages that build, prune and distil them.

A student starts as a copy of the fine-tuned model, made smaller:

- **fewer layers**, each initialised from a teacher layer (``pick_layers``: evenly spaced,
  the first and the last always kept, so the student's output sits where the teacher's
  heads expect it; DistilBERT keeps every other layer the same way);
- **a narrower FFN / fewer heads**, the units kept by measured importance
  (:mod:`aimass.compress.prune`);
- **a smaller vocabulary**: the trimmed table of the artifact trimmed again to the pieces the
  bot's texts use plus a smaller reserve of the most probable pieces
  (:mod:`aimass.encoders.vocab_trim`; every single-character piece is always kept, so any
  text still tokenises, falling back to characters outside the kept pieces).

It keeps the teacher's heads (the intent head's label order, the profile head, the matching
head), so it answers the same questions, and is then trained by
:func:`aimass.compress.distill.distill` to recover what the cuts cost.

``StudentStage`` and ``PruneStage`` are ``TorchStage`` s of the compression chain
(``chain.compress(stages=...)``): each receives the model before it (the teacher), returns
the smaller model, and refits the intent calibration (temperature, expert fusion weights,
out-of-scope threshold) on dev, since a student's logits are not the teacher's.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aimass.compress.distill import (
    LABELS_ONLY,
    DistillConfig,
    DistillData,
    ModelTeacher,
    Teacher,
    TeacherCache,
    distill,
    fit_expert_teachers,
)
from aimass.compress.prune import (
    Importance,
    PruneReport,
    choose_layers,
    drop_layers,
    encoder_layers,
    measure_importance,
    n_params,
    prune,
)
from aimass.errors import ProjectError, TrainingError

log = logging.getLogger(__name__)


def pick_layers(total: int, keep: int) -> list[int]:
    """``keep`` layer indices out of ``total``, evenly spaced, first and last included."""
    if keep < 1 or keep > total:
        raise TrainingError(
            f"a student cannot keep {keep} of {total} layers",
            code="AM529",
            hint=f"choose --layers between 1 and {total}",
        )
    if keep == 1:
        return [total - 1]
    return sorted({round(i * (total - 1) / (keep - 1)) for i in range(keep)})


def build_student(
    teacher: Any,
    *,
    layers: int | Sequence[int] | None = None,
    ffn_keep: float | int | None = None,
    heads_keep: float | int | None = None,
    calibration: tuple[list[str], list[str] | None] | None = None,
    enc: Any = None,
    importance: Importance | None = None,
    layer_choice: str = "even",
) -> tuple[Any, PruneReport]:
    """A smaller copy of ``teacher`` (which is left untouched). ``layers``: how many to keep
    (evenly spaced) or which; ``ffn_keep`` / ``heads_keep``: fraction or count of FFN
    neurons / heads kept per layer, chosen by importance on the ``calibration`` texts
    (and labels) with ``enc``. ``layer_choice``: ``"even"`` (evenly spaced, first and
    last kept) or ``"importance"`` (greedy by measured output change on the calibration
    texts, :func:`~aimass.compress.prune.choose_layers`)."""
    student = copy.deepcopy(teacher)
    blocks = encoder_layers(student)
    rep = PruneReport(params_before=n_params(student))
    if layers is not None:
        if not isinstance(layers, int):
            keep = list(layers)
        elif layer_choice == "importance" and calibration is not None and enc is not None:
            pick_layers(len(blocks), layers)  # the same AM529 for an impossible count
            keep = choose_layers(teacher, enc, calibration[0][:128], layers)
        else:
            keep = pick_layers(len(blocks), layers)
        rep.importance["layers_kept"] = keep
        rep.removed_layers = [i for i in range(len(blocks)) if i not in keep]
        drop_layers(student, keep)
    if ffn_keep is not None or heads_keep is not None:
        if calibration is None or enc is None:
            raise TrainingError(
                "pruning needs calibration texts to measure importance on", code="AM529"
            )
        student, sub = prune(
            student,
            enc,
            calibration[0],
            calibration[1],
            ffn_keep=ffn_keep,
            heads_keep=heads_keep,
            importance=importance,
        )
        rep.heads_before, rep.heads_after = sub.heads_before, sub.heads_after
        rep.ffn_before, rep.ffn_after = sub.ffn_before, sub.ffn_after
        rep.importance = {**rep.importance, **sub.importance}
    blocks = encoder_layers(student)
    rep.heads_after = rep.heads_after or [
        int(b.attention.self.query.out_features // b.attention.self.attention_head_size)
        for b in blocks
    ]
    rep.ffn_after = rep.ffn_after or int(blocks[0].intermediate.dense.out_features)
    rep.params_after = n_params(student)
    return student, rep


def trim_student_vocabulary(
    student: Any, enc: Any, texts: Sequence[str], reserve: int
) -> tuple[Any, dict[str, int]]:
    """Trim the student's vocabulary (in place on its encoder) to the pieces ``texts`` use
    plus ``reserve`` most probable ones; return a new text encoder with the trimmed
    tokenizer and the before/after sizes. Non-Unigram vocabularies stay as they are."""
    from aimass.encoders.vocab_trim import trim_vocabulary

    new_enc = copy.copy(enc)
    tok, _, stats = trim_vocabulary(
        enc.tokenizer, student.encoder, enc.prefixed(list(texts)), reserve=reserve
    )
    tok.padding_side = getattr(enc.tokenizer, "padding_side", "right")
    tok.truncation_side = getattr(enc.tokenizer, "truncation_side", "right")
    new_enc.tokenizer = tok
    return new_enc, stats


# ------------------------------------------------------------------ calibration


def recalibrate(
    model: Any,
    enc: Any,
    dev: tuple[list[str], list[str]],
    calibration: dict[str, Any],
    experts: dict[str, Any] | None = None,
    *,
    train: tuple[list[str], list[str]] | None = None,
    faqs: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The artifact's calibration refitted for ``model`` (as training does): the intent
    temperature, expert fusion weights and out-of-scope threshold on ``dev``; with
    ``train``, the out-of-scope prototypes and the explanation examples in the student's own
    embedding space; with ``faqs``, the FAQ confidence map on held-out variants. What cannot
    be refitted is dropped rather than kept from the teacher's embedding space."""
    from aimass.training import calibrate
    from aimass.training.data import IntentData, MatchingData, TaskData, _split_matching
    from aimass.training.trainer import fit_calibration

    if "intent" not in model.heads or not dev[0]:
        return dict(calibration)
    negatives = [t for t, lab in zip(*dev, strict=True) if lab == calibrate.OOS]
    dev_data = TaskData(intent=IntentData(list(dev[0]), list(dev[1])))
    if faqs and "matching" in model.heads:
        dev_data.matching = _split_matching(MatchingData(bank=dict(faqs)), 0)[1]
    old_t = float(model.heads["intent"].temperature)
    train_data = TaskData(intent=IntentData(list(train[0]), list(train[1]))) if train else None
    new = fit_calibration(
        model,
        enc,
        dev_data,
        experts,
        negatives,
        train=train_data,
        oos_cost=float(calibration.get("oos_cost", 1.0)),
        oos_target_recall=calibration.get("oos_target_recall"),
    )
    if not new.get("oos_threshold_from_dev") and "oos_threshold" in calibration:
        new["oos_threshold"] = calibration["oos_threshold"]  # keep the project's default
    log.info(
        "student calibration: temperature %.3f -> %.3f, experts %s",
        old_t,
        new.get("intent_temperature", 1.0),
        new.get("expert_weights"),
    )
    kept = {k: v for k, v in calibration.items() if k not in ("scope", "examples")}
    return {**kept, **new}


def artifact_experts(folder: Path | None) -> dict[str, Any]:
    """Every intent expert saved in an artifact (fused at serving when its weight is > 0)."""
    from aimass.model.experts import load_expert

    if folder is None or not (Path(folder) / "experts").is_dir():
        return {}
    return {
        p.name: load_expert(p) for p in sorted((Path(folder) / "experts").iterdir()) if p.is_dir()
    }


# ------------------------------------------------------------------ chain stages


@dataclass
class StageData:
    """What a student stage learns and calibrates from: labelled training texts, a labelled
    dev set (teacher weights, checkpoint choice, calibration), unlabelled or augmented
    texts (soft targets and embeddings only), and which training message each rewrite
    among them rewrites (``sources``: training as served keeps a rewrite in its message's
    fold)."""

    train: tuple[list[str], list[str]]
    dev: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    unlabelled: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    # The served experts' out-of-fold rows and refits, shared by the students of one run.
    served_memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def add_rewrites(self, per_example: int) -> None:
        """``per_example`` rewrites of each training message into the transfer set."""
        from aimass.compress.transfer import transfer_pairs

        pairs = transfer_pairs(self.train[0], per_example)
        self.unlabelled += [r for r, _ in pairs]
        self.sources.update(pairs)

    def calibration_texts(self, limit: int = 512) -> tuple[list[str], list[str]]:
        rng = np.random.default_rng(0)
        n = len(self.train[0])
        idx = sorted(rng.choice(n, size=min(limit, n), replace=False).tolist())
        return [self.train[0][i] for i in idx], [self.train[1][i] for i in idx]


@dataclass
class StudentStage:
    """Build a student from the model it receives (the teacher), then distil into it from
    that teacher and the extra ``teachers`` (``labels_only``: train it on the labels alone,
    the comparison row). ``name`` is how the chain's report lists it."""

    data: StageData
    layers: int | list[int] | None = None
    ffn_keep: float | int | None = None
    heads_keep: float | int | None = None
    vocab_reserve: int | None = None
    layer_choice: str = "importance"  # or "even"
    expert_teachers: Sequence[str] = ()
    teacher_weights: dict[str, float] | None = None
    config: DistillConfig = field(default_factory=DistillConfig)
    labels_only: bool = False
    # Whether the served fusion may use the experts the student learned from. A distilled
    # student holds much of their evidence already; fusing them again can count it twice, and
    # keeps the second encoder (USE) at serving. With True the fusion weights fitted on dev
    # decide (0 where an expert adds nothing); False serves the student alone: lighter and
    # faster, at an accuracy cost measured by compress_bench (BANKING77 -0.65, SMP2017 +0.51
    # points on dev half b, benchmarks/README.md), so dev, not a rule, is the default.
    fuse_teacher_experts: bool = True
    # Train as served (aimass.compress.served): the intent losses and the checkpoint choice
    # read the student fused with the artifact's experts (weights from its calibration),
    # whose predictions on the training messages are out of fold.
    as_served: bool = False
    folds: int = 5
    artifact: Path | None = None  # for its experts (calibration of the served fusion)
    cache_dir: Path | None = None
    name: str = "student"
    progress: Callable[[str], None] | None = None
    report: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    teachers: list[Teacher] = field(default_factory=list)
    student: tuple[Any, Any] | None = None  # (model, text encoder) after apply

    def apply(self, model: Any, enc: Any, files: Any) -> tuple[Any, Any]:
        say = self.progress or (lambda m: log.info("%s", m))
        cal_texts = self.data.calibration_texts()
        if not self.teachers:
            self.teachers = [
                ModelTeacher(model, enc, "model", files.manifest.get("model_version", ""))
            ]
            if self.expert_teachers and not self.labels_only:
                labels = list(model.heads["intent"].labels)
                self.teachers += fit_expert_teachers(
                    self.expert_teachers, labels, self.data.train, self.data.dev
                )
        student, rep = build_student(
            model,
            layers=self.layers,
            ffn_keep=self.ffn_keep,
            heads_keep=self.heads_keep,
            calibration=cal_texts,
            enc=enc,
            layer_choice=self.layer_choice,
        )
        s_enc = enc
        vocab: dict[str, int] = {}
        if self.vocab_reserve is not None:
            texts = self.data.train[0] + self.data.dev[0] + self.data.unlabelled
            texts += [q for f in files.runtime.get("faqs", []) for q in f.get("questions", [])]
            s_enc, vocab = trim_student_vocabulary(student, enc, texts, self.vocab_reserve)
        say(f"{self.name}: {rep.params_before:,} -> {rep.params_after:,} parameters; distilling")
        faq = [q for f in files.runtime.get("faqs", []) for q in f.get("questions", [])]
        # Unlabelled and FAQ texts carry only the teachers' signal: a labels-only student
        # would spend steps on rows with no loss, so it trains on the labelled texts alone.
        extra = [] if self.labels_only else self.data.unlabelled + faq
        data = DistillData.of(self.data.train, self.data.dev, extra)
        experts = artifact_experts(self.artifact)
        if not self.labels_only and not self.fuse_teacher_experts:
            experts = {n: e for n, e in experts.items() if n not in self.expert_teachers}
        offsets = None
        if self.as_served and experts:
            offsets = self._served_offsets(model, files, experts, data)
        result = distill(
            student,
            s_enc,
            self.teachers,
            data,
            self.config,
            weights=self.teacher_weights,
            loss_weights=LABELS_ONLY if self.labels_only else self._loss_weights(files),
            cache=TeacherCache(self.cache_dir),
            progress=say,
            offsets=offsets,
        )
        self.student = (result.model, s_enc)
        self.calibration = recalibrate(
            result.model,
            s_enc,
            self.data.dev,
            dict(files.calibration),
            experts,
            train=self.data.train,
            faqs=_faq_bank(files),
        )
        self.report = {
            "layers_removed": rep.removed_layers,
            "layer_choice": self.layer_choice if self.layers is not None else None,
            "heads": rep.heads_after,
            "ffn": rep.ffn_after,
            "params_before": rep.params_before,
            "params_after": n_params(result.model),
            "vocab": vocab,
            "teacher_weights": result.weights,
            "dev": result.dev,
            "loss_weights": result.loss_weights,
            "seconds": result.seconds,
            "steps": result.history[-1]["step"] if result.history else 0,
            "soft_temperature": result.temperature,
            "labels_only": self.labels_only,
            "transfer_texts": len(data.texts) - len(self.data.train[0]),
            "experts_fused": sorted(experts),
            "as_served": offsets is not None,
        }
        return result.model, s_enc

    @staticmethod
    def _loss_weights(files: Any) -> dict[str, float] | None:
        """The distilled student's loss weights: the defaults, except that the teacher's
        embedding is not distilled when the artifact matches nothing by embedding (no FAQ,
        no knowledge base): there it would only pull the encoder away from the intents."""
        rt = files.runtime
        if rt.get("faqs") or rt.get("kb"):
            return None
        return {"embed": 0.0}

    def _served_offsets(
        self, model: Any, files: Any, experts: dict[str, Any], data: DistillData
    ) -> tuple[np.ndarray, np.ndarray]:
        """What the served fusion adds to the student's intent log-probabilities, for the
        training texts (out of fold) and the dev texts, with the artifact's fusion weights
        (the student's own are refitted after training)."""
        from aimass.compress.served import served_offsets

        labels = list(model.heads["intent"].labels)
        weights = dict(files.calibration.get("expert_weights", {}))
        memo = self.data.served_memo.setdefault(self.folds, {})
        args: dict[str, Any] = dict(sources=self.data.sources, folds=self.folds, memo=memo)
        train = self.data.train
        return (
            served_offsets(experts, weights, labels, train, data.texts, **args),
            served_offsets(experts, weights, labels, train, data.dev_texts, **args),
        )


@dataclass
class PruneStage:
    """Prune the model it receives by measured importance (layers, FFN neurons, heads),
    then recover by distillation from the unpruned model when ``recover`` is set."""

    data: StageData
    ffn_keep: float | int | None = 0.5
    heads_keep: float | int | None = None
    drop: int = 0
    recover: bool = True
    config: DistillConfig = field(default_factory=DistillConfig)
    artifact: Path | None = None
    cache_dir: Path | None = None
    name: str = "prune"
    progress: Callable[[str], None] | None = None
    report: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)

    def apply(self, model: Any, enc: Any, files: Any) -> tuple[Any, Any]:
        texts, labels = self.data.calibration_texts()
        imp = measure_importance(model, enc, texts, labels, layers=self.drop > 0)
        pruned, rep = prune(
            model,
            enc,
            texts,
            labels,
            ffn_keep=self.ffn_keep,
            heads_keep=self.heads_keep,
            drop=self.drop,
            importance=imp,
        )
        dev_after: dict[str, float] = {}
        if self.recover:
            teacher = ModelTeacher(model, enc, "model", files.manifest.get("model_version", ""))
            result = distill(
                pruned,
                enc,
                [teacher],
                DistillData.of(self.data.train, self.data.dev, self.data.unlabelled),
                self.config,
                cache=TeacherCache(self.cache_dir),
                progress=self.progress,
            )
            pruned, dev_after = result.model, result.dev
        self.calibration = recalibrate(
            pruned,
            enc,
            self.data.dev,
            dict(files.calibration),
            artifact_experts(self.artifact),
            train=self.data.train,
            faqs=_faq_bank(files),
        )
        self.report = {
            "layers_removed": rep.removed_layers,
            "heads": rep.heads_after,
            "ffn": rep.ffn_after,
            "params_before": rep.params_before,
            "params_after": rep.params_after,
            "importance": rep.importance,
            "recovered": self.recover,
            "dev": dev_after,
        }
        return pruned, enc


def _faq_bank(files: Any) -> dict[str, list[str]]:
    return {
        f["id"]: list(f["questions"])
        for f in files.runtime.get("faqs", [])
        if f.get("id") and f.get("questions")
    }


def parse_weights(spec: str | None) -> dict[str, float] | None:
    """``"model=0.7,lexical=0.3"`` -> ``{"model": 0.7, "lexical": 0.3}`` (AM530 if bad)."""
    if not spec:
        return None
    out: dict[str, float] = {}
    for part in spec.split(","):
        name, sep, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise TrainingError(
                f"teacher weight {part!r} is not NAME=NUMBER",
                code="AM530",
                hint='write e.g. --teacher-weights "model=0.7,lexical=0.3"',
            )
    return out


def read_texts(path: Path) -> list[str]:
    """Unlabelled texts: one per line, JSONL rows with a ``text`` field (what ``aimass
    augment -o X.jsonl`` writes), or an intents file (.yaml/.yml/.csv, e.g. ``aimass augment
    -o X.yaml``) whose examples are taken without their intents. A missing, non-UTF-8 or empty
    file is a coded error, never a traceback or a transfer set of YAML syntax."""
    import json

    from aimass.data.encoding import read_text

    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml", ".csv"):
        from aimass.evaluation.evaluate import read_labelled

        out = read_labelled(path)[0]
    else:
        text, problems = read_text(path, str(path))
        if text is None:
            p = problems[0]
            hint = p.hint or "check the path given to --unlabelled"
            raise ProjectError(p.message, code=p.code, file=p.file, line=p.line, hint=hint)
        out = []
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            if line.startswith("{"):
                try:
                    row = json.loads(line)
                except ValueError:
                    row = None
                if isinstance(row, dict) and isinstance(row.get("text"), str):
                    out.append(row["text"])
                    continue
            out.append(line)
    if not out:
        raise TrainingError(
            f"{path} holds no messages",
            code="AM533",
            hint="one message per line, JSONL rows with a text field, or an intents file",
            file=str(path),
        )
    return out


def stages_from_options(
    artifact: Path,
    *,
    train: Path | None,
    dev: Path | None = None,
    unlabelled: Path | None = None,
    augment: int = 0,
    fuse_teacher_experts: bool = True,
    as_served: bool = False,
    layers: int | None = None,
    prune_ffn: float | None = None,
    prune_heads: float | None = None,
    vocab_reserve: int | None = None,
    distil: bool = True,
    teachers: Sequence[str] = (),
    teacher_weights: str | None = None,
    epochs: float = 4.0,
    layer_choice: str = "importance",
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Any]:
    """The torch stages ``aimass compress`` runs for its student/pruning options (none when
    none is given). ``prune_ffn`` / ``prune_heads`` are the fractions *removed*; ``augment``
    adds that many rewrites of each training message to the distillation's transfer set."""
    wanted = (
        layers is not None
        or prune_ffn is not None
        or prune_heads is not None
        or vocab_reserve is not None
    )
    if not wanted:
        if as_served:
            raise TrainingError(
                "--as-served trains a student, and no student was asked for",
                code="AM529",
                hint="add --layers N (and --train FILE), or drop --as-served: a plain "
                "export/quantisation does not train",
            )
        return []
    if layer_choice not in ("importance", "even"):
        raise TrainingError(
            f"--layer-choice {layer_choice!r} is neither 'importance' nor 'even'", code="AM529"
        )
    for name, frac in (("--prune-ffn", prune_ffn), ("--prune-heads", prune_heads)):
        if frac is not None and not 0.0 <= frac < 1.0:
            raise TrainingError(
                f"{name} {frac} is not a fraction in [0, 1)",
                code="AM529",
                hint=f"{name} 0.5 removes half of them in every layer",
            )
    if train is None:
        raise TrainingError(
            "a student (--layers, --prune-ffn, --prune-heads, --vocab-reserve) is trained "
            "from the training data, and none was given",
            code="AM532",
            hint="pass the labelled training messages with --train FILE (.jsonl/.csv/.yaml)",
        )
    from aimass.evaluation.evaluate import read_labelled

    if augment < 0:
        raise TrainingError(
            f"--augment {augment} is negative", code="AM529", hint="--augment 1 adds one rewrite"
        )
    data = StageData(
        read_labelled(Path(train)),
        read_labelled(Path(dev)) if dev else ([], []),
        read_texts(unlabelled) if unlabelled else [],
    )
    if augment and distil:
        data.add_rewrites(augment)
    parts = []
    if layers is not None:
        parts.append(f"L{layers}")
    if prune_ffn:
        parts.append(f"ffn-{prune_ffn:g}")
    if prune_heads:
        parts.append(f"heads-{prune_heads:g}")
    if vocab_reserve is not None:
        parts.append(f"vocab-{vocab_reserve}")
    stage = StudentStage(
        data,
        layers=layers,
        ffn_keep=1.0 - prune_ffn if prune_ffn else None,
        heads_keep=1.0 - prune_heads if prune_heads else None,
        vocab_reserve=vocab_reserve,
        layer_choice=layer_choice,
        expert_teachers=list(teachers),
        teacher_weights=parse_weights(teacher_weights),
        config=DistillConfig(epochs=epochs),
        labels_only=not distil,
        fuse_teacher_experts=fuse_teacher_experts,
        as_served=as_served,
        artifact=Path(artifact),
        cache_dir=cache_dir,
        name="student-" + "-".join(parts) + ("" if distil else "-labels-only"),
        progress=progress,
    )
    return [stage]
