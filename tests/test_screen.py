"""Screening (rule 1 and the entity-list part of rule 6): hand-written cases for every rule and
every trap in shared/notes/domain.md section 3, plus properties."""

from __future__ import annotations

import doctest
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphtrace import screen as screen_module
from graphtrace import xinjiang
from graphtrace.errors import InputError, ValidationFailed
from graphtrace.model import EntityEntry, Reason
from graphtrace.screen import (
    EntityMatch,
    EntityMatcher,
    normalize_name,
    read_entity_list,
    screen,
    xinjiang_evidence,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "entity_lists" / "uflpa_sample.csv"

FACILITY_COLUMNS = (
    "facility_id",
    "name",
    "role",
    "country",
    "province",
    "city",
    "address",
    "postal_code",
    "admin_code",
    "aliases",
    "company",
)


def ev(
    country: str = "CN",
    province: str = "",
    city: str = "",
    address: str = "",
    postal_code: str = "",
    admin_code: str = "",
) -> str | None:
    return xinjiang_evidence(country, province, city, address, postal_code, admin_code)


def facilities(*rows: dict[str, str]) -> pd.DataFrame:
    records = []
    for i, row in enumerate(rows):
        record = {c: "" for c in FACILITY_COLUMNS}
        record["role"] = "spinner"
        record.update(row)
        record["_row"] = i + 2  # type: ignore[assignment]
        records.append(record)
    return pd.DataFrame(records, columns=[*FACILITY_COLUMNS, "_row"])


def no_flags() -> pd.DataFrame:
    return pd.DataFrame({"facility_id": [], "reason": [], "_row": []})


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_doctests() -> None:
    for module in (screen_module, xinjiang):
        result = doctest.testmod(module)
        assert result.failed == 0


# ------------------------------------------------------------------------------------------
# normalize_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Xinjiang Tianmian Foundation Textile Co., Ltd.", "xinjiangtianmianfoundationtextile"),
        ("Xinjiang Tianmian Foundation Textile Co. Ltd", "xinjiangtianmianfoundationtextile"),
        ("Xinjiang Tianmian Foundation Textile Co.,Ltd", "xinjiangtianmianfoundationtextile"),
        (
            "Xinjiang Tianmian Foundation Textile Company Limited",
            "xinjiangtianmianfoundationtextile",
        ),
        ("XINJIANG TIANMIAN FOUNDATION TEXTILE LIMITED", "xinjiangtianmianfoundationtextile"),
        ("  xinjiang   tianmian\tfoundation textile ", "xinjiangtianmianfoundationtextile"),
        ("Xinjiang-Tianmian Foundation/Textile Ltd", "xinjiangtianmianfoundationtextile"),
        ("Camel Group Co., Ltd.", "camelgroup"),  # Group is kept
        ("Camel Group", "camelgroup"),
        ("Xinjiang Zhongtai (Group) Co., Ltd.", "xinjiangzhongtaigroup"),
        ("Group Holdings Inc.", "groupholdings"),
        ("Esquel Group Corporation", "esquelgroup"),
        ("Esquel Group Corp.", "esquelgroup"),
        ("Acme Inc", "acme"),
        ("Acme Incorporated", "acme"),
        ("Acme LLC", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme PLC", "acme"),
        ("Acme Joint Stock Co., Ltd.", "acme"),
        ("Acme Limited Liability Company", "acme"),
        ("Acme Co., Ltd. Co., Ltd.", "acme"),  # repeatedly at the end
        ("Limited Edition Textiles Ltd", "limitededitiontextiles"),  # not from the start
        ("Company Store Textiles", "companystoretextiles"),  # not from the middle
        ("Ltd", "ltd"),  # never the first word
        ("新疆天棉基业纺织有限公司", "新疆天棉基业纺织"),
        ("新疆天棉基业纺织股份有限公司", "新疆天棉基业纺织"),
        ("新疆天棉基业纺织有限责任公司", "新疆天棉基业纺织"),
        ("新疆天棉基业纺织公司", "新疆天棉基业纺织"),
        ("新疆中泰（集团）有限责任公司", "新疆中泰集团"),  # 集团 is kept
        ("新疆 天棉 基业 纺织 有限公司", "新疆天棉基业纺织"),
        ("新疆天棉基业纺织分公司", "新疆天棉基业纺织分"),  # a branch stays a branch
        (
            "ＸＩＮＪＩＡＮＧ　ＺＨＯＮＧＴＡＩ　ＣＨＥＭＩＣＡＬ",
            "xinjiangzhongtaichemical",
        ),  # fullwidth
        ("Xinjiang Zhongtai Chemical Co．，Ltd．", "xinjiangzhongtaichemical"),
        ("Heze Cotton & Linen", "hezecottonandlinen"),
        ("Heze Cotton and Linen", "hezecottonandlinen"),
        ("Ürümqi Cotton", "urumqicotton"),
        ("Hoshine Silicon Industry (Shanshan) Co., Ltd", "hoshinesiliconindustryshanshan"),
        ("841 Cotton Transfer Warehouse", "841cottontransferwarehouse"),
        ("", ""),
        ("   ", ""),
        ("...", ""),
    ],
)
def test_normalize_name(name: str, expected: str) -> None:
    assert normalize_name(name) == expected


def test_normalize_keeps_different_entities_apart() -> None:
    assert normalize_name("Xinjiang Zhongtai Group") != normalize_name("Xinjiang Zhongtai Chemical")
    assert normalize_name("Chenguang Biotech") != normalize_name(
        "Chenguang Biotechnology Group Yanqi"
    )
    # kana voicing marks are not diacritics
    assert normalize_name("ガ") != normalize_name("カ")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_name_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1),
    st.sampled_from(["Co., Ltd.", "Company Limited", "有限公司", "LLC", "Inc.", ""]),
)
def test_legal_form_suffix_never_matters(core: str, suffix: str) -> None:
    if normalize_name(core) != core.casefold():
        return  # the core itself ends in a legal form or changes under NFKC
    assert normalize_name(f"{core} {suffix}") == normalize_name(core)


# ------------------------------------------------------------------------------------------
# Xinjiang: province


@pytest.mark.parametrize(
    "province",
    [
        "Xinjiang",
        "xinjiang",
        "XINJIANG",
        "Xinjiang Uygur Autonomous Region",
        "Xinjiang Uyghur Autonomous Region",
        "Xinjiang Uighur Autonomous Region",
        "Xinjiang Weiwuer Zizhiqu",
        "Xinjiang Province",
        "XUAR",
        "Sinkiang",
        "Xinjiang, China",
        "新疆",
        "新疆维吾尔自治区",
        "新疆维吾尔族自治区",
        "新疆省",
        "中国新疆",
    ],
)
def test_province_spellings(province: str) -> None:
    assert ev(province=province) == f'province "{province}" is Xinjiang'


def test_province_spellings_apply_when_country_unknown() -> None:
    assert ev(country="", province="Xinjiang") == 'province "Xinjiang" is Xinjiang'
    assert ev(country="", province="新疆维吾尔自治区") is not None


def test_province_other_and_unrelated() -> None:
    assert ev(province="Shanxi") is None
    assert ev(province="山西省") is None
    assert ev(province="Guangdong") is None
    assert ev(province="新疆路") is None  # a road (Qingdao)


def test_province_field_holding_a_prefecture() -> None:
    assert (
        ev(province="喀什地区") == 'province "喀什地区" is in Xinjiang (Kashgar prefecture, 6531)'
    )
    assert ev(province="Kashgar") == 'province "Kashgar" is in Xinjiang (Kashgar prefecture, 6531)'
    assert ev(country="", province="Kashgar") is None  # Latin place names need country CN


# ------------------------------------------------------------------------------------------
# Xinjiang: city / prefecture names


@pytest.mark.parametrize(
    ("city", "code"),
    [
        # Chinese, with and without suffix
        ("乌鲁木齐", "6501"),
        ("乌鲁木齐市", "6501"),
        ("喀什", "6531"),
        ("喀什地区", "6531"),
        ("喀什市", "653101"),
        ("和田", "6532"),
        ("和田地区", "6532"),
        ("和田市", "653201"),
        ("和田县", "653221"),
        ("昌吉回族自治州", "6523"),
        ("昌吉州", "6523"),
        ("昌吉市", "652301"),
        ("伊犁", "6540"),
        ("伊犁哈萨克自治州", "6540"),
        ("伊宁市", "654002"),
        ("巴州", "6528"),
        ("巴音郭楞蒙古自治州", "6528"),
        ("库尔勒市", "652801"),
        ("阿克苏", "6529"),
        ("吐鲁番市", "6504"),
        ("吐鲁番地区", "6504"),  # old name
        ("哈密", "6505"),
        ("克拉玛依市", "6502"),
        ("博乐市", "652701"),
        ("阿图什市", "653001"),
        ("塔城地区", "6542"),
        ("阿勒泰", "6543"),
        ("奎屯市", "654003"),
        ("库车县", "652902"),  # old name of 库车市
        ("莎车县", "653125"),
        ("温泉县", "652723"),
        ("沙湾市", "654203"),
        ("巴里坤哈萨克自治县", "650521"),
        # XPCC cities
        ("石河子市", "659001"),
        ("石河子", "659001"),
        ("阿拉尔市", "659002"),
        ("五家渠", "659004"),
        ("双河市", "659007"),
        ("新星市", "659011"),
        ("白杨市", "659012"),
        ("北屯市", "659005"),
    ],
)
def test_chinese_city_names(city: str, code: str) -> None:
    found = ev(city=city)
    assert found is not None and found.startswith(f'city "{city}" is in Xinjiang (')
    assert found.endswith(f", {code})")
    assert ev(country="", city=city) == found  # Chinese names need no country


@pytest.mark.parametrize(
    ("city", "code"),
    [
        ("Ürümqi", "6501"),
        ("Urumqi", "6501"),
        ("Urumchi", "6501"),
        ("Wulumuqi", "6501"),
        ("Wulumuqi Shi", "6501"),
        ("URUMQI CITY", "6501"),
        ("Kashgar", "6531"),
        ("Kashi", "6531"),
        ("Kaxgar", "6531"),
        ("Kashgar Prefecture", "6531"),
        ("Hotan", "6532"),
        ("Hetian", "6532"),
        ("Khotan", "6532"),
        ("Korla", "652801"),
        ("Aksu", "6529"),
        ("Shihezi", "659001"),
        ("Alaer", "659002"),
        ("Aral", "659002"),
        ("Kuytun", "654003"),
        ("Kuitun", "654003"),
        ("Yining", "654002"),
        ("Ghulja", "654002"),
        ("Changji", "6523"),
        ("Changji Hui Autonomous Prefecture", "6523"),
        ("Turpan", "6504"),
        ("Turfan", "6504"),
        ("Hami", "6505"),
        ("Kumul", "6505"),
        ("Karamay", "6502"),
        ("Bole", "652701"),
        ("Artux", "653001"),
        ("Tacheng", "6542"),
        ("Altay", "6543"),
        ("Yili", "6540"),
        ("Ili Kazakh Autonomous Prefecture", "6540"),
        ("Bayingolin Mongol Autonomous Prefecture", "6528"),
        ("Bayin'gholin", "6528"),
        ("Kuqa", "652902"),
        ("Yarkant", "653125"),
        ("Tumxuk", "659003"),
        ("Wujiaqu", "659004"),
        ("Kashgar, Xinjiang", "6531"),
    ],
)
def test_latin_city_names(city: str, code: str) -> None:
    found = ev(city=city)
    assert found is not None and found.startswith(f'city "{city}" is in Xinjiang (')
    assert found.endswith(f", {code})")


def test_latin_city_names_need_country_cn() -> None:
    assert ev(country="", city="Kashgar") is None
    assert ev(country="RU", city="Altai") is None  # Altai Republic, Russia
    assert ev(country="KZ", city="Aral") is None  # Aral, Kazakhstan
    assert ev(country="ET", city="Bole") is None  # Bole, Addis Ababa
    assert ev(country="China", city="Kashgar") is not None
    assert ev(country="cn", city="Kashgar") is not None


def test_city_field_holding_the_province() -> None:
    assert (
        ev(city="Xinjiang")
        == 'city "Xinjiang" names Xinjiang (a province spelling in the city field)'
    )
    assert ev(city="新疆") == 'city "新疆" names Xinjiang ("新疆")'


# ------------------------------------------------------------------------------------------
# Xinjiang: traps


def test_trap_xinjiang_county_shanxi() -> None:
    # 新绛县 (Shanxi, 140825) is also "Xinjiang" in pinyin
    assert ev(province="山西省", city="新绛县") is None
    assert ev(city="新绛县") is None
    assert ev(province="Shanxi", city="Xinjiang") is None
    assert ev(province="山西", city="Xinjiang") is None
    assert ev(province="Shanxi", city="Xinjiang County") is None
    assert ev(city="Xinjiang County") is None
    assert ev(address="Xinjiang County, Yuncheng, Shanxi") is None
    assert ev(admin_code="140825") is None
    # ... while "Xinjiang" in the province field is the province
    assert ev(province="Xinjiang", city="Xinjiang") is not None


def test_trap_bazhou() -> None:
    assert ev(city="霸州市") is None  # Hebei
    assert ev(province="河北省", city="霸州") is None
    assert ev(city="Bazhou") is None  # ambiguous pinyin alone
    assert ev(province="Hebei", city="Bazhou") is None
    assert ev(province="四川省", city="巴州区") is None  # Bazhong, Sichuan
    assert ev(city="巴州区") is None
    assert ev(city="巴州") is not None  # Bayingolin in Chinese
    assert ev(province="Xinjiang", city="Bazhou") == 'province "Xinjiang" is Xinjiang'


def test_trap_xinxing() -> None:
    assert ev(province="广东省", city="新兴县") is None
    assert ev(city="新兴县") is None
    assert ev(province="Guangdong", city="Xinxing") is None
    assert ev(city="Xinxing") is None
    assert ev(city="新星") is None  # bare: "new star"
    assert ev(city="新星市") is not None


def test_trap_shuanghe_baiyang() -> None:
    for city in (
        "Shuanghe",
        "Baiyang",
        "双河",
        "白杨",
        "双河镇",
        "白杨街道",
        "Baiyang Subdistrict",
    ):
        assert ev(city=city) is None, city
    assert ev(province="浙江省", city="杭州市", address="浙江省杭州市钱塘区白杨街道") is None
    assert ev(city="双河市") is not None
    assert ev(city="白杨市") is not None


def test_trap_yili_dairy() -> None:
    assert ev(city="伊利") is None
    assert (
        ev(province="内蒙古自治区", city="呼和浩特市", address="内蒙古呼和浩特市伊利工业园区")
        is None
    )
    assert ev(province="Inner Mongolia", city="Yili") is None
    assert ev(province="Inner Mongolia", city="Yili Industrial Park") is None
    assert ev(city="伊犁") is not None


def test_trap_other_ambiguous_names() -> None:
    assert ev(city="温泉") is None  # hot spring
    assert ev(city="温泉镇") is None
    assert ev(city="沙湾区") is None  # Leshan, Sichuan
    assert ev(city="天山") is None
    assert ev(city="北屯区") is None  # Taichung
    assert ev(city="Yiwu") is None  # 义乌, not 伊吾
    assert ev(city="Shanshan") is None
    assert ev(address="哈密瓜批发市场") is None  # Hami melon


def test_chinese_city_counts_despite_other_province() -> None:
    found = ev(province="山西省", city="喀什市")
    assert found == (
        'city "喀什市" is in Xinjiang (喀什市, Kashgar prefecture, 653101)'
        ' (although province "山西省" names another province)'
    )
    # ... but Latin city names do not override another province
    assert ev(province="Shanxi", city="Kashgar") is None


# ------------------------------------------------------------------------------------------
# Xinjiang: postal codes and admin codes


@pytest.mark.parametrize("code", ["830000", "830002", "844000", "848000", "841000", "839000"])
def test_postal_codes(code: str) -> None:
    assert ev(postal_code=code) == (
        f'postal code "{code}" is a Xinjiang postcode (six digits starting 83 or 84)'
    )


def test_postal_code_variants() -> None:
    assert ev(postal_code=" 844 000 ") is not None
    assert ev(postal_code="８４４０００") is not None  # fullwidth digits
    for code in ("844", "830", "843", "848", "84400", "8440000", "850000", "100000", "84400A", ""):
        assert ev(postal_code=code) is None, code


def test_postal_codes_outside_china() -> None:
    assert ev(country="TW", postal_code="844") is None  # Kaohsiung
    assert ev(country="TW", postal_code="830") is None
    assert ev(country="IN", postal_code="844101") is None  # Bihar PIN
    assert ev(country="IN", postal_code="831001") is None  # Jharkhand PIN
    assert ev(country="", postal_code="844000") is None  # unknown country: not unambiguous


@pytest.mark.parametrize(
    ("code", "where"),
    [
        ("65", ""),
        ("6531", ": Kashgar prefecture, 6531"),
        ("653101", ": 喀什市, Kashgar prefecture, 653101"),
        ("653101000000", ": 喀什市, Kashgar prefecture, 653101"),
        ("652901", ": 阿克苏市, Aksu prefecture, 652901"),
        ("659001", ": Shihezi, XPCC 8th Division, 659001"),
        ("652100", ": old code of 吐鲁番地区, now Turpan, 6504"),
        ("652923", ": old code of 库车县, now 库车市, 652902"),
        ("650000", ""),
    ],
)
def test_admin_codes(code: str, where: str) -> None:
    assert ev(admin_code=code) == f'admin code "{code}" is in Xinjiang (65){where}'


def test_admin_code_rejects() -> None:
    for code in ("6", "140825", "6531010000001", "65a1", "5650", ""):
        assert ev(admin_code=code) is None, code
    assert ev(country="FR", admin_code="65") is None  # Hautes-Pyrénées
    assert ev(country="", admin_code="653101") is None


# ------------------------------------------------------------------------------------------
# Xinjiang: address


def test_chinese_address_start() -> None:
    assert ev(address="新疆维吾尔自治区喀什地区喀什市人民路1号") == (
        'address "新疆维吾尔自治区喀什地区喀什市人民路1号" '
        'starts with "新疆维吾尔自治区" (Xinjiang)'
    )
    assert ev(address="中国新疆石河子市北三路") is not None
    assert ev(address="844000 喀什市人民路") is not None
    assert ev(address="阿克苏市英阿瓦提路") == (
        'address "阿克苏市英阿瓦提路" starts with "阿克苏市" (阿克苏市, Aksu prefecture, 652901)'
    )
    assert ev(country="", address="新疆乌鲁木齐市") is not None


def test_chinese_address_roads_and_offices_elsewhere() -> None:
    assert ev(address="上海市长宁区乌鲁木齐中路100号") is None
    assert ev(address="上海市静安区和田路8号") is None
    assert ev(address="和田路8号") is None
    assert ev(address="新疆路8号") is None  # Qingdao
    assert ev(address="乌鲁木齐北路") is None
    assert ev(address="北京市海淀区新疆大厦") is None
    assert ev(address="新疆驻京办事处") is None
    assert ev(address="山西省运城市新绛县龙兴镇") is None


def test_xpcc_tokens() -> None:
    assert ev(address="新疆生产建设兵团第七师一二四团") == (
        'address "新疆生产建设兵团第七师一二四团" names the XPCC ("新疆生产建设兵团")'
    )
    assert ev(address="第八师一二一团") == 'address "第八师一二一团" names the XPCC ("第八师")'
    assert ev(address="农一师十团") is not None
    assert ev(address="某镇一五〇团场") is not None
    assert ev(address="兵团第十四师") is not None
    assert ev(city="第八师") is not None
    assert ev(country="", address="XPCC 8th Division") is not None
    assert ev(address="Bingtuan farm 3") is not None
    assert ev(address="Xinjiang Production and Construction Corps") is not None
    # not the XPCC
    assert ev(address="湖南省长沙市第一师范学院") is None  # teachers' college
    assert ev(address="长沙市第一师范") is None
    assert ev(address="广东省东莞市某某集团150团购") is None  # group buying
    assert ev(province="黑龙江", address="黑龙江生产建设兵团旧址") is None
    assert ev(address="集团公司") is None


def test_latin_address() -> None:
    assert ev(address="No. 3 Beijing Road, Urumqi, Xinjiang, China") == (
        'address "No. 3 Beijing Road, Urumqi, Xinjiang, China" names "Urumqi" (Ürümqi, 6501)'
    )
    assert ev(address="Renmin Road, Xinjiang 844000") is not None
    assert ev(country="", address="Renmin Road, Xinjiang") is not None
    assert ev(country="", address="Renmin Road, Kashgar") is None
    assert ev(address="88 Urumqi Middle Road, Jing'an, Shanghai") is None
    assert ev(address="12 Xinjiang Road, Qingdao") is None
    assert ev(address="12 Xinjiang Road, Shinan District, Qingdao, Shandong") is None
    assert ev(province="Shanxi", address="Xinjiang, Yuncheng") is None


def test_all_evidence_is_reported() -> None:
    found = ev(
        province="新疆", city="喀什市", postal_code="844000", admin_code="653101", address=""
    )
    assert found is not None
    assert found.split("; ") == [
        'province "新疆" is Xinjiang',
        'city "喀什市" is in Xinjiang (喀什市, Kashgar prefecture, 653101)',
        'postal code "844000" is a Xinjiang postcode (six digits starting 83 or 84)',
        'admin code "653101" is in Xinjiang (65): 喀什市, Kashgar prefecture, 653101',
    ]


def test_other_countries_get_no_geography() -> None:
    assert ev(country="US", province="Xinjiang", city="Kashgar", postal_code="844000") is None
    assert ev(country="TW", address="新疆") is None
    assert ev(country="JP", city="和田") is None


def test_gazetteer_is_consistent() -> None:
    places = xinjiang.places()
    assert all(code.startswith("65") for code in places)
    assert len([c for c in places if c.startswith("6590")]) == 12
    for name in xinjiang.AMBIGUOUS_CHINESE:
        assert name not in xinjiang.chinese_names()
    latin = xinjiang.latin_names()
    for name in xinjiang.AMBIGUOUS_LATIN:
        assert name.casefold() not in latin
    for trap in xinjiang.TRAPS:
        assert ev(city=trap) is None, trap
        assert ev(address=trap) is None, trap


# ------------------------------------------------------------------------------------------
# Entity lists: reading


def test_read_entity_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mylist.csv",
        "\ufeffname,aliases,effective_date,list,notes\n"
        "Xinjiang Daqo New Energy,Daqin Energy; Daxin Energy ;,2022-06-21,UFLPA,x\n"
        "Camel Group,,,,y\n"
        ",,,,\n"
        "Acme,,2024-01-31,Own list,\n",
    )
    entries = read_entity_list(path)
    assert entries == [
        EntityEntry(
            "Xinjiang Daqo New Energy",
            ("Daqin Energy", "Daxin Energy"),
            pd.Timestamp("2022-06-21"),
            "UFLPA",
            "mylist.csv",
            2,
        ),
        EntityEntry("Camel Group", (), None, "mylist", "mylist.csv", 3),  # list = file stem
        EntityEntry("Acme", (), pd.Timestamp("2024-01-31"), "Own list", "mylist.csv", 5),
    ]


def test_read_entity_list_reports_every_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        "name,aliases,effective_date,list\n"
        "Good,,2023-09-26,UFLPA\n"
        ",Only An Alias,,UFLPA\n"
        "Bad Date,,26/09/2023,UFLPA\n"
        "Impossible Date,,2023-02-30,UFLPA\n"
        "  ,,not a date,UFLPA\n",
    )
    with pytest.raises(ValidationFailed) as caught:
        read_entity_list(path)
    issues = caught.value.report.issues
    assert [(i.code, i.row, i.column, i.value) for i in issues] == [
        ("missing-value", 3, "name", ""),
        ("bad-date", 4, "effective_date", "26/09/2023"),
        ("bad-date", 5, "effective_date", "2023-02-30"),
        ("missing-value", 6, "name", "  "),
        ("bad-date", 6, "effective_date", "not a date"),
    ]
    assert all(i.file == str(path) for i in issues)
    assert "fix them and try again" in str(caught.value)


def test_read_entity_list_missing_name_column(tmp_path: Path) -> None:
    path = write(tmp_path, "nonames.csv", "entity,effective_date\nAcme,2024-01-01\n")
    with pytest.raises(ValidationFailed) as caught:
        read_entity_list(path)
    issues = caught.value.report.issues
    assert [(i.code, i.row, i.column) for i in issues] == [("missing-column", 1, "name")]


def test_read_entity_list_missing_column_and_bad_dates_together(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "title,effective_date\nAcme,2023-13-01\n")
    with pytest.raises(ValidationFailed) as caught:
        read_entity_list(path)
    assert [i.code for i in caught.value.report.issues] == ["missing-column", "bad-date"]


def test_read_entity_list_header_case_and_spaces(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", " Name , Aliases \nAcme, A1;A2\n")
    assert read_entity_list(path) == [EntityEntry("Acme", ("A1", "A2"), None, "x", "x.csv", 2)]


def test_read_entity_list_keeps_text(tmp_path: Path) -> None:
    # "NA" and "00123" stay text
    path = write(tmp_path, "x.csv", "name,aliases\nNA,00123\n")
    assert read_entity_list(path)[0].name == "NA"
    assert read_entity_list(path)[0].aliases == ("00123",)


def test_read_entity_list_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_entity_list(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="not a file"):
        read_entity_list(tmp_path)
    with pytest.raises(InputError, match="UTF-8"):
        read_entity_list(write(tmp_path, "latin1.csv", "name\nÜrümqi Textil\n", "latin-1"))
    with pytest.raises(InputError, match="empty"):
        read_entity_list(write(tmp_path, "empty.csv", ""))


def test_sample_entity_list_reads() -> None:
    entries = read_entity_list(SAMPLE)
    assert len(entries) >= 40
    assert {e.list for e in entries} == {"UFLPA"}
    assert all(e.file == "uflpa_sample.csv" for e in entries)
    daqo = next(e for e in entries if e.name == "Xinjiang Daqo New Energy")
    assert daqo.effective_date == pd.Timestamp("2022-06-21")
    assert "Daqin Energy" in daqo.aliases
    undated = {e.name for e in entries if e.effective_date is None}
    assert "Dongguan Oasis Shoes" in undated


# ------------------------------------------------------------------------------------------
# Entity lists: matching


def entry(name: str, *aliases: str, date: str | None = None, row: int = 2) -> EntityEntry:
    effective = pd.Timestamp(date) if date else None
    return EntityEntry(name, aliases, effective, "UFLPA", "uflpa.csv", row)


def test_matcher_matches_names_and_aliases() -> None:
    daqo = entry("Xinjiang Daqo New Energy", "Daqin Energy", row=5)
    matcher = EntityMatcher([daqo])
    assert matcher.match(["Xinjiang Daqo New Energy Co., Ltd.", "DAQIN ENERGY", "Other", ""]) == [
        EntityMatch(
            daqo,
            "Xinjiang Daqo New Energy Co., Ltd.",
            "Xinjiang Daqo New Energy",
            "xinjiangdaqonewenergy",
        ),
        EntityMatch(daqo, "DAQIN ENERGY", "Daqin Energy", "daqinenergy"),
    ]


def test_matcher_is_exact_not_fuzzy() -> None:
    matcher = EntityMatcher([entry("Xinjiang Zhongtai Group")])
    assert matcher.match(["Xinjiang Zhongtai Chemical"]) == []
    assert matcher.match(["Xinjiang Zhongtai Grup"]) == []
    assert matcher.match(["Zhongtai Group"]) == []


def test_matcher_blank_names_never_match() -> None:
    matcher = EntityMatcher([entry("Acme"), EntityEntry("", ("", " "))])
    assert matcher.match(["", "  ", "Co., Ltd.", "..."]) == []


def test_matcher_as_of() -> None:
    old = entry("Old Entity", date="2022-06-21", row=2)
    new = entry("New Entity", date="2024-11-25", row=3)
    undated = entry("Undated Entity", row=4)
    names = ["Old Entity", "New Entity", "Undated Entity"]
    assert [m.entry for m in EntityMatcher([old, new, undated]).match(names)] == [old, new, undated]
    as_of = pd.Timestamp("2024-01-01")
    assert [m.entry for m in EntityMatcher([old, new, undated], as_of).match(names)] == [
        old,
        undated,
    ]
    on_the_day = pd.Timestamp("2024-11-25")
    assert len(EntityMatcher([old, new, undated], on_the_day).match(names)) == 3
    assert EntityMatcher([old], pd.Timestamp("2022-06-20")).match(names) == []


def test_matcher_order_is_deterministic() -> None:
    a = EntityEntry("Acme", (), None, "UFLPA", "a.csv", 2)
    b = EntityEntry("ACME Co., Ltd.", (), None, "Own", "b.csv", 7)
    c = EntityEntry("Other", ("acme",), None, "UFLPA", "a.csv", 3)
    first = EntityMatcher([a, b, c]).match(["acme"])
    assert [m.entry for m in first] == [a, c, b]
    assert EntityMatcher([c, b, a]).match(["acme"]) == first


# ------------------------------------------------------------------------------------------
# screen()


def test_screen_each_rule() -> None:
    frame = facilities(
        {"facility_id": "GIN-KS", "country": "CN", "city": "喀什市"},
        {"facility_id": "MILL-SH", "country": "CN", "province": "上海市", "city": "上海市"},
        {
            "facility_id": "SPIN-TM",
            "name": "Tianmian Spinning",
            "country": "CN",
            "province": "Jiangsu",
            "company": "Xinjiang Tianmian Foundation Textile Co., Ltd.",
        },
        {"facility_id": "DYE-1", "country": "VN"},
        {"facility_id": "CMT-1", "country": "BD", "aliases": "CMT One; Daqin Energy"},
    )
    flags = pd.DataFrame(
        {"facility_id": ["DYE-1", "NOT-A-FACILITY"], "reason": ["audit 2024", "x"], "_row": [2, 3]}
    )
    entities = [
        EntityEntry(
            "Xinjiang Tianmian Foundation Textile",
            (),
            pd.Timestamp("2023-09-26"),
            "UFLPA",
            "uflpa.csv",
            12,
        ),
        EntityEntry("Xinjiang Daqo New Energy", ("Daqin Energy",), None, "UFLPA", "uflpa.csv", 5),
    ]
    result = screen(frame, flags, entities)
    assert result == {
        "CMT-1": [
            Reason(
                "entity-list",
                'alias "Daqin Energy" matches UFLPA entry "Xinjiang Daqo New Energy" alias '
                '"Daqin Energy" (normalised "daqinenergy")',
                "uflpa.csv row 5",
            )
        ],
        "DYE-1": [Reason("flag", 'flagged: "audit 2024"', "flags.csv row 2")],
        "GIN-KS": [
            Reason(
                "xinjiang",
                'city "喀什市" is in Xinjiang (喀什市, Kashgar prefecture, 653101)',
                "facilities.csv row 2",
            )
        ],
        "SPIN-TM": [
            Reason(
                "entity-list",
                'company "Xinjiang Tianmian Foundation Textile Co., Ltd." matches UFLPA entry '
                '"Xinjiang Tianmian Foundation Textile" '
                '(normalised "xinjiangtianmianfoundationtextile")',
                "uflpa.csv row 12",
            )
        ],
    }
    assert list(result) == sorted(result)
    # rule 6: the Tianmian entry is not yet effective in 2023-01
    early = screen(frame, flags, entities, as_of=pd.Timestamp("2023-01-01"))
    assert "SPIN-TM" not in early and "CMT-1" in early


def test_screen_reason_order_and_file_names() -> None:
    frame = facilities(
        {
            "facility_id": "F1",
            "name": "新疆天棉基业纺织有限公司",
            "aliases": "Tianmian; Xinjiang Tianmian Foundation Textile Ltd",
            "company": "Xinjiang Tianmian Foundation Textile Company Limited",
            "country": "CN",
            "province": "新疆维吾尔自治区",
            "postal_code": "830000",
        }
    )
    flags = pd.DataFrame({"facility_id": ["F1", "F1"], "reason": ["b", ""], "_row": [9, 4]})
    entities = [
        EntityEntry(
            "Xinjiang Tianmian Foundation Textile",
            ("新疆天棉基业纺织",),
            None,
            "UFLPA",
            "uflpa.csv",
            3,
        ),
    ]
    reasons = screen(
        frame, flags, entities, facilities_file="facilities.xlsx", flags_file="flags.xlsx"
    )["F1"]
    assert [(r.kind, r.source) for r in reasons] == [
        ("xinjiang", "facilities.xlsx row 2"),
        ("entity-list", "uflpa.csv row 3"),  # name
        ("entity-list", "uflpa.csv row 3"),  # second alias
        ("entity-list", "uflpa.csv row 3"),  # company
        ("flag", "flags.xlsx row 4"),
        ("flag", "flags.xlsx row 9"),
    ]
    assert reasons[0].detail == (
        'province "新疆维吾尔自治区" is Xinjiang; '
        'postal code "830000" is a Xinjiang postcode (six digits starting 83 or 84)'
    )
    assert reasons[1].detail.startswith('name "新疆天棉基业纺织有限公司" matches UFLPA entry')
    assert reasons[2].detail.startswith('alias "Xinjiang Tianmian Foundation Textile Ltd"')
    assert reasons[4].detail == "flagged"


def test_screen_non_sources_and_empty_inputs() -> None:
    frame = facilities(
        {"facility_id": "A", "country": "CN", "province": "Shanxi", "city": "Xinjiang"},
        {"facility_id": "B", "country": "IN", "postal_code": "844101"},
        {"facility_id": "C", "country": "TW", "postal_code": "844"},
        {"facility_id": "D", "country": "CN", "province": "Hebei", "city": "Bazhou"},
    )
    assert screen(frame, no_flags()) == {}
    assert screen(facilities(), no_flags()) == {}


def test_screen_tolerates_missing_optional_columns() -> None:
    frame = pd.DataFrame({"facility_id": ["A", "B"], "name": ["x", "y"], "country": ["CN", "CN"]})
    frame["city"] = ["Korla", ""]
    assert list(screen(frame, no_flags())) == ["A"]
    assert screen(frame, no_flags())["A"][0].source == "facilities.csv row 2"


def test_screen_with_the_sample_list() -> None:
    frame = facilities(
        {"facility_id": "E1", "country": "CN", "name": "Turpan Esquel Textile Co., Ltd."},
        {"facility_id": "E2", "country": "CN", "name": "Esquel China Holdings Limited"},
        {"facility_id": "E3", "country": "CN", "name": "Esquel Textiles (Vietnam)"},
    )
    entries = read_entity_list(SAMPLE)
    assert sorted(screen(frame, no_flags(), entries)) == ["E1", "E2"]
    before = screen(frame, no_flags(), entries, as_of=pd.Timestamp("2024-10-31"))
    assert before == {}


# ------------------------------------------------------------------------------------------
# properties and scale

_GEO_ROWS = [
    {"country": "CN", "city": "喀什市"},
    {"country": "CN", "province": "Shanxi", "city": "Xinjiang"},
    {"country": "CN", "postal_code": "844000"},
    {"country": "IN", "postal_code": "844101"},
    {"country": "CN", "admin_code": "659001"},
    {"country": "", "province": "新疆"},
    {"country": "CN", "name": "Camel Group Co., Ltd."},
    {"country": "VN", "aliases": "x; Daqin Energy"},
    {"country": "CN", "city": "霸州市"},
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(range(len(_GEO_ROWS))), max_size=12), st.randoms())
def test_screen_is_independent_of_row_order(picks: list[int], rnd: object) -> None:
    rows = [dict(_GEO_ROWS[k], facility_id=f"F{i:02d}") for i, k in enumerate(picks)]
    frame = facilities(*rows)
    flags = pd.DataFrame({"facility_id": ["F00", "F01"], "reason": ["a", "b"], "_row": [2, 3]})
    entities = [
        entry("Camel Group", row=2),
        entry("Xinjiang Daqo New Energy", "Daqin Energy", row=3),
    ]
    expected = screen(frame, flags, entities)
    shuffled = frame.sample(frac=1.0, random_state=rnd.randint(0, 10**6))  # type: ignore[attr-defined]
    assert screen(shuffled.reset_index(drop=True), flags.iloc[::-1], entities[::-1]) == expected
    assert screen(frame, flags, entities) == expected  # deterministic


def test_screen_scales() -> None:
    """~60k facilities (above the pre-filter threshold) with distinct names: seconds."""
    base = facilities(*[dict(r, facility_id=f"F{i}") for i, r in enumerate(_GEO_ROWS)])
    frame = pd.concat([base] * 6_700, ignore_index=True)
    frame["facility_id"] = [f"F{i}" for i in range(len(frame))]
    frame["name"] = [f"Factory {i}" for i in range(len(frame))]
    entities = [entry(f"Listed {i}", row=i + 2) for i in range(2_000)]
    start = time.perf_counter()
    result = screen(frame, no_flags(), entities)
    elapsed = time.perf_counter() - start
    assert len(result) == 6_700 * 4
    assert elapsed < 30, elapsed


_ADDRESSES = [
    "No. 3 Beijing Road, Urumqi, Xinjiang, China",
    "88 Urumqi Middle Road, Jing'an, Shanghai",
    "Renmin Road, Kashgar 844000",
    "Wu Lu Mu Qi, Renmin Road",
    "Bayin'gholin, Korla",
    "XPCC 8th Division",
    "Xinjiang Production & Construction Corps",
    "Ürümqi, Saybagh",
    "ＫＡＳＨＧＡＲ",
    "No. 18 Industrial Road, Dongguan, Guangdong",
    "新疆喀什市人民路1号",
    "上海市长宁区乌鲁木齐中路100号",
    "第八师一二一团",
    "",
]
_NAMES = [
    "Xinjiang Daqo New Energy Co., Ltd.",
    "DAQIN ENERGY",
    "Daqin-Energy Ltd",
    "Camel Group Co., Ltd.",
    "C.A.M.E.L. Group",
    "Heze Cotton & Linen",
    "ＣＡＭＥＬ ＧＲＯＵＰ",
    "新疆大全新能源有限公司",
    "AB Ltd",
    "Factory 1",
    "",
]


def test_prefilters_keep_every_match() -> None:
    maybe = screen_module._address_prefilter(_ADDRESSES)
    for address, kept in zip(_ADDRESSES, maybe, strict=True):
        if ev(address=address) is not None:
            assert kept, address
    assert not maybe[_ADDRESSES.index("No. 18 Industrial Road, Dongguan, Guangdong")]
    entries = [
        entry("Xinjiang Daqo New Energy", "Daqin Energy", "新疆大全新能源"),
        entry("Camel Group", row=3),
        entry("Heze Cotton and Linen", row=4),
        entry("AB", row=5),
    ]
    matcher = EntityMatcher(entries)
    listed = matcher.normalized_names()
    for anywhere in (False, True):
        kept_names = screen_module._name_prefilter(_NAMES, listed, anywhere=anywhere)
        for name, kept in zip(_NAMES, kept_names, strict=True):
            if matcher.match([name]):
                assert kept, (name, anywhere)
    cells = ["x; Daqin Energy", "Camel Group;", "nothing; here"]
    kept_cells = screen_module._name_prefilter(cells, listed, anywhere=True)
    assert kept_cells.tolist()[:2] == [True, True]


def test_vectorised_path_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = []
    for i, address in enumerate(_ADDRESSES):
        name = _NAMES[i % len(_NAMES)]
        aliases = f"x; {_NAMES[(i + 3) % len(_NAMES)]}"
        rows.append(
            {
                "facility_id": f"F{i:02d}",
                "country": "CN",
                "address": address,
                "name": name,
                "aliases": aliases,
                "company": _NAMES[(i + 5) % len(_NAMES)],
            }
        )
    frame = facilities(*rows)
    entries = [entry("Xinjiang Daqo New Energy", "Daqin Energy"), entry("Camel Group", row=3)]
    plain = screen(frame, no_flags(), entries)
    monkeypatch.setattr(screen_module, "_PREFILTER_MIN", 0)
    assert screen(frame, no_flags(), entries) == plain
    assert len(plain) > 5
