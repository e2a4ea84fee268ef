"""Tests of the project package: probes, schema and docs, error pages, logging."""
