"""Load the platform repo: find files, parse them safely, validate, merge layers with provenance."""
