"""The supplier portal (`/supplier`): window and tariffs, registry uploads, exports, statistics,
non-submitters and pull-API tokens."""
