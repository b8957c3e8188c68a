"""YAML file -> Sop, with every problem of a bad file reported at once.

Each problem names the file, the line and the field's path, for example
`rspon.yaml:41: steps[3].lane: 'tim-humas' is not a lane of this SOP`. Nothing a file
can contain makes the loader raise anything but `SopInvalid`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from .messages import Message, gettext_noop
from .model import (
    ASSIGNMENTS,
    END,
    PLATFORMS,
    STEP_KINDS,
    Channel,
    Document,
    Lane,
    Outcome,
    Person,
    Sop,
    Step,
)
from .timing import TimeError, TimeStandard, parse_time

FORMAT = "siaran-sop/1"
MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000  # aliases can expand a small file into a huge tree
MAX_STEPS = 300  # the longest SOP AP forms run to a few dozen rows
MAX_DEPTH = 40  # an SOP nests four levels deep; far deeper is a broken or hostile file


def _yaml_loader(base: type) -> type:
    """`base` reading every plain value as text, except true/false, null and dates.

    Nothing in an SOP is a number: `no: 010` is printed "010", a NIP is 18 digits, and
    YAML 1.1 would turn them into integers (octal, sexagesimal, 4,300-digit ones that
    cannot be printed again). It would also turn an outcome labelled No into false.
    """
    kept = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp")
    resolvers = {
        first: [(tag, regexp) for tag, regexp in items if tag in kept]
        for first, items in base.yaml_implicit_resolvers.items()
    }
    loader = type(f"Sop{base.__name__}", (base,), {"yaml_implicit_resolvers": resolvers})
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    return loader


# libyaml's parser when PyYAML was built with it: the same nodes and marks, ten times faster.
_YamlLoader = _yaml_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
NIP_PATTERN = re.compile(r"^\d{18}$")

# The fields each object of the file may have; the JSON Schema in docs/ is tested
# against these lists so that the two never drift apart.
SOP_FIELDS = (
    "format", "id", "name", "name_en", "number", "institution", "parent_organisation",
    "made", "revision", "revised", "effective", "ratified_by", "approved_by", "prepared_by",
    "examined_by", "legal_basis",
    "qualifications", "related", "equipment", "warnings", "records", "separate_duties",
    "documents", "lanes", "steps",
)  # fmt: skip
PERSON_FIELDS = ("name", "title", "nip")
LANE_FIELDS = ("id", "name", "name_en", "holder", "inferred")
STEP_FIELDS = (
    "id", "no", "activity", "activity_en", "lane", "kind", "inputs", "time", "output",
    "remarks", "outcomes", "next", "channels", "assignment", "signs_approval_sheet",
    "edits_content", "inferred", "inference_note", "requires",
)  # fmt: skip
DOCUMENT_FIELDS = ("id", "label", "label_en")
OUTCOME_FIELDS = ("id", "label", "label_en", "next", "note_required", "inferred")
CHANNEL_FIELDS = ("platform", "handle", "name", "url")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    path: str
    message: Message

    def render(self, translate=None) -> str:
        text = self.message.render(translate) if translate else self.message.render()
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}: {where}{text}"

    def __str__(self) -> str:
        return self.render()


class SopInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_file(path: str | Path) -> Sop:
    sop, problems = check_file(path)
    if problems or sop is None:
        raise SopInvalid(problems)
    return sop


def load_text(text: str, source: str = "<text>") -> Sop:
    sop, problems = check_text(text, source)
    if problems or sop is None:
        raise SopInvalid(problems)
    return sop


def read_file(path: str | Path) -> tuple[str | None, list[Problem]]:
    """The text of an SOP file, or why it cannot be read: too large, not UTF-8, missing."""
    name = str(path)
    try:
        # Opened without blocking and checked before reading: a FIFO would wait for a
        # writer for ever, and /dev/zero never ends.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return None, [_problem(name, 1, "", gettext_noop("this is not a regular file"))]
            data = file.read(MAX_FILE_BYTES + 1)  # never more than the limit
    except OSError as error:
        reason = error.strerror or str(error)
        return None, [
            _problem(name, 1, "", gettext_noop("cannot read the file: %(reason)s"), reason=reason)
        ]
    return decode(data, name)


def decode(data: bytes, name: str) -> tuple[str | None, list[Problem]]:
    """The text of an SOP file's bytes (read from disk or uploaded), or why it is none."""
    if len(data) > MAX_FILE_BYTES:
        return None, [
            _problem(
                name,
                1,
                "",
                gettext_noop("the file is larger than %(limit)s bytes"),
                limit=MAX_FILE_BYTES,
            )
        ]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, [_problem(name, line, "", gettext_noop("the file is not UTF-8 text"))]


def check_file(path: str | Path) -> tuple[Sop | None, list[Problem]]:
    """Read and check one file: the definition if it is valid, and every problem."""
    text, problems = read_file(path)
    if text is None:
        return None, problems
    return check_text(text, str(path))


def check_text(text: str, source: str = "<text>") -> tuple[Sop | None, list[Problem]]:
    tree = _Tree(source)
    document = tree.parse(text)
    if tree.problems:
        return None, tree.problems
    reader = _Reader(tree)
    sop = reader.read_sop(document)
    problems = sorted(tree.problems, key=lambda p: (p.line, p.path))
    return (None if problems else sop), problems


def _problem(file: str, line: int, path: str, template: str, **params: object) -> Problem:
    return Problem(file, line, path, Message(template, **params))


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Tree:
    """YAML text -> plain Python values, remembering the line of every path."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self._nodes = 0

    def parse(self, text: str) -> object:
        loader = _YamlLoader(text)
        try:
            _refuse_deep_nesting(text)
            node = loader.get_single_node()
            if node is None:
                self.error("", gettext_noop("the file is empty"), line=1)
                return None
            return self._convert(loader, node, "")
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else 1
            reason = error.problem or error.context or "?"
            self.error("", gettext_noop("not valid YAML: %(reason)s"), line=line, reason=reason)
        except yaml.YAMLError as error:
            self.error("", gettext_noop("not valid YAML: %(reason)s"), line=1, reason=str(error))
        except _TooLarge:
            self.error(
                "",
                gettext_noop("the file expands to more than %(limit)s values"),
                line=1,
                limit=MAX_NODES,
            )
        except (_TooDeep, RecursionError):
            self.error(
                "",
                gettext_noop("the file nests values more than %(limit)s levels deep"),
                line=1,
                limit=MAX_DEPTH,
            )
        finally:
            loader.dispose()
        return None

    def _convert(
        self, loader: yaml.BaseLoader, node: yaml.Node, path: str, depth: int = 0
    ) -> object:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _TooLarge
        if depth > MAX_DEPTH:  # also stops an alias that contains itself
            raise _TooDeep
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, object] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    self.error(path, gettext_noop("a field name must be plain text"), line=line)
                    continue
                key = key_node.value
                child = _join(path, key)
                if key in result:
                    self.error(child, gettext_noop("the field is given twice"), line=line)
                    continue
                self.lines[child] = line
                result[key] = self._convert(loader, value_node, child, depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [
                self._convert(loader, item, _join(path, i), depth + 1)
                for i, item in enumerate(node.value)
            ]
        try:
            return loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            # A value YAML recognises but cannot build, like the date 2022-13-45.
            return node.value

    def line(self, path: str) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        return self.lines.get("", 1)

    def error(self, path: str, template: str, line: int | None = None, **params: object) -> None:
        where = line if line is not None else self.line(path)
        self.problems.append(_problem(self.source, where, path, template, **params))


class _TooLarge(Exception):
    pass


def _refuse_deep_nesting(text: str) -> None:
    """Count nesting on the event stream before composing a tree.

    libyaml's composer recurses in C: a 30 KB file of '[' would overflow its stack and
    kill the process before any check of ours ran. Its event parser keeps an explicit
    stack, so walking the events is safe.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_YamlLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooDeep
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _TooDeep(Exception):
    pass


class _Reader:
    """Checks the plain values field by field and builds the model."""

    def __init__(self, tree: _Tree) -> None:
        self.tree = tree
        self.error = tree.error
        self.outcome_paths: dict[str, list[str]] = {}  # step path -> paths of read outcomes

    # -- fields ------------------------------------------------------------------

    def mapping(self, value: object, path: str, fields: Iterable[str]) -> dict | None:
        if not isinstance(value, dict):
            self.error(path, gettext_noop("expected a mapping of fields"))
            return None
        allowed = tuple(fields)
        for key in value:
            if key not in allowed:
                self.error(
                    _join(path, key),
                    gettext_noop("unknown field; known fields: %(known)s"),
                    known=", ".join(allowed),
                )
        return value

    def text(self, obj: dict, key: str | int, path: str, required: bool = False) -> str:
        value = obj.get(key)
        where = _join(path, key)
        if value is None:
            if required:
                self.error(where, gettext_noop("missing: this field is required"))
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(where, gettext_noop("expected text"))
            return ""
        text = str(value).strip()
        if required and not text:
            self.error(where, gettext_noop("must not be empty"))
        return text

    def identifier(self, obj: dict, key: str, path: str) -> str:
        value = self.text(obj, key, path, required=True)
        if value and not ID_PATTERN.match(value):
            self.error(
                _join(path, key),
                gettext_noop("%(value)s is not an id: use lowercase letters, digits, '-' and '_'"),
                value=repr(value),
            )
            return ""
        if value == END:
            self.error(_join(path, key), gettext_noop("'end' is reserved for the end of the SOP"))
            return ""
        return value

    def texts(self, obj: dict, key: str, path: str) -> tuple[str, ...]:
        value = obj.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(_join(path, key), gettext_noop("expected a list"))
            return ()
        where = _join(path, key)
        indexed = dict(enumerate(value))
        return tuple(self.text(indexed, i, where) for i in indexed)

    def date(self, obj: dict, key: str, path: str, required: bool = False) -> dt.date | None:
        value = obj.get(key)
        where = _join(path, key)
        if value is None or value == "-":
            if required:
                self.error(where, gettext_noop("missing: this field is required"))
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error(
            where, gettext_noop("%(value)s is not a date: write YYYY-MM-DD"), value=repr(value)
        )
        return None

    def flag(self, obj: dict, key: str, path: str, default: bool = False) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.error(_join(path, key), gettext_noop("expected true or false"))
            return default
        return value

    def choice(self, obj: dict, key: str, path: str, choices: Iterable[str], default: str) -> str:
        value = obj.get(key, default)
        options = tuple(choices)
        if value not in options:
            self.error(
                _join(path, key),
                gettext_noop("%(value)s is not one of: %(choices)s"),
                value=repr(value),
                choices=", ".join(options),
            )
            return default
        return str(value)

    def items(self, obj: dict, key: str, path: str, required: bool = False) -> list:
        value = obj.get(key)
        if value is None:
            if required:
                self.error(_join(path, key), gettext_noop("missing: this field is required"))
            return []
        if not isinstance(value, list):
            self.error(_join(path, key), gettext_noop("expected a list"))
            return []
        if required and not value:
            self.error(_join(path, key), gettext_noop("must not be empty"))
        return value

    # -- objects -----------------------------------------------------------------

    def read_sop(self, document: object) -> Sop | None:
        doc = self.mapping(document, "", SOP_FIELDS)
        if doc is None:
            return None
        if "format" in doc and doc["format"] != FORMAT:
            self.error(
                "format",
                gettext_noop("%(value)s is not a known format; expected %(format)s"),
                value=repr(doc["format"]),
                format=FORMAT,
            )
        raw_lanes = self.items(doc, "lanes", "", required=True)
        lanes = [
            (f"lanes[{i}]", self.read_lane(item, f"lanes[{i}]")) for i, item in enumerate(raw_lanes)
        ]
        raw_steps = self.items(doc, "steps", "", required=True)
        if len(raw_steps) > MAX_STEPS:
            self.error("steps", gettext_noop("more than %(limit)s steps"), limit=MAX_STEPS)
            raw_steps = raw_steps[:MAX_STEPS]
        steps = [
            (f"steps[{i}]", self.read_step(item, f"steps[{i}]", i, len(raw_steps)))
            for i, item in enumerate(raw_steps)
        ]
        lanes = [(path, lane) for path, lane in lanes if lane]
        steps = [(path, step) for path, step in steps if step]
        sop = Sop(
            id=self.identifier(doc, "id", ""),
            name=self.text(doc, "name", "", required=True),
            name_en=self.text(doc, "name_en", ""),
            number=self.text(doc, "number", "", required=True),
            institution=self.text(doc, "institution", "", required=True),
            parent_organisation=self.text(doc, "parent_organisation", ""),
            made=self.date(doc, "made", ""),
            revision=self.text(doc, "revision", ""),
            revised=self.date(doc, "revised", ""),
            effective=self.date(doc, "effective", "", required=True),
            ratified_by=self.read_approver(doc),
            prepared_by=self.read_optional_person(doc, "prepared_by"),
            examined_by=tuple(
                self.read_person(item, _join("examined_by", i))
                for i, item in enumerate(self.items(doc, "examined_by", ""))
            ),
            legal_basis=self.texts(doc, "legal_basis", ""),
            qualifications=self.texts(doc, "qualifications", ""),
            related=self.texts(doc, "related", ""),
            equipment=self.texts(doc, "equipment", ""),
            warnings=self.texts(doc, "warnings", ""),
            records=self.texts(doc, "records", ""),
            separate_duties=self.read_separate_duties(doc),
            documents=self.read_documents(doc),
            lanes=tuple(lane for _path, lane in lanes),
            steps=tuple(step for _path, step in steps),
            source=self.tree.source,
        )
        # The flow can be followed only when every step was read.
        complete = len(steps) == len(raw_steps) and bool(steps) and not self.tree.problems
        if complete:
            sop = _resolve_next_rows(sop)
        _check_ids(
            sop,
            [path for path, _lane in lanes],
            [path for path, _step in steps],
            self.outcome_paths,
            self.error,
        )
        if complete and not self.tree.problems:
            _check_flow(sop, self.error)
        if self.tree.problems:
            return sop
        return _require_rework_notes(sop)

    def read_approver(self, doc: dict) -> Person:
        """`approved_by`, or `ratified_by` as files written before it say: one of them."""
        if "approved_by" in doc and "ratified_by" in doc:
            self.error(
                "ratified_by",
                gettext_noop(
                    "give who approved the SOP once: 'approved_by' (or 'ratified_by' in "
                    "older files), not both"
                ),
            )
        if "approved_by" in doc:
            return self.read_person(doc.get("approved_by"), "approved_by")
        if "ratified_by" in doc:
            return self.read_person(doc.get("ratified_by"), "ratified_by")
        self.error(
            "approved_by",
            gettext_noop("missing: name who approved the SOP (approved_by: name, title, nip)"),
        )
        return Person(name="")

    def read_optional_person(self, doc: dict, key: str) -> Person | None:
        if doc.get(key) is None:
            return None
        return self.read_person(doc[key], key)

    def read_person(self, value: object, path: str) -> Person:
        if value is None:
            self.error(path, gettext_noop("missing: this field is required"))
            return Person(name="")
        person = self.mapping(value, path, PERSON_FIELDS)
        if person is None:
            return Person(name="")
        # A NIP is optional (a private university's staff have none); given, 18 digits.
        nip = "".join(self.text(person, "nip", path).split())
        if nip and not NIP_PATTERN.match(nip):
            self.error(
                _join(path, "nip"),
                gettext_noop("%(value)s is not a NIP: 18 digits"),
                value=repr(nip),
            )
        return Person(
            name=self.text(person, "name", path, required=True),
            title=self.text(person, "title", path),
            nip=nip,
        )

    def read_documents(self, doc: dict) -> tuple[Document, ...]:
        documents = []
        seen: set[str] = set()
        for i, item in enumerate(self.items(doc, "documents", "")):
            path = _join("documents", i)
            document = self.mapping(item, path, DOCUMENT_FIELDS)
            if document is None:
                continue
            read = Document(
                id=self.identifier(document, "id", path),
                label=self.text(document, "label", path, required=True),
                label_en=self.text(document, "label_en", path),
            )
            if read.id in seen:
                self.error(
                    _join(path, "id"), gettext_noop("%(value)s is used twice"), value=repr(read.id)
                )
            seen.add(read.id)
            documents.append(read)
        return tuple(documents)

    def read_separate_duties(self, doc: dict) -> tuple[tuple[str, str], ...]:
        pairs = []
        for i, pair in enumerate(self.items(doc, "separate_duties", "")):
            path = _join("separate_duties", i)
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(s, str) for s in pair)
            ):
                self.error(path, gettext_noop("expected a pair of step ids: [design, verify]"))
                continue
            pairs.append((pair[0], pair[1]))
        return tuple(pairs)

    def read_lane(self, value: object, path: str) -> Lane | None:
        lane = self.mapping(value, path, LANE_FIELDS)
        if lane is None:
            return None
        return Lane(
            id=self.identifier(lane, "id", path),
            name=self.text(lane, "name", path, required=True),
            name_en=self.text(lane, "name_en", path),
            holder=self.text(lane, "holder", path),
            **self.inferred(lane, path),
        )

    def read_step(self, value: object, path: str, index: int, count: int) -> Step | None:
        step = self.mapping(value, path, STEP_FIELDS)
        if step is None:
            return None
        kind = self.choice(step, "kind", path, STEP_KINDS, "task")
        time_text = self.text(step, "time", path, required=True)
        time = TimeStandard()
        if time_text:
            try:
                time = parse_time(step.get("time"))
            except TimeError as error:
                self.error(_join(path, "time"), error.message.template, **error.message.params)
        outcomes = self.read_outcomes(step, path, kind)
        channels = [
            self.read_channel(item, _join(_join(path, "channels"), i))
            for i, item in enumerate(self.items(step, "channels", path))
        ]
        if kind == "publish" and not channels:
            self.error(
                _join(path, "channels"),
                gettext_noop("a publish step must list the channels it publishes to"),
            )
        inferred = self.texts(step, "inferred", path)
        for i, name in enumerate(inferred):
            if name not in STEP_FIELDS:
                self.error(
                    _join(_join(path, "inferred"), i),
                    gettext_noop("%(value)s is not a field of a step"),
                    value=repr(name),
                )
        number = step.get("no")
        if number is not None and (isinstance(number, bool) or not isinstance(number, str | int)):
            self.error(_join(path, "no"), gettext_noop("expected the number as printed, or null"))
            number = None
        return Step(
            id=self.identifier(step, "id", path),
            no=str(number) if number is not None else None,
            activity=self.text(step, "activity", path, required=True),
            activity_en=self.text(step, "activity_en", path),
            lane=self.text(step, "lane", path, required=True),
            kind=kind,
            inputs=self.texts(step, "inputs", path),
            time=time,
            time_text=time_text,
            output=self.text(step, "output", path),
            remarks=self.text(step, "remarks", path),
            outcomes=tuple(outcomes),
            next=self.read_next(step, path, index, count) if kind != "review" else None,
            channels=tuple(c for c in channels if c),
            assignment=self.choice(step, "assignment", path, ASSIGNMENTS, "one"),
            signs_approval_sheet=self.flag(step, "signs_approval_sheet", path),
            edits_content=self.edits_content(step, path, kind),
            inferred=inferred,
            inference_note=self.text(step, "inference_note", path),
            requires=self.texts(step, "requires", path),
        )

    def edits_content(self, step: dict, path: str, kind: str) -> bool:
        edits = self.flag(step, "edits_content", path)
        if edits and kind != "task":
            self.error(
                _join(path, "edits_content"),
                gettext_noop(
                    "only a task step can edit the content; a review comments and sends back"
                ),
            )
        return edits

    def read_next(self, step: dict, path: str, index: int, count: int) -> str | None:
        """A task or publish step goes to the next row unless it names another step."""
        if "next" not in step:
            return _NEXT_ROW if index + 1 < count else None
        if step["next"] is None:
            return _NOWHERE  # reported by read_outcomes
        value = self.text(step, "next", path, required=True)
        return None if value == END else value or _NOWHERE

    def read_outcomes(self, step: dict, path: str, kind: str) -> list[Outcome]:
        raw = self.items(step, "outcomes", path)
        where = _join(path, "outcomes")
        if kind == "review" and not raw and "outcomes" not in step:
            self.error(
                where,
                gettext_noop(
                    "a review step must list its outcomes (ya / tidak) and where each leads"
                ),
            )
        elif kind == "review" and not raw:
            self.error(where, gettext_noop("must not be empty"))
        if kind != "review" and raw:
            self.error(where, gettext_noop("only a review step has outcomes: add 'kind: review'"))
        if kind != "review" and "next" in step and step.get("next") is None:
            self.error(
                _join(path, "next"),
                gettext_noop("leads nowhere: name a step, or 'end' where the SOP ends"),
            )
        if kind == "review" and "next" in step:
            self.error(
                _join(path, "next"),
                gettext_noop("a review step leads on through its outcomes, not 'next'"),
            )
        read = [
            (_join(where, i), self.read_outcome(item, _join(where, i)))
            for i, item in enumerate(raw)
        ]
        self.outcome_paths[path] = [p for p, outcome in read if outcome]
        return [outcome for _p, outcome in read if outcome]

    def read_outcome(self, value: object, path: str) -> Outcome | None:
        outcome = self.mapping(value, path, OUTCOME_FIELDS)
        if outcome is None:
            return None
        target = self.text(outcome, "next", path)
        if not target:
            self.error(
                _join(path, "next"),
                gettext_noop("leads nowhere: name a step, or 'end' where the SOP ends"),
            )
            target = _NOWHERE
        return Outcome(
            id=self.identifier(outcome, "id", path),
            label=self.text(outcome, "label", path, required=True),
            label_en=self.text(outcome, "label_en", path),
            next=None if target == END else target,
            note_required=self.flag(outcome, "note_required", path),
            **self.inferred(outcome, path),
        )

    def inferred(self, obj: dict, path: str) -> dict:
        """`inferred: true`, or the reason as text: `inferred: "the scan lost the arrow"`."""
        value = obj.get("inferred", False)
        if isinstance(value, bool):
            return {"inferred": value, "inferred_reason": ""}
        reason = value.strip() if isinstance(value, str) else ""
        if not reason:
            self.error(
                _join(path, "inferred"),
                gettext_noop("expected true, false or the reason as text"),
            )
            return {"inferred": False, "inferred_reason": ""}
        return {"inferred": True, "inferred_reason": reason}

    def read_channel(self, value: object, path: str) -> Channel | None:
        channel = self.mapping(value, path, CHANNEL_FIELDS)
        if channel is None:
            return None
        return Channel(
            platform=self.choice(channel, "platform", path, PLATFORMS, "manual"),
            handle=self.text(channel, "handle", path),
            name=self.text(channel, "name", path),
            url=self.text(channel, "url", path),
        )


# Placeholders resolved by _check_graph once every step id is known.
_NEXT_ROW = "\x00next-row"
_NOWHERE = "\x00nowhere"


def _resolve_next_rows(sop: Sop) -> Sop:
    steps = list(sop.steps)
    for index, step in enumerate(steps):
        if step.next == _NEXT_ROW:
            steps[index] = replace(step, next=steps[index + 1].id)
    return replace(sop, steps=tuple(steps))


def _require_rework_notes(sop: Sop) -> Sop:
    """Whoever sends work back must say why: a rework outcome always needs a note."""
    steps = []
    for step in sop.steps:
        outcomes = tuple(
            replace(o, note_required=o.note_required or sop.is_rework(step.id, o))
            for o in step.outcomes
        )
        steps.append(replace(step, outcomes=outcomes))
    return replace(sop, steps=tuple(steps))


def _check_ids(
    sop: Sop,
    lane_paths: list[str],
    step_paths: list[str],
    outcome_paths: dict[str, list[str]],
    error,
) -> None:
    """Every id unique, every lane and every arrow naming something that exists."""
    lane_ids = _unique([lane.id for lane in sop.lanes], lane_paths, error)
    step_ids = _unique([step.id for step in sop.steps], step_paths, error)
    for path, step in zip(step_paths, sop.steps, strict=True):
        if step.lane and step.lane not in lane_ids:
            error(
                f"{path}.lane",
                gettext_noop("%(value)s is not a lane of this SOP"),
                value=repr(step.lane),
            )
        paths = outcome_paths.get(path, [])
        _unique([o.id for o in step.outcomes], paths, error)
        targets = [(f"{p}.next", o.next) for p, o in zip(paths, step.outcomes, strict=True)]
        if step.kind != "review":
            targets.append((f"{path}.next", step.next))
        for where, target in targets:
            if target not in (None, _NOWHERE, _NEXT_ROW) and target not in step_ids:
                error(
                    where, gettext_noop("%(value)s is not a step of this SOP"), value=repr(target)
                )
    documents = {document.id for document in sop.documents}
    for path, step in zip(step_paths, sop.steps, strict=True):
        for i, required in enumerate(step.requires):
            if required not in documents:
                error(
                    f"{path}.requires[{i}]",
                    gettext_noop(
                        "%(value)s is not a document of this SOP: list it under 'documents' "
                        "with its label"
                    ),
                    value=repr(required),
                )
    for p, pair in enumerate(sop.separate_duties):
        for i, step_id in enumerate(pair):
            if step_id not in step_ids:
                error(
                    f"separate_duties[{p}][{i}]",
                    gettext_noop("%(value)s is not a step of this SOP"),
                    value=repr(step_id),
                )
        if pair[0] == pair[1]:
            error(f"separate_duties[{p}]", gettext_noop("name two different steps"))


def _check_flow(sop: Sop, error) -> None:
    """Every step reachable from the first, and able to reach the end."""
    edges = {step.id: [o.next for o in step.exits() if o.next is not None] for step in sop.steps}
    reachable = _reachable(sop.first_step.id, edges)
    ends = sop.distance_to_end()
    stuck = [step.id for step in sop.steps if step.id not in ends]
    # A loop with no way out lies wholly among the steps that cannot end.
    ahead = {step_id: _reachable(step_id, edges) for step_id in stuck}
    loops_reported: set[str] = set()
    for s, step in enumerate(sop.steps):
        path = f"steps[{s}]"
        if step.id not in reachable:
            error(
                path,
                gettext_noop("%(value)s cannot be reached from the first step"),
                value=repr(step.id),
            )
        elif step.id in ahead and step.id not in loops_reported:
            loop = [s for s in stuck if step.id in ahead[s] and s in ahead[step.id]]
            if len(loop) > 1 or step.id in edges[step.id]:
                loops_reported.update(loop)
                error(
                    path,
                    gettext_noop("a loop with no way out: %(loop)s never reach the end"),
                    loop=" -> ".join([*loop, loop[0]]),
                )
            else:
                error(
                    path,
                    gettext_noop("%(value)s cannot reach the end of the SOP"),
                    value=repr(step.id),
                )


def _unique(ids: list[str], paths: list[str], error) -> set[str]:
    seen: set[str] = set()
    for path, value in zip(paths, ids, strict=True):
        if not value:
            continue
        if value in seen:
            error(f"{path}.id", gettext_noop("%(value)s is used twice"), value=repr(value))
        seen.add(value)
    return seen


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in edges[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
