"""Config pieces the shipped configs inherit through ``_base_``."""
