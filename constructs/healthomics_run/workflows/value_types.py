"""Run parameter values checked as deep as each engine checks its inputs: arrays, records, structs, maps, pairs
and optional members.

A derived template entry keeps ``"engine_type": {"engine": ..., "type": <tree>}`` (and, for WDL, the main
workflow's name as ``"workflow"``); the tree is JSON (``{"t": "array", "items": ...}``), so a template stays
plain data. Each engine's rules, and where they are stated:

- WDL (miniwdl ``WDL.Value.from_json``, which HealthOmics' spec-conformant WDL engine follows, and the WDL 1.1
  specification's JSON input format, https://github.com/openwdl/wdl/blob/wdl-1.1/SPEC.md#json-input-format):
  ``Int`` takes a JSON integer only (``8.0`` is refused); ``Float`` an integer or a number; ``String``,
  ``File`` and ``Directory`` a string; ``Array[T]`` a list (``+``: not empty); ``Map[K,V]`` an object whose keys
  read as ``K``; ``Pair[L,R]`` an object with exactly ``left`` and ``right``; a struct an object with every
  member that is not optional (members it does not declare are ignored); ``T?`` also takes ``null``.
- WDL lenient ("WDL workflow definition specifics", Implicit type conversion in WDL lenient,
  https://docs.aws.amazon.com/omics/latest/dev/workflow-languages-wdl.html): also ``Float`` to ``Int`` and
  ``String`` to ``Int``/``Float`` where no precision is lost (``8.0`` and ``"8"`` for an ``Int``), and
  ``Map[W,X]`` to ``Array[Pair[Y,Z]]`` and back.
- CWL (schema-salad's ``validate_ex``, as cwltool validates a job order; CWL v1.2 "CWLType",
  https://www.commonwl.org/v1.2/Workflow.html#CWLType): ``int``/``long`` a JSON integer, ``float``/``double``
  an integer or a number, ``File``/``Directory`` an object of that ``class``; ``T[]`` and ``{type: array}`` a
  list; a record an object with each field whose type is not nullable; a union any of its members; ``null`` in
  a union (or ``?``) makes it optional, so ``[string?, string[]]`` is optional as cwltool reads it; an enum one
  of its symbols; ``Any`` anything but ``null``.
- Nextflow (JSON Schema, as nf-schema validates ``params``: https://json-schema.org/draft/2020-12/json-schema-
  validation, "type", "enum", "items", "properties", "required"): ``integer`` is a number without a fraction
  (``8.0`` is one), nested ``properties`` and their ``required`` apply, other members are allowed.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Mapping, Optional

Tree = dict[str, Any]
ANY: Tree = {"t": "any"}
MAX_ERRORS = 5  # nested problems named for one parameter


# -- WDL ---------------------------------------------------------------------------------------

_WDL_SCALARS = {"Int": "int", "Float": "float", "String": "string", "File": "string", "Directory": "string",
                "Boolean": "boolean", "Object": "object"}


def wdl_tree(declared: str, structs: Mapping[str, Mapping[str, str]], depth: int = 0) -> Tree:
    """The tree of a WDL type as declared (``Array[Pair[String,Int]]+?``); ``structs``: name -> member -> type."""
    text = re.sub(r"\s+", "", declared)
    tree, rest = _wdl_parse(text, structs, depth)
    return tree if not rest else ANY


def _wdl_parse(text: str, structs: Mapping[str, Mapping[str, str]], depth: int) -> tuple[Tree, str]:
    match = re.match(r"[A-Za-z_]\w*", text)
    if match is None or depth > 20:
        return ANY, ""
    name, rest = match[0], text[match.end():]
    arguments: list[Tree] = []
    if rest.startswith("["):
        rest = rest[1:]
        while True:
            argument, rest = _wdl_parse(rest, structs, depth + 1)
            arguments.append(argument)
            if rest.startswith(","):
                rest = rest[1:]
                continue
            rest = rest[1:] if rest.startswith("]") else rest
            break
    nonempty = rest.startswith("+")
    rest = rest[1:] if nonempty else rest
    optional = rest.startswith("?")
    rest = rest[1:] if optional else rest
    if name == "Array" and len(arguments) == 1:
        tree: Tree = {"t": "array", "items": arguments[0], "nonempty": nonempty}
    elif name == "Map" and len(arguments) == 2:
        tree = {"t": "map", "key": arguments[0], "value": arguments[1]}
    elif name == "Pair" and len(arguments) == 2:
        tree = {"t": "pair", "left": arguments[0], "right": arguments[1]}
    elif name in _WDL_SCALARS:
        tree = {"t": _WDL_SCALARS[name]}
    elif name in structs:
        fields = {member: wdl_tree(kind, structs, depth + 1) for member, kind in structs[name].items()}
        tree = {"t": "record", "name": name, "fields": fields,
                "required": sorted(m for m, f in fields.items() if f.get("t") != "optional")}
    else:
        tree = ANY  # a struct this reader did not find (an import it could not read): not checked
    return ({"t": "optional", "of": tree} if optional else tree), rest


# -- CWL ---------------------------------------------------------------------------------------

_CWL_SCALARS = {"int": "int", "long": "int", "float": "float", "double": "float", "string": "string",
                "boolean": "boolean", "File": "cwl_file", "Directory": "cwl_directory", "Any": "any", "null": "null"}


def cwl_named_types(process: Mapping[str, Any]) -> dict[str, Any]:
    """The named types of a process's ``SchemaDefRequirement`` (inline ones; ``$import``ed ones are not read)."""
    named: dict[str, Any] = {}
    for section in ("requirements", "hints"):
        requirements = process.get(section) or []
        if isinstance(requirements, Mapping):
            requirements = [{"class": key, **(value if isinstance(value, Mapping) else {})}
                            for key, value in requirements.items()]
        for requirement in requirements if isinstance(requirements, list) else []:
            if isinstance(requirement, Mapping) and requirement.get("class") == "SchemaDefRequirement":
                for kind in requirement.get("types") or []:
                    if isinstance(kind, Mapping) and isinstance(kind.get("name"), str):
                        named[_short(kind["name"])] = kind
    return named


def cwl_tree(declared: Any, named: Mapping[str, Any], depth: int = 0) -> Tree:
    if depth > 20:
        return ANY
    if isinstance(declared, str):
        if declared.endswith("?"):
            return {"t": "optional", "of": cwl_tree(declared[:-1], named, depth + 1)}
        if declared.endswith("[]"):
            return {"t": "array", "items": cwl_tree(declared[:-2], named, depth + 1), "nonempty": False}
        if declared in _CWL_SCALARS:
            return {"t": _CWL_SCALARS[declared]}
        found = named.get(_short(declared))
        return cwl_tree(found, named, depth + 1) if found is not None else ANY
    if isinstance(declared, list):
        members = [cwl_tree(member, named, depth + 1) for member in declared]
        nullable = any(m["t"] in ("null", "optional") for m in members)
        rest = [m["of"] if m["t"] == "optional" else m for m in members if m["t"] != "null"]
        tree = rest[0] if len(rest) == 1 else {"t": "union", "of": rest}
        return {"t": "optional", "of": tree} if nullable else tree
    if isinstance(declared, Mapping):
        kind = declared.get("type")
        if kind == "array":
            return {"t": "array", "items": cwl_tree(declared.get("items"), named, depth + 1), "nonempty": False}
        if kind == "enum":
            return {"t": "enum", "symbols": [_short(str(s)) for s in declared.get("symbols") or []]}
        if kind == "record":
            fields = declared.get("fields") or []
            pairs = (fields.items() if isinstance(fields, Mapping) else
                     ((f.get("name"), f) for f in fields if isinstance(f, Mapping)))
            tree_fields = {}
            for name, field in pairs:
                field_type = field.get("type") if isinstance(field, Mapping) else field
                tree_fields[_short(str(name))] = cwl_tree(field_type, named, depth + 1)
            return {"t": "record", "name": _short(str(declared.get("name", "record"))), "fields": tree_fields,
                    "required": sorted(n for n, f in tree_fields.items() if f["t"] not in ("optional", "null"))}
        return cwl_tree(kind, named, depth + 1) if kind is not None else ANY
    return ANY


def _short(name: str) -> str:
    """``#main/sample/Sample`` or ``types.yml#Sample`` -> ``Sample``."""
    return name.split("#")[-1].split("/")[-1]


# -- Nextflow: JSON Schema ------------------------------------------------------------------------

_SCHEMA_TYPES = {"integer": "json_int", "number": "float", "string": "string", "boolean": "boolean",
                 "null": "null", "array": "array", "object": "object"}


def schema_tree(spec: Any, depth: int = 0) -> Tree:
    if not isinstance(spec, Mapping) or depth > 20:
        return ANY
    declared = spec.get("type")
    kinds = [declared] if isinstance(declared, str) else list(declared) if isinstance(declared, list) else []
    members = [_schema_kind(kind, spec, depth) for kind in kinds if kind in _SCHEMA_TYPES]
    tree = ANY if not members else members[0] if len(members) == 1 else {"t": "union", "of": members}
    enum = spec.get("enum")
    if isinstance(enum, list) and all(isinstance(s, (str, int, float, bool)) or s is None for s in enum):
        tree = {"t": "enum", "symbols": enum, "of": tree}
    return tree


def _schema_kind(kind: str, spec: Mapping[str, Any], depth: int) -> Tree:
    if kind == "array":
        return {"t": "array", "items": schema_tree(spec.get("items"), depth + 1), "nonempty": False}
    if kind == "object" and isinstance(spec.get("properties"), Mapping):
        fields = {name: schema_tree(member, depth + 1) for name, member in spec["properties"].items()}
        required = [name for name in spec.get("required") or [] if isinstance(name, str)]
        return {"t": "record", "name": "object", "fields": fields, "required": sorted(required)}
    return {"t": _SCHEMA_TYPES[kind]}


# -- the check -----------------------------------------------------------------------------------

_WHAT = {"int": "an integer", "json_int": "an integer", "float": "a number", "string": "a string",
         "boolean": "a boolean", "object": "an object (mapping)", "array": "an array (list)",
         "map": "an object (mapping)", "pair": "an object with left and right", "record": "an object (mapping)",
         "cwl_file": "a CWL File object ({'class': 'File', 'location': 's3://...'})",
         "cwl_directory": "a CWL Directory object ({'class': 'Directory', 'location': 's3://...'})",
         "null": "null", "any": "a value (not null)"}


def problems(value: Any, tree: Tree, engine: str, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, what it must be) for each part of ``value`` that does not fit ``tree`` under ``engine``'s rules."""
    kind: str = tree.get("t", "")  # "" (no kind) fits no rule, as a missing one did
    if kind == "optional":
        if value is not None:
            yield from problems(value, tree["of"], engine, path)
        return
    if value is None:
        if kind not in ("null",):
            yield path, _describe(tree)
        return
    if kind in _SCALAR_KINDS:
        if not _scalar_fits(value, kind, engine == "WDL_LENIENT"):
            yield path, _WHAT[kind]
        return
    check = _COMPOSITE_CHECKS.get(kind)  # "any" (and "null" given a value) has nothing to check
    if check is not None:
        yield from check(value, tree, engine, path)


_SCALAR_KINDS = frozenset({"int", "json_int", "float", "string", "boolean", "cwl_file", "cwl_directory", "object"})


def _scalar_fits(value: Any, kind: str, lenient: bool) -> bool:
    """Whether a non-null ``value`` is of the scalar ``kind`` (``object``: any mapping, its members unchecked);
    ``lenient`` (WDL_LENIENT): numbers may be given as text."""
    if kind in ("int", "json_int"):
        return _fits_int(value, lenient or kind == "json_int", lenient)
    if kind == "float":
        return _number(value) or (lenient and isinstance(value, str) and _parses(value, float))
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("cwl_file", "cwl_directory"):
        return fits_type(value, kind)
    return isinstance(value, Mapping)  # "object"


def _enum_problems(value: Any, tree: Tree, engine: str, path: str) -> Iterator[tuple[str, str]]:
    if value not in tree["symbols"]:
        yield path, "one of " + ", ".join(repr(s) for s in tree["symbols"][:10])
    elif "of" in tree:
        yield from problems(value, tree["of"], engine, path)


def _union_problems(value: Any, tree: Tree, engine: str, path: str) -> Iterator[tuple[str, str]]:
    if not any(not list(problems(value, member, engine, path)) for member in tree["of"]):
        yield path, " or ".join(_describe(member) for member in tree["of"])


def _array_problems(value: Any, tree: Tree, engine: str, path: str) -> Iterator[tuple[str, str]]:
    items = tree["items"]
    if engine == "WDL_LENIENT" and isinstance(value, Mapping) and items.get("t") == "pair":  # Map -> Array[Pair]
        value = [{"left": k, "right": v} for k, v in value.items()]
    if not isinstance(value, (list, tuple)):
        yield path, _describe(tree)
        return
    if tree.get("nonempty") and not value:
        yield path, "a non-empty array (the type ends in +)"
    for index, item in enumerate(value):
        yield from problems(item, items, engine, f"{path}[{index}]")


def _map_problems(value: Any, tree: Tree, engine: str, path: str) -> Iterator[tuple[str, str]]:
    lenient = engine == "WDL_LENIENT"
    if lenient and isinstance(value, (list, tuple)) and all(_is_pair(item) for item in value):  # Array[Pair] -> Map
        value = {str(_pair(item)[0]): _pair(item)[1] for item in value}
    if not isinstance(value, Mapping):
        yield path, _describe(tree)
        return
    for key, item in value.items():
        key_kind = tree["key"].get("t")
        if key_kind in ("int", "float") and not _parses(str(key), int if key_kind == "int" else float):
            yield f"{path}[{key!r}]", f"a key that reads as {_WHAT[key_kind]}"
        yield from problems(item, tree["value"], engine, f"{path}[{key!r}]")


def _pair_problems(value: Any, tree: Tree, engine: str, path: str) -> Iterator[tuple[str, str]]:
    if not _is_pair(value):
        yield path, _WHAT["pair"]
        return
    left, right = _pair(value)
    yield from problems(left, tree["left"], engine, f"{path}.left")
    yield from problems(right, tree["right"], engine, f"{path}.right")


def _record_problems(value: Any, tree: Tree, engine: str, path: str) -> Iterator[tuple[str, str]]:
    if not isinstance(value, Mapping):
        yield path, _describe(tree)
        return
    for member in tree["required"]:
        if member not in value:
            yield f"{path}.{member}", f"given ({tree['name']} requires it)"
    for member, item in value.items():
        if member in tree["fields"]:
            yield from problems(item, tree["fields"][member], engine, f"{path}.{member}")


# The kinds whose values have parts (or alternatives) to check, each with its own check.
_COMPOSITE_CHECKS: dict[str, Callable[[Any, Tree, str, str], Iterator[tuple[str, str]]]] = {
    "enum": _enum_problems, "union": _union_problems, "array": _array_problems, "map": _map_problems,
    "pair": _pair_problems, "record": _record_problems,
}


def _describe(tree: Tree) -> str:
    kind: str = tree.get("t", "")  # "" (no kind) fits no rule, as a missing one did
    if kind == "optional":
        return _describe(tree["of"]) + " or null"
    if kind == "record":
        return f"an object ({tree['name']})"
    if kind == "union":
        return " or ".join(_describe(member) for member in tree["of"])
    if kind == "enum":
        return "one of " + ", ".join(repr(s) for s in tree["symbols"][:10])
    return _WHAT.get(kind, "a value")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fits_int(value: Any, integral_float: bool, from_string: bool) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    if integral_float and isinstance(value, float) and value.is_integer():
        return True
    if from_string and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return False
        return number.is_integer()
    return False


def _parses(text: str, kind: type) -> bool:
    try:
        kind(text.strip())
    except ValueError:
        return False
    return True


def _is_pair(value: Any) -> bool:
    return isinstance(value, Mapping) and {str(k).lower() for k in value} == {"left", "right"}


def _pair(value: Mapping[str, Any]) -> tuple[Any, Any]:
    lowered = {str(k).lower(): v for k, v in value.items()}
    return lowered["left"], lowered["right"]


def value_errors(name: str, value: Any, engine_type: Mapping[str, Any], *, values: bool = True) -> list[str]:
    """The problems of one parameter's value, each naming where in the value it is."""
    found = list(problems(value, engine_type["type"], engine_type.get("engine", "")))
    errors = []
    for path, what in found[:MAX_ERRORS]:
        part = _at(value, path)
        got = f"{type(part).__name__} {part!r}" if values and len(repr(part)) <= 60 else type(part).__name__
        errors.append(f"parameter {name!r}{path} must be {what}; got {got}" if not what.startswith("given") else
                      f"parameter {name!r}{path} must be {what}")
    if len(found) > MAX_ERRORS:
        errors.append(f"parameter {name!r}: and {len(found) - MAX_ERRORS} more problems")
    return errors


def _at(value: Any, path: str) -> Any:
    for step in re.findall(r"\[(\d+|'(?:[^'\\]|\\.)*')\]|\.(\w+)", path):
        index, member = step
        try:
            if member:
                value = value[member] if not (member in ("left", "right") and _is_pair(value)) else \
                    _pair(value)[0 if member == "left" else 1]
            elif index.startswith("'"):
                value = value[index[1:-1]]
            else:
                value = value[int(index)]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def qualifier(template: Mapping[str, Mapping[str, Any]]) -> Optional[str]:
    """How a parameter name may be qualified, as the engine reads inputs: the WDL main workflow's name (HealthOmics,
    "WDL workflow definition specifics", Namespace definition in input.json); ``""`` for Nextflow and CWL, which
    read no qualified names; ``None`` when the template does not say its engine (written by hand, or read from
    HealthOmics), where any ``Workflow.input`` is taken, as before."""
    for spec in template.values():
        engine_type = spec.get("engine_type") if isinstance(spec, Mapping) else None
        if isinstance(engine_type, Mapping) and engine_type.get("engine"):
            return str(engine_type.get("workflow") or "") if str(engine_type["engine"]).startswith("WDL") else ""
    return None


def fits_type(value: Any, kind: str) -> bool:
    """Whether ``value`` (known at synth) is of the template type ``kind`` (``workflow_definition.TYPES``)."""
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return ((isinstance(value, int) and not isinstance(value, bool))
                or (isinstance(value, float) and value.is_integer()))
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, (list, tuple))
    if kind == "object":
        return isinstance(value, Mapping)
    if kind in ("cwl_file", "cwl_directory"):  # CWL v1.2, "File" / "Directory": a class, and a location or path
        expected = "File" if kind == "cwl_file" else "Directory"
        return isinstance(value, Mapping) and value.get("class") == expected and (
            "location" in value or "path" in value or (expected == "File" and "contents" in value)
            or (expected == "Directory" and "listing" in value))
    return isinstance(value, (str, Mapping))  # file
