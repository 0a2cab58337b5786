"""Reading a workflow definition (a folder or a ``.zip``): its main file and its parameter template.

A *parameter template* maps each run parameter's name to ``{"description": str, "optional": bool}``
(HealthOmics guide, "Parameter template files for HealthOmics workflows",
https://docs.aws.amazon.com/omics/latest/dev/parameter-templates.html). The templates this module
derives keep two more keys where the definition says them, for checks made before a run starts:

- ``"type"``: one of ``TYPES``: the JSON type a value must have, as the engine reads inputs: a WDL ``File``
  or ``Directory`` is a ``"string"`` (a URI; HealthOmics' WDL type table, "WDL workflow definition
  specifics"), a CWL ``File`` / ``Directory`` a ``"cwl_file"`` / ``"cwl_directory"`` object
  (``{"class": "File", "location": ...}``: cwltool refuses a plain string), a Nextflow path a
  ``"string"``; ``"file"``, for templates written by hand, takes either;
- ``"declared_type"``: the type as the definition spells it (``"Array[File]+"``, ``"int?"``), for messages.

``service_template`` keeps only what CloudFormation's ``ParameterTemplate`` accepts (``Description``,
``Optional``; AWS::Omics::Workflow reference,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflow.html).

Derivation, per engine (what HealthOmics itself detects is in the guide above):

- Nextflow: ``nextflow_schema.json`` beside the main file (nf-schema, ``$defs``:
  https://nextflow-io.github.io/nf-schema/latest/nextflow_schema/nextflow_schema_specification; the
  older nf-validation, ``definitions``:
  https://nextflow-io.github.io/nf-validation/nextflow_schema/nextflow_schema_specification). The
  parameters are the top-level ``properties`` and those of each ``allOf`` item (a local ``$ref`` such
  as ``#/$defs/input_output_options``, or an inline schema); without ``allOf``, every group in
  ``$defs``/``definitions``. A parameter is required when a group's ``required`` lists it (``allOf``
  combines the groups, so one group may require what another defines). Without
  a schema file the template is unknown (``None``): HealthOmics derives it when it creates the workflow.
- WDL (and WDL lenient): the ``input { ... }`` block of the main file's ``workflow``. An input whose
  type ends in ``?`` or that has a default (``= ...``) is optional. Descriptions come from the
  workflow's ``parameter_meta`` (``name: "text"`` or ``name: {description: "text"}``).
  Only the main file is read (the workflow's inputs are declared there; an imported struct is an
  object); ``tests/workflows/test_workflow_corpus.py`` compares the result with miniwdl's on WDL 1.0 and 1.1
  definitions with imports, structs and sub-workflows.
- CWL: the main file's ``inputs`` (a list or a map; a ``$graph`` document's ``#main`` or only
  ``Workflow``). An input is optional when its type ends in ``?``, is a list that holds ``"null"``,
  or it has a ``default``. Descriptions from ``label`` as HealthOmics reads them (or ``doc``, then
  ``label``, for workflows made before; see ``derive``). YAML is read as YAML 1.2 with ruamel.yaml, as
  cwltool reads it; the suite compares the result with cwl-utils'.

Descriptions as HealthOmics chooses them are behind the context flag ``HEALTHOMICS_DESCRIPTIONS`` (see
``workflow.Workflow``): the template is a create-only property, so changing how an existing definition's
template reads would replace its workflow on upgrade.

Every problem raises ``DefinitionError`` naming the file and what is wrong.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from . import value_types
from .definition_files import DefinitionError, DefinitionFiles  # DefinitionError: raised by every reader here

TYPES = ("string", "integer", "number", "boolean", "array", "object", "file", "cwl_file", "cwl_directory")
SERVICE_KEYS = ("description", "optional")
TEMPLATE_KEYS = (*SERVICE_KEYS, "type", "declared_type", "engine_type")
DESCRIPTION_MAX = 256  # WorkflowParameterDescription, CreateWorkflow in the service model
NAME_MAX = 128  # WorkflowParameterName
NEXTFLOW_SCHEMA = "nextflow_schema.json"


# -- the definition's files and its main file ---------------------------------------------------

def derive(path: Path, engine: str, main: Optional[str] = None, *, exclude: Sequence[str] = (),
           healthomics_descriptions: bool = False) -> Optional[dict[str, dict[str, Any]]]:
    """The parameter template of the definition at ``path`` (a folder, as CDK zips it leaving out ``exclude``,
    or a ``.zip``), or ``None`` when the definition does not say it (a Nextflow workflow without
    ``nextflow_schema.json``). ``healthomics_descriptions``: descriptions chosen as HealthOmics chooses them
    (CWL ``label``; single-quoted WDL strings) rather than as releases before 0.3 chose them (CWL ``doc``, then
    ``label``; double-quoted WDL strings only), which existing workflows' templates keep."""
    return derive_from(DefinitionFiles.of(path, exclude), engine, main,
                       healthomics_descriptions=healthomics_descriptions)


def derive_from(files: DefinitionFiles, engine: str, main: Optional[str] = None, *,
                healthomics_descriptions: bool = False) -> Optional[dict[str, dict[str, Any]]]:
    """``derive`` for files already listed."""
    main_file = files.main(engine, main)
    if engine == "NEXTFLOW":
        folder = PurePosixPath(main_file).parent
        schema = (folder / NEXTFLOW_SCHEMA).as_posix() if str(folder) != "." else NEXTFLOW_SCHEMA
        return from_nextflow_schema(files.text(schema), files.label(schema)) if schema in files.names else None
    if engine in ("WDL", "WDL_LENIENT"):
        return from_wdl(files.text(main_file), files.label(main_file), single_quotes=healthomics_descriptions,
                        engine=engine, structs=wdl_structs(files, main_file))
    return from_cwl(files.text(main_file), files.label(main_file), label_only=healthomics_descriptions)


# -- Nextflow: nextflow_schema.json ----------------------------------------------------------

_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
               "array": "array", "object": "object"}


def from_nextflow_schema(text: str, label: str) -> dict[str, dict[str, Any]]:
    schema = _json(text, label)
    if not isinstance(schema, dict):
        raise DefinitionError(f"{label}: a Nextflow schema must be a JSON object, got {type(schema).__name__}")
    template: dict[str, dict[str, Any]] = {}
    requirements: list[tuple[str, list[str]]] = []
    for where, group in _schema_groups(schema, label):
        required = _read_schema_group(where, group, label, template)
        # the top level's required names only its own properties, as before groups were combined (changing
        # that would change the templates, and so replace the workflows, of schemas deployed before)
        properties = group.get("properties") or {}
        requirements.append((where, [r for r in required if r in properties] if where == "the top level"
                             else required))
    _mark_required(requirements, template, label)
    return template


def _schema_groups(schema: dict[str, Any], label: str) -> list[tuple[str, Any]]:
    """(where, group) for the top level and each group of the schema: the ``allOf`` items (a ``$ref`` resolved)
    or, without ``allOf``, every ``$defs``/``definitions`` entry."""
    groups: list[tuple[str, Any]] = [("the top level", schema)]
    all_of = schema.get("allOf")
    if all_of is not None:
        if not isinstance(all_of, list):
            raise DefinitionError(f"{label}: allOf must be a list")
        for index, item in enumerate(all_of):
            if isinstance(item, dict) and "$ref" in item:
                groups.append((item["$ref"], _resolve(schema, item["$ref"], label)))
            else:
                groups.append((f"allOf/{index}", item))
    else:
        for key in ("$defs", "definitions"):
            defs = schema.get(key) or {}
            if not isinstance(defs, dict):
                raise DefinitionError(f"{label}: {key} must be an object")
            groups += [(f"#/{key}/{name}", group) for name, group in defs.items()]
    return groups


def _read_schema_group(where: str, group: Any, label: str, template: dict[str, dict[str, Any]]) -> list[str]:
    """Adds the group's properties to ``template`` (each optional for now); the names the group requires."""
    if not isinstance(group, dict):
        raise DefinitionError(f"{label}: {where} must be a JSON object")
    properties = group.get("properties") or {}
    required = group.get("required") or []
    if not isinstance(properties, dict):
        raise DefinitionError(f"{label}: properties of {where} must be an object")
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise DefinitionError(f"{label}: required of {where} must be a list of parameter names")
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            raise DefinitionError(f"{label}: parameter {name!r} in {where} must be a JSON object")
        template[name] = _schema_entry(spec)
    return required


def _schema_entry(spec: dict[str, Any]) -> dict[str, Any]:
    """The template entry of one schema property: typed when it declares one JSON type (besides null)."""
    entry = _entry(spec.get("description"), optional=True)
    declared = spec.get("type")
    kinds = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    kinds = [k for k in kinds if k != "null"]
    if len(kinds) == 1 and kinds[0] in _JSON_TYPES:
        entry["type"], entry["declared_type"] = _JSON_TYPES[kinds[0]], kinds[0]
    entry["engine_type"] = {"engine": "NEXTFLOW", "type": value_types.schema_tree(spec)}
    return entry


def _mark_required(requirements: list[tuple[str, list[str]]], template: dict[str, dict[str, Any]],
                   label: str) -> None:
    """Marks each required name not optional. allOf combines its groups into one schema: a group may require what
    another defines (nf-core/ampliseq 2.3.x requires outdir in one group and defines it in another), so names are
    looked up in all of them."""
    for where, required in requirements:
        unknown = sorted(set(required) - set(template))
        if unknown:
            raise DefinitionError(f"{label}: {where} requires {', '.join(unknown)}, which no group of the schema "
                                  "defines in its properties")
        for name in set(required) & set(template):
            template[name]["optional"] = False


def _resolve(schema: dict[str, Any], ref: Any, label: str) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise DefinitionError(f"{label}: only references inside the file (#/$defs/...) are supported; got {ref!r}")
    node: Any = schema
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise DefinitionError(f"{label}: reference {ref} points to nothing in the file")
        node = node[part]
    return node


# -- WDL: the workflow's input block ---------------------------------------------------------

_WDL_TYPES = {"Int": "integer", "Float": "number", "Boolean": "boolean", "String": "string", "File": "string",
              "Directory": "string", "Array": "array", "Map": "object", "Object": "object", "Pair": "object"}
_DECLARATION = re.compile(r"(?P<type>(?P<base>[A-Za-z_]\w*)(?:\s*\[.*\])?)\s*(?P<quantifier>[?+]*)"
                          r"\s+(?P<name>[A-Za-z_]\w*)\s*(?P<default>=.*)?", re.S)


def from_wdl(text: str, label: str, *, single_quotes: bool = False, engine: str = "WDL",
             structs: Optional[Mapping[str, Mapping[str, str]]] = None) -> dict[str, dict[str, Any]]:
    """The inputs of the main file's workflow; ``structs`` (name -> member -> type, ``wdl_structs``) lets values of
    struct types be checked member by member."""
    code = _strip_wdl_comments(text)
    if re.match(r"\s*version\s+\S", code) is None:
        # "Every WDL document must include a version statement"; HealthOmics runs WDL 1.0, 1.1 and development
        # ("Version support for HealthOmics workflow definition languages",
        # https://docs.aws.amazon.com/omics/latest/dev/workflows-lang-versions.html). A document without one is
        # draft-2 (openwdl "Versions", https://docs.openwdl.org/language-guide/versions.html); Cromwell's womtool
        # rewrites draft-2 as 1.0 (``womtool upgrade``, https://cromwell.readthedocs.io/en/stable/WOMtool/), and the
        # openwdl upgrade guide lists what changes (https://docs.openwdl.org/reference/upgrade-guide.html).
        raise DefinitionError(f"{label}: no `version` statement, so this is WDL draft-2, which HealthOmics does not "
                              "run (it takes WDL 1.0, 1.1 and development): upgrade the definition to WDL 1.0, e.g. "
                              f"`java -jar womtool.jar upgrade {PurePosixPath(label.split('!')[-1]).name} > "
                              "upgraded.wdl` (Cromwell's womtool), check the result with `miniwdl check`, and "
                              "start the file with `version 1.0`")
    workflow = re.search(r"\bworkflow\s+([A-Za-z_]\w*)\s*\{", code)
    if workflow is None:
        raise DefinitionError(f"{label}: no WDL workflow found (expected `workflow <name> {{ ... }}`)")
    body = _block(code, workflow.end() - 1, label, f"workflow {workflow[1]}")
    inputs = _section(body, "input")
    if inputs is None:
        raise DefinitionError(f"{label}: no input block found in workflow {workflow[1]} (WDL 1.0 and later "
                              "declare inputs in `input { ... }`; for draft-2 WDL or a workflow without inputs, "
                              "give parameter_template=)")
    meta = _parameter_meta(_section(body, "parameter_meta") or "", single_quotes)
    template: dict[str, dict[str, Any]] = {}
    for declaration in _statements(inputs):
        match = _DECLARATION.fullmatch(declaration)
        if match is None:
            raise DefinitionError(f"{label}: cannot read input declaration {declaration!r} in workflow "
                                  f"{workflow[1]} (expected `<Type> <name>` or `<Type> <name> = <default>`)")
        declared = re.sub(r"\s+", "", match["type"]) + match["quantifier"]
        entry = _entry(meta.get(match["name"]), optional="?" in match["quantifier"] or bool(match["default"]))
        entry["type"] = _WDL_TYPES.get(match["base"], "object")  # any other name is a struct: a JSON object
        entry["declared_type"] = declared
        entry["engine_type"] = {"engine": engine, "workflow": workflow[1],
                                "type": value_types.wdl_tree(declared, structs or {})}
        template[match["name"]] = entry
    return template


def wdl_structs(files: DefinitionFiles, main_file: str) -> dict[str, dict[str, str]]:
    """The structs of the main file and of the files it imports (recursively): name -> member -> declared type.
    Imported structs keep their names (WDL 1.0/1.1: an imported struct joins the importing namespace by its name,
    or an ``alias``, which is honoured here)."""
    structs: dict[str, dict[str, str]] = {}
    queue, seen = [main_file], {main_file}
    while queue:
        name = queue.pop(0)
        try:
            code = _strip_wdl_comments(files.text(name))
        except DefinitionError:
            continue
        for match in re.finditer(r"\bstruct\s+([A-Za-z_]\w*)\s*\{", code):
            members = {}
            for declaration in _statements(_block(code, match.end() - 1, name, f"struct {match[1]}")):
                found = _DECLARATION.fullmatch(declaration)
                if found:
                    members[found["name"]] = re.sub(r"\s+", "", found["type"]) + found["quantifier"]
            structs.setdefault(match[1], members)
        for match in re.finditer(r"^[ \t]*import\s+(?:\"([^\"]*)\"|'([^']*)')([^\n]*)", code, re.M):
            reference = match[1] if match[1] is not None else match[2]
            for original, alias in re.findall(r"alias\s+(\w+)\s+as\s+(\w+)", match[3]):
                structs.setdefault(f"\0{original}", {"": alias})
            target = os.path.normpath((PurePosixPath(name).parent / reference).as_posix()).replace(os.sep, "/")
            if target in files.sizes and target not in seen:
                seen.add(target)
                queue.append(target)
    for key in [k for k in structs if k.startswith("\0")]:
        original, alias = key[1:], structs.pop(key)[""]
        if original in structs:
            structs.setdefault(alias, structs[original])
    return structs


def _strip_wdl_comments(text: str) -> str:
    """``text`` with ``#`` comments blanked (not inside strings), so offsets stay the same."""
    out, quote, i = [], None, 0
    while i < len(text):
        char = text[i]
        if char == "\n":
            quote = None  # WDL strings do not span lines; a stray quote in a command ends here
        if quote:
            if char == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            out.append(" " * (end - i))
            i = end
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _outside_strings(text: str, start: int = 0, opening: str = "{[(",
                     closing: str = "}])") -> Iterator[tuple[int, str, int]]:
    """Each character of ``text`` from ``start`` that stands outside a string, with the bracket depth after it:
    the one walk the WDL reader makes to find a block's end, a section, or where a declaration ends."""
    depth, quote, i = 0, None, start
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1  # the escaped character, a quote too, stays in the string
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        else:
            depth += (char in opening) - (char in closing)
            yield i, char, depth
        i += 1


def _block(code: str, open_brace: int, label: str, what: str) -> str:
    """The text between the brace at ``open_brace`` and its match (strings skipped)."""
    for i, char, depth in _outside_strings(code, open_brace, "{", "}"):
        if char == "}" and depth == 0:
            return code[open_brace + 1:i]
    raise DefinitionError(f"{label}: the block of {what} is not closed (a '}}' is missing)")


def _section(body: str, keyword: str) -> Optional[str]:
    """The content of ``keyword { ... }`` at the top level of ``body``."""
    for i, _, depth in _outside_strings(body):
        if depth == 0 and body.startswith(keyword, i) and (i == 0 or not (body[i - 1].isalnum() or body[i - 1] == "_")):
            match = re.match(rf"{keyword}\s*\{{", body[i:])
            if match:
                return _block(body, i + match.end() - 1, "", keyword)
    return None


def _statements(block: str) -> Iterable[str]:
    """Declarations of an input block: lines at bracket depth 0, continued lines joined."""
    ends = [i for i, char, depth in _outside_strings(block) if char == "\n" and depth == 0]
    statements = [block[begin + 1:end] for begin, end in zip([-1, *ends], [*ends, len(block)], strict=True)]
    joined: list[str] = []
    for statement in (s.strip() for s in statements):
        if not statement:
            continue
        if joined and (statement[0] in "=+-*/%&|<>!?:.,)]}" or joined[-1].rstrip().endswith(("=", "+", "-", "*", "/",
                                                                                                "&&", "||", ","))):
            joined[-1] += " " + statement
        else:
            joined.append(statement)
    return joined


def _parameter_meta(block: str, single_quotes: bool) -> dict[str, str]:
    """Each input's description: ``name: "text"`` or ``name: {description: "text", ...}``. WDL strings may be
    single-quoted (WDL 1.0 specification, "Strings"); ``single_quotes`` False reads only double-quoted ones,
    as releases before 0.3 did."""
    string = (r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'' if single_quotes else r'"((?:[^"\\]|\\.)*)"()')
    meta = {}
    for statement in _statements(block):
        match = re.match(r"([A-Za-z_]\w*)\s*:\s*(.*)", statement, re.S)
        if not match:
            continue
        value = match[2].strip().rstrip(",")
        text = re.fullmatch(string, value) or re.search(rf"\bdescription\s*:\s*(?:{string})", value)
        if text:
            meta[match[1]] = text[1] if text[1] is not None else text[2]
    return meta


# -- CWL: the main process's inputs ----------------------------------------------------------

_CWL_TYPES = {"int": "integer", "long": "integer", "float": "number", "double": "number", "boolean": "boolean",
              "string": "string", "File": "cwl_file", "Directory": "cwl_directory", "enum": "string",
              "record": "object", "array": "array"}


def from_cwl(text: str, label: str, *, label_only: bool = False) -> dict[str, dict[str, Any]]:
    """The main process's inputs. ``label_only``: descriptions from ``label`` only, as HealthOmics derives them
    (parameter-templates page above, "Parameter detection for CWL"); else ``doc``, then ``label``, as releases
    before 0.3 did."""
    document = _cwl_document(text, label)
    process = _cwl_main(document, label)
    inputs = process.get("inputs")
    if inputs is None:
        raise DefinitionError(f"{label}: the {process.get('class', 'CWL')} has no inputs section")
    if isinstance(inputs, dict):
        items = [(name, spec) for name, spec in inputs.items()]
    elif isinstance(inputs, list):
        items = []
        for index, spec in enumerate(inputs):
            if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
                raise DefinitionError(f"{label}: inputs[{index}] must be a mapping with an id")
            items.append((spec["id"], spec))
    else:
        raise DefinitionError(f"{label}: inputs must be a list or a mapping, got {type(inputs).__name__}")
    template: dict[str, dict[str, Any]] = {}
    named = value_types.cwl_named_types(process)
    for raw_name, spec in items:
        name = str(raw_name).split("/")[-1].lstrip("#")
        if not isinstance(spec, dict):
            spec = {"type": spec}
        if "type" not in spec:
            raise DefinitionError(f"{label}: input {name!r} has no type")
        optional, kind, declared = _cwl_type(spec["type"])
        described = spec.get("label") if label_only or not isinstance(spec.get("doc"), str) else spec["doc"]
        entry = _entry(described, optional=optional or "default" in spec)
        if kind is not None:
            entry["type"] = kind
        entry["declared_type"] = declared
        entry["engine_type"] = {"engine": "CWL", "type": value_types.cwl_tree(spec["type"], named)}
        template[name] = entry
    return template


def _cwl_document(text: str, label: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as json_error:
        if text.lstrip().startswith(("{", "[")):
            raise DefinitionError(f"{label}: invalid JSON: {json_error}") from None
    # YAML 1.2, as CWL's own tools read it (cwltool and schema-salad use ruamel.yaml): PyYAML's YAML 1.1 refuses
    # valid CWL such as ``{type: boolean?, doc: "..."}``.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        raise DefinitionError(f"{label}: invalid YAML: {' '.join(str(error).split())}") from None


def _cwl_main(document: Any, label: str) -> dict[str, Any]:
    if isinstance(document, dict) and "$graph" in document:
        graph = document["$graph"]
        processes = [p for p in graph if isinstance(p, dict)] if isinstance(graph, list) else []
        main = [p for p in processes if str(p.get("id", "")).lstrip("#") == "main"]
        workflows = [p for p in processes if p.get("class") == "Workflow"]
        if main or len(workflows) == 1:
            return (main or workflows)[0]
        raise DefinitionError(f"{label}: cannot tell the main process of the $graph (no id #main, "
                              f"{len(workflows)} Workflows)")
    if not isinstance(document, dict) or "class" not in document:
        raise DefinitionError(f"{label}: not a CWL document (expected a mapping with class: Workflow)")
    if document["class"] not in ("Workflow", "CommandLineTool", "ExpressionTool"):
        raise DefinitionError(f"{label}: class {document['class']!r} is not a CWL Workflow")
    return document


def _cwl_type(declared: Any) -> tuple[bool, Optional[str], str]:
    """(optional, JSON type or None, as declared)."""
    if isinstance(declared, str):
        optional = declared.endswith("?")
        base = declared.rstrip("?")
        kind = "array" if base.endswith("[]") else _CWL_TYPES.get(base)
        return optional, kind, declared
    if isinstance(declared, list):
        # a member ``T?`` is itself a union with null, so the whole is optional (cwltool expands ``string?`` to
        # ``["null", "string"]`` inside the list: [string?, string[]] takes null)
        optional = "null" in declared or any(isinstance(t, str) and t.endswith("?") for t in declared)
        rest = [t for t in declared if t != "null"]
        kinds = {_cwl_type(t)[1] for t in rest}
        kind = kinds.pop() if len(kinds) == 1 else None
        return optional, kind, json.dumps(declared, separators=(",", ":"))
    if isinstance(declared, dict):
        kind = declared.get("type")
        return False, _CWL_TYPES.get(kind) if isinstance(kind, str) else None, str(kind)
    return False, None, str(declared)


# -- templates ---------------------------------------------------------------------------------

def _json(text: str, label: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"{label}: invalid JSON: {error}") from None


def _entry(description: Any, *, optional: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"optional": optional}
    if isinstance(description, str) and description.strip():
        entry["description"] = _one_line(description)
    return entry


def _one_line(text: str) -> str:
    """Whitespace runs as single spaces (the service's pattern takes no line breaks), at most 256 characters."""
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_MAX else text[:DESCRIPTION_MAX - 1] + "…"


def template_errors(template: Any) -> list[str]:
    """What is wrong with a ``parameter_template`` given in code (its own shape, not tokens)."""
    if not isinstance(template, Mapping):
        return [f"parameter_template must be a mapping of parameter names to {{'description': ..., "
                f"'optional': ...}}; got {type(template).__name__}"]
    errors = []
    for name, spec in template.items():
        where = f"parameter_template[{name!r}]"
        if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX:
            errors.append(f"parameter_template keys must be names of 1 to {NAME_MAX} characters; got {name!r}")
            continue
        if not isinstance(spec, Mapping):
            errors.append(f"{where} must be a mapping such as {{'description': 'Sample name', 'optional': False}}; "
                          f"got {type(spec).__name__}")
            continue
        unknown = sorted(set(spec) - set(TEMPLATE_KEYS))
        if unknown:
            errors.append(f"{where} has unknown keys {', '.join(map(str, unknown))} "
                          f"(allowed: {', '.join(TEMPLATE_KEYS)})")
        if "description" in spec and not isinstance(spec["description"], str):
            errors.append(f"{where}['description'] must be a string")
        if "optional" in spec and not isinstance(spec["optional"], bool):
            errors.append(f"{where}['optional'] must be True or False; got {spec['optional']!r}")
        if "type" in spec and spec["type"] not in TYPES:
            errors.append(f"{where}['type'] must be one of {', '.join(TYPES)}; got {spec['type']!r}")
    return errors


def normalized(template: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A template given in code, with ``optional`` always said and descriptions on one line."""
    result = {}
    for name, spec in template.items():
        entry = {**spec, "optional": bool(spec.get("optional", False))}
        if "description" in entry:
            if entry["description"].strip():
                entry["description"] = _one_line(entry["description"])
            else:
                del entry["description"]
        result[name] = entry
    return result


def service_template(template: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Only the keys HealthOmics accepts (``description``, ``optional``)."""
    return {name: {key: spec[key] for key in SERVICE_KEYS if key in spec} for name, spec in template.items()}


def value_type_errors(template: Mapping[str, Mapping[str, Any]], parameters: Mapping[str, Any], *,
                      values: bool = True) -> list[str]:
    """Each parameter whose value is not of the type its template entry says (tokens are not checked
    here: pass only values known at synth). ``None`` stands for "not set" and passes. With ``values``
    False, messages name the value's type only (so that samples with different bad values share one)."""
    errors = []
    for name, value in parameters.items():
        spec = template.get(name) or {}
        kind = spec.get("type")
        engine_type = spec.get("engine_type")
        if isinstance(engine_type, Mapping) and isinstance(engine_type.get("type"), Mapping):
            if value is not None:
                found = value_types.value_errors(name, value, engine_type, values=values)
                declared = spec.get("declared_type")
                errors += [error.replace("; got", f" ({declared}); got", 1)
                           if declared not in (None, kind) and error.startswith(f"parameter {name!r} must") else error
                           for error in found]
            continue
        if kind is None or value is None or value_types.fits_type(value, kind):
            continue
        declared = f" ({spec['declared_type']})" if spec.get("declared_type") not in (None, kind) else ""
        errors.append(f"parameter {name!r} must be {_ARTICLE[kind]}{declared}; got {type(value).__name__} {value!r}"
                      if values and len(repr(value)) <= 60 else
                      f"parameter {name!r} must be {_ARTICLE[kind]}{declared}; got {type(value).__name__}")
    return errors


def fits(value: Any, spec: Mapping[str, Any]) -> bool:
    """Whether ``value`` (known at synth) fits the template entry ``spec``: as deep as its engine checks when the
    entry was derived from a definition (``engine_type``), else by its JSON ``type``."""
    engine_type = spec.get("engine_type")
    if isinstance(engine_type, Mapping) and isinstance(engine_type.get("type"), Mapping):
        return value is None or not any(True for _ in value_types.problems(value, engine_type["type"],
                                                                             engine_type.get("engine", "")))
    kind = spec.get("type")
    return kind is None or value is None or value_types.fits_type(value, kind)


_ARTICLE = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
            "array": "an array (list)", "object": "an object (mapping)", "file": "a file (URI string or object)",
            "cwl_file": "a CWL File object ({'class': 'File', 'location': 's3://...'})",
            "cwl_directory": "a CWL Directory object ({'class': 'Directory', 'location': 's3://...'})"}


