"""What runs on a person's machine (or in CI): ``healthomics-run plan``, ``export-history``, ``status`` and
``provenance``. Nothing here is imported by a construct or shipped in a Lambda."""
