//! Python bindings for regorus, exposing only what Dockyard's policy check needs: add policies,
//! set the input as JSON, and evaluate a query to JSON. Errors become Python ValueErrors.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

fn failed<E: std::fmt::Display>(error: E) -> PyErr {
    PyValueError::new_err(error.to_string())
}

#[pyclass(unsendable)]
struct Engine {
    inner: regorus::Engine,
}

#[pymethods]
impl Engine {
    #[new]
    fn new() -> Self {
        Engine { inner: regorus::Engine::new() }
    }

    /// Add one Rego module; returns its package name.
    fn add_policy(&mut self, path: String, source: String) -> PyResult<String> {
        self.inner.add_policy(path, source).map_err(failed)
    }

    /// Replace the input document with `json`.
    fn set_input_json(&mut self, json: &str) -> PyResult<()> {
        let value = regorus::Value::from_json_str(json).map_err(failed)?;
        self.inner.set_input(value);
        Ok(())
    }

    /// Evaluate `query`; the results as JSON (OPA's shape: result[].expressions[].value).
    fn eval_query_as_json(&mut self, query: String) -> PyResult<String> {
        let results = self.inner.eval_query(query, false).map_err(failed)?;
        serde_json::to_string(&results).map_err(failed)
    }
}

#[pymodule]
fn dockyard_rego(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Engine>()?;
    Ok(())
}
