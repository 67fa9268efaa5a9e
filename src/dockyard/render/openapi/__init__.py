"""OpenAPI contracts: their documents (sources.py), validation (validate.py), the operations and
the credentials each one needs (operations.py), and what enforces them (istio.py)."""
