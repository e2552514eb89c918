"""``aimass augment``'s work on a bot project: choose intents, augment, filter, write.

The output is a separate file for review. The project's own files are never written: an
output path that is an existing file inside the project, or that lies where the project reads
its data from (so it would silently join the training data), is refused with AM542.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aimass.augment.base import DEFAULT_AUGMENTERS, AugmentContext, build_augmenters
from aimass.augment.filter import as_scorer
from aimass.augment.output import output_format, write_augmented
from aimass.augment.pipeline import augment_examples
from aimass.augment.select import choose_intents, cross_validated_scores, score_intents
from aimass.errors import TrainingError

log = logging.getLogger(__name__)

__all__ = ["augment_project", "check_output", "slot_values"]


def slot_values(project: Any) -> dict[str, list[str]]:
    """Interchangeable values per slot: lookup tables, synonym groups, annotated entities."""
    slots: dict[str, list[str]] = {}
    for table in getattr(project, "lookups", []):
        slots.setdefault(f"lookup:{table.name}", []).extend(table.elements)
    for syn in getattr(project, "synonyms", []):
        slots.setdefault(f"synonym:{syn.value}", []).extend([syn.value, *syn.aliases])
    for intent in getattr(project, "intents", []):
        for example in intent.examples:
            for span in example.entities:
                slots.setdefault(f"entity:{span.entity}", []).append(span.value)
    return {k: list(dict.fromkeys(v)) for k, v in slots.items()}


def check_output(out: Path, project: Any, *, force: bool = False) -> str:
    """The output format, after refusing paths that would touch the project's data."""
    fmt = output_format(out)
    root = Path(project.root).resolve()
    target = out.resolve()
    inside = target == root or root in target.parents
    if inside and target.exists():
        raise TrainingError(
            f"{out} is a file of the project; `aimass augment` never overwrites project files",
            code="AM542",
            hint="write the augmented examples to a new file, e.g. augmented.yaml",
            file=str(out),
        )
    for kind in ("intents", "faq", "profile", "synonyms", "kb"):
        for entry in getattr(project.config.data, kind):
            data = (root / entry).resolve()
            if target == data or data in target.parents:
                raise TrainingError(
                    f"{out} lies in the project's {kind} data ({entry}): it would join the"
                    " training data before anyone reviewed it",
                    code="AM542",
                    hint="write it outside the data folders; move accepted examples in by hand",
                    file=str(out),
                )
    if target.exists() and not force:
        raise TrainingError(
            f"{out} exists",
            code="AM542",
            hint="choose a new file, or pass --force to replace it",
            file=str(out),
        )
    return fmt


def augment_project(
    project_dir: Path,
    model: Any,
    out: Path,
    *,
    per_example: int = 3,
    augmenters: Sequence[str] | None = None,
    intents: str = "worst:10",
    seed: int = 0,
    threshold: float = 0.5,
    oversample: int = 3,
    dev: Path | None = None,
    force: bool = False,
    generator: Any = None,
    generator_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Augment the project's weakest intents (or those ``intents`` names) and write them to
    ``out`` for review; returns the report. ``model`` is a predictor or an artifact path;
    ``generator`` an :class:`aimass.generative.ChatEndpoint` for the ``llm`` augmenter (which
    joins the default augmenters when a generator is given and none are named)."""
    from aimass.data.project import load_project

    project = load_project(Path(project_dir))
    check_output(out, project, force=force)
    names = list(augmenters or DEFAULT_AUGMENTERS)
    if generator is not None and not augmenters:
        names.append("llm")
    elif generator is not None and "llm" not in names:
        log.warning("the generative model is not used: --augmenters does not name llm")
    if "llm" in names:  # a missing endpoint is AM550 before the model is loaded
        build_augmenters(
            ["llm"],
            AugmentContext(generator=generator, generator_options=dict(generator_options or {})),
        )
    if isinstance(model, str | Path):
        from aimass.runtime.predictor import load_predictor

        model = load_predictor(Path(model))
    scorer = as_scorer(model)
    examples = project.intent_examples()
    context = AugmentContext(
        slot_values=slot_values(project),
        generator=generator,
        generator_options=dict(generator_options or {}),
    )
    if "neighbour" in names:
        from aimass.augment.neighbours import token_word_vectors

        context.word_vectors = token_word_vectors(scorer, vocabulary=[t for t, _ in examples])
    built = build_augmenters(names, context)
    known = set(scorer.intent_labels)
    project_intents = [i for i in project.intent_names() if i in known]
    missing = [i for i in project.intent_names() if i not in known]
    if not project_intents:
        raise TrainingError(
            "the model knows none of the project's intents, so it cannot check their examples",
            code="AM544",
            hint="pass the model trained on this project (--model), or train it first",
        )
    if missing:
        log.warning("the model does not know %s; they are not augmented", ", ".join(missing))
    scores, scored_on = None, None
    if intents.strip().startswith("worst"):
        if dev is not None:
            from aimass.evaluation.evaluate import read_labelled

            texts, labels = read_labelled(dev)
            scores, scored_on = score_intents(scorer, texts, labels), f"dev: {dev}"
        elif hasattr(scorer, "embed"):
            texts = [t for t, _ in examples]
            labels = [i for _, i in examples]
            scores = cross_validated_scores(scorer.embed, texts, labels, seed=seed)  # type: ignore[attr-defined]
            scored_on = "cross-validation on the training examples"
        else:
            raise TrainingError(
                "choosing the worst intents needs a dev set (--dev) or a model with embeddings",
                code="AM541",
                hint="pass --dev FILE, or --intents all",
            )
    chosen = choose_intents(intents, project.intent_names(), scores)
    unknown = [i for i in chosen if i not in known]
    if unknown and not intents.strip().startswith(("all", "worst")):
        raise TrainingError(
            f"the model was not trained on {', '.join(unknown)}, so it cannot check their examples",
            code="AM544",
            hint="retrain the model on the current project first",
        )
    chosen = [i for i in chosen if i in project_intents]
    result = augment_examples(
        examples,
        built,
        intents=chosen,
        per_example=per_example,
        seed=seed,
        scorer=scorer,
        threshold=threshold,
        oversample=oversample,
    )
    report = result.report()
    report["augmenters"] = names
    report["intent_scores"] = (
        {n: scores[n].to_dict() for n in chosen if n in scores} if scores is not None else None
    )
    report["scored_on"] = scored_on
    report["not_in_model"] = missing
    write_augmented(out, result.selected, report)
    report["out"] = str(out)
    return report
