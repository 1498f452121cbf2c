"""Helpers shared by several detector families (image loading, people in the config)."""
