"""Reporting for the back office: rollup builders and the queries dashboards run on them."""
