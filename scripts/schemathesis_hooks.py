"""schemathesis hooks for scripts/schemathesis.sh.

Authentication: every request is sent as the seeded administrator, logging in again whenever
the token stops working.

A static `Authorization` header is not enough: the generated requests include administrative
changes to the administrator's own account (a tier change, say), and any change to an account
ends its sessions by design (`update_user`, crates/app/src/identity/admin.rs), so the token
the run started with would be revoked part-way and every later request answered 401. The
provider logs in once, and again after a 401 (schemathesis refetches on 401 by default), so
the run keeps reaching the core.

Existing data: a product's `categoryId` must name an existing category, which no schema can
say, so a generated UUID would be refused (400) and the product operations would rarely get
past validation. A generated UUID there is swapped for the id of one of the seeded categories
(chosen by the UUID, so the run stays reproducible); anything else generated — the other
fields, a `categoryId` that is not a UUID, `null` — is sent as generated.
"""

import functools
import os
import uuid

import requests
import schemathesis

BASE_URL = os.environ["AGORA_SCHEMATHESIS_BASE_URL"]
# The demo administrator `agora seed` creates (README "Two commands").
CREDENTIALS = {"email": "admin@agora.local", "password": "AgoraAdmin1"}


@schemathesis.auth()
class AdminToken:
    def get(self, case, context):
        response = requests.post(f"{BASE_URL}/api/auth/login", json=CREDENTIALS, timeout=10)
        response.raise_for_status()
        return response.json()["accessToken"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@functools.cache
def category_ids():
    response = requests.get(f"{BASE_URL}/api/categories", timeout=10)
    response.raise_for_status()
    return [category["id"] for category in response.json()["data"]]


def is_uuid(value):
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def with_existing_category(context, body):
    operation_id = context.operation.definition.raw.get("operationId") if context.operation else None
    if operation_id in ("create_product", "update_product") and isinstance(body, dict):
        category = body.get("categoryId")
        if isinstance(category, str) and is_uuid(category):
            ids = category_ids()
            body["categoryId"] = ids[uuid.UUID(category).int % len(ids)]
    return body


# The same change as a body hook and a case hook: schemathesis phases apply one or the other.
@schemathesis.hook
def map_body(context, body):
    return with_existing_category(context, body)


@schemathesis.hook
def map_case(context, case):
    case.body = with_existing_category(context, case.body)
    return case
