"""What every construct room shares at synth: checks and warnings, IAM statements, lazy values, status-event
patterns and the code of the functions the library deploys."""
