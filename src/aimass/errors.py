"""Errors with stable codes.

Every error a user can cause carries a code that never changes meaning (like spaCy's
``E050``), a message that says what is wrong, and a hint that says how to fix it. The CLI
prints them without a traceback; the HTTP service returns them as ``{code, message}``.

Hierarchy::

    AimassError                      base: code + message + hint (+ file/line where known)
    ├── ProjectError                 a bot project or data file is invalid (AM1xx)
    │   └── ValidationFailed         validation found problems; carries every Problem
    ├── ImportFormatError            an export from another tool cannot be read (AM2xx)
    ├── BackboneError                a pre-trained model cannot be found, converted or loaded (AM3xx)
    ├── ArtifactError                a trained artifact is missing, corrupt or of another format (AM4xx)
    ├── TrainingError                training cannot run with this config/data (AM5xx)
    ├── InputError                   a message or request given at run time is unusable (AM6xx)
    ├── RetrievalError               an FAQ/KB index or document cannot be built, read or updated (AM7xx)
    ├── ServiceError                 the HTTP service, its storage or its security refuses (AM8xx)
    └── MissingDependency            an optional install is needed (AM9xx)

Codes are listed in ``CODES``; tests check that every code used is listed there, so the
list is the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CODES",
    "AimassError",
    "ArtifactError",
    "BackboneError",
    "ImportFormatError",
    "InputError",
    "MissingDependency",
    "Problem",
    "ProjectError",
    "RetrievalError",
    "ServiceError",
    "Severity",
    "TrainingError",
    "ValidationFailed",
    "require",
]

# code -> one-line meaning. Never reuse or renumber a code.
CODES: dict[str, str] = {
    # AM1xx: bot projects and data files
    "AM100": "project folder or aimass.yaml not found",
    "AM101": "file cannot be decoded as UTF-8 (wrong encoding)",
    "AM102": "file is not valid YAML / JSON / CSV",
    "AM103": "a field has the wrong type or an unknown name",
    "AM104": "a file referenced by aimass.yaml is missing",
    "AM105": "an intent has no examples",
    "AM106": "the same example appears under two different intents",
    "AM107": "an FAQ has no question",
    "AM108": "an FAQ has no answer",
    "AM109": "two FAQs share the same id",
    "AM110": "a profile tag is declared but never used by any example",
    "AM111": "a profile example uses a tag that is not declared",
    "AM112": "a class has too few examples to train and select on",
    "AM113": "an example text is empty",
    "AM114": "an example text is too long",
    "AM115": "a knowledge-base document is empty or unreadable",
    "AM116": "unsupported file type",
    "AM117": "an entity span does not match the example text",
    "AM118": "the project has nothing to train on",
    "AM119": "a label is unknown (not among the labels the model was trained on)",
    "AM120": "the same example appears twice under one intent (duplicate)",
    "AM121": "an intent name is not allowed",
    "AM122": "the output folder exists and is not empty",
    "AM123": "an intent is defined twice with a different description or response",
    # AM2xx: importing other tools' formats
    "AM200": "the import source cannot be recognised",
    "AM201": "the import source is malformed",
    "AM202": "part of the import source has no equivalent in AI Mass and was skipped",
    # AM3xx: backbones
    "AM300": "backbone not found",
    "AM301": "backbone conversion failed",
    "AM302": "backbone family not supported",
    "AM303": "backbone files are incomplete or corrupt",
    # AM4xx: artifacts
    "AM400": "artifact not found",
    "AM401": "artifact format is unknown or newer than this AI Mass",
    "AM402": "artifact is incomplete or corrupt",
    "AM403": "artifact does not contain the task asked for",
    # AM5xx: training and benchmarks
    "AM500": "training configuration is invalid",
    "AM501": "training data is invalid for this task",
    "AM502": "distributed training could not start",
    # AM6xx: run-time input
    "AM600": "message is empty",
    "AM601": "message is too long",
    "AM602": "request is malformed",
    # AM13x-AM14x: policy.yaml and its tests
    "AM130": "policy.yaml cannot be read or is not valid YAML",
    "AM131": "a policy rule has a field with the wrong type, an unknown name, or no reply",
    "AM132": "two policy rules share an id",
    "AM133": "a policy regular expression does not compile",
    "AM134": "a word-list file named by the policy is missing or unreadable",
    "AM135": "a policy rule can never fire (empty match, no words, no tags)",
    "AM136": "the confidence rule is not the last rule",
    "AM137": "a policy rule names a profile tag the project does not declare",
    "AM139": "a policy rule's inline test fails",
    "AM140": "a policy tests file is missing or invalid",
    "AM141": "a policy test's expected decision does not hold",
    # AM52x: compression and export; AM54x: augmentation (reserved)
    "AM520": "the model cannot be exported to ONNX",
    "AM521": "the artifact's tokenizer cannot be saved as tokenizer.json (not a fast tokenizer)",
    "AM522": "int8 quantisation of the ONNX model failed",
    "AM523": "the artifact is already compressed",
    "AM524": "the compression output folder is the source artifact",
    "AM525": "the ONNX export does not reproduce the torch model (parity check failed)",
    "AM526": "the compression dev set has no labelled examples",
    "AM527": "no compressed candidate stays within the accuracy budget",
    "AM528": "the encoder's layout cannot be pruned or cut into a student (not BERT-like)",
    "AM529": "a pruning or student option is invalid (layers, kept fraction, no texts)",
    "AM530": "teacher weights are invalid (unknown teacher, sum to zero) or no teacher",
    "AM531": "distillation needs a model with an intent head",
    "AM532": "a student, pruning or distillation option was given without --train data",
    "AM533": "a file of unlabelled messages (--unlabelled) holds none",
    # AM54x: augmentation
    "AM540": "an augmenter name is unknown",
    "AM541": "an augmentation option is invalid (per-example, threshold, --intents spec)",
    "AM542": "the augmentation output would overwrite or join the project's own files",
    "AM543": "--intents names an intent the project does not have",
    "AM544": "the model cannot check augmented examples (no intent head, intent unknown to it)",
    "AM545": "the augmentation output file type is not supported",
    "AM546": "no example belongs to the intents chosen for augmentation",
    "AM550": "the generative model endpoint is not configured (URL, model name, options)",
    "AM551": "the generative model endpoint cannot be reached",
    "AM552": "the generative model endpoint refused the API key",
    "AM553": "the generative model endpoint has no such route or model (404)",
    "AM554": "the generative model endpoint gave no usable reply (errors, timeouts, bad JSON)",
    # AM56x-AM57x: trust (explanations, out-of-scope scoring)
    "AM560": "the explanation method is unknown (occlusion or ig)",
    "AM561": "the model has no intent head to explain",
    "AM562": "integrated gradients need the torch model (this artifact is served with ONNX)",
    # AM58x-AM59x: learning from feedback (bandit, off-policy evaluation, simulator, learn)
    "AM580": "learning from feedback failed",
    "AM581": "the bandit method is unknown (ucb or ts)",
    "AM582": "the exploration bounds are invalid (need 0 <= floor <= ceiling < 1)",
    "AM583": "a message has no FAQ candidates for the bandit to choose from",
    "AM584": "the bandit policy file cannot be read or does not match its features",
    "AM585": "there are no logged turns to learn from or evaluate on",
    "AM586": "a logged propensity is outside (0, 1]",
    "AM587": "the off-policy estimator is unknown (ips, snips or dr)",
    "AM588": "aimass learn has nothing to learn from, or options that do not go together",
    "AM590": "the simulator has no queries or no candidates for some query",
    "AM591": "a simulator setting is invalid (noise, delay, feedback rate, type shares)",
    "AM592": "a feedback export line is not a valid logged turn",
    "AM593": "the feedback database cannot be read",
    "AM594": "aimass learn has no artifact to write the policy beside",
    # AM595-AM599: adding intents to a trained model (aimass.training.incremental)
    "AM595": "the new intents' examples are missing, too few (at least 5 each) or named 'oos'",
    "AM596": "the model has no intent head to add intents to",
    "AM597": "adding intents needs the old intents' examples to rehearse (--data)",
    "AM598": "a dev label is neither in the model nor among the new intents",
    "AM599": "the encoder's layers cannot be unfrozen (use --train-layers 0)",
    # AM7xx: retrieval. AM70x-AM71x indexes, AM72x-AM73x knowledge-base ingestion,
    #        AM74x text layer (reserved)
    "AM720": "a knowledge-base document has no text",
    "AM721": "a PDF has no extractable text (probably scanned; needs OCR)",
    "AM722": "a knowledge-base document is corrupt or cannot be parsed",
    "AM723": "a knowledge-base document is encrypted or password-protected",
    "AM724": "a knowledge-base file type is not supported",
    "AM725": "a knowledge-base file is missing or cannot be read",
    "AM726": "some knowledge-base files could not be read (the error lists them)",
    "AM727": "passage-splitting settings are invalid",
    "AM740": "text given to the text layer is not a string",
    "AM741": "a user-dictionary word for segmentation is empty or not text",
    "AM742": "text-analyzer settings are invalid (e.g. a non-positive n-gram size)",
    # AM8xx: service, storage, security
    "AM800": "internal server error (details are in the server log, never in the reply)",
    "AM801": "API key missing, unknown or revoked",
    "AM802": "the API key's scope does not allow this request",
    "AM803": "rate limit exceeded for this API key",
    "AM804": "request body is too large",
    "AM805": "request is malformed or fails validation",
    "AM806": "a text field is longer than the service allows",
    "AM807": "the requested record does not exist",
    "AM808": "the new model cannot be loaded; the previous model keeps serving",
    "AM809": "the database cannot be opened or migrated",
    "AM810": "conflict: the record is in another state (already claimed/resolved)",
    "AM811": "the service is not ready (no model loaded)",
    "AM812": "HTTP method not allowed on this path",
    "AM813": "the runtime does not support this operation yet",
    "AM814": "unsupported database URL",
    "AM815": "the model or project to serve cannot be found",
    "AM816": "the running model could not apply a content change (nothing was saved)",
    "AM817": "the address/port to serve on is in use or not available",
    # AM9xx: environment
    "AM900": "an optional dependency is not installed",
}


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with user data: where it is, what it is, how to fix it."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR

    def location(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        loc = self.location()
        head = f"{loc}: " if loc else ""
        text = f"{head}{self.severity.value} {self.code}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "hint": self.hint,
        }


class AimassError(Exception):
    """Base of every error AI Mass raises on purpose."""

    default_code = "AM000"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message
        self.hint = hint
        self.file = file
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        loc = ""
        if self.file:
            loc = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        text = f"[{self.code}] {loc}{self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "hint": self.hint}


class ProjectError(AimassError):
    default_code = "AM100"


class ValidationFailed(ProjectError):
    """Raised when a project has errors; ``problems`` lists all of them, not just the first."""

    default_code = "AM100"

    def __init__(self, problems: list[Problem], *, what: str = "the bot project") -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity is Severity.ERROR]
        first = errors[0] if errors else (problems[0] if problems else None)
        summary = f"{len(errors)} error(s) in {what}"
        if first is not None:
            summary += f"; first: {first}"
        super().__init__(
            summary,
            code=first.code if first is not None else "AM100",
            hint="run `aimass validate PROJECT` to list every problem with its file and line",
        )


class ImportFormatError(AimassError):
    default_code = "AM200"


class BackboneError(AimassError):
    default_code = "AM300"


class ArtifactError(AimassError):
    default_code = "AM400"


class TrainingError(AimassError):
    default_code = "AM500"


class InputError(AimassError):
    default_code = "AM600"


class RetrievalError(AimassError):
    default_code = "AM700"


class ServiceError(AimassError):
    default_code = "AM800"


class MissingDependency(AimassError):
    default_code = "AM900"


def require(module: str, extra: str) -> None:
    """Fail with an install hint (not an ImportError traceback) when an extra is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingDependency(
            f"this feature needs the Python package {module!r}, which is not installed",
            code="AM900",
            hint=f"pip install 'aimass[{extra}]'",
        )
