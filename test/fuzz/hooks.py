"""Schemathesis hooks for test/fuzz/run-schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

The run checks positive_data_acceptance: a request the spec accepts must not
answer 400. The spec states every rule of a single value the chaincode
enforces (patterns, bounds), but some 400s follow from rules no schema can
state, because they need the ledger or join several values. The API documents
each of them; this drops the failures they cause, and only those, by the
answer's message:

- cursor: a cursor (or the bookmark inside it) that this list did not hand
  out; validity depends on the list and its filters, so a generated one is foreign;
- filters: GET /v1/audit/accesses with more than one of modelId, mspId, caller
  and licenseId; OpenAPI cannot make query parameters exclusive of each other;
- asset id: GET /v1/audit/history/{assetType}/{assetId} with an id of another
  asset type's form (an account id for a model); one path parameter's format
  depends on the other's value.

Any other 400 to a schema-valid request still fails the run. With
MLL_FUZZ_DROPPED_LOG set, each dropped failure appends its rule's name there,
so the run can say how many it let through.
"""

import json
import os
import re

import schemathesis

# The messages of the rules above, as src/services and the chaincode word them.
DOCUMENTED = {
    "cursor": re.compile(
        r"^(cursor is not a cursor returned by this API"
        r"|INVALID_ARGUMENT: bookmark (is not a bookmark of this query|must be a bookmark returned by an earlier page))"
    ),
    "filters": re.compile(r"^(query\.\w+, )+query\.\w+ exclude each other"),
    "asset id": re.compile(r"^INVALID_ARGUMENT: assetId (must be |is required)"),
}

REJECTED_POSITIVE_DATA = "ST202"


def _message(response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or error.get("code") != "INVALID_ARGUMENT":
        return ""
    message = error.get("message")
    return message if isinstance(message, str) else ""


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keeps every failure but a documented 400 to a schema-valid request."""
    if getattr(failure, "code", None) != REJECTED_POSITIVE_DATA or response.status_code != 400:
        return True
    message = _message(response)
    for name, rule in DOCUMENTED.items():
        if rule.search(message):
            log = os.environ.get("MLL_FUZZ_DROPPED_LOG")
            if log:
                with open(log, "a", encoding="utf-8") as out:
                    out.write(f"{name}\n")
            return False
    return True
