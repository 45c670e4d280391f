"""Data loading and validation against the input contract (``../shared/design/data-model.md``)."""

from . import quality
from .contract import TABLES, Column, Table, table
from .loader import District, TableFile, load_district, read_district

# quality is exported as a module: notebook 00 reads its chapter helpers as ``dq.<name>``
__all__ = ["TABLES", "Column", "Table", "table", "District", "TableFile", "load_district", "read_district",
           "quality"]
