"""Stable machine codes for the errors that area and grid services and importers raise.

The code travels with a translated message in `ServiceError` (and in import reports), so API clients
and tests match on the code while people read the Chinese message.
"""

from enum import StrEnum


class AreaErrorCode(StrEnum):
    INVALID_CODE = "invalid_code"  # not 12 digits, province outside 11–82, holes, parts out of range
    DUPLICATE_CODE = "duplicate_code"  # code already exists (DB) or appears twice in one file
    UNKNOWN_AREA = "unknown_area"  # an import refers to an area that does not exist
    UNKNOWN_PARENT = "unknown_parent"  # the level above is neither in the database nor in the file
    PARENT_MISMATCH = "parent_mismatch"  # a parent column that contradicts the code's structure
    PARENT_REJECTED = "parent_rejected"  # the parent row of the same file was rejected
    EMPTY_NAME = "empty_name"
    NAME_TOO_LONG = "name_too_long"
    INVALID_URBAN_RURAL = "invalid_urban_rural"
    INVALID_VINTAGE = "invalid_vintage"
    INVALID_CRS = "invalid_crs"
    INVALID_COORDINATE = "invalid_coordinate"  # swapped lon/lat, out of range, outside jurisdiction
    INVALID_GEOMETRY = "invalid_geometry"  # self-intersection, not a polygon, too few points
    HAS_CHILDREN = "has_children"
    HAS_GRIDS = "has_grids"
    IN_USE = "in_use"  # other records still point at the area or grid
    UNKNOWN_FIELD = "unknown_field"  # an update names a field that cannot be changed that way
    NOT_A_VILLAGE = "not_a_village"
    INVALID_GRID_CODE = "invalid_grid_code"
    INVALID_KIND = "invalid_kind"
    PARENT_GRID_REQUIRED = "parent_grid_required"
    INVALID_PARENT_GRID = "invalid_parent_grid"
    OUTSIDE_VILLAGE = "outside_village"
    OUTSIDE_PARENT_GRID = "outside_parent_grid"
    GRID_OVERLAP = "grid_overlap"
    PHONE_TOO_LONG = "phone_too_long"
    INACTIVE_USER = "inactive_user"
    MASTER_LAYER_EXISTS = "master_layer_exists"
    MASTER_LAYER_CELL = "master_layer_cell"
    INVALID_LAYER_CODE = "invalid_layer_code"
    # whole-file problems of the import commands
    EMPTY_FILE = "empty_file"
    MISSING_COLUMN = "missing_column"
    UNKNOWN_ENCODING = "unknown_encoding"
    DECODE_ERROR = "decode_error"
    MALFORMED_FILE = "malformed_file"
