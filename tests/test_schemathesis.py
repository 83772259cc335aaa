"""Property-based API tests from the service's own /openapi.json: no 5xx, every response matches."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from service import Settings, create_app


def _checker(operation: Any, tried: dict[str, int]) -> Callable[[], None]:
    @given(case=operation.as_strategy())
    @settings(max_examples=20, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        # every default check (no 5xx, documented status and content type, response schema,
        # schema-invalid input rejected) except positive_data_acceptance: a schema-valid body can
        # still be a documented 422, e.g. text with no Korean or English letters in it
        case.call_and_validate(excluded_checks=[positive_data_acceptance])
        tried[operation.label] = tried.get(operation.label, 0) + 1

    return check


def test_api_conforms_to_its_schema(model_settings: Settings, model_engine) -> None:
    # every task served (tiny real models), so a 5xx can only be a bug
    app_settings = replace(model_settings, max_body_bytes=64 * 1024, max_text_chars=3_000)
    app = create_app(app_settings, engine=model_engine)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    tried: dict[str, int] = {}
    for result in schema.get_all_operations():
        _checker(result.ok(), tried)()
    print(f"\nschemathesis: {sum(tried.values())} cases over {len(tried)} operations: {tried}")
    assert len(tried) >= 7
