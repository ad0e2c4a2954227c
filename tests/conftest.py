"""Shared fixtures: throwaway PostgreSQL/PostGIS and Mosquitto servers, databases per test."""

pytest_plugins = ["tests.plugins.servers", "tests.plugins.database", "tests.plugins.demo"]
