"""``healthomics-run provenance STACK``: write the provenance records a stack's ended runs are missing."""
