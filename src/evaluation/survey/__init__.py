"""Design-based survey analysis (Taylor linearisation, calibration, replicate weights), scales and indices.

The engine is written on numpy/scipy and checked against R ``survey`` 4.1.1; see :mod:`evaluation.survey.design`
for why it does not wrap ``svy``.
"""

from evaluation.survey.design import SurveyDesign

__all__ = ["SurveyDesign"]
