"""Every service serves its OpenAPI document and a browsable view of it, from itself."""

from __future__ import annotations

import re

from libs.kit.tests.integration.probe import ProbeService


def test_the_document_and_its_page_are_served_with_their_assets(http, start_service):
    probe = start_service(ProbeService)
    document = http.get(f"{probe.url}/openapi.json")
    assert document.status_code == 200 and document.headers["Content-Type"] == "application/json"
    body = document.json()
    assert body["openapi"] == "3.1.0"
    assert "/cooperatives/{cooperative_id}/things" in body["paths"]
    assert body["servers"][0]["url"] == probe.url  # as it was reached, for "Try it out"

    page = http.get(f"{probe.url}/docs")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    # every asset the page loads is the service's own (no CDN), and each is served
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources)
    for source in sources:
        asset = http.get(f"{probe.url}/{source}")
        assert asset.status_code == 200 and len(asset.content) > 100, source
    assert http.get(f"{probe.url}/docs/static/swagger-ui-bundle.js").headers[
        "Content-Type"].startswith("application/javascript")
    missing = http.get(f"{probe.url}/docs/static/..%2Fcore.py")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
