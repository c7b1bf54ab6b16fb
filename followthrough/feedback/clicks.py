"""Counting clicks on tracked review links, without counting machines.

Mail security gateways open every link in a message to check it, usually within seconds of
delivery and often with HEAD. Those visits are not people, so they are not counted; the
visitor is still redirected, so nothing breaks for a person we misjudge."""

import datetime as dt
import re

from django.utils import timezone

SCANNER_AGENTS = re.compile(
    r"safelinks|microsoft office|defender|proofpoint|mimecast|barracuda|google-safety|"
    r"googleimageproxy|symantec|forcepoint|trendmicro|sophos|fireeye|zscaler|"
    r"bot\b|bot/|crawler|spider|preview|headless|python-requests|curl/|wget/|go-http-client",
    re.IGNORECASE,
)
# A person needs more than this to open a message and click.
TOO_SOON = dt.timedelta(seconds=2)


def is_scanner(request, sent_at=None, now=None) -> bool:
    if request.method != "GET":
        return True
    agent = request.headers.get("User-Agent", "")
    if not agent or SCANNER_AGENTS.search(agent):
        return True
    purpose = (request.headers.get("Purpose", "") + request.headers.get("Sec-Purpose", ""))
    if "prefetch" in purpose.lower() or request.headers.get("X-Moz", "") == "prefetch":
        return True
    now = now or timezone.now()
    return bool(sent_at and now - sent_at < TOO_SOON)
