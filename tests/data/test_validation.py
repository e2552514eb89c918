"""``validate_project`` / ``load_project``: every validation code, with its file and line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from datafixtures import CONFIG, codes, line_of, make_pdf, only, write

from aimass.data import BotProject, load_project, validate_project
from aimass.errors import MissingDependency, Problem, Severity, ValidationFailed


def at(problem: Problem) -> tuple[str | None, int | None]:
    return problem.file, problem.line


def check(project: Path, relative: str, content: str | bytes) -> tuple[list[Problem], Path]:
    path = write(project, relative, content)
    return validate_project(project), path


def test_valid_project_has_no_problems(project: Path) -> None:
    assert validate_project(project) == []
    loaded = load_project(project)
    assert isinstance(loaded, BotProject)
    assert loaded.name == "shopmate"
    assert loaded.intent_names() == ["return_item", "order_status", "oos"]
    assert ("send it back to Shenzhen", "return_item") in loaded.intent_examples()
    assert ("tell me a joke", "oos") in loaded.intent_examples()
    assert ("tell me a joke", "oos") not in loaded.intent_examples(include_oos=False)
    assert ("What is your return policy?", "return-policy") in loaded.faq_pairs()
    assert loaded.profile_pairs()[-1] == ("你好", [])
    assert loaded.tag_names() == ["vip", "price_sensitive"]
    assert [d.title for d in loaded.kb] == ["退货说明"]
    assert loaded.language_of("我想退货") == "zh"
    assert loaded.language_of("return please") == "en"
    assert load_project(project / "aimass.yaml").root == project


def test_am100_missing_folder_or_config(tmp_path: Path) -> None:
    problems = validate_project(tmp_path / "nope")
    assert codes(problems) == ["AM100"]
    assert problems[0].file == str(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    assert codes(validate_project(tmp_path / "empty")) == ["AM100"]
    with pytest.raises(ValidationFailed) as caught:
        load_project(tmp_path / "empty", strict=False)
    assert caught.value.code == "AM100"


def test_am101_gbk_data_file(project: Path) -> None:
    problems, _ = check(project, "data/faq.yaml", "faqs:\n  - id: 退货\n".encode("gbk"))
    problem = only(problems, "AM101")
    assert problem.file == "data/faq.yaml"
    assert problem.line == 2
    assert "save it as UTF-8" in (problem.hint or "")


def test_am102_bad_yaml_with_line(project: Path) -> None:
    problems, path = check(
        project,
        "data/faq.yaml",
        """
        faqs:
          - id: a
            questions: [x, y
            answer: z
        """,
    )
    problem = only(problems, "AM102")
    assert (problem.file, problem.line) == ("data/faq.yaml", line_of(path, "answer: z"))


def test_am102_bad_config_yaml(project: Path) -> None:
    problems, _path = check(project, "aimass.yaml", "name: shopmate\ndata:\n  intents: [a\n")
    assert codes(problems) == ["AM102"]
    assert problems[0].file == "aimass.yaml" and problems[0].line == 4


def test_am103_config_schema_errors_with_lines(project: Path) -> None:
    config = CONFIG.replace("languages: [zh, en]", "langauges: [zh, en]")
    config += "thresholds:\n  faq: 2\n"
    problems, path = check(project, "aimass.yaml", config)
    assert codes(problems) == ["AM103", "AM103"]
    typo, bad_value = sorted(problems, key=lambda p: p.line or 0)
    assert at(typo) == ("aimass.yaml", line_of(path, "langauges"))
    assert typo.hint == "did you mean 'languages'?"
    assert at(bad_value) == ("aimass.yaml", line_of(path, "faq: 2"))
    assert "thresholds.faq" in bad_value.message


def test_am103_config_errors_still_check_the_data(project: Path) -> None:
    write(project, "data/intents.yaml", "intents:\n  - name: a\n    examples: []\n")
    config = "name: shopmate\ndata:\n  intents: data/intents.yaml\n  faq: [data/faq.yaml]\n"
    problems, path = check(project, "aimass.yaml", config)
    problem = only(problems, "AM103")
    assert at(problem) == ("aimass.yaml", line_of(path, "intents: data/intents.yaml"))
    assert problem.hint == "write it as a list: [data/intents.yaml]"
    assert "AM118" not in codes(problems)  # the FAQ file was still read
    no_name = write(project, "aimass.yaml", "description: x\n")
    assert only(validate_project(project), "AM103").message == "required field 'name' is missing"
    assert no_name.exists()


def test_am103_data_file_structure(project: Path) -> None:
    problems, _path = check(project, "data/faq.yaml", "faq:\n  - id: a\n")
    problem = only(problems, "AM103")
    assert problem.file == "data/faq.yaml" and problem.line == 1
    assert problem.hint == "did you mean 'faqs'?"


def test_am104_missing_file(project: Path) -> None:
    problems, path = check(
        project, "aimass.yaml", CONFIG.replace("faq: [data/faq.yaml]", "faq:\n    - data/faqs.yaml")
    )
    problem = only(problems, "AM104")
    assert (problem.file, problem.line) == ("aimass.yaml", line_of(path, "data/faqs.yaml"))
    assert "data/faqs.yaml" in problem.message


def test_am105_am112_am121_intents(project: Path) -> None:
    problems, path = check(
        project,
        "data/intents.yaml",
        """
        intents:
          - name: 退货
            examples: [我想退货, 怎么退]
          - name: empty
            examples: []
          - name: thin
            examples: [just one]
          - name: OOS
            examples: [天气, weather]
        """,
    )
    assert at(only(problems, "AM105")) == ("data/intents.yaml", line_of(path, "name: empty"))
    assert at(only(problems, "AM112")) == ("data/intents.yaml", line_of(path, "name: thin"))
    assert "1 distinct example(s); at least 2" in only(problems, "AM112").message
    bad_names = [p for p in problems if p.code == "AM121"]
    assert [p.line for p in bad_names] == [line_of(path, "name: 退货"), line_of(path, "name: OOS")]
    assert all(p.file == "data/intents.yaml" for p in problems)


def test_am106_same_example_under_two_intents(project: Path) -> None:
    problems, path = check(
        project,
        "data/intents.yaml",
        """
        intents:
          - name: return_item
            examples: [我想退货, Where is  my parcel]
          - name: order_status
            examples:
              - 我的快递到哪了
              - where is my PARCEL
        """,
    )
    problem = only(problems, "AM106")
    assert problem.file == "data/intents.yaml"
    assert problem.line == line_of(path, "where is my PARCEL")
    assert f"data/intents.yaml:{line_of(path, 'Where is  my parcel')}" in problem.message
    assert "'return_item'" in problem.message and "'order_status'" in problem.message


def test_am120_duplicate_within_intent_is_a_warning(project: Path) -> None:
    problems, path = check(
        project,
        "data/intents.yaml",
        """
        intents:
          - name: greet
            examples:
              - 你好
              - hello
              - "ｈｅｌｌｏ "
        """,
    )
    problem = only(problems, "AM120")
    assert problem.severity is Severity.WARNING
    assert at(problem) == ("data/intents.yaml", line_of(path, "ｈｅｌｌｏ"))
    load_project(project)  # a warning does not block


def test_am107_am108_am109_faqs(project: Path) -> None:
    problems, path = check(
        project,
        "data/faq.yaml",
        """
        faqs:
          - id: no-question
            answer: 有答案
          - id: no-answer
            questions: [没有答案的问题]
          - id: dup
            questions: [问题一]
            answer: 答案一
          - id: dup
            questions: [问题二]
            answer: 答案二
        """,
    )
    assert at(only(problems, "AM107")) == ("data/faq.yaml", line_of(path, "id: no-question"))
    assert at(only(problems, "AM108")) == ("data/faq.yaml", line_of(path, "id: no-answer"))
    dup = only(problems, "AM109")
    assert at(dup) == ("data/faq.yaml", line_of(path, "id: dup", occurrence=2))
    assert f"data/faq.yaml:{line_of(path, 'id: dup')}" in dup.message


def test_am106_same_question_under_two_faqs(project: Path) -> None:
    problems, path = check(
        project,
        "data/faq.yaml",
        """
        faqs:
          - id: a
            questions: [运费多少]
            answer: x
          - id: b
            questions: [运费 多少, 运费多少 ]
            answer: y
        """,
    )
    assert at(only(problems, "AM106")) == ("data/faq.yaml", line_of(path, "id: b"))


def test_am110_am111_am112_profile(project: Path) -> None:
    problems, path = check(
        project,
        "data/profile.yaml",
        """
        tags:
          - vip
          - unused
          - name: rare
        examples:
          - {text: 我是会员, tags: [vip]}
          - {text: 钻石会员, tags: [vip]}
          - {text: VIP here, tags: [vip, rare]}
          - {text: 投诉, tags: [complaint]}
        """,
    )
    unused = only(problems, "AM110")
    assert unused.severity is Severity.WARNING
    assert at(unused) == ("data/profile.yaml", line_of(path, "- unused"))
    assert at(only(problems, "AM111")) == ("data/profile.yaml", line_of(path, "complaint"))
    too_few = [p for p in problems if p.code == "AM112"]
    assert [at(p) for p in too_few] == [
        ("data/profile.yaml", line_of(path, "- unused")),
        ("data/profile.yaml", line_of(path, "name: rare")),
    ]
    assert all(p.severity is Severity.ERROR for p in too_few)


def test_am110_alone_when_there_are_no_profile_examples(project: Path) -> None:
    problems, _ = check(project, "data/profile.yaml", "tags: [vip, new_customer]\n")
    assert codes(problems) == ["AM110", "AM110"]
    assert all(p.severity is Severity.WARNING for p in problems)
    load_project(project)


def test_am113_am114_am117_examples(project: Path) -> None:
    long_text = "很" * 2001
    problems, path = check(
        project,
        "data/intents.yaml",
        f"""
        intents:
          - name: order_status
            examples:
              - 我的快递到哪了
              - where is my parcel
              - "   "
              - {long_text}
              - text: 寄到深圳
                entities:
                  - {{start: 2, end: 4, entity: city, value: 广州}}
        """,
    )
    assert at(only(problems, "AM113")) == ("data/intents.yaml", line_of(path, '- "   "'))
    too_long = only(problems, "AM114")
    assert at(too_long) == ("data/intents.yaml", line_of(path, long_text))
    assert "2001 characters" in too_long.message
    assert at(only(problems, "AM117")) == ("data/intents.yaml", line_of(path, "value: 广州"))


def test_am115_am116_knowledge_base(project: Path) -> None:
    write(project, "kb/empty.md", "   \n")
    write(project, "kb/broken.pdf", b"%PDF-1.4 broken")
    write(project, "kb/manual.docx", b"PK\x03\x04")
    write(project, "kb/guide.pdf", make_pdf("Returns within 7 days", "Guide"))
    problems = validate_project(project)
    assert [(p.code, p.file, p.severity) for p in problems] == [
        ("AM115", "kb/broken.pdf", Severity.ERROR),
        ("AM115", "kb/empty.md", Severity.ERROR),
        ("AM115", "kb/manual.docx", Severity.ERROR),
    ]
    loaded = load_project(project, strict=False)
    assert sorted(d.id for d in loaded.kb) == ["kb/guide.pdf", "kb/returns.md"]


def test_am116_unsupported_data_file(project: Path) -> None:
    write(project, "data/intents.xlsx", b"PK")
    problems, path = check(
        project, "aimass.yaml", CONFIG.replace("data/intents.yaml", "data/intents.xlsx")
    )
    problem = only(problems, "AM116")
    assert (problem.file, problem.line, problem.severity) == (
        "aimass.yaml",
        line_of(path, "intents.xlsx"),
        Severity.ERROR,
    )


def test_am118_nothing_to_train_on(tmp_path: Path) -> None:
    write(tmp_path, "aimass.yaml", "name: empty-bot\n")
    problem = only(validate_project(tmp_path), "AM118")
    assert problem.file is None and problem.severity is Severity.ERROR


def test_load_project_strict_lists_every_error(project: Path) -> None:
    write(project, "data/faq.yaml", "faqs:\n  - id: a\n  - id: a\n    questions: [q]\n")
    with pytest.raises(ValidationFailed) as caught:
        load_project(project)
    assert {"AM107", "AM108", "AM109"} <= set(codes(caught.value.problems))
    loaded = load_project(project, strict=False)
    assert {"AM107", "AM108", "AM109"} <= set(codes(loaded.errors))
    assert loaded.intents  # what could be read is there


def test_problems_are_sorted_by_file_and_line(project: Path) -> None:
    write(project, "data/intents.yaml", "intents:\n  - name: a\n    examples: []\n")
    write(project, "data/faq.yaml", "faqs:\n  - id: x\n")
    problems = validate_project(project)
    keys = [(p.file is None, p.file or "", p.line or 0) for p in problems]
    assert keys == sorted(keys)


def test_missing_kb_dependency(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "kb/guide.pdf", make_pdf("text"))
    monkeypatch.setitem(sys.modules, "pypdf", None)
    problem = only(validate_project(project), "AM900")
    assert problem.file == "kb/guide.pdf" and problem.hint == "pip install 'aimass[kb]'"
    with pytest.raises(MissingDependency):
        load_project(project)


def test_data_folders_and_csv_files(tmp_path: Path) -> None:
    write(
        tmp_path, "aimass.yaml", "name: x\nmin_examples_per_intent: 1\ndata:\n  intents: [data/]\n"
    )
    write(tmp_path, "data/a.csv", "text,intent\n你好,greet\n")
    write(tmp_path, "data/more/b.jsonl", '{"text": "hello", "label": "greet"}\n')
    write(tmp_path, "data/more/c.json", '[{"text": "嗨", "intent": "greet"}]')
    write(tmp_path, "data/README", "notes")
    write(tmp_path, "data/.hidden.yaml", "not: [valid")
    problems = validate_project(tmp_path)
    assert [(p.code, p.file) for p in problems] == [("AM116", "data/README")]
    assert load_project(tmp_path).intent_examples() == [
        ("你好", "greet"),
        ("hello", "greet"),
        ("嗨", "greet"),
    ]


def test_json_object_data_file(tmp_path: Path) -> None:
    write(tmp_path, "aimass.yaml", "name: x\ndata:\n  faq: [faq.json]\n")
    path = write(
        tmp_path,
        "faq.json",
        '{\n  "faqs": [\n    {"id": 1, "questions": ["运费多少"], "answer": "满 99 包邮"},\n'
        '    {"id": 2, "questions": ["怎么付款"]}\n  ]\n}\n',
    )
    problem = only(validate_project(tmp_path), "AM108")
    assert at(problem) == ("faq.json", line_of(path, '"id": 2'))
    assert load_project(tmp_path, strict=False).faq_pairs()[0] == ("运费多少", "1")


def test_am100_file_instead_of_folder(project: Path) -> None:
    problem = only(validate_project(project / "data/intents.yaml"), "AM100")
    assert "is a file, not a project folder" in problem.message


def test_validate_reports_policy_problems_with_their_line(tmp_path: Path) -> None:
    import shutil

    import aimass

    demo = Path(aimass.__file__).parent / "demo" / "shopmate"
    shutil.copytree(demo, tmp_path / "bot")
    assert [p for p in validate_project(tmp_path / "bot") if p.severity is Severity.ERROR] == []
    write(tmp_path / "bot", "policy.yaml", "rules:\n  - id: x\n    type: nonsense\n")
    (problem,) = [p for p in validate_project(tmp_path / "bot") if p.file == "policy.yaml"]
    assert problem.code.startswith("AM13") and problem.line == 2
