"""Suppliers: settings, registries, exports, statistics, the portal's tokens."""
