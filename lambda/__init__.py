"""The Lambda handlers, one package a function: ``start_run`` (deploy time) and ``after_run`` (after a run ends).

In a function each is a top-level package beside the shared rooms (``construct_helpers/lambda_assets.py``);
in the wheel they are ``healthomics_run.handlers.<name>``. Within a package imports are relative; the shared
code is imported as ``healthomics_run.run_model`` and ``healthomics_run.service_calls``.
"""
