"""HTTP helpers every app's API shares (pagination, timestamps, error and pagination schemas).

They live here, not in one app, so that `wallet` and `contacts` need not import `otp` to serve
their lists (dependencies point one way: DESIGN.md §2).
"""
