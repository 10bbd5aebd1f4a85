"""The rules of meter readings. Standard library only."""
