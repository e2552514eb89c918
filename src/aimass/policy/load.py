"""Reading ``policy.yaml`` with every problem on its file and line (codes AM130-AM139).

``read_policy`` never raises for bad user data: it returns the problems, like
``aimass validate``. ``load_policy_config`` raises ``ValidationFailed`` with all of them.
Word-list files are read here and inlined, so the policy stored in an artifact is
self-contained (``resolved``).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from aimass.data.encoding import read_text
from aimass.data.nodes import LDict, LList, line_at, to_plain
from aimass.data.yamlsrc import read_yaml
from aimass.errors import Problem, Severity, ValidationFailed
from aimass.policy.config import (
    POLICY_FILE,
    BlockedRule,
    ConfidenceRule,
    EscalateRule,
    PinnedRule,
    PolicyConfig,
    RedactRule,
    SensitiveRule,
)

__all__ = ["check_tags", "line_at", "load_policy_config", "read_policy", "resolved"]

_RULE_MODELS: dict[str, type[BaseModel]] = {
    "pinned": PinnedRule,
    "blocked": BlockedRule,
    "sensitive": SensitiveRule,
    "redact": RedactRule,
    "escalate": EscalateRule,
    "confidence": ConfidenceRule,
}


def read_policy(
    path: Path, *, file: str = POLICY_FILE
) -> tuple[PolicyConfig | None, list[Problem]]:
    """``(config, problems)``; the config is ``None`` when it has errors."""
    raw, problems = read_yaml(path, file, typed=True)
    if problems:
        return None, [
            Problem("AM130", p.message, file=p.file, line=p.line, hint=p.hint) for p in problems
        ]
    if raw is None:
        return PolicyConfig(), []
    if not isinstance(raw, LDict):
        return None, [
            Problem(
                "AM130",
                f"{file} must be a mapping with a `rules:` list",
                file=file,
                line=getattr(raw, "line", 1),
                hint="see docs/project-format.md#policy",
            )
        ]
    try:
        config = PolicyConfig.model_validate(to_plain(raw))
    except ValidationError as err:
        return None, _schema_problems(err, raw, file)
    problems = _check(config, raw, path.parent, file)
    if any(p.severity is Severity.ERROR for p in problems):
        return None, problems
    return _with_word_files(config, path.parent), problems


def load_policy_config(path: Path, *, file: str = POLICY_FILE) -> PolicyConfig:
    config, problems = read_policy(path, file=file)
    if config is None:
        err = ValidationFailed(problems, what=file)
        err.hint = "run `aimass policy check PROJECT` to list every problem with its line"
        raise err
    return config


def resolved(config: PolicyConfig) -> dict[str, Any]:
    """The policy as stored in an artifact (word files already inlined)."""
    return config.model_dump(mode="json", exclude_defaults=False)


def check_tags(
    config: PolicyConfig, raw: Any, declared: set[str], *, file: str = POLICY_FILE
) -> list[Problem]:
    """AM137 warnings: escalation tags the project's profile does not declare (a typo would
    make the rule silently never fire on predictions)."""
    problems = []
    for i, rule in enumerate(config.rules):
        if not isinstance(rule, EscalateRule):
            continue
        for j, tag in enumerate(rule.tags):
            if tag not in declared:
                close = difflib.get_close_matches(tag, sorted(declared), n=1)
                problems.append(
                    Problem(
                        "AM137",
                        f"rule {rule.id!r} names profile tag {tag!r}, which the project does "
                        "not declare: the model never predicts it",
                        file=file,
                        line=line_at(raw, ("rules", i, "tags", j)),
                        hint=f"did you mean {close[0]!r}?"
                        if close
                        else "declare it in the profile file, or set it from your CRM",
                        severity=Severity.WARNING,
                    )
                )
    return problems


# ---------------------------------------------------------------- schema errors


def _schema_problems(err: ValidationError, raw: LDict, file: str) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    out: list[Problem] = []
    for error in err.errors():
        loc = _strip_union_tags(tuple(error["loc"]))
        key = (loc, error["type"])
        if key in seen:
            continue
        seen.add(key)
        path = ".".join(str(p) for p in loc) or "(top level)"
        line = line_at(raw, loc)
        if error["type"] == "extra_forbidden":
            allowed = _fields_at(raw, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed here: {', '.join(allowed)}"
            out.append(Problem("AM131", f"unknown field {path!r}", file=file, line=line, hint=hint))
        elif error["type"] == "union_tag_invalid" or (error["type"] == "union_tag_not_found"):
            out.append(
                Problem(
                    "AM131",
                    f"{path}: a rule needs `type:` one of {', '.join(_RULE_MODELS)}",
                    file=file,
                    line=line,
                )
            )
        else:
            shown = repr(error.get("input"))
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            what = "is missing" if error["type"] == "missing" else f"{error['msg']} (got {shown})"
            out.append(Problem("AM131", f"{path}: {what}", file=file, line=line))
    return out


def _strip_union_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic puts the discriminator value into the location: rules.0.pinned.match -> drop it
    out: list[Any] = []
    for i, part in enumerate(loc):
        if part in _RULE_MODELS and i >= 2 and loc[i - 2] == "rules":
            continue
        out.append(part)
    return tuple(out)


def _fields_at(raw: LDict, loc: tuple[Any, ...]) -> list[str]:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = raw.get("rules")
        rule = rules[loc[1]] if isinstance(rules, LList) and loc[1] < len(rules) else None
        model = _RULE_MODELS.get(str(rule.get("type"))) if isinstance(rule, LDict) else None
        if model is None:
            return []
        for part in loc[2:]:
            field = model.model_fields.get(str(part))
            ann = field.annotation if field is not None else None
            sub = _model_in(ann)
            if sub is None:
                return []
            model = sub
        return list(model.model_fields)
    return list(PolicyConfig.model_fields) if not loc else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


# ---------------------------------------------------------------- semantic checks


def _check(config: PolicyConfig, raw: LDict, root: Path, file: str) -> list[Problem]:
    problems: list[Problem] = []
    first_line: dict[str, int | None] = {}
    for i, rule in enumerate(config.rules):

        def at(*loc: Any, _i: int = i) -> int | None:
            return line_at(raw, ("rules", _i, *loc))

        if rule.id in first_line:
            problems.append(
                Problem(
                    "AM132",
                    f"rule id {rule.id!r} is used twice (first on line {first_line[rule.id]})",
                    file=file,
                    line=at("id"),
                    hint="traces and tests name rules by id; give each rule its own",
                )
            )
        first_line.setdefault(rule.id, at("id"))
        if isinstance(rule, ConfidenceRule) and i != len(config.rules) - 1:
            problems.append(
                Problem(
                    "AM136",
                    f"the confidence rule {rule.id!r} is not the last rule; the rules after it "
                    "would never run",
                    file=file,
                    line=at(),
                    hint="move it to the end (or leave it out: it is added automatically)",
                )
            )
        if isinstance(rule, (PinnedRule, BlockedRule)):
            m = rule.match
            if not (m.exact or m.keywords or m.regex or m.semantic):
                problems.append(
                    Problem(
                        "AM135",
                        f"rule {rule.id!r} has an empty match: it can never fire",
                        file=file,
                        line=at("match"),
                        hint="add exact, keywords, regex or semantic examples",
                    )
                )
            for j, pattern in enumerate(m.regex):
                try:
                    re.compile(pattern)
                except re.error as e:
                    problems.append(
                        Problem(
                            "AM133",
                            f"rule {rule.id!r}: invalid regular expression {pattern!r}: {e}",
                            file=file,
                            line=at("match", "regex", j),
                            hint="write a Python `re` pattern; quote it in single quotes in YAML",
                        )
                    )
            if not rule.reply:
                problems.append(
                    Problem(
                        "AM131",
                        f"rule {rule.id!r} has no reply",
                        file=file,
                        line=at(),
                        hint="add `reply: {zh: ..., en: ...}`",
                    )
                )
        if isinstance(rule, SensitiveRule):
            count = sum(len(w) for w in rule.words.values())
            for j, name in enumerate(rule.files):
                path = root / name
                if not path.is_file():
                    problems.append(
                        Problem(
                            "AM134",
                            f"word list {name!r} of rule {rule.id!r} not found",
                            file=file,
                            line=at("files", j),
                            hint="paths are relative to policy.yaml",
                        )
                    )
                    continue
                words, read_problems = _read_words(path, name)
                problems += [
                    Problem("AM134", p.message, file=p.file, line=p.line, hint=p.hint)
                    for p in read_problems
                ]
                count += len(words)
            if count == 0 and not any(p.code == "AM134" for p in problems):
                problems.append(
                    Problem(
                        "AM135",
                        f"sensitive-word rule {rule.id!r} has no words: it can never fire",
                        file=file,
                        line=at(),
                        hint="add `words: {zh: [...], en: [...]}` or `files: [words.txt]`",
                    )
                )
            if rule.action == "refuse" and not rule.reply:
                problems.append(
                    Problem(
                        "AM131",
                        f"rule {rule.id!r} refuses but has no reply",
                        file=file,
                        line=at(),
                        hint="add `reply: {zh: ..., en: ...}`",
                    )
                )
        if isinstance(rule, EscalateRule) and rule.when == "tag" and not rule.tags:
            problems.append(
                Problem(
                    "AM135",
                    f"escalation rule {rule.id!r} is `when: tag` but lists no tags",
                    file=file,
                    line=at(),
                    hint="add `tags: [complaint_risk]`",
                )
            )
        for j, case in enumerate(rule.tests):
            if not case.text.strip():
                problems.append(
                    Problem(
                        "AM131",
                        f"rule {rule.id!r}: inline test {j + 1} has an empty text",
                        file=file,
                        line=at("tests", j),
                    )
                )
    return problems


def _read_words(path: Path, name: str) -> tuple[list[str], list[Problem]]:
    text, problems = read_text(path, name)
    if text is None:
        return [], problems
    words = [ln.strip() for ln in text.splitlines()]
    return [w for w in words if w and not w.startswith("#")], []


def _with_word_files(config: PolicyConfig, root: Path) -> PolicyConfig:
    rules = []
    for rule in config.rules:
        if isinstance(rule, SensitiveRule) and rule.files:
            words = {k: list(v) for k, v in rule.words.items()}
            for name in rule.files:
                words[f"file:{name}"] = _read_words(root / name, name)[0]
            rule = rule.model_copy(update={"words": words, "files": []})
        rules.append(rule)
    return config.model_copy(update={"rules": rules})
