"""The JSON API, v1. See docs/api.md for the guide; /api/v1/docs for the reference.

Every route authenticates with a business's API key and loads objects scoped to that
business, so another business's id is a 404, exactly like an id that does not exist.
Writes run in one transaction: a request either saves everything or nothing.

The routes live in followthrough.api.routes, one module a resource; what their lists
share is in followthrough.api.lists.
"""

from ninja import NinjaAPI

from followthrough.api import errors
from followthrough.api.auth import ApiKeyAuth
from followthrough.api.docs import LocalSwagger
from followthrough.api.routes import (
    customers,
    engagements,
    feedback,
    incidents,
    playbooks,
    promises,
    touchpoints,
)

ROUTES_PACKAGE = "followthrough.api.routes."


class FollowthroughApi(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """The operation ids the routes had when they all lived in this module, so clients
        generated from the schema keep working."""
        if operation.view_func.__module__.startswith(ROUTES_PACKAGE):
            return f"followthrough_api_api_{operation.view_func.__name__}"
        return super().get_openapi_operation_id(operation)


api = FollowthroughApi(
    title="Followthrough API",
    version="1",
    description=(
        "Send your sales, jobs and orders; Followthrough plans every touch point. "
        "Authenticate with `Authorization: Bearer <key>` (create a key with "
        "`followthrough apikey create --business SLUG`). Errors are "
        '`{"detail": [{"field": "won_at", "message": "..."}]}`. Datetimes must carry an '
        "offset (naive ones are refused); responses give them in the business's time zone."
    ),
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    docs=LocalSwagger(),
    docs_url="/docs",
)
errors.install(api)

ROUTERS = {"customers": customers.router, "engagements": engagements.router,
           "touchpoints": touchpoints.router, "playbooks": playbooks.router,
           "feedback": feedback.router, "incidents": incidents.router,
           "promises": promises.router}
for _prefix, _router in ROUTERS.items():
    api.add_router(f"/{_prefix}", _router)
