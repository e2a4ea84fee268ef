"""The dashboard's charts, drawn on the server as inline SVG by pygal: no script, no CDN.

pygal's SVG loads its tooltip script from a CDN by default; `js=[]` drops it, and the inline config
script left behind (for that absent script) and the comments (links to pygal's site) are removed:
the charts carry no script and name no other host.
"""
from __future__ import annotations

import re

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from wallet.money import from_units

from .selectors import Dashboard

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    colors=("#417690", "#e6a23c", "#5cb85c", "#d9534f", "#8e6cbf", "#777777"),
    title_font_size=18,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
)
COMMON = {
    "js": [],
    "disable_xml_declaration": True,
    "style": STYLE,
    "width": 760,
    "height": 320,
    "explicit_size": False,
    "no_data_text": "No data",
}
# ElementTree escapes every "<" in text, so neither pattern can end inside a label.
_STRIPPED = re.compile(r"<!--.*?-->|<script\b[^>]*>.*?</script>", re.DOTALL)


def _svg(chart) -> SafeString:
    # pygal writes labels through ElementTree, which escapes them (reasons come from providers).
    return mark_safe(_STRIPPED.sub("", chart.render(is_unicode=True)))  # noqa: S308


def _day_labels(dashboard: Dashboard) -> list[str]:
    return [day.strftime("%m-%d") for day in dashboard.days]


def sends_chart(dashboard: Dashboard) -> SafeString:
    chart = pygal.StackedBar(
        title="Codes sent per channel per day", x_label_rotation=45, show_minor_x_labels=False,
        x_labels_major_every=5, **COMMON,
    )
    chart.x_labels = _day_labels(dashboard)
    for channel, counts in dashboard.sends.items():
        chart.add(channel, counts)
    return _svg(chart)


def conversion_chart(dashboard: Dashboard) -> SafeString:
    chart = pygal.Bar(title="Verification rate per channel (%)", range=(0, 100), **COMMON)
    chart.x_labels = [item.channel for item in dashboard.conversion]
    chart.add("verified", [None if item.rate is None else round(item.rate * 100, 1) for item in dashboard.conversion])
    return _svg(chart)


def failures_chart(dashboard: Dashboard) -> SafeString:
    chart = pygal.HorizontalBar(title="Delivery failures by reason", show_legend=False, **COMMON)
    chart.x_labels = [reason for reason, _count in dashboard.failures]
    chart.add("failures", [count for _reason, count in dashboard.failures])
    return _svg(chart)


def spend_chart(dashboard: Dashboard) -> SafeString:
    chart = pygal.Bar(
        title="Spend per day (charges minus refunds)", show_legend=False, x_label_rotation=45,
        show_minor_x_labels=False, x_labels_major_every=5, value_formatter=lambda value: f"{value:.4f}", **COMMON,
    )
    chart.x_labels = _day_labels(dashboard)
    chart.add("spend", [float(from_units(units)) for units in dashboard.spend])
    return _svg(chart)


def statuses_chart(dashboard: Dashboard) -> SafeString:
    chart = pygal.Bar(title="Sessions of the last 24 hours, by status now", show_legend=False, **COMMON)
    chart.x_labels = list(dashboard.statuses)
    chart.add("sessions", list(dashboard.statuses.values()))
    return _svg(chart)


def fraud_chart(dashboard: Dashboard) -> SafeString:
    chart = pygal.HorizontalStackedBar(title="Fraud guard decisions per rule", **COMMON)
    chart.x_labels = list(dashboard.fraud)
    for mode in ("block", "record"):
        chart.add(mode, [modes.get(mode, 0) for modes in dashboard.fraud.values()])
    return _svg(chart)


def dashboard_charts(dashboard: Dashboard) -> dict[str, SafeString]:
    return {
        "sends": sends_chart(dashboard),
        "conversion": conversion_chart(dashboard),
        "failures": failures_chart(dashboard),
        "spend": spend_chart(dashboard),
        "statuses": statuses_chart(dashboard),
        "fraud": fraud_chart(dashboard),
    }
