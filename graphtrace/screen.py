"""Screening: which facilities are risk sources (issue rule 1), and why.

A facility is a source when

- it is located in Xinjiang (:func:`xinjiang_evidence`: province, city/prefecture, postal code,
  admin code, address), or
- its name, an alias or its company equals, after :func:`normalize_name`, a name or alias of an
  entity-list entry effective by ``as_of`` (:class:`EntityMatcher`, :func:`read_entity_list`), or
- ``flags.csv`` names it.

:func:`screen` applies the three rules to a whole facilities frame and returns, for each source
only, the :class:`~graphtrace.model.Reason` records that explain it, in a stable order.

Scope of the geography rules (the traps are in ``shared/notes/domain.md`` section 3):

- **Country CN** (also "CHN", "China", "中国", "PRC"): every rule below.
- **Country unknown** (empty): only the unambiguous rules: Chinese-character names, the Latin
  spellings of the province ("Xinjiang", "XUAR", "Sinkiang", ...) and the XPCC names. Latin
  city names ("Altai", "Aral", "Bole", "Hami") and codes are not used.
- **Any other country**: no geography rule at all. India's six-digit PINs 83xxxx/84xxxx are in
  Bihar and Jharkhand, Taiwan's 830/843/844/848 are Kaohsiung, Altai is also in Russia; French
  département 65 is Hautes-Pyrénées.

Rules, per field:

- *province*: a Chinese spelling of Xinjiang at its start ("新疆", "新疆维吾尔自治区"), a Latin
  spelling ("Xinjiang Uygur Autonomous Region", "XUAR"), or a Xinjiang place name (Chinese; Latin
  for CN only). A province field naming *another* province of China ("Shanxi", "山西省") makes
  every Latin place name in the city and address fields void: "Xinjiang" in the city field is
  then 新绛县 (Shanxi), "Yili" is the dairy company's Inner Mongolia. Chinese place names still
  count; the reason then notes the disagreement.
- *city*: a Chinese Xinjiang name at its start (喀什, 喀什市, 和田地区, 石河子市, 巴州; XPCC
  tokens anywhere), a Latin spelling of a prefecture, XPCC city or county (CN only), or a
  province spelling (the city field often holds "Xinjiang").
- *postal code* (CN only): exactly six digits starting 83 or 84 (spaces ignored).
- *admin code* (CN only): 2 to 12 digits starting 65 (65, 6531, 653101, 653101000000; the old
  codes 652100, 652200, ... included).
- *address* (conservative): a Chinese address names the largest unit first, so only its start
  counts: "中国新疆喀什市..." and "喀什市..." match, "上海市长宁区乌鲁木齐中路" does not. A
  name followed by 路/街/大道/巷 (a road named after Xinjiang, common in Shanghai and
  Qingdao), by 大厦/饭店/餐/驻/办事处 (Xinjiang restaurants and liaison offices) does not count
  anywhere. XPCC tokens (新疆生产建设兵团 anywhere; 兵团, 第八师/农八师, regiments such as 一二四团
  when no other province is named) count anywhere. In Latin addresses a whole comma-separated
  part must be a province spelling ("..., Xinjiang, China") or, for CN, a Xinjiang place
  ("..., Kashgar, ..."), and no part may name another province ("Xinjiang County, Yuncheng,
  Shanxi" is 新绛县); "XPCC" and "Bingtuan" count as words anywhere.

Ambiguous names never count alone: Latin "Bazhou" (霸州, Hebei), "Xinxing" (新兴县,
Guangdong), "Shuanghe", "Baiyang" and the others in :data:`graphtrace.xinjiang.AMBIGUOUS_LATIN`;
bare Chinese names such as 双河, 白杨, 新星, 温泉 count only with their suffix (双河市, 温泉县).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from graphtrace import xinjiang as xj
from graphtrace.errors import InputError, ValidationFailed
from graphtrace.model import EntityEntry, Issue, Reason, ValidationReport

__all__ = [
    "EntityMatch",
    "EntityMatcher",
    "normalize_name",
    "read_entity_list",
    "screen",
    "xinjiang_evidence",
]

# --------------------------------------------------------------------------------------------
# Name normalisation

#: Legal forms removed from the end of a name, as word sequences (after punctuation is gone).
LEGAL_FORMS: tuple[tuple[str, ...], ...] = (
    ("limited", "liability", "company"),
    ("limited", "liability", "co"),
    ("joint", "stock", "company"),
    ("joint", "stock", "co"),
    ("joint", "stock"),
    ("company", "limited"),
    ("company", "ltd"),
    ("co", "limited"),
    ("co", "ltd"),
    ("corporation", "limited"),
    ("corp", "ltd"),
    ("limited", "company"),
    ("ltd", "co"),
    ("pte", "ltd"),
    ("pvt", "ltd"),
    ("private", "limited"),
    ("sdn", "bhd"),
    ("l", "l", "c"),
    ("s", "a"),
    ("s", "r", "l"),
    ("s", "p", "a"),
    ("b", "v"),
    ("n", "v"),
    ("limited",),
    ("ltd",),
    ("inc",),
    ("incorporated",),
    ("corporation",),
    ("corp",),
    ("company",),
    ("co",),
    ("llc",),
    ("plc",),
    ("gmbh",),
    ("ag",),
    ("sa",),
    ("srl",),
    ("spa",),
    ("bv",),
    ("nv",),
    ("bhd",),
    ("jsc",),
    ("ojsc",),
    ("pjsc",),
    ("ltda",),
)
#: Chinese legal forms removed from the end of a name, longest first.
LEGAL_FORMS_CHINESE: tuple[str, ...] = (
    "股份有限公司",
    "有限责任公司",
    "股份公司",
    "有限公司",
    "总公司",
    "公司",
)
#: Legal forms by their last word, longest first: the end of a name is looked up, not scanned.
_LEGAL_BY_LAST: dict[str, list[tuple[str, ...]]] = {}
for _form in sorted(LEGAL_FORMS, key=len, reverse=True):
    _LEGAL_BY_LAST.setdefault(_form[-1], []).append(_form)
_CHINESE_LEGAL_ENDINGS = tuple(sorted({f[-1] for f in LEGAL_FORMS_CHINESE}))
_DIACRITIC = re.compile("[\u0300-\u036f]")
_PUNCTUATION_CATEGORIES = frozenset(
    {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf"}
)


@cache
def _separator_table() -> dict[int, str]:
    """Every punctuation, symbol, separator and control character -> space (built once)."""
    table = {
        cp: " "
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in _PUNCTUATION_CATEGORIES
    }
    table[ord("&")] = " and "
    return table


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    # drop Latin diacritics (U+0300-U+036F) only; kana voicing marks and Indic signs stay
    decomposed = unicodedata.normalize("NFKD", text)
    if _DIACRITIC.search(decomposed):
        text = _DIACRITIC.sub("", decomposed)
    return unicodedata.normalize("NFKC", text)


def _strip_legal_forms(words: list[str]) -> list[str]:
    while words:
        last = words[-1]
        for form in _LEGAL_BY_LAST.get(last, ()):
            n = len(form)
            if len(words) > n and tuple(words[-n:]) == form:
                del words[-n:]
                break
        else:
            if not last.endswith(_CHINESE_LEGAL_ENDINGS):
                return words
            for suffix in LEGAL_FORMS_CHINESE:
                if last.endswith(suffix) and (len(last) > len(suffix) or len(words) > 1):
                    rest = last[: -len(suffix)]
                    if rest:
                        words[-1] = rest
                    else:
                        words.pop()
                    break
            else:
                return words
    return words


def _normalize_once(name: str) -> str:
    words = _fold(name).translate(_separator_table()).split()
    return "".join(_strip_legal_forms(words))


def normalize_name(name: str) -> str:
    """The form in which two names are compared: equal results are a match (rule 1).

    In order:

    1. Unicode NFKC (full-width letters and digits become ASCII, "（" becomes "("), case folding,
       Latin diacritics dropped ("Ü" -> "u").
    2. Every punctuation mark, symbol, space and control character becomes a word break;
       "&" becomes the word "and".
    3. Legal forms are removed from the *end*, repeatedly, never from the middle and never the
       first word: English and others (:data:`LEGAL_FORMS`: "Co., Ltd.", "Company Limited",
       "Limited", "Ltd", "Inc", "Corporation", "Corp", "LLC", "GmbH", "S.A.", "PLC",
       "Joint Stock", ...) and Chinese (:data:`LEGAL_FORMS_CHINESE`: 股份有限公司, 有限责任公司,
       有限公司, 公司, ...). Meaningful words such as "Group" / 集团, "Holding" or "Branch" /
       分公司 stay: Xinjiang Zhongtai Group and Xinjiang Zhongtai Chemical are different
       entries.
    4. The words are joined without spaces.

    A blank name normalises to ``""``, which never matches.

    >>> normalize_name("Xinjiang Tianmian Foundation Textile Co., Ltd.")
    'xinjiangtianmianfoundationtextile'
    >>> normalize_name("XINJIANG  TIANMIAN-FOUNDATION textile company limited")
    'xinjiangtianmianfoundationtextile'
    >>> normalize_name("新疆天棉基业纺织有限公司")
    '新疆天棉基业纺织'
    >>> normalize_name("新疆中泰（集团）有限责任公司")
    '新疆中泰集团'
    >>> normalize_name("Xinjiang Zhongtai (Group) Co., Ltd.")
    'xinjiangzhongtaigroup'
    >>> normalize_name("ＣＯＦＣＯ Sugar Holding Co. Ltd")
    'cofcosugarholding'
    >>> normalize_name("Heze Cotton & Linen Corp.")
    'hezecottonandlinen'
    >>> normalize_name("Ürümqi Textile GmbH")
    'urumqitextile'
    >>> normalize_name("Limited")
    'limited'
    >>> normalize_name("  ")
    ''
    """
    if not isinstance(name, str):
        return ""
    result = _normalize_once(name)
    if result.isascii():  # lower-case letters and digits: already a fixed point
        return result
    # NFKC and case folding can, for rare characters, expose a new legal form or mark;
    # iterate to the fixed point so that normalisation is idempotent.
    for _ in range(3):
        again = _normalize_once(result)
        if again == result:
            break
        result = again
    return result


_normalize_cached = lru_cache(maxsize=1 << 16)(normalize_name)


# --------------------------------------------------------------------------------------------
# Xinjiang geography

_CN = frozenset({"cn", "chn", "china", "prc", "peoplesrepublicofchina", "mainlandchina"})
_CN_CHINESE = frozenset({"中国", "中华人民共和国", "中国大陆"})

#: Words after a place name that make it a road, a building or a restaurant, not a location.
_NOT_A_LOCATION = re.compile(
    r"[东西南北中]?[一二三四五六七八九十\d]*(?:路|街|大街|大道|巷|弄|胡同)"
    r"|大厦|饭店|酒店|宾馆|餐|菜|驻|办事处|商会"
)
_LEADING_NOISE = re.compile(
    r"^[\s\W\d_]*(?:(?:中华人民共和国|中国|(?:p\s*\.?\s*r\s*\.?\s*)?china|prc)[\s\W\d_]*)?",
    re.IGNORECASE,
)
_DIVISION = re.compile(
    r"(?:第|农)(?:十[一二三四]|[一二三四五六七八九十])师"
    r"(?![范大傅生资兄弟姐妹父母友])"  # 第一师范 is a teachers' college
)
_REGIMENT = re.compile(
    r"(?<![\d〇零一二三四五六七八九十百])"
    r"(?:[一二三四五六七八九][〇零一二三四五六七八九十]{2}|[1-9]\d{2})团"
    r"(?![购队体结委伙员部长])"
)
_BINGTUAN = re.compile(r"兵团(?!路|街|驻|办事处|大厦)")
_XPCC_FULL = re.compile(r"新疆生产建设兵团|中国新建集团")
_XPCC_QUICK = ("xpcc", "bingtuan", "corps", "xinjian")
_XPCC_LATIN = re.compile(
    r"\b(?:xpcc|bingtuan|xinjiang production (?:and |& )?construction corps|china xinjian group)\b"
)
_LATIN_PARTS = re.compile(r"[,;/|()（）\n，、；]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\uff21-\uff3a\uff41-\uff5a]")
_POSTCODE = re.compile(r"8[34]\d{4}")
_ADMIN = re.compile(r"\d{2,12}")


def _scope(country: str) -> str:
    """``"cn"``, ``"unknown"`` (empty) or ``"other"``."""
    value = unicodedata.normalize("NFKC", country).strip()
    if not value:
        return "unknown"
    if value in _CN_CHINESE or "".join(xj.latin_words(value)) in _CN:
        return "cn"
    return "other"


def _chinese_start(text: str) -> tuple[str, xj.Place | None] | None:
    """The Xinjiang name ``text`` starts with: (name, place), place None for the province."""
    longest = xj.chinese_prefixes().get(text[:2])
    if longest is None:
        return None
    names = xj.chinese_names()
    for length in range(min(len(text), longest), 1, -1):
        head = text[:length]
        place = names.get(head)
        if head not in xj.PROVINCE_CHINESE and place is None:
            continue
        rest = text[length:]
        if _NOT_A_LOCATION.match(rest):
            continue
        if any(rest.startswith(c) for c in xj.NOT_FOLLOWED_BY.get(head, ())):
            continue
        return head, place
    return None


def _starts_with_other_province(text: str) -> bool:
    return text.startswith(xj.OTHER_PROVINCES_CHINESE)


def _xpcc_chinese(text: str, allow_short: bool) -> str | None:
    """An XPCC token anywhere in ``text``; 兵团, divisions and regiments only if ``allow_short``."""
    if "团" not in text and "师" not in text:  # every token below has one of them
        return None
    found = _XPCC_FULL.search(text)
    if found:
        return found.group()
    if not allow_short:
        return None
    for pattern in (_BINGTUAN, _DIVISION, _REGIMENT):
        found = pattern.search(text)
        if found:
            return found.group()
    return None


def _xpcc_latin(text: str) -> str | None:
    lowered = xj.fold_latin(text)
    if not any(k in lowered for k in _XPCC_QUICK):
        return None
    folded = " ".join(xj.latin_words(lowered.replace("&", " and ")))
    found = _XPCC_LATIN.search(folded)
    return found.group() if found else None


@lru_cache(maxsize=1 << 16)
def _latin_part(part: str) -> tuple[str | None, xj.Place | None] | None:
    """(province, place) of one comma-separated part: province is "xinjiang", "other" or None;
    None when the part holds no word."""
    words = xj.latin_words(part)
    while words and words[-1].isdigit():  # "Urumqi 830000"
        words.pop()
    if not words:
        return None
    key = xj.strip_words(words, xj.PROVINCE_SUFFIX_WORDS)
    province = (
        "xinjiang"
        if key in xj.province_latin_keys()
        else "other"
        if key in xj.other_province_latin_keys()
        else None
    )
    return province, xj.latin_names().get(xj.strip_words(words, xj.PLACE_SUFFIX_WORDS))


def _latin_parts(text: str) -> list[tuple[str, str | None, xj.Place | None]]:
    """Comma-separated parts of a Latin text: (part as written, province, place)."""
    parts = []
    for part in _LATIN_PARTS.split(text):
        part = part.strip()
        info = _latin_part(part) if part else None
        if info is not None:
            parts.append((part, info[0], info[1]))
    return parts


def _quote(value: str) -> str:
    return f'"{value}"'


@lru_cache(maxsize=1 << 14)
def _province(value: str, scope: str) -> tuple[str, str | None]:
    """(state, evidence) of a province field: state is "xinjiang", "other" or "unknown"."""
    text = _nfkc(value)
    if not text:
        return "unknown", None
    label = f"province {_quote(value)}"
    head = _LEADING_NOISE.sub("", text)
    start = _chinese_start(head)
    if start is not None:
        _name, place = start
        if place is None:
            return "xinjiang", f"{label} is Xinjiang"
        return "xinjiang", f"{label} is in Xinjiang ({place.describe()})"
    if _starts_with_other_province(head):
        return "other", None
    xpcc = _xpcc_chinese(head, allow_short=True) or _xpcc_latin(text)
    if xpcc:
        return "xinjiang", f"{label} names the XPCC ({_quote(xpcc)})"
    if not _LATIN_LETTER.search(text):
        return "unknown", None
    state = "unknown"
    for _part, found, place in _latin_parts(text):
        if found == "xinjiang":
            return "xinjiang", f"{label} is Xinjiang"
        if found == "other":
            state = "other"
        elif scope == "cn" and state != "other" and place is not None:
            return "xinjiang", f"{label} is in Xinjiang ({place.describe()})"
    return state, None


def _conflict_note(province: str, state: str) -> str:
    if state != "other":
        return ""
    return f" (although province {_quote(province)} names another province)"


@lru_cache(maxsize=1 << 16)
def _city(value: str, scope: str, province_state: str) -> str | None:
    text = _nfkc(value)
    if not text:
        return None
    label = f"city {_quote(value)}"
    head = _LEADING_NOISE.sub("", text)
    full = _XPCC_FULL.search(head)
    if full:
        return f"{label} names the XPCC ({_quote(full.group())})"
    start = _chinese_start(head)
    if start is not None:
        name, place = start
        if place is None:
            return f"{label} names Xinjiang ({_quote(name)})"
        return f"{label} is in Xinjiang ({place.describe()})"
    xpcc = _xpcc_chinese(head, allow_short=province_state != "other")
    if xpcc:
        return f"{label} names the XPCC ({_quote(xpcc)})"
    if not _LATIN_LETTER.search(text):
        return None
    xpcc = _xpcc_latin(text)
    if xpcc:
        return f"{label} names the XPCC ({_quote(xpcc)})"
    if province_state == "other":
        return None
    for _part, found, place in _latin_parts(text):
        if found == "xinjiang":
            return f"{label} names Xinjiang (a province spelling in the city field)"
        if scope == "cn" and place is not None:
            return f"{label} is in Xinjiang ({place.describe()})"
    return None


@lru_cache(maxsize=1 << 16)
def _address(value: str, scope: str, province_state: str) -> str | None:
    text = _nfkc(value)
    if not text:
        return None
    label = f"address {_quote(value)}"
    head = _LEADING_NOISE.sub("", text)
    full = _XPCC_FULL.search(head)
    if full:
        return f"{label} names the XPCC ({_quote(full.group())})"
    start = _chinese_start(head)
    if start is not None:
        name, place = start
        where = "Xinjiang" if place is None else place.describe()
        return f"{label} starts with {_quote(name)} ({where})"
    other_first = _starts_with_other_province(head)
    xpcc = _xpcc_chinese(head, allow_short=province_state != "other" and not other_first)
    if xpcc:
        return f"{label} names the XPCC ({_quote(xpcc)})"
    if not _LATIN_LETTER.search(text):
        return None
    xpcc = _xpcc_latin(text)
    if xpcc:
        return f"{label} names the XPCC ({_quote(xpcc)})"
    if province_state == "other" or other_first:
        return None
    parts = _latin_parts(text)
    if any(found == "other" for _part, found, _place in parts):
        return None
    for part, found, place in parts:
        if found == "xinjiang":
            return f"{label} names Xinjiang ({_quote(part)})"
        if scope == "cn" and place is not None:
            return f"{label} names {_quote(part)} ({place.describe()})"
    return None


def _postal(value: str) -> str | None:
    code = "".join(unicodedata.normalize("NFKC", value).split())
    if _POSTCODE.fullmatch(code):
        return (
            f"postal code {_quote(value.strip())} is a Xinjiang postcode "
            "(six digits starting 83 or 84)"
        )
    return None


def _admin(value: str) -> str | None:
    code = "".join(unicodedata.normalize("NFKC", value).split())
    if not (_ADMIN.fullmatch(code) and code.startswith(xj.PROVINCE_CODE)):
        return None
    by_code = xj.places()
    where = ""
    if code[:6] in xj.OLD_CODES:
        name, now = xj.OLD_CODES[code[:6]]
        where = f": old code of {name}, {now}"
    elif code[:6] in by_code:
        where = f": {by_code[code[:6]].describe()}"
    elif code[:4] in by_code:
        where = f": {by_code[code[:4]].describe()}"
    return f"admin code {_quote(value.strip())} is in Xinjiang ({xj.PROVINCE_CODE}){where}"


def _combine(
    province: str,
    state: str,
    province_evidence: str | None,
    city_evidence: str | None,
    address_evidence: str | None,
    postal_evidence: str | None,
    admin_evidence: str | None,
) -> str | None:
    """One readable reason from the evidence of each field (None when there is none)."""
    note = _conflict_note(province, state)
    found = [
        province_evidence,
        city_evidence and city_evidence + note,
        address_evidence and address_evidence + note,
        postal_evidence,
        admin_evidence,
    ]
    kept = [f for f in found if f]
    return "; ".join(kept) if kept else None


def _evidence(
    country: str, province: str, city: str, address: str, postal_code: str, admin_code: str
) -> str | None:
    scope = _scope(country)
    if scope == "other":
        return None
    state, province_evidence = _province(province, scope)
    return _combine(
        province,
        state,
        province_evidence,
        _city(city, scope, state),
        _address(address, scope, state),
        _postal(postal_code) if scope == "cn" else None,
        _admin(admin_code) if scope == "cn" else None,
    )


def _nfkc(value: str) -> str:
    return value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value if isinstance(value, str) else str(value)


def xinjiang_evidence(
    country: str,
    province: str,
    city: str,
    address: str,
    postal_code: str,
    admin_code: str,
) -> str | None:
    """Why a facility is located in Xinjiang, or None: see the module docstring for the rules.

    ``country`` is ISO 3166 alpha-2 ("" when unknown). Every piece of evidence found is given,
    separated by "; ", in the order province, city, address, postal code, admin code.

    >>> xinjiang_evidence("CN", "", "", "", "844000", "")
    'postal code "844000" is a Xinjiang postcode (six digits starting 83 or 84)'
    >>> xinjiang_evidence("CN", "", "喀什市", "", "", "")
    'city "喀什市" is in Xinjiang (喀什市, Kashgar prefecture, 653101)'
    >>> xinjiang_evidence("CN", "Xinjiang Uygur Autonomous Region", "", "", "", "")
    'province "Xinjiang Uygur Autonomous Region" is Xinjiang'
    >>> xinjiang_evidence("CN", "", "", "", "", "652901")
    'admin code "652901" is in Xinjiang (65): 阿克苏市, Aksu prefecture, 652901'
    >>> xinjiang_evidence("CN", "Shanxi", "Xinjiang", "", "", "") is None  # 新绛县
    True
    >>> xinjiang_evidence("IN", "", "", "", "844101", "") is None  # a PIN in Bihar
    True
    """
    return _evidence(
        _text(country),
        _text(province),
        _text(city),
        _text(address),
        _text(postal_code),
        _text(admin_code),
    )


# --------------------------------------------------------------------------------------------
# Entity lists

_ENTITY_COLUMNS = ("name", "aliases", "effective_date", "list")


def _split_aliases(cell: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for alias in cell.split(";"):
        alias = alias.strip()
        if alias:
            seen.setdefault(alias, None)
    return tuple(seen)


def _parse_date(cell: str) -> pd.Timestamp | None:
    """An ISO 8601 date (``2023-09-26``); raises ValueError otherwise."""
    return pd.Timestamp(dt.date.fromisoformat(cell))


def read_entity_list(path: str | Path) -> list[EntityEntry]:
    """Read an entity-list CSV (UTF-8, byte-order mark tolerated).

    Columns: ``name`` (required), ``aliases`` (``;``-separated), ``effective_date`` (ISO date,
    empty = always effective), ``list`` (empty = the file stem, e.g. "uflpa"). Header names are
    matched case-insensitively; other columns are ignored; completely empty rows are skipped.

    Every problem is collected (``missing-column``, ``missing-value``, ``bad-date``), located by
    spreadsheet row (header = row 1) with ``file`` = the path as given, and raised together as
    :class:`~graphtrace.errors.ValidationFailed`. A file that does not exist or cannot be read
    raises :class:`~graphtrace.errors.InputError`. Entries carry ``file`` = the file's name and
    ``row`` = its spreadsheet row.
    """
    given = str(path)
    file_path = Path(path)
    if not file_path.exists():
        raise InputError(
            f"entity list {given} does not exist; check the path given to --entity-list"
        )
    if not file_path.is_file():
        raise InputError(f"entity list {given} is not a file; give the path of a CSV file")
    try:
        frame = pd.read_csv(
            file_path,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            skip_blank_lines=False,
        )
    except UnicodeDecodeError as e:
        raise InputError(
            f"entity list {given} is not UTF-8 text; save it as 'CSV UTF-8' and try again"
        ) from e
    except pd.errors.EmptyDataError as e:
        raise InputError(
            f"entity list {given} is empty; it needs a header row with at least a name column"
        ) from e
    except (OSError, pd.errors.ParserError) as e:
        raise InputError(
            f"entity list {given} cannot be read as CSV ({e}); check the file and try again"
        ) from e

    columns: dict[str, str] = {}
    for column in frame.columns:
        key = str(column).strip().casefold()
        if key in _ENTITY_COLUMNS and key not in columns:
            columns[key] = str(column)
    issues: list[Issue] = []
    if "name" not in columns:
        issues.append(
            Issue(
                code="missing-column",
                message="the entity list has no 'name' column; add a header row with "
                "name, aliases, effective_date, list",
                file=given,
                row=1,
                column="name",
            )
        )

    def cells(key: str) -> list[str]:
        if key not in columns:
            return [""] * len(frame)
        return [str(v) for v in frame[columns[key]].tolist()]

    names, aliases, dates, lists = (cells(k) for k in _ENTITY_COLUMNS)
    blank = [all(not str(v).strip() for v in row) for row in frame.itertuples(index=False)]
    entries: list[EntityEntry] = []
    for i in range(len(frame)):
        if blank[i]:
            continue
        row = i + 2
        name = names[i].strip()
        if not name and "name" in columns:
            issues.append(
                Issue(
                    code="missing-value",
                    message="the entry has no name; fill it in or delete the row",
                    file=given,
                    row=row,
                    column=columns["name"],
                    value=names[i],
                )
            )
        date_cell = dates[i].strip()
        effective: pd.Timestamp | None = None
        if date_cell:
            try:
                effective = _parse_date(date_cell)
            except ValueError:
                issues.append(
                    Issue(
                        code="bad-date",
                        message=f"effective_date {date_cell!r} is not an ISO date; "
                        "write it as YYYY-MM-DD (for example 2023-09-26) or leave it empty",
                        file=given,
                        row=row,
                        column=columns["effective_date"],
                        value=dates[i],
                    )
                )
        entries.append(
            EntityEntry(
                name=name,
                aliases=_split_aliases(aliases[i]),
                effective_date=effective,
                list=lists[i].strip() or file_path.stem,
                file=file_path.name,
                row=row,
            )
        )
    if issues:
        raise ValidationFailed(
            ValidationReport(issues=issues),
            f"entity list {given} has {len(issues)} problem{'s' if len(issues) != 1 else ''}: "
            + "; ".join(f"{i.location()}: {i.message}" for i in issues[:5])
            + ("; ..." if len(issues) > 5 else "")
            + "; fix them and try again",
        )
    return entries


@dataclass(frozen=True)
class EntityMatch:
    """A facility-side name equal, after normalisation, to an entry's name or alias."""

    entry: EntityEntry
    facility_name: str  # the facility's string that matched, as written
    entry_name: str  # the entry's name or alias that matched, as written
    normalized: str  # their common normalised form


def _entry_key(entry: EntityEntry) -> tuple[str, int, str, str, tuple[str, ...]]:
    return (
        entry.file,
        entry.row if entry.row is not None else -1,
        entry.list,
        entry.name,
        entry.aliases,
    )


class EntityMatcher:
    """Index of the normalised names and aliases of entity-list entries.

    With ``as_of``, entries whose ``effective_date`` is after it are left out (rule 6); entries
    without a date always count. Entries are kept in (file, row, list, name) order, so matches
    come out in the same order whatever order the entries were given in.

    >>> matcher = EntityMatcher([EntityEntry("Xinjiang Daqo New Energy", ("Daqin Energy",))])
    >>> [m.entry_name for m in matcher.match(["DAQIN ENERGY CO., LTD.", "Other"])]
    ['Daqin Energy']
    """

    def __init__(self, entries: Sequence[EntityEntry], as_of: pd.Timestamp | None = None) -> None:
        cutoff = None if as_of is None else pd.Timestamp(as_of)
        kept = [
            e
            for e in entries
            if cutoff is None or e.effective_date is None or e.effective_date <= cutoff
        ]
        self.entries: tuple[EntityEntry, ...] = tuple(sorted(kept, key=_entry_key))
        self._index: dict[str, list[tuple[EntityEntry, str]]] = {}
        for entry in self.entries:
            seen: set[str] = set()
            for entry_name in (entry.name, *entry.aliases):
                norm = _normalize_cached(entry_name)
                if norm and norm not in seen:
                    seen.add(norm)
                    self._index.setdefault(norm, []).append((entry, entry_name))

    def __len__(self) -> int:
        return len(self.entries)

    def normalized_names(self) -> frozenset[str]:
        """Every normalised name and alias in the index."""
        return frozenset(self._index)

    def match(self, names: Iterable[str]) -> list[EntityMatch]:
        """Matches of ``names`` in their order, then entry order; blank names never match."""
        out: list[EntityMatch] = []
        seen: set[tuple[int, str]] = set()
        for name in names:
            if not isinstance(name, str) or not name.strip():
                continue
            norm = _normalize_cached(name)
            for entry, entry_name in self._index.get(norm, ()):
                key = (id(entry), name)
                if norm and key not in seen:
                    seen.add(key)
                    out.append(EntityMatch(entry, name, entry_name, norm))
        return out


# --------------------------------------------------------------------------------------------
# Screening a dataset

_KIND_RANK = {"xinjiang": 0, "entity-list": 1, "flag": 2}
_NAME_FIELDS = (("name", "name"), ("alias", "aliases"), ("company", "company"))
#: Below this many values the vectorised pre-filters cost more than they save.
_PREFILTER_MIN = 20_000
_SEP = "\x1f"  # unit separator: joins the location fields into one key
_GEO_COLUMNS = ("country", "province", "city", "address", "postal_code", "admin_code")


def _texts(frame: pd.DataFrame, name: str) -> list[str]:
    """Column ``name`` as a list of text ("" for empty or absent), in row order."""
    if name not in frame.columns:
        return [""] * len(frame)
    return [v if isinstance(v, str) else _text(v) for v in frame[name].tolist()]


def _rows(frame: pd.DataFrame) -> list[int]:
    if "_row" in frame.columns:
        return [int(v) for v in frame["_row"].tolist()]
    return [i + 2 for i in range(len(frame))]


@cache
def _latin_needles() -> str:
    """Regex of every Latin key that can place an address in Xinjiang (letters and digits)."""
    keys = {*xj.latin_names(), *xj.province_latin_keys(), *_XPCC_QUICK}
    return "|".join(re.escape(k) for k in sorted(keys, key=lambda k: (-len(k), k)))


def _squeezed(values: pd.Series) -> pd.Series:
    """Lower-cased letters and digits run together ("&" read as "and")."""
    lowered = values.str.lower().str.replace("&", "and", regex=False)
    return lowered.str.replace(r"[^a-z0-9]+", "", regex=True)


def _non_ascii(values: pd.Series) -> np.ndarray:
    return np.array(values.str.contains(r"[^\x00-\x7f]", regex=True).to_numpy(dtype=bool))


def _address_prefilter(addresses: list[str]) -> np.ndarray:
    """Which addresses can name Xinjiang (a cheap, vectorised superset of :func:`_address`).

    A Latin (ASCII) address matches only through a province or place key or an XPCC word, each
    of which then appears in its letters and digits run together; others are skipped.
    """
    values = pd.Series(addresses, dtype="str")
    found = _squeezed(values).str.contains(_latin_needles(), regex=True)
    return _non_ascii(values) | found.to_numpy(dtype=bool)


def _name_prefilter(cells: list[str], listed: frozenset[str], anywhere: bool) -> np.ndarray:
    """Which cells can hold a name that normalises to a listed one (a vectorised superset).

    For an ASCII name the normalised form is a prefix of its squeezed letters and digits
    (legal forms go only from the end), so the squeezed cell starts with (or, for a cell of
    ``;``-separated aliases, contains) the first four characters of a listed name. Non-ASCII
    cells are always kept: NFKC, case folding and diacritics need the full normalisation.
    """
    values = pd.Series(cells, dtype="str")
    squeezed = _squeezed(values)
    keep = _non_ascii(values)
    prefixes = sorted({k[:4] for k in listed if k.isascii()})
    if not prefixes:
        return keep
    if anywhere:
        pattern = "|".join(re.escape(p) for p in prefixes)
        return keep | squeezed.str.contains(pattern, regex=True).to_numpy(dtype=bool)
    for length in sorted({len(p) for p in prefixes}):
        some = {p for p in prefixes if len(p) == length}
        keep |= squeezed.str.slice(0, length).isin(some).to_numpy(dtype=bool)
    return keep


def _xinjiang_sources(facilities: pd.DataFrame) -> list[tuple[int, str]]:
    """(position, reason) of every facility located in Xinjiang, in position order.

    Each field is evaluated once per distinct value and context (the dict caches below), so the
    cost grows with the number of distinct values, not with the number of facilities.
    """
    country, province, city, address, postal, admin = (_texts(facilities, c) for c in _GEO_COLUMNS)
    maybe_address = _address_prefilter(address) if len(address) >= _PREFILTER_MIN else None
    scopes: dict[str, str] = {}
    provinces: dict[tuple[str, str], tuple[str, str | None]] = {}
    cities: dict[tuple[str, str, str], str | None] = {}
    addresses: dict[tuple[str, str, str], str | None] = {}
    postals: dict[str, str | None] = {}
    admins: dict[str, str | None] = {}
    out: list[tuple[int, str]] = []
    for i, country_value in enumerate(country):
        scope = scopes.get(country_value)
        if scope is None:
            scope = scopes[country_value] = _scope(country_value)
        if scope == "other":
            continue
        key = (province[i], scope)
        state, province_evidence = provinces.get(key) or provinces.setdefault(key, _province(*key))
        context = (scope, state)
        city_key = (city[i], *context)
        if city_key in cities:
            city_evidence = cities[city_key]
        else:
            city_evidence = cities[city_key] = _city(*city_key)
        address_evidence = None
        if address[i] and (maybe_address is None or maybe_address[i]):
            address_key = (address[i], *context)
            if address_key in addresses:
                address_evidence = addresses[address_key]
            else:
                address_evidence = addresses[address_key] = _address(*address_key)
        postal_evidence = admin_evidence = None
        if scope == "cn":
            if postal[i]:
                if postal[i] not in postals:
                    postals[postal[i]] = _postal(postal[i])
                postal_evidence = postals[postal[i]]
            if admin[i]:
                if admin[i] not in admins:
                    admins[admin[i]] = _admin(admin[i])
                admin_evidence = admins[admin[i]]
        if (
            province_evidence
            or city_evidence
            or address_evidence
            or postal_evidence
            or (admin_evidence)
        ):
            detail = _combine(
                province[i],
                state,
                province_evidence,
                city_evidence,
                address_evidence,
                postal_evidence,
                admin_evidence,
            )
            if detail:
                out.append((i, detail))
    return out


def _entity_sources(
    facilities: pd.DataFrame, matcher: EntityMatcher
) -> list[tuple[int, int, EntityMatch, str]]:
    """(position, order, match, field) of every entity-list match of a facility's name,
    aliases or company; each distinct string is normalised once."""
    listed = matcher.normalized_names()
    verdict: dict[str, bool] = {}
    out: list[tuple[int, int, EntityMatch, str]] = []
    for field_rank, (field, column) in enumerate(_NAME_FIELDS):
        cells = _texts(facilities, column)
        split = column == "aliases"
        maybe = (
            _name_prefilter(cells, listed, anywhere=split) if len(cells) >= _PREFILTER_MIN else None
        )
        for position, cell in enumerate(cells):
            if not cell or (maybe is not None and not maybe[position]):
                continue
            for rank, value in enumerate(_split_aliases(cell) if split else (cell,)):
                hit = verdict.get(value)
                if hit is None:
                    hit = verdict[value] = _normalize_cached(value) in listed
                if not hit:
                    continue
                for match_rank, match in enumerate(matcher.match([value])):
                    order = (field_rank * 1000 + rank) * 10000 + match_rank
                    out.append((position, order, match, field))
    return out


def _entity_detail(field: str, value: str, match: EntityMatch) -> str:
    entry = match.entry
    listed = f"{entry.list} entry" if entry.list else "entity-list entry"
    alias = f" alias {_quote(match.entry_name)}" if match.entry_name != entry.name else ""
    return (
        f"{field} {_quote(value)} matches {listed} {_quote(entry.name)}{alias} "
        f"(normalised {_quote(match.normalized)})"
    )


def _entity_source(entry: EntityEntry) -> str:
    if entry.file and entry.row is not None:
        return f"{entry.file} row {entry.row}"
    return entry.file or (f"{entry.list} list" if entry.list else "entity list")


def screen(
    facilities: pd.DataFrame,
    flags: pd.DataFrame,
    entities: Sequence[EntityEntry] = (),
    as_of: pd.Timestamp | None = None,
    facilities_file: str = "facilities.csv",
    flags_file: str = "flags.csv",
) -> dict[str, list[Reason]]:
    """Risk sources of a dataset: facility_id -> reasons, for sources only (rule 1).

    Reasons come in a stable order: the Xinjiang location (one reason with every piece of
    evidence), then entity-list matches (name, aliases in order, company; entries in file/row
    order), then flags (flags.csv row order). Facility ids are sorted. Flags for facility ids not
    in ``facilities`` are ignored (validation reports them). The work is done once per distinct
    location tuple and per distinct name, so 10^6 facilities take seconds.
    """
    ids = _texts(facilities, "facility_id")
    rows = _rows(facilities)
    found: dict[str, list[tuple[tuple[int, int, int], Reason]]] = {}

    def add(position: int, kind: str, seq: int, reason: Reason) -> None:
        found.setdefault(ids[position], []).append(
            ((_KIND_RANK[kind], rows[position], seq), reason)
        )

    # 1. Xinjiang location
    for position, detail in _xinjiang_sources(facilities):
        source = f"{facilities_file} row {rows[position]}"
        add(position, "xinjiang", 0, Reason("xinjiang", detail, source))

    # 2. Entity lists
    matcher = EntityMatcher(entities, as_of=as_of)
    if len(matcher):
        for position, order, match, field in _entity_sources(facilities, matcher):
            detail = _entity_detail(field, match.facility_name, match)
            reason = Reason("entity-list", detail, _entity_source(match.entry))
            add(position, "entity-list", order, reason)

    # 3. Flags
    position_of = {fid: i for i, fid in enumerate(ids)}
    flag_rows = _rows(flags)
    flagged = zip(
        _texts(flags, "facility_id"),
        _texts(flags, "reason"),
        flag_rows,
        strict=True,
    )
    for fid, why, row in sorted(flagged, key=lambda t: t[2]):
        if fid not in position_of:
            continue
        detail = f"flagged: {_quote(why.strip())}" if why.strip() else "flagged"
        add(position_of[fid], "flag", row, Reason("flag", detail, f"{flags_file} row {row}"))

    out: dict[str, list[Reason]] = {}
    for fid in sorted(found):
        reasons: list[Reason] = []
        for _key, reason in sorted(found[fid], key=lambda t: t[0]):
            if reason not in reasons:
                reasons.append(reason)
        out[fid] = reasons
    return out
