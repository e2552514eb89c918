"""Bot-project data: reading, validating, writing, scaffolding and importing.

The public entry points::

    load_project(path, strict=True) -> BotProject       # raises ValidationFailed on errors
    validate_project(path) -> list[Problem]             # every problem, never raises for data
    write_project(dir, content, name=None, ...) -> Path # atomic; AM122 on a non-empty folder
    init_project(dir, name=None, language="zh") -> Path # the `aimass init` starter
    import_any(path, format=None) -> ImportResult       # Rasa, LUIS, CLU, Dialogflow, PaddleNLP
    language_of(text) -> "zh" | "en"

Nothing here imports torch; pypdf and beautifulsoup4 load only when a KB file needs them.
"""

from __future__ import annotations

from aimass.data.checks import MAX_TEXT_LENGTH, MIN_TAG_EXAMPLES, check_content, dedup_key
from aimass.data.content import ProjectContent
from aimass.data.importers import FORMATS, ImportResult, detect_format, import_any
from aimass.data.language import language_of
from aimass.data.names import OOS
from aimass.data.project import BotProject, load_project, validate_project
from aimass.data.scaffold import init_project, starter_content
from aimass.data.writer import write_project

__all__ = [
    "FORMATS",
    "MAX_TEXT_LENGTH",
    "MIN_TAG_EXAMPLES",
    "OOS",
    "BotProject",
    "ImportResult",
    "ProjectContent",
    "check_content",
    "dedup_key",
    "detect_format",
    "import_any",
    "init_project",
    "language_of",
    "load_project",
    "starter_content",
    "validate_project",
    "write_project",
]
