"""The operators' dashboard: daily rollups, the aggregates behind them, pygal charts, the admin view."""
