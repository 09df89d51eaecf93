"""Structure of the 12-digit statistical division code (统计用区划代码) and grid codes.

2 province + 2 city + 2 county + 3 township + 3 village. Township part (GB/T 10114): 001–099 街道,
100–199 镇, 200–399 乡, 400–599 other (development zones, farms …). Village part: 001–199 居委会/社区,
200–399 村委会, 400–599 other units that exist only in the statistics edition. County parts 71–79 are
the statistics edition's functional zones (开发区 …) and are accepted.
"""

from __future__ import annotations

import re
from itertools import pairwise

from django.conf import settings
from django.utils.translation import gettext as _

from .choices import LEVEL_DIGITS, LEVEL_ORDER, AreaLevel

_DIGITS12 = re.compile(r"^\d{12}$")


class CodeError(ValueError):
    """A code that breaks the structure; the message is translated and names the problem."""


def level_of(code: str) -> AreaLevel:
    """The level a 12-digit code denotes, from which trailing parts are zero."""
    validate_structure(code)
    if code[2:] == "0" * 10:
        return AreaLevel.PROVINCE
    if code[4:] == "0" * 8:
        return AreaLevel.CITY
    if code[6:] == "0" * 6:
        return AreaLevel.COUNTY
    if code[9:] == "000":
        return AreaLevel.TOWNSHIP
    return AreaLevel.VILLAGE


def validate_structure(code: str) -> None:
    """Raise CodeError unless `code` is a structurally valid 12-digit statistical code."""
    if not isinstance(code, str) or not _DIGITS12.match(code):
        raise CodeError(_("区划代码必须是 12 位数字：“%(code)s”") % {"code": code})
    province, city, county, township, village = code[:2], code[2:4], code[4:6], code[6:9], code[9:]
    if not ("11" <= province <= "82"):
        raise CodeError(_("省级代码“%(part)s”不在 11–82 之间：%(code)s") % {"part": province, "code": code})
    # Once a part is zero, every part below it must be zero too (no "holes"), with one exception:
    # prefecture-level cities without counties (东莞 4419, 中山 4420, 儋州 4604) number their towns
    # directly under the city, so a county part of 00 may follow a non-zero city part.
    parts = [city, county, township, village]
    for index, (upper, lower) in enumerate(pairwise(parts)):
        if index == 1 and int(city) != 0:
            continue
        if int(upper) == 0 and int(lower) != 0:
            raise CodeError(_("代码“%(code)s”的上级部分为零而下级部分不为零") % {"code": code})
    if int(township) > 599:
        raise CodeError(_("乡级代码“%(part)s”超出 001–599：%(code)s") % {"part": township, "code": code})
    if int(village) > 599:
        raise CodeError(_("村级代码“%(part)s”超出 001–599：%(code)s") % {"part": village, "code": code})


def normalise(code: str) -> str:
    """Accept 2/4/6/9/12-digit forms (as in the NBS CSVs) and return the 12-digit form."""
    code = (code or "").strip()
    if code.isdigit() and len(code) in (2, 4, 6, 9):
        code = code.ljust(12, "0")
    return code


def prefix(code: str, level: AreaLevel) -> str:
    return code[: LEVEL_DIGITS[level]]


def area_path(code: str) -> str:
    """Materialized path of the significant prefixes: 110101001001 → "11/1101/110101/110101001/110101001001/"."""
    level = level_of(code)
    segments = []
    for lvl in LEVEL_ORDER:
        segments.append(prefix(code, lvl))
        if lvl == level:
            break
    return "/".join(segments) + "/"


def parent_code(code: str) -> str | None:
    """The code of the level directly above, in 12-digit form; None for a province."""
    level = level_of(code)
    index = LEVEL_ORDER.index(level)
    if index == 0:
        return None
    upper = LEVEL_ORDER[index - 1]
    return prefix(code, upper).ljust(12, "0")


def grid_serial_width() -> int:
    return int(settings.CIVICGRID["GRID_SERIAL_WIDTH"])


def grid_path(village_path: str, grid_code: str) -> str:
    return f"{village_path}{grid_code}/"


def validate_grid_code(grid_code: str, village_code: str) -> None:
    """A grid code is its village's 12-digit code followed by a serial of the configured width."""
    width = grid_serial_width()
    if not grid_code.isdigit() or len(grid_code) != 12 + width:
        raise CodeError(_("网格编码必须是 %(n)d 位数字：“%(code)s”") % {"n": 12 + width, "code": grid_code})
    if not grid_code.startswith(village_code):
        raise CodeError(
            _("网格编码“%(code)s”必须以所属村/社区代码“%(village)s”开头")
            % {"code": grid_code, "village": village_code}
        )
    if int(grid_code[12:]) == 0:
        raise CodeError(_("网格编码“%(code)s”的序号不能为零") % {"code": grid_code})
