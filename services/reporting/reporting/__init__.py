"""Reporting (统计): the bureau's indicators, built from events alone."""
