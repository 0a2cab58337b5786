"""Every test checks something: a test that asserts nothing passes whatever the code does.

Each ``test_*`` function of ``tests/test_*.py`` (module level or in a class) must contain, anywhere in its body:

- an ``assert`` statement;
- ``pytest.raises``, ``pytest.warns``, ``pytest.fail`` or ``pytest.deprecated_call``;
- a call of a helper whose name starts with ``assert_``, ``check`` or ``expect`` (``ro_crate.assert_valid``,
  botocore's ``Stubber.assert_no_pending_responses``, ...);
- a call of an ``aws_cdk.assertions`` check, which raises when it does not hold (``Template.has_resource_properties``,
  ``resource_count_is``, ``Annotations.has_warning``, ...);

unless it is marked ``@pytest.mark.smoke``: it only shows that something runs without raising.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PYTEST_CHECKS = {"raises", "warns", "fail", "deprecated_call"}
HELPER_PREFIXES = ("assert_", "check", "expect")
# aws_cdk.assertions.Template / Annotations: each raises when what it looks for is not there.
CDK_CHECKS = {"has_resource", "has_resource_properties", "has_output", "has_parameter", "has_mapping",
              "has_condition", "has_warning", "has_error", "has_info", "has_no_warning", "has_no_error",
              "has_no_info", "resource_count_is", "resource_properties_count_is", "template_matches", "all_resources",
              "all_resources_properties"}


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _checks(node: ast.AST) -> bool:
    if isinstance(node, ast.Assert):
        return True
    if not isinstance(node, ast.Call):
        return False
    name = _name(node.func)
    on_pytest = isinstance(node.func, ast.Attribute) and _name(node.func.value) == "pytest"
    return (name in PYTEST_CHECKS and (on_pytest or isinstance(node.func, ast.Name))
            or name.startswith(HELPER_PREFIXES) or name in CDK_CHECKS)


def _is_smoke(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) == "pytest.mark.smoke":
            return True
    return False


def _tests(tree: ast.Module):
    for node in tree.body:
        bodies = node.body if isinstance(node, ast.ClassDef) else [node]
        yield from (f for f in bodies if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and f.name.startswith("test_"))


def unchecked(source: str) -> list[str]:
    """Names of the test functions in ``source`` that check nothing and are not marked smoke."""
    return [function.name for function in _tests(ast.parse(source))
            if not _is_smoke(function) and not any(_checks(node) for node in ast.walk(function))]


def test_every_test_function_checks_something():
    found = {str(path.relative_to(TESTS)): names for path in sorted(TESTS.rglob("test_*.py"))
             if "fixtures" not in path.parts and (names := unchecked(path.read_text(encoding="utf-8")))}
    assert not found, f"tests that check nothing (assert, or mark @pytest.mark.smoke): {found}"


@pytest.mark.parametrize("body", ["    value = compute()\n    print(value)\n", "    pass\n",
                                  "    assert_nothing = 1\n", "    def inner():\n        return 1\n    inner()\n"])
def test_the_checker_flags_a_test_without_a_check(body):
    assert unchecked(f"def test_nothing():\n{body}") == ["test_nothing"]


@pytest.mark.parametrize("body", ["    assert compute() == 1\n",
                                  "    with pytest.raises(ValueError):\n        compute()\n",
                                  "    pytest.fail('no')\n", "    assert_valid(compute())\n",
                                  "    stubber.assert_no_pending_responses()\n",
                                  "    template(stack).has_resource_properties('AWS::S3::Bucket', {})\n"])
def test_the_checker_accepts_a_test_that_checks(body):
    assert unchecked(f"def test_something():\n{body}") == []


def test_the_checker_accepts_a_smoke_test_and_reads_classes_and_only_tests():
    source = ("@pytest.mark.smoke\ndef test_runs():\n    compute()\n\n"
              "def helper():\n    compute()\n\n"
              "class TestThings:\n    def test_method(self):\n        compute()\n")
    assert unchecked(source) == ["test_method"]
