"""The files of a workflow definition as CDK zips them and HealthOmics reads them.

A folder becomes a CDK file asset: CDK copies it (leaving out what ``exclude`` matches, with CDK's glob
semantics: a pattern without a ``/`` matches a name at any depth; ``aws_cdk.GlobIgnoreStrategy``) and zips
the copy. The asset hash, and so ``DefinitionUri``, is the digest of the files kept; a pattern that matches
nothing changes nothing. What is listed here is what that zip holds: the same ``GlobIgnoreStrategy`` decides,
directories it ignores are skipped whole, and symbolic links to directories are followed as CDK's staging
and zipping follow them.

A ``.zip`` is uploaded as it is (``exclude`` does not apply).

The main file, when ``main`` is not given, is chosen as HealthOmics documents it ("Package and supply a
HealthOmics workflow definition", ZIP archive layout and main definition file,
https://docs.aws.amazon.com/omics/latest/dev/workflow-defn-packaging.html): among the definition files (an
extension of the engine: ``.wdl``, ``.nf``, ``.cwl``; hidden files and folders ignored) those closest to the
archive root; the only one whatever its name, else the one named ``main.<ext>``. A zip made with
``zip -r`` (everything under one top folder) is read the same way: that folder's files are the closest.
"""

from __future__ import annotations

import fnmatch
import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Callable, Optional, Sequence

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git", ".nextflow*", "work", "results", "cromwell-executions", "cromwell-workflow-logs",
    ".nf-test", ".nf-test.log", "null",
    "[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]_[0-9][0-9][0-9][0-9][0-9][0-9]_*", "_LAST",
    "__pycache__", "*.pyc", ".DS_Store", "Thumbs.db", ".idea", ".vscode", "*.swp", ".*.swp")
"""What a workflow's zip leaves out by default: version control and what the field's tools leave where they run.
CDK glob patterns: each matches the name at any depth. Where each comes from:

- git: ``.git`` (a folder, or a file in a worktree or submodule).
- Nextflow: ``.nextflow/`` (cache and history), ``.nextflow.log`` and its rotated ``.nextflow.log.1``...,
  and ``work/``, the default work directory (Nextflow docs, "Cache and resume" and ``-work-dir``:
  https://www.nextflow.io/docs/latest/cache-and-resume.html); ``results/``, nf-core's default ``outdir``;
  ``null/``, the folder nf-core pipelines whose ``outdir`` defaults to ``null`` publish into when it is not
  given (nf-core/tools issue 3495, "Add check for default outdir to null").
- nf-test: ``.nf-test/`` (its working directory, ``workDir`` in ``nf-test.config``; askimed/nf-test issue 69,
  "nf-test init should add .nf-test to .gitignore") and ``.nf-test.log``.
- miniwdl: each ``miniwdl run`` makes ``<YYYYMMDD_HHMMSS>_<workflow>/`` in the current directory and points the
  ``_LAST`` link at it (miniwdl ``WDL/_util.py``, ``provision_run_dir``: ``strftime("%Y%m%d_%H%M%S") + "_" +
  name`` and ``_LAST``; https://miniwdl.readthedocs.io/en/latest/runner_reference.html).
- Cromwell: ``cromwell-executions/`` and ``cromwell-workflow-logs/``, its default execution and log roots
  (https://cromwell.readthedocs.io/en/stable/Configuring/).
- cwltool: nothing of a fixed name: it writes outputs under ``--outdir`` (default: the current directory) with
  the outputs' own names and its temporary folders under ``--tmpdir-prefix`` (default: the system's temporary
  folder) (cwltool(1), ``--outdir``, ``--tmpdir-prefix``: https://manpages.debian.org/testing/cwltool/cwltool.1.en.html):
  give their names yourself.
- Python: ``__pycache__/`` and ``*.pyc`` (PEP 3147, "PYC Repository Directories").
- Editors and operating systems: ``.DS_Store`` (macOS Finder), ``Thumbs.db`` (Windows Explorer), ``.idea/``
  (JetBrains IDEs), ``.vscode/`` (Visual Studio Code), ``*.swp`` and ``.*.swp`` (Vim swap files, hidden ones
  too: ``*`` does not match a leading dot), as GitHub's gitignore templates list them (github/gitignore,
  ``Global/macOS.gitignore``, ``Global/Windows.gitignore``, ``Global/JetBrains.gitignore``,
  ``Global/VisualStudioCode.gitignore``, ``Global/Vim.gitignore``).

Every pattern only leaves out more: a folder holding none of these files zips as before (same asset hash)."""
REPOSITORY_EXCLUDES: tuple[str, ...] = (
    "README*", "CHANGELOG*", "CONTRIBUTING*", "CODE_OF_CONDUCT*", "docs", "tests", ".github", ".gitlab",
    ".gitlab-ci.yml", ".circleci", ".devcontainer", ".gitpod.yml", ".pre-commit-config.yaml", ".editorconfig",
    ".prettierrc.yml", ".prettierignore", ".gitignore", ".gitattributes")
"""Left out as well, by default, when the definition is a repository's root (it holds ``.git``, as an nf-core
pipeline's repository does): the repository's documentation, tests and CI, which are not part of the workflow
(a README-only commit must not replace the workflow). ``LICENSE`` and ``CITATIONS.md`` stay: a licence travels
with the code it covers. CDK glob patterns, so a nested ``README.md`` or a module's ``tests/`` (nf-core modules
keep their nf-test files there) is left out too. A file named by ``readme_path``, ``main`` or
``parameter_template_path`` is always kept; give ``exclude=`` to choose yourself (it replaces both lists)."""
# definitionUri: a zip in S3 of at most 100 MB (the page above, "Choose a workflow definition source").
MAX_ZIP_BYTES = 100 * 1000 * 1000
# How the CDK CLI zips a folder asset (aws-cdk 2.1148.1, node_modules/aws-cdk/lib/index.js, ``zipDirectory`` of
# cdk-assets' ``archive``): every file found by ``fast-glob`` ("**", dot files, links followed) is added with yazl
# 3.3.1's ``ZipFile.addBuffer`` and no compression option, so yazl's ``determineCompressionLevel`` gives raw
# DEFLATE at level 6 (zlib's default); each entry has a 30-byte local header and a 46-byte central directory
# record, each with the UTF-8 name (no extra fields: ``forceDosTimestamp``, CRC and sizes known, so no data
# descriptor), and the archive a 22-byte end record (zip64 records past 65,535 entries).
ZIP_LEVEL = 6
ZIP_ENTRY_BYTES = 30 + 46
ZIP_END_BYTES = 22
ZIP64_END_BYTES = 56 + 20
ZIP_MARGIN = 0.005
"""The CLI deflates with Node's zlib (Chromium's fork), which finds slightly different matches than the zlib
Python links: on source text its output measured 0.05% larger (on DNA text 2% smaller). The estimate is
raised by 0.5% so that the check never passes a folder whose zip the upload would refuse."""
_DEFINITION_EXTENSIONS = {"WDL": ".wdl", "WDL_LENIENT": ".wdl", "NEXTFLOW": ".nf", "CWL": ".cwl"}


def default_excludes(definition: Path, keep: Sequence[Optional[str]] = ()) -> list[str]:
    """What ``exclude`` is when not given: ``DEFAULT_EXCLUDES``, and ``REPOSITORY_EXCLUDES`` too when the definition
    is a repository's root (a folder holding ``.git``), without those that would leave out a path of ``keep``
    (``main``, ``readme_path``, ``parameter_template_path``: files HealthOmics reads from the zip)."""
    if not (definition.is_dir() and (definition / ".git").exists()):
        return list(DEFAULT_EXCLUDES)
    parts = [part for path in keep if path for part in PurePosixPath(path).parts]
    return [*DEFAULT_EXCLUDES, *(pattern for pattern in REPOSITORY_EXCLUDES
                                 if not any(fnmatch.fnmatchcase(part, pattern) for part in parts))]


class DefinitionError(ValueError):
    """A definition that cannot be read as HealthOmics would read it; the message names the file."""


class DefinitionFiles:
    """The files of a folder (as CDK zips it) or of a ``.zip``, by POSIX path relative to its root."""

    def __init__(self, path: Path, names: dict[str, int], read: Callable[[str], bytes], *, archive: bool,
                 excluded: Sequence[str] = ()) -> None:
        self.path, self.sizes, self._read, self.archive = path, names, read, archive
        self.names = sorted(names)
        self.excluded = list(excluded)
        """What ``exclude`` left out (a folder's whole path once, not its files)."""

    @classmethod
    def of(cls, path: Path, exclude: Sequence[str] = ()) -> "DefinitionFiles":
        return cls.of_zip(path) if path.is_file() else cls.of_folder(path, exclude)

    @classmethod
    def of_folder(cls, path: Path, exclude: Sequence[str]) -> "DefinitionFiles":
        root = Path(os.path.realpath(path))
        ignores = _ignores(root, exclude)
        files: dict[str, int] = {}
        excluded: list[str] = []
        seen: set[str] = set()

        def walk(folder: Path, relative: str) -> None:
            real = os.path.realpath(folder)
            if real in seen:  # a link back up the tree: CDK would not copy a loop either
                return
            seen.add(real)
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                name = f"{relative}{entry.name}"
                if ignores(str(root / name)):
                    excluded.append(name)
                    continue
                if entry.is_dir():  # follows links, as CDK's copy and zip do
                    walk(Path(entry.path), f"{name}/")
                elif entry.is_file():
                    files[name] = entry.stat().st_size
            seen.discard(real)

        walk(root, "")
        return cls(path, files, lambda name: (root / name).read_bytes(), archive=False, excluded=excluded)

    @classmethod
    def of_zip(cls, path: Path) -> "DefinitionFiles":
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise DefinitionError(f"{path}: not a readable .zip file ({error})") from None
        sizes = {info.filename: info.file_size for info in archive.infolist() if not info.is_dir()}
        return cls(path, sizes, archive.read, archive=True)

    def label(self, name: str) -> str:
        return f"{self.path}!{name}" if self.archive else str(self.path / name)

    def text(self, name: str) -> str:
        try:
            return self._read(name).decode("utf-8")
        except UnicodeDecodeError as error:
            raise DefinitionError(f"{self.label(name)}: not UTF-8 text "
                                  f"({error.reason} at byte {error.start})") from None

    def main(self, engine: str, main: Optional[str]) -> str:
        """``main`` if given (it must be one of the files), else the main file as HealthOmics chooses it."""
        if main is not None:
            if main not in self.sizes:
                raise DefinitionError(f"{self.path}: main file {main!r} not found in the definition "
                                      f"(it has {some(self.names)})")
            return main
        extension = _DEFINITION_EXTENSIONS[engine]
        candidates = [name for name in self.names if name.endswith(extension)
                      and not any(part.startswith(".") for part in name.split("/"))]
        if not candidates:  # no file of this engine at all: the definition is likely of another engine
            other = sorted({name for name, ext in _DEFINITION_EXTENSIONS.items() if name not in (engine, "WDL_LENIENT")
                            and any(n.endswith(ext) for n in self.names)})
            if other:
                raise DefinitionError(f"{self.path}: no {engine} file in it ({some(self.names)}); it looks like "
                                      f"{' or '.join(other)}: give engine={' or engine='.join(other)}")
            raise DefinitionError(f"{self.path}: no {engine} definition file (*{extension}) in the definition "
                                  f"(it has {some(self.names)}); give main=")
        depth = min(name.count("/") for name in candidates)
        closest = [name for name in candidates if name.count("/") == depth]
        if len(closest) == 1:
            return closest[0]
        named_main = [name for name in closest if PurePosixPath(name).name == f"main{extension}"]
        if named_main:
            return named_main[0]
        raise DefinitionError(f"{self.path}: cannot tell the main {engine} file: {some(closest)} are equally close "
                              f"to the root and none is main{extension}; give main= or rename one main{extension}")

    def size_problems(self, limit: Optional[int] = None) -> list[str]:
        """The definition over HealthOmics' 100 MB for a zip in S3, naming its largest files.

        A folder is zipped later, by the CDK CLI (see ``ZIP_LEVEL``), so its zip is measured as the CLI makes
        it: first an upper bound that reads no file (each file's size plus what DEFLATE may add to incompressible
        data, zlib's ``deflateBound``, plus the zip's headers); only when that is over the limit are the files
        deflated at the CLI's level, largest first, stopping as soon as the answer is known (the total is over
        the limit, or what is measured plus the bound of the rest is within it). Deflated sizes are kept for
        the process by path, size and modification time, so a second workflow of the same folder reads
        nothing again."""
        limit = MAX_ZIP_BYTES if limit is None else limit
        if self.archive:
            size = self.path.stat().st_size
            return [] if size <= limit else self._too_large(size, limit)
        root = Path(os.path.realpath(self.path))
        fixed = ZIP_END_BYTES + (ZIP64_END_BYTES if len(self.names) >= 65535 else 0) + sum(
            ZIP_ENTRY_BYTES + 2 * len(name.encode("utf-8")) for name in self.names)
        bounds = {name: _deflate_bound(self.sizes[name]) for name in self.names}
        rest = sum(bounds.values())
        if fixed + rest <= limit:
            return []
        measured = 0
        for name in sorted(self.names, key=lambda n: -self.sizes[n]):
            measured += _deflated(root / name)
            rest -= bounds[name]
            if (fixed + measured) * (1 + ZIP_MARGIN) > limit:
                return self._too_large(int((fixed + measured) * (1 + ZIP_MARGIN)), limit)
            if (fixed + measured) * (1 + ZIP_MARGIN) + rest <= limit:
                return []
        return []

    def _too_large(self, size: int, limit: int) -> list[str]:
        largest = sorted(self.sizes, key=lambda name: -self.sizes[name])[:5]
        named = ", ".join(f"{name} ({self.sizes[name] / 1e6:.1f} MB)" for name in largest)
        what = "is" if self.archive else "would zip to at least"
        return [f"definition {str(self.path)!r} {what} {size / 1e6:.1f} MB; HealthOmics takes a definition of at "
                f"most {limit / 1e6:g} MB from S3. Largest files: {named}. Leave out what the "
                "workflow does not need (exclude=[*DEFAULT_EXCLUDES, 'pattern']) or keep it in S3 as run input"]


_DEFLATED: dict[tuple[str, int, int], int] = {}


def _deflate_bound(size: int) -> int:
    """The most raw DEFLATE makes of ``size`` bytes (zlib's ``deflateBound`` for the default window and memory
    level, without a zlib wrapper)."""
    return size + (size >> 12) + (size >> 14) + (size >> 25) + 7


def _deflated(path: Path) -> int:
    """The raw DEFLATE size of the file at level ``ZIP_LEVEL``, as the CLI's yazl makes it; cached by path, size
    and modification time."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DEFLATED:
        compressor, size = zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15), 0
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                size += len(compressor.compress(block))
        _DEFLATED[key] = size + len(compressor.flush())
    return _DEFLATED[key]


def _ignores(root: Path, exclude: Sequence[str]) -> Callable[[str], bool]:
    if not exclude:
        return lambda _: False
    from aws_cdk import GlobIgnoreStrategy

    return GlobIgnoreStrategy(str(root), list(exclude)).ignores


def some(names: Sequence[str]) -> str:
    names = list(names)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "") if names else "no files"
