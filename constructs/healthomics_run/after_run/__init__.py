"""What happens after a run ends, declared at synth: the provenance writer (its function, role and rule).

The function itself is ``lambda/after_run``; what it shares with the commands is in ``service_calls``."""
