"""System: health, demo data."""
