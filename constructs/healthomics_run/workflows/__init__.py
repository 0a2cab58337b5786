"""Constructs of workflows as code: ``Workflow`` and ``WorkflowVersion`` from a local folder, what goes into
the zip, parameter templates read as the engines read them, and container image access."""
