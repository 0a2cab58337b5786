"""Scaling benchmark of healthomics-run (synthesis, CloudFormation/IAM limits, handler cost).

Run from the repository root: ``python -m bench.run``. Not a test: pytest never collects it.
"""
