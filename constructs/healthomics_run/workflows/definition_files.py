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

import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Callable, Optional, Sequence

DEFAULT_EXCLUDES: tuple[str, ...] = (".git", ".nextflow*", "work", "results", "cromwell-executions",
                                     "cromwell-workflow-logs")
"""What a workflow's zip leaves out by default: version control and the run state engines leave where they run
(Nextflow: ``.nextflow/``, ``.nextflow.log*``, ``work/``, and ``results/``, nf-core's default ``outdir``;
Cromwell: ``cromwell-executions/``, ``cromwell-workflow-logs/``). CDK glob patterns: each matches the name at
any depth."""
# definitionUri: a zip in S3 of at most 100 MB (the page above, "Choose a workflow definition source").
MAX_ZIP_BYTES = 100 * 1000 * 1000
_DEFINITION_EXTENSIONS = {"WDL": ".wdl", "WDL_LENIENT": ".wdl", "NEXTFLOW": ".nf", "CWL": ".cwl"}


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
            raise DefinitionError(f"{self.label(name)}: not UTF-8 text ({error.reason} at byte {error.start})") from None

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

    def size_problems(self) -> list[str]:
        """The definition over HealthOmics' 100 MB for a zip in S3, naming its largest files.

        A folder is zipped later (by the CDK CLI, compressed); when its files add up to more than the
        limit, each is deflated here to measure what the zip would hold."""
        raw = sum(self.sizes.values())
        if raw <= MAX_ZIP_BYTES:
            return []
        size = self.path.stat().st_size if self.archive else sum(map(self._deflated, self.names))
        if size <= MAX_ZIP_BYTES:
            return []
        largest = sorted(self.sizes, key=lambda name: -self.sizes[name])[:5]
        named = ", ".join(f"{name} ({self.sizes[name] / 1e6:.1f} MB)" for name in largest)
        what = "is" if self.archive else "would zip to about"
        return [f"definition {str(self.path)!r} {what} {size / 1e6:.1f} MB; HealthOmics takes a definition of at "
                f"most {MAX_ZIP_BYTES // 1000 // 1000} MB from S3. Largest files: {named}. Leave out what the "
                "workflow does not need (exclude=[*DEFAULT_EXCLUDES, 'pattern']) or keep it in S3 as run input"]

    def _deflated(self, name: str) -> int:
        compressor, size = zlib.compressobj(9), 0
        with open(self.path / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                size += len(compressor.compress(block))
        return size + len(compressor.flush())


def _ignores(root: Path, exclude: Sequence[str]) -> Callable[[str], bool]:
    if not exclude:
        return lambda _: False
    from aws_cdk import GlobIgnoreStrategy

    return GlobIgnoreStrategy(str(root), list(exclude)).ignores


def some(names: Sequence[str]) -> str:
    names = list(names)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "") if names else "no files"
