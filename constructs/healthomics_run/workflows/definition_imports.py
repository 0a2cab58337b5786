"""The files a definition's main file imports, resolved at synth inside what will be zipped.

HealthOmics runs what is in the zip and nothing else: "create a zip archive of the workflow definition files and
any dependencies, such as subworkflows" ("HealthOmics workflow definition requirements",
https://docs.aws.amazon.com/omics/latest/dev/workflow-defn-requirements.html). So every file the main file
imports, and every file those import, must be inside the zipped folder (and not left out by ``exclude``). What
each engine imports, and from where:

- WDL: ``import "path" [as name]``; a relative path is resolved against the importing file's folder
  (WDL 1.1 specification, "Import Statements", https://github.com/openwdl/wdl/blob/wdl-1.1/SPEC.md#import-statements;
  miniwdl does the same).
- Nextflow: ``include { X; Y as Z } from './path'``; the path is resolved against the including script's
  location, ``.nf`` may be left out, and a folder stands for its ``main.nf`` (Nextflow, "Modules", Module
  inclusion and Module directory, https://www.nextflow.io/docs/latest/module.html). ``plugin/...`` sources
  are plugins, not files.
- CWL: a step's ``run:`` (a file, or ``#id`` in the same document), and Schema Salad's ``$import`` and
  ``$include``, each resolved against the document's own location (CWL v1.2 "WorkflowStep",
  https://www.commonwl.org/v1.2/Workflow.html#WorkflowStep; Schema Salad "Import" and "Include",
  https://www.commonwl.org/v1.2/SchemaSalad.html#Import).

A reference by ``http://`` or ``https://`` URL gets a synth warning (``URL_IMPORT_WARNING_ID``): HealthOmics
takes the definition and its dependencies from the zip, and its runs reach the internet only through a VPC
configuration; bundle the file instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, Optional

from .definition_files import DefinitionError, DefinitionFiles, some

URL_IMPORT_WARNING_ID = "healthomics-run::workflow-url-import"
_WDL_IMPORT = re.compile(r"^[ \t]*import\s+(?:\"([^\"]*)\"|'([^']*)')", re.M)
_NEXTFLOW_INCLUDE = re.compile(r"^[ \t]*include\s*\{[^}]*\}\s*from\s*(?:\"([^\"]*)\"|'([^']*)')", re.M)
_CWL_EXTENSIONS = (".cwl", ".yml", ".yaml", ".json")


def import_problems(files: DefinitionFiles, engine: str, main: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) for the imports of ``main``, followed recursively."""
    errors: list[str] = []
    warnings: list[str] = []
    seen = {main}
    queue = [main]
    while queue:
        name = queue.pop(0)
        for reference in _references(files, engine, name):
            if re.match(r"https?://", reference, re.I):
                warnings.append(f"{files.label(name)} imports {reference}, a URL: HealthOmics runs the definition "
                                "from its zip and does not fetch imports from the web; copy the file into the "
                                "definition and import it by a relative path")
                continue
            if re.match(r"[a-z][a-z0-9+.-]*://", reference, re.I) or reference.startswith("/"):
                errors.append(f"{files.label(name)} imports {reference!r}, which is not a path inside the definition: "
                              "HealthOmics reads only the zip; import it by a path relative to the importing file")
                continue
            found, problem = _resolve(files, engine, name, reference)
            if problem:
                errors.append(problem)
            elif found is not None and found not in seen and _readable(engine, found):
                seen.add(found)
                queue.append(found)
    return errors, warnings


def _readable(engine: str, name: str) -> bool:
    if engine == "NEXTFLOW":
        return name.endswith(".nf")
    if engine == "CWL":
        return name.endswith(_CWL_EXTENSIONS)
    return name.endswith(".wdl")


def _references(files: DefinitionFiles, engine: str, name: str) -> Iterator[str]:
    try:
        text = files.text(name)
    except DefinitionError:
        return
    if engine in ("WDL", "WDL_LENIENT"):
        from .workflow_definition import _strip_wdl_comments

        for match in _WDL_IMPORT.finditer(_strip_wdl_comments(text)):
            yield match[1] if match[1] is not None else match[2]
    elif engine == "NEXTFLOW":
        code = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m[0]), text, flags=re.S)
        code = re.sub(r"^[ \t]*//.*$", "", code, flags=re.M)
        for match in _NEXTFLOW_INCLUDE.finditer(code):
            source = match[1] if match[1] is not None else match[2]
            if not source.startswith("plugin/"):
                yield source
    elif engine == "CWL":
        from .workflow_definition import _cwl_document

        try:
            document = _cwl_document(text, files.label(name))
        except DefinitionError:
            return
        yield from _cwl_references(document)


def _cwl_references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$import", "$include") and isinstance(value, str):
                yield value
            elif key == "run" and isinstance(value, str) and not value.startswith("#"):
                yield value.split("#", 1)[0]
            else:
                yield from _cwl_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _cwl_references(item)


def _resolve(files: DefinitionFiles, engine: str, name: str, reference: str) -> tuple[Optional[str], Optional[str]]:
    """(the file of the zip ``reference`` names, or None; the problem, or None)."""
    folder = PurePosixPath(name).parent
    joined = os.path.normpath((folder / reference).as_posix()) if reference else "."
    joined = joined.replace(os.sep, "/")
    if joined == ".." or joined.startswith("../"):
        return None, _outside(files, name, reference, joined)
    candidates = [joined]
    if engine == "NEXTFLOW":
        candidates = [joined, f"{joined}.nf", f"{joined}/main.nf"] if not joined.endswith(".nf") else [joined]
    for candidate in candidates:
        if candidate in files.sizes:
            return candidate, None
    return None, _missing(files, name, reference, candidates)


def _outside(files: DefinitionFiles, name: str, reference: str, joined: str) -> str:
    message = (f"{files.label(name)} imports {reference!r}, which is outside the definition "
               f"{str(files.path)!r}: HealthOmics gets only the zip, so the import would fail when the workflow is "
               "created")
    if files.archive:
        return message + "; zip the folder that holds both files"
    root = Path(os.path.realpath(files.path))
    target = Path(os.path.normpath(root / joined))
    common = Path(os.path.commonpath([root, target]))
    main_from_common = (root / name).relative_to(common).as_posix()
    return message + (f" (it is {target}); give definition={str(common)!r} (the folder holding both) with "
                      f"main={main_from_common!r}, and exclude= for what the workflow does not need")


def _missing(files: DefinitionFiles, name: str, reference: str, candidates: list[str]) -> str:
    shown = " or ".join(candidates)
    message = f"{files.label(name)} imports {reference!r} ({shown}), which is not in the definition"
    if files.archive:
        return message + f" (it has {_some(files)})"
    for excluded in files.excluded:
        if any(c == excluded or c.startswith(excluded + "/") for c in candidates):
            return message + (f": exclude= leaves {excluded!r} out; give exclude= without the pattern that "
                              "matches it")
    root = Path(os.path.realpath(files.path))
    submodule = _empty_submodule(root, root / candidates[0])
    if submodule is not None:
        return message + (f": {str(submodule)!r} is a git submodule that is not checked out (empty, named in "
                          f".gitmodules); run `git submodule update --init --recursive` before synth")
    return message + f" (it has {_some(files)})"


def _empty_submodule(root: Path, target: Path) -> Optional[Path]:
    """The empty folder on the way to ``target`` that a ``.gitmodules`` of the repository names, if any."""
    for repository in (root, *root.parents):
        modules = repository / ".gitmodules"
        if modules.is_file():
            paths = re.findall(r"^\s*path\s*=\s*(.+?)\s*$", modules.read_text(errors="replace"), re.M)
            for path in paths:
                folder = repository / path
                if (folder == target or folder in target.parents) and folder.is_dir() and not any(folder.iterdir()):
                    return folder
            return None
        if (repository / ".git").exists():
            return None
    return None


def _some(files: DefinitionFiles) -> str:
    return some(files.names)
