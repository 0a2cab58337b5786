"""README.md and the documentation pages (docs/*.md) as a guide: every ```python block runs as written, as
``python app.py`` in a folder of its own would run it, and relative links land on a file and a heading.
README.md stays short (at most 320 lines) and links every page.

Samples run in a temporary folder holding copies of ``config/`` and ``workflows/`` (samples name
those files by paths relative to the folder they run in, as a user's app would), with no AWS
credentials, and ``CDK_OUTDIR`` pointing into that folder: each must exit 0 and write a template. The
samples run in two Python processes, each running half of them in turn (``tests/sample_runner.py`` says
why, and what a process per sample would catch that this does not).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_LINES = 320
# README.md is also the package page, where only absolute links work: it links the pages by their address here.
REPOSITORY_FILES = "https://github.com/healthomics-run/healthomics-run/blob/main/"
SAMPLE_TIMEOUT_S = 240
WORKERS = 2
# Example values only: the one account id the README may use (AWS documentation's own example).
EXAMPLE_ACCOUNT = "123456789012"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def guides() -> list[Path]:
    """README.md and every documentation page."""
    return [README, *sorted(DOCS.glob("*.md"))]


def all_samples() -> list[tuple[str, str]]:
    """(page: heading, code) of every ```python block of the README and the pages."""
    return [(f"{path.relative_to(ROOT)}: {heading}", code)
            for path in guides() for heading, code in python_samples(path.read_text(encoding="utf-8"))]


def python_samples(text: str) -> list[tuple[str, str]]:
    """(the heading above it, the code) of each ```python block, in order."""
    samples, heading = [], "(top)"
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line.strip("# \n")
        if line.startswith("```"):
            language, body = line[3:].strip(), []
            index += 1
            while not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            if language == "python":
                samples.append((heading, "".join(body)))
        index += 1
    return samples


def _environment(folder: Path) -> dict[str, str]:
    """The environment of a user's shell with no AWS credentials at all, Node 22 first on PATH (as make sets it)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               CDK_OUTDIR=str(folder / "cdk.out"), TMPDIR=str(folder / "tmp"), PYTHONDONTWRITEBYTECODE="1")
    node = ROOT / "node_modules" / ".bin"
    if node.is_dir():
        env["PATH"] = f"{node}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_samples(numbered: list[tuple[int, str]]) -> dict[int, dict]:
    """Run samples in turn in one fresh folder and one Python process (``tests/sample_runner.py``); each
    sample's exit code, output and the templates it wrote, by number."""
    with tempfile.TemporaryDirectory(prefix="readme-samples-") as name:
        folder = Path(name)
        for needed in ("config", "workflows"):
            shutil.copytree(ROOT / needed, folder / needed)
        (folder / "tmp").mkdir()
        for number, code in numbered:
            (folder / f"sample-{number}.py").write_text(code, encoding="utf-8")
        command = [sys.executable, str(ROOT / "tests" / "sample_runner.py"), "results.jsonl",
                   *(str(number) for number, _ in numbered)]
        try:
            subprocess.run(command, cwd=folder, env=_environment(folder), capture_output=True, text=True,
                           timeout=SAMPLE_TIMEOUT_S * len(numbered))
            crash = ""
        except subprocess.TimeoutExpired:
            crash = f"timed out after {SAMPLE_TIMEOUT_S * len(numbered)} s"
        results_file = folder / "results.jsonl"
        lines = results_file.read_text().splitlines() if results_file.exists() else []
        results = {result["number"]: result for result in map(json.loads, lines)}
        for number, _ in numbered:
            log = folder / f"sample-{number}.log"
            output = log.read_text(errors="replace") if log.exists() else ""
            results.setdefault(number, {"exit": None, "templates": []})["output"] = output + crash
        return results


def test_the_readme_has_complete_python_samples():
    assert python_samples(readme()), "no sample in the README"
    samples = all_samples()
    assert len(samples) >= 8, [heading for heading, _ in samples]
    for heading, code in samples:
        assert "import aws_cdk as cdk" in code and "cdk.App(" in code, f"sample under '{heading}': no app"
        assert code.rstrip().endswith("app.synth()"), f"sample under '{heading}' does not end with app.synth()"


def test_every_python_sample_in_the_readme_and_the_pages_runs_as_written():
    samples = all_samples()
    numbered = list(enumerate(code for _, code in samples))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results: dict[int, dict] = {}
        for part in pool.map(run_samples, [numbered[worker::WORKERS] for worker in range(WORKERS)]):
            results.update(part)
    failures = [f"sample {number + 1} (under '{heading}'): exit {results[number]['exit']}, "
                f"templates {results[number]['templates']}\n{results[number]['output'][-3000:]}"
                for number, (heading, _) in enumerate(samples)
                if results[number]["exit"] != 0 or not results[number]["templates"]]
    assert not failures, "\n\n".join(failures)


def test_the_samples_use_example_values_only():
    for path in guides():
        accounts = set(re.findall(r"(?<![\d.])\d{12}(?![\d.])", path.read_text(encoding="utf-8")))
        assert accounts <= {EXAMPLE_ACCOUNT}, (path.name, accounts)
    for heading, code in all_samples():
        buckets = re.findall(r"from_bucket_name\([^)]*?\"([^\"]+)\"\)", code) + re.findall(r"s3://([^/\"'{]+)", code)
        assert all(bucket.startswith("example-") for bucket in buckets), (heading, buckets)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _outside_code(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


def _anchors(path: Path) -> set[str]:
    return {_anchor(line.lstrip("#")) for line in _outside_code(path.read_text(encoding="utf-8")).splitlines()
            if line.startswith("#")}


def _relative_links(path: Path) -> set[str]:
    """The links of a page that are neither absolute (a scheme) nor mail: ``#anchor``, ``file.md``,
    ``file.md#anchor``."""
    links = re.findall(r"\]\(([^)\s]+)\)", _outside_code(path.read_text(encoding="utf-8")))
    up = "../" * len(path.parent.relative_to(ROOT).parts)
    links = [up + link.removeprefix(REPOSITORY_FILES) if link.startswith(REPOSITORY_FILES + "docs/") else link
             for link in links]
    return {link for link in links if not re.match(r"^[a-z][a-z0-9+.-]*:", link)}


def test_relative_links_of_the_readme_and_the_pages_land_on_a_file_and_a_heading():
    broken = []
    for path in guides():
        links = _relative_links(path)
        assert links or path != README, "no relative links in the README"
        for link in sorted(links):
            target, _, anchor = link.partition("#")
            file = (path.parent / target).resolve() if target else path
            if not file.exists():
                broken.append(f"{path.relative_to(ROOT)}: {link} (no such file)")
            elif anchor and (file.suffix != ".md" or anchor not in _anchors(file)):
                broken.append(f"{path.relative_to(ROOT)}: {link} (no such heading)")
    assert not broken, "\n".join(broken)


def test_the_readme_is_short_and_links_every_page():
    lines = readme().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines, at most {README_MAX_LINES}"
    linked = {(ROOT / link.partition("#")[0]).resolve() for link in _relative_links(README) if not link.startswith("#")}
    missing = [page.name for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked]
    assert not missing, f"README.md links no page {missing}"


def test_the_contents_list_every_section_in_order():
    text = re.sub(r"^```.*?^```", "", readme(), flags=re.MULTILINE | re.DOTALL)
    sections = [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]
    contents = text.split("## Contents", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\d+\. \[[^\]]+\]\(#([^)]+)\)", contents, flags=re.MULTILINE)
    assert listed == [_anchor(section) for section in sections if section != "Contents"]
