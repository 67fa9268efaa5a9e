"""Types of the regorus binding (src/lib.rs): errors are ValueErrors."""

class Engine:
    def __init__(self) -> None: ...
    def add_policy(self, path: str, source: str) -> str:
        """Add one Rego module; returns its package name."""
    def set_input_json(self, json: str) -> None:
        """Replace the input document with `json`."""
    def eval_query_as_json(self, query: str) -> str:
        """Evaluate `query`; the results as JSON (OPA's shape: result[].expressions[].value)."""
