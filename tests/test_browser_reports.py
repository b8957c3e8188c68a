"""The report and the dashboard in a real browser: the vendored Chart.js draws every chart
from the page's numbers, with no error in the console, on a desktop and on a phone."""

import pytest

from tests.test_browser import VIEWPORTS, Shots, _log_in, browser, site  # noqa: F401 - fixtures

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
    # The demo's history gives the report's compliance chart finished steps to count.
    total = page.evaluate(
        """() => Chart.getChart(document.getElementById('chart-compliance'))
            .data.datasets.flatMap(d => d.data).reduce((a, b) => a + b, 0)"""
    )
    assert total > 0
    assert errors == []
    context.close()
