"""The dataset page's chart in a real browser: a citizen finds the demo's air-quality data,
sees its numbers drawn by ECharts, and switches the column and the x axis; the page still fits
a 375 px phone."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.browser import live

AIR = "浙江省环境空气质量自动监测小时数据"

SERIES = """() => {
    const option = window.yiwangDatasetCharts[0].getOption();
    const series = option.series[0];
    return {
      name: series.name,
      type: series.type,
      data: series.data,
      axis: option.xAxis[0].type,
      categories: option.xAxis[0].data || [],
      lines: option.series.map(s => s.name),
    };
}"""


def _open_air_quality(page: Page) -> None:
    page.goto("/")
    page.get_by_label("全网搜索：数据、办事事项").fill("空气质量")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/search?q=*")
    page.get_by_role("link", name=AIR).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(AIR)
    page.wait_for_function(  # a function: the pages' CSP allows no string to be evaluated
        "() => window.yiwangDatasetCharts && window.yiwangDatasetCharts.length > 0 && "
        "window.yiwangDatasetCharts[0].getOption().series.length > 0"
    )


def _series(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(SERIES)
    return result


def test_the_chart_draws_the_chosen_column(page: Page) -> None:
    _open_air_quality(page)
    chart = page.locator("#chart-1")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(page.locator("#chart-rows-1")).to_contain_text("图表显示前 500 行")

    first = _series(page)
    assert (first["name"], first["type"], first["axis"]) == ("平均值", "line", "time")
    assert len(first["data"]) > 100
    assert all(isinstance(v, int | float) for _, v in first["data"])
    expect(chart).to_have_attribute(
        "aria-label", "折线图：平均值 随 时间 变化，图中 500 行；数值见上方预览表格及下载文件"
    )

    page.get_by_label("数值列").select_option("数据流编号")
    second = _series(page)
    assert second["name"] == "数据流编号"
    assert second["data"] != first["data"]
    assert all(float(v).is_integer() for _, v in second["data"])

    page.get_by_label("横轴").select_option("监测点")
    bars = _series(page)
    assert (bars["type"], bars["axis"]) == ("bar", "category")
    assert "杭州朝晖五区站" in bars["categories"]
    assert len(bars["data"]) == len(bars["categories"]) == 500
    expect(chart).to_have_attribute(
        "aria-label",
        "柱状图：各行的 数据流编号（按 监测点），图中 500 行；数值见上方预览表格及下载文件",
    )


def test_the_chart_fits_a_phone(browser: Browser, server: live.Server) -> None:
    context = browser.new_context(
        base_url=server.url, locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True
    )
    try:
        phone = context.new_page()
        _open_air_quality(phone)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the dataset page is {width} px wide at 375 px"
        box = phone.locator("#chart-1").bounding_box()
        assert box is not None
        assert box["width"] <= 375
        assert box["height"] > 200
    finally:
        context.close()


def test_a_filter_queries_the_whole_table_and_groups_the_lines(page: Page) -> None:
    _open_air_quality(page)
    status = page.locator("#chart-rows-1")
    page.get_by_text("筛选：只画某列取某值的行").click()

    page.get_by_label("指标", exact=True).select_option("PM2.5浓度")
    expect(status).to_have_text("符合筛选条件的共 1056 行，图表显示前 500 行。")
    grouped = _series(page)
    assert "杭州朝晖五区站" in grouped["lines"]  # a line for each station, chosen for the reader
    assert len(grouped["lines"]) > 10
    expect(page.get_by_label("分组（每组一条折线）")).to_have_value("监测点")
    expect(page.locator("#chart-1")).to_have_attribute(
        "aria-label",
        "折线图：平均值 随 时间 变化（按 监测点 分组），图中 500 行；数值见上方预览表格及下载文件",
    )

    page.get_by_label("监测点", exact=True).select_option("杭州朝晖五区站")
    expect(status).to_have_text("符合筛选条件的共 48 行，图表显示全部。")
    single = _series(page)
    assert single["lines"] == ["平均值"]
    times = [t for t, _ in single["data"]]
    assert len(times) == 48
    assert times == sorted(times)
    assert all(isinstance(v, int | float) for _, v in single["data"])

    page.get_by_label("指标", exact=True).select_option("")
    page.get_by_label("监测点", exact=True).select_option("")
    expect(status).to_have_text("图表显示前 500 行（共 8250 行）；完整数据请下载或通过 API 查询。")
