"""Model families; each subpackage registers its presets in ``presets.py``."""
