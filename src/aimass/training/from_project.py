"""Training a bot project: project -> task data -> train -> artifact."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from aimass.config.training import TrainConfig
from aimass.training.data import IntentData, MatchingData, ProfileData, TaskData

if TYPE_CHECKING:
    from aimass.data.project import BotProject


def task_data_from_project(project: BotProject) -> TaskData:
    data = TaskData()
    texts, labels = [], []
    for intent in project.intents:
        for ex in intent.examples:
            texts.append(ex.text)
            labels.append(intent.name)
    if texts:
        data.intent = IntentData(texts, labels)
    if project.profile_examples:
        data.profile = ProfileData(
            [e.text for e in project.profile_examples],
            [list(e.tags) for e in project.profile_examples],
        )
    bank = {f.id: list(f.questions) for f in project.faqs if f.questions}
    if bank:
        data.matching = MatchingData(bank=bank)
    return data


def runtime_from_project(project: BotProject) -> dict[str, Any]:
    """What the assistant answers with; stored in the artifact's runtime.json."""
    from aimass.policy.artifact import project_policy

    cfg = project.config
    return {
        "name": cfg.name,
        "languages": cfg.languages,
        "thresholds": cfg.thresholds.model_dump(),
        "replies": cfg.replies.model_dump(),
        "handoff_intents": cfg.handoff_intents,
        "intents": {
            i.name: {"responses": dict(i.responses), "description": i.description}
            for i in project.intents
        },
        "faqs": [f.model_dump(exclude={"source"}) for f in project.faqs],
        # documents go in whole; the runtime splits them into passages when it loads
        "kb": [d.model_dump() for d in project.kb],
        # the project's policy.yaml, validated, word lists inlined (None: the default rule)
        "policy": project_policy(project.root),
    }


def train_project(
    project_dir: Path,
    out: Path,
    *,
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
) -> Path:
    """Validate (refusing invalid data with every problem listed), train, save atomically."""
    from aimass.data.project import load_project
    from aimass.training.save import save_artifact
    from aimass.training.trainer import train

    project = load_project(Path(project_dir))
    from aimass.policy.artifact import project_policy

    project_policy(project.root)  # an invalid policy.yaml fails now, not after training
    config = TrainConfig.model_validate(
        {**project.config.training.model_dump(), **(overrides or {})}
    )
    data = task_data_from_project(project)
    result = train(data, config, progress=progress)
    if result.rank == 0:
        save_artifact(
            result,
            out,
            config={
                "train": config.model_dump(),
                "project": project.config.model_dump(exclude={"training"}),
            },
            runtime=runtime_from_project(project),
        )
    return Path(out)
