"""Synthetic district generator (合成社区数据): contract tables, planted programme effects and their truth.

``generate_district(seed, config)`` builds every table of the data contract for a district of 10 legacy communities
split into 43, calibrated to the article's report-year figures, with staggered adoption of the 近邻 model and known
effects; ``write_district`` writes it to a folder the loaders read.
"""

from .config import HEADLINE_KEYS, SynthConfig
from .district import DISTRICT_TABLES, GENERATOR_VERSION, IMPACT_OUTCOMES, NOTICE, TABLE_ORDER, SyntheticDistrict, \
    generate_district, headline_figures
from .region import region_tables, write_region
from .write import DEFAULT_FORMATS, write_district

__all__ = ["SynthConfig", "SyntheticDistrict", "generate_district", "write_district", "headline_figures",
           "HEADLINE_KEYS", "TABLE_ORDER", "DISTRICT_TABLES", "IMPACT_OUTCOMES", "DEFAULT_FORMATS", "GENERATOR_VERSION",
           "NOTICE", "write_region", "region_tables"]
