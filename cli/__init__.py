"""The `lhl` command: the entry point sits above every room it drives (ingest, assistant, api,
eval); the shared core (lhl/) imports none of them."""
