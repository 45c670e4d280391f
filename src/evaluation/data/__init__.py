"""Data loading and validation against the input contract (``../shared/design/data-model.md``)."""

from .contract import TABLES, Column, Table, table
from .loader import District, TableFile, load_district, read_district

__all__ = ["TABLES", "Column", "Table", "table", "District", "TableFile", "load_district", "read_district"]
