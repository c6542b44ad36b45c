"""The evaluators' suite: question files → the assistant → scored results → reports."""
