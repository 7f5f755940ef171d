"""Schemathesis hooks for test/fuzz/run-schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

The run checks positive_data_acceptance: a request the spec accepts must not
answer 400. The spec states every rule of a single value the chaincode
enforces (patterns, bounds), but some 400s follow from rules no schema can
state, because they need the ledger or join several values. The API documents
each of them; this drops the failures they cause, and only those, by the
answer's message (and, for a message that could come from a rule of a single
value, by the operation that documents it):

- cursor: a cursor (or the bookmark inside it) that this list did not hand
  out; validity depends on the list and its filters, so a generated one is foreign;
- filters: GET /v1/audit/accesses with more than one of modelId, mspId, caller
  and licenseId; OpenAPI cannot make query parameters exclusive of each other;
- asset id: GET /v1/audit/history/{assetType}/{assetId} with an id of another
  asset type's form (an account id for a model); one path parameter's format
  depends on the other's value;
- unknown id: a write whose body names a model, version, offering or licence
  the ledger does not hold (`offeringId refers to no offering`), or an offering
  of another model; a record the path names answers 404 instead, which the
  check accepts;
- shares: a royalty policy whose beneficiaries' shares do not add up to 10000,
  or its parents' to more; a schema cannot add up list entries;
- twice: a royalty policy or a bundle that names an account, a parent model or
  a licence twice; a schema can refuse equal entries, not entries equal in one
  member;
- own account: a token or unit transfer to the very account it comes from,
  or a purchase from a listing the paying account sells; which account that
  is depends on the caller's identity, not on the request;
- bundle: a bundle listing whose licences are not all held by one account, or
  a purchase that names units from a listing that is a bundle on the ledger;
- lineage: a royalty policy whose parent is the model itself or descends from
  it; a lineage consent for a model the child does not pay, or for more than
  it pays now (`shareBps` is bounded by the child's policy on the ledger);
- voting: a governance policy whose minVotingSeconds exceeds its
  maxVotingSeconds (defaults filled in), and a proposal whose votingSeconds
  lies outside the model's policy bounds on the ledger;
- batch: an inference request whose inputs disagree on the batch size; a
  schema cannot compare the inputs;
- price: a purchase whose units at the offering's unit price (on the ledger)
  would cost more than the chaincode's bound on an amount, 10^30.

Any other 400 to a schema-valid request still fails the run. With
MLL_FUZZ_DROPPED_LOG set, each dropped failure appends its rule's name there,
so the run can say how many it let through.

One more hook steers the stateful phase: a royalty policy drawn at random
almost never adds up, so without it no model would be registered there, and
nothing would follow from one. In that phase's schema-valid requests, it
gives the beneficiaries (each account once) equal shares of 10000 and drops
the parents (ids drawn at random name no model). The other phases keep the
policies as drawn, so the shares rule still answers.
"""

import json
import os
import re

import schemathesis

ANY = None
# Field names as the chaincode writes them: `royaltyPolicy.parents[0].modelId`.
FIELD = r"[\w.\[\]]+"

# The rules above: (name, the operation's path or ANY, the message as src/services and the chaincode word it).
DOCUMENTED = [
    (
        "cursor",
        ANY,
        r"^(cursor is not a cursor returned by this API"
        r"|INVALID_ARGUMENT: bookmark (is not a bookmark of this query|must be a bookmark returned by an earlier page))",
    ),
    ("filters", ANY, r"^(query\.\w+, )+query\.\w+ exclude each other"),
    ("asset id", ANY, r"^INVALID_ARGUMENT: assetId (must be |is required)"),
    ("unknown id", ANY, rf"^INVALID_ARGUMENT: {FIELD} (refers to no |is an offering of \S+, not of )"),
    ("shares", ANY, rf"^INVALID_ARGUMENT: {FIELD} shares must sum to "),
    ("twice", ANY, rf"^INVALID_ARGUMENT: {FIELD} must not name (an account|a model|a licence) twice$"),
    (
        "own account",
        ANY,
        r"^INVALID_ARGUMENT: (to must differ from the (sending account|holder)$"
        r"|payer must not be the seller of the listing)",
    ),
    ("bundle", ANY, r"^INVALID_ARGUMENT: items\[[0-9]+\]\.licenseId must be held by the same account as the other "),
    ("bundle", "/v1/listings/{listingId}/trades", r"^INVALID_ARGUMENT: units must be empty: a bundle is bought whole$"),
    (
        "lineage",
        ANY,
        rf"^INVALID_ARGUMENT: (parentModelId is not a parent of model "
        rf"|{FIELD} (must not be the model itself|descends from \S+, which would make the lineage a cycle)$)",
    ),
    ("lineage", "/v1/models/{modelId}/lineage-consents", r"^INVALID_ARGUMENT: shareBps must be between 0 and [0-9]+$"),
    ("voting", ANY, rf"^INVALID_ARGUMENT: {FIELD}\.minVotingSeconds must not exceed maxVotingSeconds$"),
    ("voting", "/v1/proposals", r"^INVALID_ARGUMENT: votingSeconds must be between [0-9]+ and [0-9]+$"),
    ("batch", ANY, r"^inputs disagree on the batch size "),
    ("price", "/v1/purchases", r"^INVALID_ARGUMENT: units [0-9]+ at this price exceed [0-9]+$"),
]
RULES = [(name, path, re.compile(pattern)) for name, path, pattern in DOCUMENTED]

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
    for name, path, rule in RULES:
        if path in (ANY, case.path) and rule.search(message):
            log = os.environ.get("MLL_FUZZ_DROPPED_LOG")
            if log:
                with open(log, "a", encoding="utf-8") as out:
                    out.write(f"{name}\n")
            return False
    return True


def _royalty_policy(case):
    """The royalty policy a write's body carries, if it carries one."""
    body = case.body if isinstance(case.body, dict) else {}
    if case.path == "/v1/models":
        policy = body.get("royaltyPolicy")
    elif case.path == "/v1/models/{modelId}/royalty-policy":
        policy = body
    elif case.path == "/v1/proposals" and isinstance(body.get("change"), dict):
        policy = body["change"].get("royaltyPolicy")
    else:
        policy = None
    return policy if isinstance(policy, dict) and isinstance(policy.get("beneficiaries"), list) else None


@schemathesis.hook
def map_case(context, case):
    """In the stateful phase, makes a schema-valid royalty policy one the chaincode takes."""
    meta = case.meta
    if case.method == "GET" or meta is None or meta.phase.name != "stateful" or not meta.generation.mode.is_positive:
        return case
    policy = _royalty_policy(case)
    if policy is None:
        return case
    accounts = {entry["account"]: entry for entry in policy["beneficiaries"] if isinstance(entry, dict) and "account" in entry}
    if not accounts:
        return case
    share, rest = divmod(10000, len(accounts))
    policy["beneficiaries"] = [
        {**entry, "shareBps": share + (rest if index == 0 else 0)} for index, entry in enumerate(accounts.values())
    ]
    policy.pop("parents", None)
    return case
