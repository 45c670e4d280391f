"""Jinlin (近邻): evaluation code for neighbourhood-governance programmes.

All analysis logic lives in this package; the notebooks in ``notebooks/`` only narrate, call and plot.
"""

__version__ = "0.1.0"
