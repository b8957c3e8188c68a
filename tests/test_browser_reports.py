"""The report and the dashboard in a real browser: the vendored Chart.js draws every chart
from the page's numbers, with no error in the console, on a desktop and on a phone. Then
the institution's administrator walks the pages of the Institution menu and the archive,
each within the phone's width."""

import pytest
from django.urls import reverse

from tests.screenshots import shot
from tests.test_browser import (  # noqa: F401 - fixtures
    VIEWPORTS,
    Shots,
    _log_in,
    _log_out,
    browser,
    site,
)

# In the order they are visited: the dashboard after logging in, then the report.
CHARTS = {
    "/dashboard/": ["chart-in-flight", "chart-over", "chart-published"],
    "/reports/monitoring/": ["chart-compliance", "chart-times", "chart-lanes", "chart-channels"],
}


def _keep_error(errors: list, message) -> None:
    """Console errors, but the browser's own ask for a favicon, which Siaran has none of."""
    if message.type == "error" and not message.location.get("url", "").endswith("favicon.ico"):
        errors.append(message.text)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_reports_draw_their_charts(browser, site, viewport):  # noqa: F811 - fixtures
    context = browser.new_context(**VIEWPORTS[viewport])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: _keep_error(errors, m))
    shots = Shots(page, f"reports-{viewport}")
    page.goto(f"{site}/accounts/login/?next=/dashboard/")
    _log_in(page, "rspon-direksi")
    for number, (path, canvases) in enumerate(CHARTS.items()):
        if number:  # the navigation bar leads to the report
            with page.expect_navigation():
                page.click(f"nav a[href='{path}']")
        assert page.url.endswith(path)
        for canvas in canvases:
            drawn = page.evaluate(
                """id => {
                    const chart = Chart.getChart(document.getElementById(id));
                    return chart ? chart.data.datasets.map(d => d.data.length) : null;
                }""",
                canvas,
            )
            assert drawn and all(length > 0 for length in drawn), (path, canvas)
        shots.take(path.strip("/").replace("/", "-"))
        if viewport == "desktop":
            shot(page, path.strip("/").split("/")[-1])  # "dashboard", "monitoring"
    # The demo's history gives the report's compliance chart finished steps to count.
    total = page.evaluate(
        """() => Chart.getChart(document.getElementById('chart-compliance'))
            .data.datasets.flatMap(d => d.data).reduce((a, b) => a + b, 0)"""
    )
    assert total > 0

    # The administrator's pages: the Institution menu's tabs, then the archive.
    from playwright.sync_api import expect

    _log_out(page)
    page.goto(site + reverse("orgs:people"))
    _log_in(page, "rspon-admin")
    tabs = {
        "people": reverse("orgs:people"),
        "lanes": reverse("orgs:lanes", args=["rspon-medsos"]),
        "acting": reverse("orgs:acting"),
        "calendar": reverse("orgs:calendar"),
        "channels": reverse("publishing:channels"),
    }
    for name, path in tabs.items():
        if path != page.url.removeprefix(site):
            with page.expect_navigation(url=site + path):
                page.click(f"main .nav-tabs a[href='{path}']")
        expect(page.locator("main .nav-tabs a.active")).to_have_attribute("href", path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        if viewport == "desktop":
            shot(page, f"admin-{name}")
    with page.expect_navigation(url=site + reverse("archive:search")):
        page.click(f"nav a[href='{reverse('archive:search')}']")
    expect(page.locator("#archive-results tbody tr").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if viewport == "desktop":
        shot(page, "archive")
    assert errors == []
    context.close()
